"""What the engine's handlers share: the actor types, and followed-actor lookups batched per inbox batch."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterable, Iterator

from federation.store.models import RemoteActor

ACTOR_TYPES = frozenset({"Person", "Organization", "Service", "Application", "Group"})


# Followed actors looked up in one query for a whole batch of inbox items (see `batch_lookups`).
_followed_in_batch: ContextVar[dict[str, RemoteActor] | None] = ContextVar("followed_in_batch", default=None)


async def followed_actor(actor_uri: str) -> RemoteActor | None:
    """The remote actor if one of our actors follows it (accepted), else None."""
    known = _followed_in_batch.get()
    if known is not None and actor_uri in known:
        return known[actor_uri]
    return await RemoteActor.filter(uri=actor_uri, followed_by_us__state="accepted").first()


async def followed_actors(actor_uris: Iterable[str]) -> dict[str, RemoteActor]:
    """Of these actors, the ones one of our actors follows (accepted), by URI: one query for all."""
    rows = await RemoteActor.filter(uri__in=list(set(actor_uris)), followed_by_us__state="accepted")
    return {row.uri: row for row in rows}


@contextmanager
def batch_lookups(followed: dict[str, RemoteActor]) -> Iterator[None]:
    """Let `followed_actor` answer from `followed` (looked up for a batch) while the batch is processed.

    Only positive answers come from it: an actor missing there is still looked up, so a Follow accepted earlier
    in the same batch counts for the items after it.
    """
    token = _followed_in_batch.set(followed)
    try:
        yield
    finally:
        _followed_in_batch.reset(token)
