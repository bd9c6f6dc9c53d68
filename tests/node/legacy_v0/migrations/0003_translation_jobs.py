from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_translations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MachineReading',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('wire_story', fields.ForeignKeyField('models.WireStory', source_field='wire_story_id', db_index=True, db_constraint=True, to_field='id', related_name='machine_readings', on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(max_length=35)),
                ('source_hash', fields.CharField(max_length=64)),
                ('engine', fields.CharField(max_length=64)),
                ('headline', fields.TextField(default='', unique=False)),
                ('summary', fields.TextField(default='', unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'machine_reading', 'app': 'models', 'unique_together': (('wire_story', 'language', 'source_hash'),), 'pk_attr': 'id', 'table_description': 'A wire story machine-translated for local reading only (never published), cached per source text.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TranslationJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_index=True, db_constraint=True, to_field='id', related_name='translation_jobs', on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(max_length=35)),
                ('source_language', fields.CharField(max_length=35)),
                ('state', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, db_index=True, max_length=36)),
                ('engine', fields.CharField(default='', max_length=64)),
                ('source_hash', fields.CharField(default='', max_length=64)),
                ('result', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('translated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'translation_job', 'app': 'models', 'unique_together': (('story', 'language'),), 'pk_attr': 'id', 'table_description': 'Translate one of our stories into one target language through the configured engine.'},
            bases=['Model'],
        ),
    ]
