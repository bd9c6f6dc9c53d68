"""Database set-up: the tortoise configuration for a URL, opening and closing, and running migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from tortoise import Tortoise
from tortoise.context import _current_context  # tortoise 1.1 exposes no public setter without a token

if TYPE_CHECKING:
    from tortoise.context import TortoiseContext

from federation.store import APP_LABEL as ENGINE_APP
from node import dbguard
from node.logsafety import hide_query_values
from federation.store import tortoise_app as engine_app

# The newsroom's models, one module per domain; all under the app label "models" (the label its migration chain
# has carried since the first release), beside the engine's own app.
MODELS_MODULES = [
    "node.identity.models",
    "node.stories.models",
    "node.stories.draft_models",
    "node.wire.models",
    "node.translation.models",
    "node.media.models",
    "node.media.wire_models",
    "node.accounts.models",
    "node.factchecks.models",
    "node.desk.models",
]
MIGRATIONS_MODULE = "node.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The tortoise config dict for one database URL (SQLite file or PostgreSQL)."""
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://"):]
    # The connection is named after its dialect: tortoise caches built SQL per (connection name, table), so a
    # process that has used SQLite (the test suite) must not reuse those statements for PostgreSQL.
    name = "sqlite" if url.startswith("sqlite") else "postgres"
    return {
        "connections": {name: url},
        "apps": {
            ENGINE_APP: engine_app(name),
            "models": {
                "models": MODELS_MODULES,
                "default_connection": name,
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_db(database_url: str) -> None:
    """Connect tortoise to the database. The schema must already be migrated (`agency-node migrate`)."""
    dbguard.install()
    await Tortoise.init(config=tortoise_config(database_url))


async def close_db() -> None:
    """Close every connection tortoise opened."""
    await Tortoise.close_connections()


async def migrate(database_url: str, progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply every pending migration; return the names applied. Safe to run again: it then applies nothing."""
    from tortoise.migrations.api import migrate as _migrate

    applied: list[str] = []

    def _progress(event: str, app_label: str, name: str) -> None:
        if event in ("apply_done",):
            applied.append(f"{app_label}.{name}")
        if progress is not None:
            progress(f"{event} {app_label}.{name}")

    config = tortoise_config(database_url)
    try:
        if await adopt_engine_tables(config):
            applied.append(f"{ENGINE_APP}.{ENGINE_FIRST} (adopted: its tables were made by models.0001_initial)")
            if progress is not None:
                progress(f"adopted {ENGINE_APP}.{ENGINE_FIRST}: its tables exist (release 0.1 made them)")
        await _migrate(config=config, progress=_progress)
    finally:
        await Tortoise.close_connections()
    return applied


# Until the engine had an app of its own (release 0.1), the newsroom's first migration also made the engine's
# tables, with exactly the columns of the engine's first migration (no later migration of that chain touched them).
LEGACY_FIRST = ("models", "0001_initial")
ENGINE_FIRST = "0001_initial"


async def adopt_engine_tables(config: dict[str, Any]) -> bool:
    """On a database made by release 0.1, record the engine's first migration as applied (its tables are there);
    True when it did. Without this, tortoise would rebuild the state of the applied newsroom chain without the
    engine's models its tables point at, and refuse to migrate. Any other database is left alone."""
    from tortoise.connection import get_connection
    from tortoise.migrations.graph import MigrationKey
    from tortoise.migrations.recorder import MigrationRecorder

    await Tortoise.init(config=config, init_connections=False)
    (name,) = config["connections"].keys()
    recorder = MigrationRecorder(get_connection(name))
    applied = set(await recorder.applied_migrations())  # empty when there is no migrations table yet
    if MigrationKey(*LEGACY_FIRST) not in applied or MigrationKey(ENGINE_APP, ENGINE_FIRST) in applied:
        return False
    await recorder.record_applied(ENGINE_APP, ENGINE_FIRST)
    return True


async def pending_migrations(database_url: str) -> list[str]:
    """Names of migrations not yet applied (empty when the schema is current). Uses the current context."""
    from tortoise.connection import get_connection
    from tortoise.migrations.executor import MigrationExecutor

    config = tortoise_config(database_url)
    await Tortoise.init(config=config, init_connections=False)
    try:
        (name,) = config["connections"].keys()
        # tortoise's recorder reads "no migrations table" into any error, so an unreachable database would look
        # merely unmigrated: touch it first so the real reason (refused, unknown host, bad path) comes out.
        await get_connection(name).execute_query("SELECT 1")
        executor = MigrationExecutor(get_connection(name), config["apps"])
        await executor.loader.build_graph()
        graph = executor.loader.graph
        applied = set(await executor.recorder.applied_migrations())
        # Every migration of the graph not recorded, in order. (tortoise's own plan() only looks at the leaves, so
        # it misses an unapplied migration that an applied one depends on: a release 0.1 database's engine app.)
        ordered = dict.fromkeys(key for leaf in graph.leaf_nodes() for key in graph.forwards_plan(leaf))
        return [f"{key.app_label}.{key.name}" for key in ordered if key not in applied]
    finally:
        await Tortoise.close_connections()


def activate(ctx: "TortoiseContext") -> None:
    """Make `ctx` the database of the current task (and of tasks it starts).

    Several nodes may share one process (the demo, the tests): each request, worker and command sets its node's
    context first. tortoise keeps the current context in a context variable; a task's copy dies with the task,
    so there is nothing to reset.
    """
    # Already active (the usual case: a node alone in its process, whose requests inherit the context the server
    # started in): setting it again would cost every request a context change for nothing.
    if _current_context.get() is not ctx:
        _current_context.set(ctx)


async def open_context(database_url: str) -> "TortoiseContext":
    """A new, initialised tortoise context for one node's database, active in the current task."""
    from tortoise.context import TortoiseContext

    hide_query_values()  # DEBUG logs of the drivers would show stored private keys
    dbguard.install()  # a transaction cut by a database restart must not break its task for good
    ctx = TortoiseContext()
    activate(ctx)
    await ctx.init(config=tortoise_config(database_url))
    return ctx
