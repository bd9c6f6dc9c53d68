from tortoise import migrations
from tortoise.migrations import operations as ops

# The tokenizer this migration made the index with (as node/media/search_index.py FTS5_TOKENIZER says).
FTS5_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'"

# Search results come newest first.
CREATED_INDEX = "CREATE INDEX media_item_created ON media_item (created_at, id)"
SQLITE = [
    f'CREATE VIRTUAL TABLE media_search USING fts5(document, credit UNINDEXED, languages UNINDEXED, '
    f'tokenize="{FTS5_TOKENIZER}")',
    # The row goes with its item, whoever deletes it.
    "CREATE TRIGGER media_search_item_deleted AFTER DELETE ON media_item BEGIN "
    "DELETE FROM media_search WHERE rowid = old.id; END",
    CREATED_INDEX,
]
POSTGRES = [
    "CREATE TABLE media_search (item_id INTEGER PRIMARY KEY REFERENCES media_item (id) ON DELETE CASCADE, "
    "document TSVECTOR NOT NULL, credit TEXT NOT NULL DEFAULT '', languages TEXT NOT NULL DEFAULT ' ')",
    "CREATE INDEX media_search_document ON media_search USING GIN (document)",
    CREATED_INDEX,
]
UNDO = {"sqlite": ["DROP INDEX IF EXISTS media_item_created", "DROP TRIGGER IF EXISTS media_search_item_deleted",
                   "DROP TABLE IF EXISTS media_search"],
        "postgres": ["DROP INDEX IF EXISTS media_item_created", "DROP TABLE IF EXISTS media_search"]}


async def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    client = schema_editor.client
    for sql in statements["postgres" if client.capabilities.dialect == "postgres" else "sqlite"]:
        await client.execute_script(sql)


async def create_index(apps, schema_editor) -> None:
    """Make the dialect's full-text table and fill it from the items already in the stock."""
    from node.media.search_index import reindex

    await _run(schema_editor, {"sqlite": SQLITE, "postgres": POSTGRES})
    await reindex(schema_editor.client)


async def drop_index(apps, schema_editor) -> None:
    await _run(schema_editor, UNDO)


class Migration(migrations.Migration):
    """Full-text search over the media stock: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL
    ('simple': no stemming); node/media/search_index.py keeps it in step with media_item."""

    dependencies = [('models', '0008_media_fetch')]

    initial = False

    operations = [
        ops.RunPython(create_index, drop_index),
    ]
