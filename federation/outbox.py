"""Putting activities on the outbound queue: one stored activity, one delivery row per distinct inbox.

The activity is serialised (and its digest computed) once here; workers send these bytes to every inbox. An
activity for all of an actor's followers (`Followers`) gets its rows here when they are few
(`Federation.fanout_batch`), else one expansion job that a worker turns into rows in batches: the
publishing transaction then costs the same whatever the audience.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timezone
from typing import Any, Iterable

import orjson
from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.expansion import FIRST_BATCH, Followers, follower_targets, insert_deliveries
from federation.proofs import sign_activity
from federation.sig.cavage import body_digest
from federation.vocab import activity as build_activity
from federation.store.models import FanoutExpansion, OutboxActivity, RemoteActor


def new_uuid() -> str:
    """A random id for a local object or activity."""
    return str(uuidlib.uuid4())


async def follower_inboxes(username: str) -> list[str]:
    """Inboxes that fan-out to `username`'s accepted followers must reach, collapsed onto shared inboxes."""
    # One joined query for two columns: loading every follower and its actor as objects made publishing to a few
    # thousand followers take longer than delivering to them.
    rows = await RemoteActor.filter(follows_us__local=username, follows_us__state="accepted",
                                    deleted_at=None).values_list("shared_inbox", "inbox")
    return sorted({shared or inbox for shared, inbox in rows})


def deliverable(fed: Federation) -> Any:
    """Whether an inbox gets a delivery row: not one of ours, on a domain the trust policy allows."""
    ours = fed.urls.base_url + "/"
    return lambda inbox: not inbox.startswith(ours) and fed.trust.allows_host(inbox)


async def enqueue(fed: Federation, *, username: str, activity: dict[str, Any], inboxes: Iterable[str] | Followers,
                  subject_id: int | None = None, public: bool = False, connection: Any = None) -> OutboxActivity:
    """Store `activity` and a delivery row for each inbox, atomically; wake the delivery worker.

    `inboxes` may be `Followers(name)`: every accepted follower of `name`, collapsed onto shared inboxes; beyond
    `fed.fanout_batch` of them, only the first followers' rows (`expansion.FIRST_BATCH`) and an expansion job for
    the rest (`federation.expansion`) are stored.
    Create, Update, Delete and Announce are signed here with an object integrity proof (federation.proofs), on
    the final document; inboxes on domains the trust policy refuses get no row.
    """
    activity = sign_activity(fed, username, activity)
    body = orjson.dumps(activity)
    allowed = deliverable(fed)
    targets = [] if isinstance(inboxes, Followers) else sorted({i for i in inboxes if allowed(i)})
    now = datetime.now(timezone.utc)

    async def _write(conn: Any) -> OutboxActivity:
        row = await OutboxActivity.create(
            uuid=activity["id"].rsplit("/", 1)[-1], activity_id=activity["id"], actor=username,
            type=activity["type"], subject_id=subject_id, body=body.decode("utf-8"), digest=body_digest(body),
            public=public, using_db=conn,
        )
        many = targets
        if isinstance(inboxes, Followers):
            # The rows of the first followers are written here whatever the audience: they go out as soon as this
            # commits. Past `fanout_batch` followers, the rest are a job's (a worker writes their rows batch by
            # batch, from where these end).
            inline, name = fed.fanout_batch, inboxes.username
            head = min(FIRST_BATCH, inline)
            first = await follower_targets(name, after=0, limit=head, connection=conn)
            found, big = set(first.inboxes), False
            if first.read == head:  # there may be more
                rest = await follower_targets(name, after=first.last_id, limit=inline - head + 1, connection=conn)
                big = head + rest.read > inline
                if not big:
                    found.update(rest.inboxes)
            many = sorted(i for i in found if allowed(i))
            if big:
                await FanoutExpansion.create(activity_id=row.id, local=name, after_follower=first.last_id,
                                             rows=len(many), using_db=conn)
        await insert_deliveries(conn, row.id, many, now)
        return row

    if connection is not None:
        row = await _write(connection)
    else:
        async with in_transaction() as conn:
            row = await _write(conn)
    fed.delivery_wakeup.set()
    return row


async def send_activity(fed: Federation, *, username: str, type_: str, obj: Any, inboxes: Iterable[str],
                        to: list[str] | None = None, cc: list[str] | None = None, subject_id: int | None = None,
                        public: bool = False, connection: Any = None) -> OutboxActivity:
    """Build an activity from `username` around `obj` and enqueue it (see `enqueue`)."""
    doc = build_activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=to, cc=cc,
                         published=datetime.now(timezone.utc))
    return await enqueue(fed, username=username, activity=doc, inboxes=inboxes, subject_id=subject_id,
                         public=public, connection=connection)
