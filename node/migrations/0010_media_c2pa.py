from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    """Media items keep their C2PA verdict (valid-trusted, valid-untrusted, tampered, none, error) as JSON."""

    dependencies = [('models', '0009_media_search')]

    initial = False

    operations = [
        ops.AddField(
            model_name='MediaItem',
            name='c2pa',
            field=fields.JSONField(null=True),
        ),
    ]
