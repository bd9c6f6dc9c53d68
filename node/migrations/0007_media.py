from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    """The media stock: one row per file, stored by the SHA-256 of its bytes; a story's media (lead image first)."""

    dependencies = [('models', '0006_revision_proofs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MediaItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sha256', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharField(db_index=True, max_length=16)),
                ('media_type', fields.CharField(max_length=100)),
                ('size', fields.BigIntField()),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('duration', fields.FloatField(null=True)),
                ('alt', fields.JSONField(default=dict)),
                ('caption', fields.JSONField(default=dict)),
                ('credit', fields.CharField(default='', max_length=500)),
                ('copyright', fields.CharField(default='', max_length=500)),
                ('usage_terms', fields.TextField(default='')),
                ('digital_source_type', fields.CharField(default='', max_length=255)),
                ('filename', fields.CharField(default='', max_length=255)),
                ('blurhash', fields.CharField(default='', max_length=100)),
                ('focal_point', fields.JSONField(null=True)),
                ('renditions', fields.JSONField(default=dict)),
                ('upload_sha256', fields.CharField(default='', db_index=True, max_length=64)),
                ('removed_metadata', fields.JSONField(default=list)),
                ('origin_actor', fields.CharField(default='', db_index=True, max_length=512)),
                ('origin_url', fields.CharField(default='', max_length=1024)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'media_item', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'A file of the media stock (photo, video, audio, document), stored by its SHA-256.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Story',
            name='media',
            field=fields.JSONField(null=True),
        ),
    ]
