"""Creating the engine's tables, or adopting them where an older release already made them.

Until the engine had an app of its own, the newsroom's first migration (``models.0001_initial``) created the
engine's tables too. A database that has that migration recorded when ours runs is such a database: its tables
already exist with exactly these columns (no later migration of that chain touched them), so the model joins this
app's state and nothing is written. Any other database gets the tables created. (The leading underscore keeps
tortoise's migration loader from taking this module for a migration.)
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops

LEGACY_APP, LEGACY_FIRST = "models", "0001_initial"


async def made_by_legacy_chain(client: Any) -> bool:
    """True when the database's first migration is the old one that also made the engine's tables."""
    rows = await client.execute_query_dict(
        f"SELECT 1 FROM tortoise_migrations WHERE app = '{LEGACY_APP}' AND name = '{LEGACY_FIRST}'")
    return bool(rows)


class AdoptOrCreateModel(ops.CreateModel):
    """`CreateModel` that only records the model in the state when the legacy chain already made its table."""

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any,
                               state_editor: Any = None) -> None:
        if state_editor is not None and await made_by_legacy_chain(state_editor.client):
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)
