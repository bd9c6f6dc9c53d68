"""Shape checks at the edge of the inbox handlers: an activity we cannot use is `Unusable`, never retried.

The inbox accepts any validly signed activity whose envelope parses (`schemas.activitystreams.parse_activity`);
what lies inside the envelope is the handlers' to read. A member of the wrong type, an id longer than the columns
that hold ids, or a document nested deeper than anything a real server sends will fail the same way on every
attempt, so the handlers check those shapes first and raise `Unusable` with a short reason. The inbox worker
records it as the row's note and settles the row as ignored. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

import marshmallow
from tortoise import exceptions as orm

from federation.errors import (
    KeyUnavailable, ObjectGone, ObjectNotFound, ObjectUnavailable, PrivateAddressError, ProofError,
)
from federation.listeners import Unusable
from schemas.activitystreams import object_id

__all__ = ["ID_MAX", "MAX_DEPTH", "PAYLOAD_ERRORS", "TRANSIENT_ERRORS", "Unusable", "check_depth", "ref", "text",
           "unusable_reason"]

# The id columns (`InboxItem.activity_id`, `Follower.follow_activity_id`, `RemoteActor.uri`...) hold 512 characters.
ID_MAX = 512
# Real activities nest about ten levels (an Article's attachment's url's list, say: the deepest recorded fixture
# has 11); orjson refuses to store more than 254, and Python's own recursion gives up near 1,000.
MAX_DEPTH = 50

# Worth another attempt later: the database busy or briefly gone (SQLite's "database is locked" is an
# OperationalError, as is a unique-key race), a peer or the network having a bad moment.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    orm.OperationalError, orm.DBConnectionError, orm.TransactionManagementError, ObjectUnavailable, KeyUnavailable,
    OSError)
# The payload itself says no: validation of its members, a value too long for its column, too deep to handle.
PAYLOAD_ERRORS: tuple[type[BaseException], ...] = (
    marshmallow.ValidationError, orm.ValidationError, ProofError, RecursionError, UnicodeError)
# A fetch the activity asked for that can never work: the object is gone, missing, or on a refused address.
_PERMANENT_FETCH = (ObjectGone, ObjectNotFound, PrivateAddressError)
# A handler that met a shape it did not expect: the same activity fails the same way on every attempt.
_SHAPE_ERRORS = (TypeError, ValueError, LookupError, AttributeError)


def unusable_reason(exc: BaseException) -> str | None:
    """The note for an activity that can never be used, judged by the error its handler raised; None for an error
    that a later attempt may not meet (retry it)."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return None
    summary = exc.messages if isinstance(exc, marshmallow.ValidationError) else exc
    if isinstance(exc, PAYLOAD_ERRORS):
        return f"unusable: {type(exc).__name__}: {summary}"
    if isinstance(exc, _PERMANENT_FETCH):
        return f"unusable, fetch refused: {type(exc).__name__}: {exc}"
    if isinstance(exc, _SHAPE_ERRORS):
        return f"unusable ({type(exc).__name__}): {exc}"
    return None


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise `Unusable` when `value` nests dicts and lists deeper than `limit` levels (checked without recursion,
    one level at a time, only the containers of each kept: half the cost of a stack of (item, depth) pairs)."""
    level = [value]
    depth = 1
    while level:
        below = []
        for item in level:
            if isinstance(item, dict):
                children = item.values()
            elif isinstance(item, list):
                children = item
            else:
                continue
            if depth > limit:
                raise Unusable(f"document nested deeper than {limit} levels")
            for child in children:
                if isinstance(child, (dict, list)):
                    below.append(child)
        level = below
        depth += 1


def ref(value: Any, what: str = "object", *, required: bool = False) -> str | None:
    """The id of a reference (a string, an object with an id, a list), checked to be a string that fits the id
    columns; None when there is none (`Unusable` when `required`)."""
    ident = object_id(value)
    if isinstance(value, dict) and "id" in value and ident is None:
        raise Unusable(f"{what} id is not a string")
    if ident is None:
        if required:
            raise Unusable(f"{what} has no id")
        return None
    if len(ident) > ID_MAX:
        raise Unusable(f"{what} id too long ({len(ident)} > {ID_MAX} characters)")
    return ident


def text(doc: dict[str, Any], key: str, *, max_length: int | None = None) -> str | None:
    """`doc[key]` when it is a string (None when missing or null); `Unusable` when it is anything else, or
    longer than `max_length`."""
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unusable(f"{key} is not a string")
    if max_length is not None and len(value) > max_length:
        raise Unusable(f"{key} too long ({len(value)} > {max_length} characters)")
    return value
