"""The two indexes the Story model has always declared but no database got: tortoise's AddField does not create
the index of a field added with ``db_index=True`` (0005 added ``embargoed_until``, 0013 ``context_uri``), on SQLite
or PostgreSQL. Without them the embargo scheduler read every story on each pass (and on every scheduled story's
wake-up), and a thread's page every story too. ``IF NOT EXISTS``: a database indexed by hand keeps its index.
tests/node/test_schema_indexes.py checks every model's declared indexes against a migrated database."""

from tortoise import migrations
from tortoise.migrations import operations as ops

CREATE = ["CREATE INDEX IF NOT EXISTS story_embargoed_until ON story (embargoed_until)",
          "CREATE INDEX IF NOT EXISTS story_context_uri ON story (context_uri)"]
DROP = ["DROP INDEX IF EXISTS story_context_uri", "DROP INDEX IF EXISTS story_embargoed_until"]


async def create_indexes(apps, schema_editor) -> None:
    for sql in CREATE:
        await schema_editor.client.execute_script(sql)


async def drop_indexes(apps, schema_editor) -> None:
    for sql in DROP:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    """Story: the indexes of ``embargoed_until`` and ``context_uri`` that 0005 and 0013 declared."""

    dependencies = [('models', '0019_queue_claim_order')]

    initial = False

    operations = [
        ops.RunPython(create_indexes, drop_indexes),
    ]
