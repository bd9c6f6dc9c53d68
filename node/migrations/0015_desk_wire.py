from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete

# The tokenizer this migration made the index with (as node/media/search_index.py FTS5_TOKENIZER says).
FTS5_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'"

SQLITE = [
    f'CREATE VIRTUAL TABLE wire_search USING fts5(document, tokenize="{FTS5_TOKENIZER}")',
    # The row goes with its story, whoever deletes it.
    "CREATE TRIGGER wire_search_story_deleted AFTER DELETE ON wire_story BEGIN "
    "DELETE FROM wire_search WHERE rowid = old.id; END",
]
POSTGRES = [
    "CREATE TABLE wire_search (story_id INTEGER PRIMARY KEY REFERENCES wire_story (id) ON DELETE CASCADE, "
    "document TSVECTOR NOT NULL)",
    "CREATE INDEX wire_search_document ON wire_search USING GIN (document)",
]
# Partner health: each followed agency's newest story, by an index probe. Threads: a story's newer versions (the
# wire lists each thread once), by an index probe too.
INDEXES = ["CREATE INDEX wire_story_actor_received ON wire_story (actor_id, received_at)",
           "CREATE INDEX wire_story_thread ON wire_story (thread, id)"]
SQLITE += INDEXES
POSTGRES += INDEXES
# A story starts its own thread until it names another's (node/wire/threads.py).
THREADS = "UPDATE wire_story SET thread = uri WHERE thread = ''"
UNDO = {"sqlite": ["DROP INDEX IF EXISTS wire_story_thread", "DROP INDEX IF EXISTS wire_story_actor_received",
                   "DROP TRIGGER IF EXISTS wire_search_story_deleted", "DROP TABLE IF EXISTS wire_search"],
        "postgres": ["DROP INDEX IF EXISTS wire_story_thread", "DROP INDEX IF EXISTS wire_story_actor_received",
                     "DROP TABLE IF EXISTS wire_search"]}


async def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    client = schema_editor.client
    for sql in statements["postgres" if client.capabilities.dialect == "postgres" else "sqlite"]:
        await client.execute_script(sql)


async def create_index(apps, schema_editor) -> None:
    """Make the dialect's full-text table, start every story's thread, and index the stories already there."""
    from node.wire.search_index import reindex

    await _run(schema_editor, {"sqlite": SQLITE, "postgres": POSTGRES})
    await schema_editor.client.execute_script(THREADS)
    await reindex(schema_editor.client)


async def drop_index(apps, schema_editor) -> None:
    await _run(schema_editor, UNDO)


class Migration(migrations.Migration):
    """The desk's wire screen: story threads, topics and full-text search over the wire (FTS5 on SQLite, a tsvector
    with a GIN index on PostgreSQL; node/wire/search_index.py keeps them in step), and saved searches per user."""

    dependencies = [('models', '0014_factchecks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WireStory',
            name='thread',
            field=fields.CharField(default='', db_default='', max_length=512),
        ),
        ops.CreateModel(
            name='WireTopic',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('story', fields.ForeignKeyField('models.WireStory', source_field='story_id', db_index=True,
                                                 db_constraint=True, to_field='id', related_name='topics',
                                                 on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(db_index=True, max_length=20)),
                ('name', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'wire_topic', 'app': 'models', 'pk_attr': 'id',
                     'unique_together': (('story', 'code'),)},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SavedSearch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True,
                                                db_constraint=True, to_field='id', related_name='saved_searches',
                                                on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('query', fields.CharField(default='', max_length=2000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'desk_saved_search', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'A wire search an editor saved under a name (its filters as a query string).',
                     'unique_together': (('user', 'name'),)},
            bases=['Model'],
        ),
        ops.RunPython(create_index, drop_index),
    ]
