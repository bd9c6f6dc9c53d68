from tortoise import migrations
from tortoise.migrations import operations as ops

# PostgreSQL only: every queue tells the workers of every process about new rows with a NOTIFY sent by a trigger,
# so in the transaction that inserts them and delivered only when it commits (node/notify.py listens and wakes the
# workers; the names of the channels are there too). SQLite serves one process: its workers are woken in-process.
# Statement triggers for inserts (one NOTIFY per statement, and PostgreSQL folds the same notification sent twice in
# one transaction into one); row triggers for a job queued again (its attempts start again at 0), never for a
# claim or a retry.
FUNCTION = ("CREATE OR REPLACE FUNCTION agency_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$")
QUEUES = [  # (table, channel, state of a queued row)
    ("delivery", "agency_delivery", None),
    ("inbox_item", "agency_inbox", None),
    ("translation_job", "agency_translation", "pending"),
    ("wire_media", "agency_media", "waiting"),
]
POSTGRES = [FUNCTION]
UNDO = []
for table, channel, ready in QUEUES:
    POSTGRES.append(f"CREATE TRIGGER {table}_notify_insert AFTER INSERT ON {table} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION agency_queue_notify('{channel}')")
    UNDO.append(f"DROP TRIGGER IF EXISTS {table}_notify_insert ON {table}")
    if ready:
        POSTGRES.append(f"CREATE TRIGGER {table}_notify_requeue AFTER UPDATE ON {table} FOR EACH ROW "
                        f"WHEN (NEW.state = '{ready}' AND NEW.attempts = 0 "
                        f"AND (OLD.state, OLD.attempts) IS DISTINCT FROM (NEW.state, NEW.attempts)) "
                        f"EXECUTE FUNCTION agency_queue_notify('{channel}')")
        UNDO.append(f"DROP TRIGGER IF EXISTS {table}_notify_requeue ON {table}")
# The embargo scheduler sleeps until the next scheduled story is due: a story scheduled (or rescheduled) in another
# process must wake it to look again.
for when in ("INSERT", "UPDATE"):
    POSTGRES.append(f"CREATE TRIGGER story_notify_scheduled_{when.lower()} AFTER {when} ON story FOR EACH ROW "
                    "WHEN (NEW.state = 'scheduled') EXECUTE FUNCTION agency_queue_notify('agency_embargo')")
    UNDO.append(f"DROP TRIGGER IF EXISTS story_notify_scheduled_{when.lower()} ON story")
UNDO.append("DROP FUNCTION IF EXISTS agency_queue_notify()")


async def create_triggers(apps, schema_editor) -> None:
    """On PostgreSQL, the triggers that NOTIFY each queue's channel; nothing on SQLite."""
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
    """PostgreSQL: a NOTIFY per queue when rows are queued (and when a story is scheduled), so workers in other
    processes start at once."""

    dependencies = [('models', '0016_factcheck_links'), ('federation', '0002_claim_heartbeat')]

    initial = False

    operations = [
        ops.RunPython(create_triggers, drop_triggers),
    ]
