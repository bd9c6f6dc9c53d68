from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_proofs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoryRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_index=True, db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('content_hash', fields.CharField(max_length=80)),
                ('snapshot', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('correction', fields.BooleanField(default=False)),
                ('correction_note', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'story_revision', 'app': 'models', 'unique_together': (('story', 'number'),), 'pk_attr': 'id', 'table_description': 'One stored revision of one of our stories: revision 1 is the first publication, each change adds one.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WireRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('wire_story', fields.ForeignKeyField('models.WireStory', source_field='wire_story_id', db_index=True, db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('content_hash', fields.CharField(default='', max_length=80)),
                ('headline', fields.TextField(default='', unique=False)),
                ('correction', fields.BooleanField(default=False)),
                ('correction_note', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wire_revision', 'app': 'models', 'unique_together': (('wire_story', 'number'),), 'pk_attr': 'id', 'table_description': "A revision of a wire story as this node received it (the history it has seen, not the origin's)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Story',
            name='embargoed_until',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Story',
            name='import_uri',
            field=fields.CharField(null=True, unique=True, max_length=512),
        ),
        ops.AddField(
            model_name='Story',
            name='kill_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Story',
            name='subjects',
            field=fields.JSONField(default=list, null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Story',
            name='urgency',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='WireStory',
            name='embargoed_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='WireStory',
            name='kill_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='WireStory',
            name='revision',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='WireStory',
            name='subjects',
            field=fields.JSONField(default=list, null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='WireStory',
            name='urgency',
            field=fields.IntField(null=True),
        ),
    ]
