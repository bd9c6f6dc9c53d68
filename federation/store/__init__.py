"""The engine's storage: its tortoise models and their migrations, under the app label ``federation``.

The application puts `tortoise_app()` into its tortoise config beside its own apps; its own models may point at
the engine's (``"federation.RemoteActor"``), never the other way round.
"""

from __future__ import annotations

from typing import Any

from federation.store.models import (
    Delivery, FanoutExpansion, Follower, Following, HostHealth, InboxItem, OutboxActivity, RemoteActor,
)

APP_LABEL = "federation"
MODELS_MODULE = "federation.store.models"
MIGRATIONS_MODULE = "federation.store.migrations"


def tortoise_app(connection: str) -> dict[str, Any]:
    """The engine's entry in a tortoise ``apps`` config, on the named connection."""
    return {"models": [MODELS_MODULE], "default_connection": connection, "migrations": MIGRATIONS_MODULE}


__all__ = ["APP_LABEL", "Delivery", "FanoutExpansion", "Follower", "Following", "HostHealth", "InboxItem", "OutboxActivity",
           "RemoteActor", "tortoise_app"]
