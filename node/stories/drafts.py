"""The desk's workflow: items written in Markdown move draft -> review -> ready -> published (a Story), can be
spiked (a reversible discard) and are edited under a lock, so two editors never overwrite each other.

Every change names who made it and bumps `version`; a save made from an older version is refused (DraftError
`stale`) and changes nothing. Publishing a ready item calls `publishing.publish` (or `publishing.update` for the
working copy of a published story: a correction). "Write an update" starts a new item in the story's thread; it
goes out with AS2 `context` = the thread's first story.

Refusals are DraftError with a `code` (the desk words each one) and the values its message needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from tortoise.expressions import Q

from federation.context import Federation
from node.stories import kills, publishing
from node.stories.draft_models import STAGES, DeskItem
from node.stories.errors import StoryError
from node.stories.models import Story

__all__ = ["LOCK_MINUTES", "DraftError", "ItemFields", "create", "edit_published", "get", "lock", "publish",
           "save", "set_stage", "spike", "start_update", "take_over", "unlock", "unspike"]

LOCK_MINUTES = 30  # an editor who walks away frees the item after this long (each save renews it)

# Which stage may follow which (the desk's buttons). Spiking and publishing have their own use-cases.
_MOVES = {"draft": {"review", "ready"}, "review": {"draft", "ready"}, "ready": {"draft", "review"}}


class DraftError(Exception):
    """A refused desk change: `code` names the case (locked, stale, stage, not_found, invalid, story...),
    `params` the values its message needs; `status` is the HTTP status the desk answers with."""

    def __init__(self, status: int, code: str, detail: str = "", **params: Any) -> None:
        super().__init__(detail or code)
        self.status, self.code, self.detail, self.params = status, code, detail, params


@dataclass(frozen=True)
class ItemFields:
    """What the compose form sends."""

    headline: str = ""
    summary: str = ""
    body: str = ""
    language: str = ""
    subjects: tuple[str, ...] = ()
    urgency: int | None = None
    embargoed_until: datetime | None = None
    image: str | None = None
    media: tuple[str, ...] = ()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _values(fields: ItemFields) -> dict[str, Any]:
    return dict(headline=fields.headline.strip()[:500], summary=fields.summary.strip(), body=fields.body,
                language=fields.language, subjects=list(fields.subjects), urgency=fields.urgency,
                embargoed_until=fields.embargoed_until, image=fields.image or None,
                media=[m for m in fields.media if m and m != fields.image])


async def get(item_id: int) -> DeskItem:
    """The item, or DraftError `not_found` (404)."""
    item = await DeskItem.get_or_none(id=item_id)
    if item is None:
        raise DraftError(404, "not_found", f"no desk item {item_id}")
    return item


def lock_holder(item: DeskItem, now: datetime | None = None) -> str:
    """Who holds the item's lock now ("" when free or expired)."""
    now = now or _now()
    if item.locked_by and item.lock_expires_at is not None and item.lock_expires_at > now:
        return item.locked_by
    return ""


async def create(username: str, fields: ItemFields, *, thread_uri: str = "", from_wire: int | None = None,
                 story: Story | None = None, body_format: str = "markdown") -> DeskItem:
    """A new draft, locked for its author (they are editing it)."""
    now = _now()
    return await DeskItem.create(**_values(fields), body_format=body_format,
                                 stage="published" if story is not None else "draft", story=story, thread_uri=thread_uri, from_wire=from_wire, created_by=username,
                                 changed_by=username, created_at=now, changed_at=now, version=1,
                                 locked_by=username, locked_at=now,
                                 lock_expires_at=now + timedelta(minutes=LOCK_MINUTES))


async def lock(item_id: int, username: str) -> DeskItem:
    """Take (or renew) the edit lock; DraftError `locked` (409) while another editor holds it."""
    now = _now()
    free = Q(locked_by="") | Q(locked_by=username) | Q(lock_expires_at__isnull=True) | Q(lock_expires_at__lte=now)
    taken = await DeskItem.filter(Q(id=item_id), free).update(
        locked_by=username, locked_at=now, lock_expires_at=now + timedelta(minutes=LOCK_MINUTES))
    item = await get(item_id)
    if not taken:
        raise DraftError(409, "locked", user=item.locked_by, since=item.locked_at)
    return item


async def take_over(item_id: int, username: str) -> DeskItem:
    """Take the lock from whoever holds it (an editor who left without closing the item). Their next save is
    then refused as `locked`, so nothing they had open overwrites what the new holder saves."""
    now = _now()
    item = await get(item_id)
    if item.stage == "spiked":
        raise DraftError(409, "spiked")
    await DeskItem.filter(id=item_id).update(locked_by=username, locked_at=now,
                                             lock_expires_at=now + timedelta(minutes=LOCK_MINUTES))
    return await get(item_id)


async def unlock(item_id: int, username: str) -> None:
    """Give the lock back (only its holder can; an expired lock needs nothing)."""
    await DeskItem.filter(id=item_id, locked_by=username).update(locked_by="", locked_at=None, lock_expires_at=None)


async def save(item_id: int, username: str, version: int, fields: ItemFields) -> DeskItem:
    """Store the editor's fields as the next version. Refused (nothing written) when another editor holds the
    lock (`locked`), when the item was saved since `version` (`stale`), or when it is spiked (`stage`)."""
    item = await get(item_id)
    if item.stage == "spiked":
        raise DraftError(409, "spiked")
    holder = lock_holder(item)
    if holder and holder != username:
        raise DraftError(409, "locked", user=holder, since=item.locked_at)
    now = _now()
    written = await DeskItem.filter(
        Q(id=item_id), Q(version=version),
        Q(locked_by="") | Q(locked_by=username) | Q(lock_expires_at__lte=now) | Q(lock_expires_at__isnull=True)
    ).update(**_values(fields), changed_by=username, changed_at=now, version=version + 1, locked_by=username,
             locked_at=item.locked_at if holder == username else now,
             lock_expires_at=now + timedelta(minutes=LOCK_MINUTES))
    if not written:
        item = await get(item_id)
        if lock_holder(item) not in ("", username):
            raise DraftError(409, "locked", user=item.locked_by, since=item.locked_at)
        raise DraftError(409, "stale", yours=version, current=item.version, user=item.changed_by,
                         at=item.changed_at)
    return await get(item_id)


async def _move(item: DeskItem, username: str, **changes: Any) -> DeskItem:
    # A conditional update on the version seen: a move never lands on a changed item.
    moved = await DeskItem.filter(id=item.id, version=item.version).update(
        changed_by=username, changed_at=_now(), version=item.version + 1, **changes)
    if not moved:
        current = await get(item.id)
        raise DraftError(409, "stale", yours=item.version, current=current.version, user=current.changed_by,
                         at=current.changed_at)
    return await get(item.id)


def _not_locked_by_other(item: DeskItem, username: str) -> None:
    holder = lock_holder(item)
    if holder and holder != username:
        raise DraftError(409, "locked", user=holder, since=item.locked_at)


async def set_stage(item_id: int, username: str, stage: str) -> DeskItem:
    """Move an item between draft, review and ready."""
    item = await get(item_id)
    if stage not in STAGES or stage not in _MOVES.get(item.stage, set()):
        raise DraftError(409, "stage", stage=item.stage, to=stage)
    _not_locked_by_other(item, username)
    return await _move(item, username, stage=stage)


async def spike(item_id: int, username: str) -> DeskItem:
    """Spike an unpublished item (it leaves the desk's lists; unspike brings it back where it was)."""
    item = await get(item_id)
    if item.stage not in _MOVES:
        raise DraftError(409, "stage", stage=item.stage, to="spiked")
    _not_locked_by_other(item, username)
    return await _move(item, username, stage="spiked", spiked_from=item.stage, locked_by="", locked_at=None,
                       lock_expires_at=None)


async def unspike(item_id: int, username: str) -> DeskItem:
    """Bring a spiked item back to the stage it was spiked from."""
    item = await get(item_id)
    if item.stage != "spiked":
        raise DraftError(409, "stage", stage=item.stage, to="draft")
    return await _move(item, username, stage=item.spiked_from or "draft", spiked_from="")


def story_input(item: DeskItem, *, correction_note: Mapping[str, str] | None = None,
                with_context: bool = True) -> publishing.StoryInput:
    """The publishing input an item gives (Markdown body, its media from the stock)."""
    return publishing.StoryInput(
        headline=item.headline, summary=item.summary, body=item.body, body_format=item.body_format or "markdown",
        language=item.language, urgency=item.urgency, subjects=tuple(item.subjects or ()),
        embargoed_until=item.embargoed_until, image=item.image, media=tuple(item.media or ()),
        correction_note=dict(correction_note or {}), context=item.thread_uri if with_context else "")


async def publish(fed: Federation, agency: str, item_id: int, username: str, *, hooks: Sequence[Any] = (),
                  correction_note: str = "") -> Story:
    """Publish a ready item as a new story, or send the working copy of a published story as its next revision
    (a correction when `correction_note` is given). StoryError (with the publishing problem) when refused."""
    item = await get(item_id)
    _not_locked_by_other(item, username)
    if item.stage == "published" and item.story_id is not None:
        story = await Story.get(id=item.story_id)
        note = {item.language: correction_note.strip()} if correction_note.strip() else {}
        story = await publishing.update(fed, agency, story.uuid, story_input(item, correction_note=note,
                                                                             with_context=False), hooks=hooks)
        await _move(item, username, locked_by="", locked_at=None, lock_expires_at=None)
        return story
    if item.stage != "ready":
        raise DraftError(409, "not_ready", stage=item.stage)
    if not item.headline.strip():
        raise DraftError(422, "no_headline")
    # Claim the item before publishing, so a double click or a second editor cannot publish it twice.
    claimed = await DeskItem.filter(id=item.id, version=item.version, stage="ready").update(
        stage="published", version=item.version + 1, changed_by=username, changed_at=_now(), locked_by="",
        locked_at=None, lock_expires_at=None)
    if not claimed:
        raise DraftError(409, "stale", yours=item.version, current=item.version, user=item.changed_by,
                         at=item.changed_at)
    try:
        story = await publishing.publish(fed, agency, story_input(item), hooks=hooks)
    except StoryError:
        await DeskItem.filter(id=item.id).update(stage="ready", version=item.version + 2)
        raise
    await DeskItem.filter(id=item.id).update(story_id=story.id)
    return story


async def edit_published(story: Story, username: str) -> DeskItem:
    """The working copy of a published story for a correction, locked for `username` (the existing one when
    there is one). A story published without the desk gets a copy of its stored (sanitized) HTML."""
    existing = await DeskItem.filter(story_id=story.id, stage="published").order_by("-id").first()
    if existing is not None:
        return await lock(existing.id, username)
    media = story.media or []
    fields = ItemFields(headline=story.headline, summary=story.summary,
                        body=story.body_html,
                        language=story.language, subjects=tuple(s["code"] for s in story.subjects or []),
                        urgency=story.urgency, embargoed_until=story.embargoed_until,
                        image=next((m["sha256"] for m in media if m.get("lead")), None),
                        media=tuple(m["sha256"] for m in media if not m.get("lead")))
    return await create(username, fields, story=story, thread_uri=story.context_uri, body_format="html")


async def start_update(fed: Federation, story: Story, username: str) -> DeskItem:
    """A new draft in the story's thread ("Write an update"): its text to start from, and the thread's first
    story as its `context` when it is published."""
    thread = story.context_uri or fed.urls.story(story.uuid)
    media = story.media or []
    fields = ItemFields(headline=story.headline, summary=story.summary, body="", language=story.language,
                        subjects=tuple(s["code"] for s in story.subjects or []), urgency=story.urgency,
                        image=next((m["sha256"] for m in media if m.get("lead")), None),
                        media=tuple(m["sha256"] for m in media if not m.get("lead")))
    return await create(username, fields, thread_uri=thread)


async def kill(fed: Federation, agency: str, story: Story, username: str, reason: str) -> Story:
    """Kill a published story (kills.kill) and close its working copies (they stay as they were)."""
    if not reason.strip():
        raise DraftError(422, "no_reason")
    killed = await kills.kill(fed, agency, story.uuid, reason)
    await DeskItem.filter(story_id=story.id).update(locked_by="", locked_at=None, lock_expires_at=None,
                                                     changed_by=username, changed_at=_now())
    return killed
