from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    """Each received revision of a wire story keeps the proof verdict it arrived with (audit per revision)."""

    dependencies = [('models', '0005_lifecycle')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WireRevision',
            name='proof_status',
            field=fields.CharField(default='', db_default='', max_length=16),
        ),
        ops.AddField(
            model_name='WireRevision',
            name='proof_key_id',
            field=fields.CharField(default='', db_default='', max_length=512),
        ),
    ]
