from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete


class Migration(migrations.Migration):
    """Desk items (drafts moving through draft, review, ready; spiked; published as a story) with their edit lock,
    and the thread (AS2 `context`) a story belongs to."""

    dependencies = [('models', '0012_desk_locale')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Story',
            name='context_uri',
            field=fields.CharField(max_length=512, default="", db_default="", db_index=True),
        ),
        ops.CreateModel(
            name='DeskItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('headline', fields.CharField(default='', max_length=500)),
                ('summary', fields.TextField(default='')),
                ('body', fields.TextField(default='')),
                ('body_format', fields.CharField(default='markdown', max_length=16)),
                ('language', fields.CharField(max_length=35)),
                ('subjects', fields.JSONField(default=list)),
                ('urgency', fields.IntField(null=True)),
                ('embargoed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('image', fields.CharField(null=True, max_length=64)),
                ('media', fields.JSONField(default=list)),
                ('stage', fields.CharField(default='draft', db_index=True, max_length=16)),
                ('spiked_from', fields.CharField(default='', max_length=16)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', null=True, db_index=True,
                                                 db_constraint=True, to_field='id', related_name='desk_items',
                                                 on_delete=OnDelete.SET_NULL)),
                ('thread_uri', fields.CharField(default='', db_index=True, max_length=512)),
                ('from_wire', fields.IntField(null=True)),
                ('created_by', fields.CharField(max_length=64)),
                ('changed_by', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('locked_by', fields.CharField(default='', max_length=64)),
                ('locked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lock_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'desk_item', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "The desk's working copy of a story, its stage, lock and version."},
            bases=['Model'],
        ),
    ]
