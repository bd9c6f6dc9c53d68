from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields


class Migration(migrations.Migration):
    """Partners' media: one row per attachment of a received story, its fetch job and its digest verdict."""

    dependencies = [('models', '0007_media')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WireMedia',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('wire_story', fields.ForeignKeyField('models.WireStory', source_field='wire_story_id', db_index=True, db_constraint=True, to_field='id', related_name='media', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('lead', fields.BooleanField(default=False)),
                ('url', fields.CharField(max_length=1024)),
                ('kind', fields.CharField(default='', max_length=16)),
                ('media_type', fields.CharField(default='', max_length=100)),
                ('description', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('expected_digest', fields.CharField(default='', max_length=100)),
                ('expected_sha256', fields.CharField(default='', max_length=64)),
                ('state', fields.CharField(default='waiting', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, db_index=True, max_length=36)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('verdict', fields.CharField(default='', db_index=True, max_length=16)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('actual_sha256', fields.CharField(default='', max_length=64)),
                ('media_item', fields.ForeignKeyField('models.MediaItem', source_field='media_item_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='received_as', on_delete=OnDelete.SET_NULL)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wire_media', 'app': 'models', 'unique_together': (('wire_story', 'url'),), 'pk_attr': 'id',
                     'table_description': 'An attachment of a received story: its fetch into the stock and the digest verdict.'},
            bases=['Model'],
        ),
    ]
