from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    """Each user keeps the desk's language they chose (empty: the browser's Accept-Language decides)."""

    dependencies = [('models', '0011_accounts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='locale',
            field=fields.CharField(max_length=16, default="", db_default=""),
        ),
    ]
