"""Creates of new wire stories, taken together: the inbox's busiest work in one transaction per batch.

An agency we follow sends its stories as Creates, and a busy wire brings them in runs. The engine hands each run
of Creates in a claimed batch to `creates` (a batch listener, `federation.listeners`); it takes the ones that are
plainly new stories (an embedded story object, from an agency we follow, on its host, not stored yet, once in
the run, not a fact-check or a translation offer) and stores them the way `node.wire.listeners.handle_create`
does, with the same columns, but as plain parameterised inserts of all their rows at once: stories, revisions,
languages, proof verdicts, search index and topics, media to fetch. The stored-story hooks (fact-check matching)
and the change hooks (threads, the desk's live pages) run after the commit, as they do for one story.

Everything else goes back to the single listeners, in order: updates of stories we have, anything that needs a
fetch, a second Create of the same object in the run. When the batch's transaction fails (a value its column
refuses, a story another process stored meanwhile), nothing of it is kept and every item goes down the single
path, where the bad one is recorded with its own reason and the others are stored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable

from tortoise.transactions import in_transaction

from federation import provenance
from federation.handlers.base import followed_actor
from federation.listeners import BatchListener, Ignored, Settle
from federation.payload import ID_MAX
from federation.store.bulk import BulkInsert, TooLong, marks
from node.media.receiving import attachments_of, queue_story_media
from node.translation.models import WireTranslation
from node.wire import hooks
from node.wire.changes import story_changed
from node.wire.languages import new_story_languages
from node.wire.listeners import STORY_TYPES, _clean_object, wire_fields
from node.wire.models import WireProof, WireRevision, WireStory, WireTopic
from node.wire.provenance import proof_values
from node.wire.revisions import revision_values
from node.wire.search_index import document_of, index_sql, topics_of
from node.wire.threads import context_of
from schemas.activitystreams import same_origin

__all__ = ["creates"]

log = logging.getLogger("agency_node.wire")

_STORIES = BulkInsert(WireStory)
_REVISIONS = BulkInsert(WireRevision)
_LANGUAGES = BulkInsert(WireTranslation)
_PROOFS = BulkInsert(WireProof)
_TOPICS = BulkInsert(WireTopic)


class _New:
    """One new story of the batch, ready to insert."""

    __slots__ = ("index", "uri", "obj", "columns", "verdict", "revision", "languages", "proof", "document",
                 "topics", "media", "rows")

    def __init__(self, index: int, uri: str, obj: dict[str, Any]) -> None:
        self.index, self.uri, self.obj = index, uri, obj


def creates(leave: Callable[[dict[str, Any]], bool]) -> BatchListener:
    """The batch listener for Create; `leave(obj)` says which objects a listener before the wire's takes (they
    go down the single chain)."""

    async def listener(fed: Any, items: list[tuple[dict[str, Any], str]],
                       settle: Settle) -> list[str | BaseException | None]:
        return await _creates(fed, items, leave, settle)

    return listener


async def _creates(fed: Any, items: list[tuple[dict[str, Any], str]], leave: Callable[[dict[str, Any]], bool],
                   settle: Settle) -> list[str | BaseException | None]:
    outcomes: list[str | BaseException | None] = [None] * len(items)
    candidates: dict[str, tuple[int, Any]] = {}
    for index, (activity, _) in enumerate(items):
        obj = activity.get("object")
        if not isinstance(obj, dict) or obj.get("type") not in STORY_TYPES or leave(obj):
            continue
        uri = obj.get("id")
        if not isinstance(uri, str) or len(uri) > ID_MAX or uri in candidates:
            continue  # a bad id is refused by the single path, with its reason; a second copy is an update
        actor = await followed_actor(activity["actor"])
        if actor is None or not same_origin(uri, actor.uri):
            continue
        candidates[uri] = (index, actor)
    if not candidates:
        return outcomes
    conn = WireStory._meta.db
    dialect = conn.capabilities.dialect
    _, stored = await conn.execute_query(
        f"SELECT uri FROM wire_story WHERE uri IN ({marks(dialect, len(candidates))})", list(candidates))
    for row in stored:
        candidates.pop(row["uri"], None)  # known already: an update, for the single path

    now = datetime.now(timezone.utc)
    new: list[_New] = []
    for uri, (index, actor) in candidates.items():
        activity, signature = items[index]
        try:
            story = await _prepare(fed, index, uri, activity, signature, actor.id, now)
        except TooLong:
            continue  # refused by the single path, with tortoise's own message
        except Exception as exc:  # what the single path would raise for it: recorded the same way
            outcomes[index] = exc
            continue
        new.append(story)
    if not new:
        return outcomes
    try:
        async with in_transaction() as tx:
            await _insert(tx, new, now)
            # The inbox rows are processed in the same commit as their stories: a crash leaves both or neither.
            await settle({story.index: _note(story) for story in new})
    except Exception:
        # Nothing of the batch was kept: each of its stories goes down the single path, which stores the good
        # ones and records the bad one with its reason.
        log.warning("wire.batch_fallback", exc_info=True, extra={"count": len(new)})
        return outcomes
    for story in new:
        outcomes[story.index] = _note(story)
        try:
            row = _STORIES.instance(story.rows, story.columns, story.rows["id"])  # as inserted (not read back)
            row.arrived_new = True  # type: ignore[attr-defined]
            await hooks.stored(fed, row)  # fact-check matches first: the desk's live row shows them
            await story_changed(fed, "stored", row, current=True)
        except Exception:  # the story is committed: its thread and pages are set again on its next change
            log.exception("wire.batch_hooks_failed", extra={"story": story.uri})
    return outcomes


def _note(story: _New) -> str:
    return f"stored {story.uri} (proof {story.verdict.status})"


async def _prepare(fed: Any, index: int, uri: str, activity: dict[str, Any], signature: str, actor_id: int,
                   now: datetime) -> _New:
    """Everything `handle_create` would write for a new story, as row values (no database)."""
    obj = activity["object"]
    verdict = await provenance.check(fed, obj, activity=activity)
    if verdict.status == provenance.INVALID:
        raise Ignored(f"proof invalid ({verdict.code}): {verdict.reason}")
    story = _New(index, uri, obj)
    story.verdict = verdict
    clean = _clean_object(obj)
    columns = wire_fields(clean)
    columns["signature"] = signature
    story.languages = new_story_languages(columns, clean)
    # A story that names no thread starts its own.
    story.rows = dict(columns, uri=uri, actor_id=actor_id, state="live", received_at=now,
                      thread="" if context_of(columns["object"], uri) else uri)
    story.columns = _STORIES.row(story.rows, now)
    number, revision = revision_values(columns["object"], verdict)
    story.revision = dict(revision, number=1 if number is None else number)
    story.proof = proof_values(verdict, via=activity["actor"])
    story.document = document_of(columns["headline"], columns["summary"], columns["content_html"], columns["object"])
    story.topics = topics_of(columns["subjects"])
    story.media = bool(attachments_of(obj))
    # The other tables' rows are made now too (their story's id is filled in once it is inserted), so that a
    # value too long fails here, not in the transaction.
    story.revision = _REVISIONS.row(dict(story.revision, wire_story_id=0), now)
    story.proof = _PROOFS.row(dict(story.proof, story_id=0), now)
    story.languages = [_LANGUAGES.row(dict(language, story_id=0), now) for language in story.languages]
    return story


async def _insert(tx: Any, new: list[_New], now: datetime) -> None:
    """Insert the batch's stories and their rows on `tx`; set each story's id."""
    dialect = tx.capabilities.dialect
    await _STORIES.run(tx, (story.columns for story in new))
    _, rows = await tx.execute_query(
        f"SELECT id, uri FROM wire_story WHERE uri IN ({marks(dialect, len(new))})", [s.uri for s in new])
    ids = {row["uri"]: row["id"] for row in rows}
    for story in new:
        story.rows["id"] = ids[story.uri]
    revision_key, proof_key, language_key = (
        _REVISIONS.position("wire_story_id"), _PROOFS.position("story_id"), _LANGUAGES.position("story_id"))
    for story in new:
        story.revision[revision_key] = story.proof[proof_key] = story.rows["id"]
        for language in story.languages:
            language[language_key] = story.rows["id"]
    await _REVISIONS.run(tx, (s.revision for s in new))
    await _LANGUAGES.run(tx, (language for s in new for language in s.languages))
    await _PROOFS.run(tx, (s.proof for s in new))
    await tx.execute_many(index_sql(dialect), [[s.rows["id"], s.document] for s in new])
    await _TOPICS.run(tx, (_TOPICS.row({"story_id": s.rows["id"], "code": code, "name": name}, now)
                           for s in new for code, name in s.topics.items()))
    for story in new:
        if story.media:
            await queue_story_media(_Ref(story.rows["id"]), story.obj, now=now)


class _Ref:
    """A stored story by id (all `queue_story_media` reads of it)."""

    def __init__(self, id_: int) -> None:
        self.id = id_
