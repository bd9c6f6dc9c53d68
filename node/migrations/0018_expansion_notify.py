from tortoise import migrations
from tortoise.migrations import operations as ops

# PostgreSQL only: a story for a big audience is stored with a fan-out expansion job instead of its delivery rows
# (federation 0003), so the insert trigger on `delivery` (0017) does not fire when it is published; the job's own
# insert must wake the delivery workers of every process, which expand it (the rows each batch writes then notify
# through `delivery`'s trigger).
POSTGRES = ["CREATE TRIGGER fanout_expansion_notify_insert AFTER INSERT ON fanout_expansion FOR EACH STATEMENT "
            "EXECUTE FUNCTION agency_queue_notify('agency_delivery')"]
UNDO = ["DROP TRIGGER IF EXISTS fanout_expansion_notify_insert ON fanout_expansion"]


async def create_triggers(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for sql in POSTGRES:
            await client.execute_script(sql)


async def drop_triggers(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for sql in UNDO:
            await client.execute_script(sql)


class Migration(migrations.Migration):
    """PostgreSQL: a fan-out expansion job wakes the delivery workers of every process."""

    dependencies = [('models', '0017_queue_notify'), ('federation', '0003_fanout_expansion')]

    initial = False

    operations = [
        ops.RunPython(create_triggers, drop_triggers),
    ]
