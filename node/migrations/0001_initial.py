from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    # The newsroom's tables point at the engine's remote actors.
    dependencies = [('federation', '0001_initial')]

    operations = [
        ops.CreateModel(
            name='ActorKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.CharField(unique=True, max_length=64)),
                ('private_key_pem', fields.TextField(unique=False)),
                ('public_key_pem', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'actor_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A key pair of one of our local actors (the agency, the instance actor). Generated once, kept forever.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Story',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uuid', fields.CharField(unique=True, max_length=36)),
                ('headline', fields.CharField(max_length=500)),
                ('summary', fields.TextField(default='', unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('language', fields.CharField(max_length=35)),
                ('hashtags', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('canonical_url', fields.CharField(null=True, max_length=1024)),
                ('state', fields.CharField(default='published', max_length=16)),
                ('version', fields.IntField(default=1)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A story this agency published. Its public URL is ``/stories/<uuid>``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WireStory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=512)),
                ('actor', fields.ForeignKeyField('federation.RemoteActor', source_field='actor_id', db_index=True, db_constraint=True, to_field='id', related_name='wire_stories', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharField(max_length=32)),
                ('language', fields.CharField(default='', db_index=True, max_length=35)),
                ('headline', fields.TextField(default='', unique=False)),
                ('summary', fields.TextField(default='', unique=False)),
                ('content_html', fields.TextField(default='', unique=False)),
                ('url', fields.CharField(default='', max_length=1024)),
                ('object', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('state', fields.CharField(default='live', max_length=16)),
                ('signature', fields.CharField(default='', max_length=32)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'wire_story', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A story received from another agency, stored as the incoming wire object (sanitized).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Boost',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity_id', fields.CharField(unique=True, max_length=512)),
                ('actor', fields.ForeignKeyField('federation.RemoteActor', source_field='actor_id', db_index=True, db_constraint=True, to_field='id', related_name='boosts', on_delete=OnDelete.CASCADE)),
                ('story', fields.ForeignKeyField('models.WireStory', source_field='story_id', db_index=True, db_constraint=True, to_field='id', related_name='boosts', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'boost', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An Announce of a story by an actor we follow.'},
            bases=['Model'],
        ),
    ]
