"""Translation use-cases for our own stories: submit (human), add (machine), edit, approve, reject, list, and
the audit trail of every decision.

Each call is one transaction: the translation row, its decision record, and (when what goes out changes) the
story's new version and its queued Update commit together or not at all. Only approved translations go out.
Machine output waits for review unless `[translation] review_machine = false`; then it goes out at once,
labelled machine. The engine side (jobs, workers) calls `add_machine_translation`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.sanitize import html_to_text, render_body
from federation.vocab import iso
from node.stories.models import Story
from node.translation.models import StoryTranslation, TranslationDecision
from node.stories.fanout import send_update
from schemas.languages import display_name, normalize_tag
from schemas.provenance import can_move

__all__ = [
    "TranslationError", "add_machine_translation", "approve", "decisions", "edit_translation", "get_translation",
    "get_translation_story", "list_translations", "machine_may_replace", "no_engine", "record_decision", "reject",
    "request_machine_translations", "source_digest", "submit_translation", "translation_json",
]

MACHINE_REQUEST_HOOK: Any = None  # set by the engine side: async (fed, username, story, languages) -> list[dict]


class TranslationError(Exception):
    """A translation cannot be stored or changed as asked; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


# -- checks -------------------------------------------------------------------------------------------------------

def language_of(tag: str) -> str:
    """A normalised BCP 47 tag, or a 422 TranslationError saying what is wrong with it."""
    try:
        return normalize_tag(tag)
    except ValueError as exc:
        raise TranslationError(422, "Invalid language tag", str(exc)) from None


async def live_story(uuid: str, conn: Any = None) -> Story:
    """Our published story, or 404/409."""
    query = Story.get_or_none(uuid=uuid)
    story = await (query.using_db(conn) if conn is not None else query)
    if story is None:
        raise TranslationError(404, "No such story", f"no story {uuid}")
    if story.state != "published":
        raise TranslationError(409, "Story deleted", f"story {uuid} was deleted")
    return story


def check_not_original(story: Story, language: str) -> None:
    if language == story.language:
        raise TranslationError(409, "Language is the original",
                               f"story {story.uuid} is written in {language} ({display_name(language)}); "
                               "a translation must be into another language")


def clean_text(fed: Federation, *, headline: str, summary: str, body: str, body_format: str = "html"
               ) -> dict[str, str]:
    """Headline and summary as text, body as sanitized HTML, within the configured size."""
    limit = fed.translation_policy.max_body_chars
    if len(body or "") > limit:
        raise TranslationError(413, "Body too large", f"the body has {len(body)} characters; the limit is {limit}")
    try:
        body_html = render_body(body or "", body_format)
    except ValueError as exc:
        raise TranslationError(422, "Invalid body format", str(exc)) from None
    if not html_to_text(body_html).strip():
        raise TranslationError(422, "Empty body", "the translated body has no text after sanitizing")
    headline_text = html_to_text(headline or "")
    if not headline_text:
        raise TranslationError(422, "Empty headline", "a translation needs a headline")
    if len(headline_text) > 500:
        raise TranslationError(422, "Headline too long", "a headline has at most 500 characters")
    return {"headline": headline_text, "summary": html_to_text(summary or ""), "body_html": body_html}


def source_digest(story: Story) -> str:
    """A digest of the original text (a translation made from other text is stale)."""
    h = hashlib.sha256()
    for part in (story.language, story.headline, story.summary, story.body_html):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


async def record_decision(conn: Any, story: Story, language: str, action: str, actor: str, before: str,
                          after: str, note: str = "") -> None:
    """Append one entry to the audit trail (in the caller's transaction)."""
    await TranslationDecision.create(story_id=story.id, language=language, action=action, actor=actor[:200],
                                     status_before=before, status_after=after, note=note[:1000], using_db=conn)


# -- use-cases ----------------------------------------------------------------------------------------------------

async def submit_translation(fed: Federation, username: str, story_uuid: str, *, language: str, headline: str,
                             summary: str, body: str, body_format: str = "html", translator: str = "",
                             method: str = "human", engine: str = "", translated_by: str = "",
                             status: str = "pending_review", actor: str = "", action: str = "submitted",
                             source_language: str = "", replace_if: Any = None) -> StoryTranslation:
    """Store a translation of one of our stories (by default a human one, waiting for review).

    A rejected translation of the same language is replaced (or any for which `replace_if(row)` is true); any
    other existing one is a 409 (edit it instead). An approved result is sent at once as an Update.
    """
    language = language_of(language)
    values = clean_text(fed, headline=headline, summary=summary, body=body, body_format=body_format)
    now = datetime.now(timezone.utc)
    async with in_transaction() as conn:
        story = await live_story(story_uuid, conn)
        check_not_original(story, language)
        existing = await StoryTranslation.get_or_none(story_id=story.id, language=language).using_db(conn)
        replaceable = existing is None or existing.status == "rejected" or bool(replace_if and replace_if(existing))
        if not replaceable:
            raise TranslationError(409, "Translation exists",
                                   f"story {story_uuid} already has a {existing.status} {language} translation; "
                                   "edit, approve or reject it")
        fields = dict(values, source_language=source_language or story.language, method=method,
                      source_digest=source_digest(story),
                      engine=engine, translated_by=translated_by or fed.urls.actor(username),
                      translator=translator[:200], reviewer="", status=status, updated_at=now,
                      approved_at=now if status == "approved" else None)
        if existing is None:
            row = await StoryTranslation.create(story_id=story.id, language=language, using_db=conn, **fields)
        else:
            await StoryTranslation.filter(id=existing.id).using_db(conn).update(**fields)
            row = await StoryTranslation.get(id=existing.id).using_db(conn)
        await record_decision(conn, story, language, action, actor or translator or "editor",
                      existing.status if existing else "", status,
                      f"{method}" + (f" by {engine}" if engine else ""))
        if status == "approved":
            await send_update(fed, username, story, conn, channel_languages=[language])
    return row


def machine_may_replace(row: StoryTranslation | None) -> bool:
    """Whether an engine's new output may take the place of `row`: there is none, it was rejected, or it is a
    machine translation no person has touched (waiting for review, or approved automatically because
    `review_machine` is off). What people wrote, edited or approved stays theirs: a machine never overwrites it."""
    if row is None or row.status == "rejected":
        return True
    if row.method != "machine":
        return False
    return row.status in ("draft", "pending_review") or (row.status == "approved" and not row.reviewer)


async def add_machine_translation(fed: Federation, username: str, story_uuid: str, language: str, headline: str,
                                  summary: str, body_html: str, *, engine: str, source_language: str
                                  ) -> StoryTranslation:
    """Store an engine's translation: approved at once (and sent as an Update) when `review_machine` is off,
    else pending review. What `machine_may_replace` allows is replaced (so a story's update refreshes its
    automatic translations); a translation people wrote, edited or approved is never overwritten (409)."""
    language = language_of(language)
    status = "pending_review" if fed.translation_policy.review_machine else "approved"
    return await submit_translation(
        fed, username, story_uuid, language=language, headline=headline, summary=summary, body=body_html,
        method="machine", engine=engine, status=status, actor=f"engine:{engine}", action="machine_added",
        source_language=language_of(source_language) if source_language else "",
        replace_if=machine_may_replace)


async def get_translation_story(story_uuid: str) -> Story:
    """One of our stories (published or deleted), or 404."""
    story = await Story.get_or_none(uuid=story_uuid)
    if story is None:
        raise TranslationError(404, "No such story", f"no story {story_uuid}")
    return story


async def get_translation(story_uuid: str, language: str, conn: Any = None) -> tuple[Story, StoryTranslation]:
    """A story and its translation into `language`, or 404."""
    language = language_of(language)
    query = Story.get_or_none(uuid=story_uuid)
    story = await (query.using_db(conn) if conn is not None else query)
    if story is None:
        raise TranslationError(404, "No such story", f"no story {story_uuid}")
    query = StoryTranslation.get_or_none(story_id=story.id, language=language)
    row = await (query.using_db(conn) if conn is not None else query)
    if row is None:
        raise TranslationError(404, "No such translation", f"story {story_uuid} has no {language} translation")
    return story, row


async def edit_translation(fed: Federation, username: str, story_uuid: str, language: str, *,
                           headline: str | None = None, summary: str | None = None, body: str | None = None,
                           body_format: str = "html", editor: str = "") -> StoryTranslation:
    """A person edits a translation. A machine translation becomes machine+human; an approved one stays
    approved and goes out again as a correction (Update)."""
    async with in_transaction() as conn:
        story, row = await get_translation(story_uuid, language, conn)
        if story.state != "published":
            raise TranslationError(409, "Story deleted", f"story {story_uuid} was deleted")
        values = clean_text(fed, headline=row.headline if headline is None else headline,
                            summary=row.summary if summary is None else summary,
                            body=row.body_html if body is None else body,
                            body_format="html" if body is None else body_format)
        method = "machine+human" if row.method in ("machine", "machine+human") else row.method
        now = datetime.now(timezone.utc)
        # A person who edits the translation brings it up to date with the original as it is now.
        await StoryTranslation.filter(id=row.id).using_db(conn).update(**values, method=method, updated_at=now,
                                                                      source_digest=source_digest(story))
        changed = [k for k in values if values[k] != getattr(row, k)]
        await record_decision(conn, story, row.language, "edited", editor or "editor", row.status, row.status,
                      "changed " + (", ".join(changed) or "nothing") + (f"; method {row.method} -> {method}"
                                                                          if method != row.method else ""))
        if row.status == "approved":
            await send_update(fed, username, story, conn, channel_languages=[row.language])
        row = await StoryTranslation.get(id=row.id).using_db(conn)
    return row


async def _decide(fed: Federation, username: str, story_uuid: str, language: str, to: str, who: str,
                  note: str) -> StoryTranslation:
    async with in_transaction() as conn:
        story, row = await get_translation(story_uuid, language, conn)
        if story.state != "published":
            raise TranslationError(409, "Story deleted", f"story {story_uuid} was deleted")
        if row.status == to:
            raise TranslationError(409, f"Already {to}", f"the {row.language} translation is already {to}")
        if not can_move(row.status, to):
            raise TranslationError(409, "Not allowed", f"a {row.status} translation cannot become {to}")
        now = datetime.now(timezone.utc)
        changes: dict[str, Any] = {"status": to}
        if to == "approved":
            # Never empty: an approved row without a reviewer is one the engine approved (machine_may_replace).
            changes.update(reviewer=(who or "editor")[:200], approved_at=now, updated_at=now)
        # Conditional on the status we read: two reviewers deciding at once cannot both win.
        moved = await StoryTranslation.filter(id=row.id, status=row.status).using_db(conn).update(**changes)
        if not moved:
            raise TranslationError(409, "Changed meanwhile", "the translation was decided by someone else; reload")
        await record_decision(conn, story, row.language, to, who or "editor", row.status, to, note)
        if to == "approved":
            await send_update(fed, username, story, conn, channel_languages=[row.language])
        elif row.status == "approved":
            # A withdrawn translation leaves partners' copies (the next Update no longer carries it) and channels.
            await send_update(fed, username, story, conn, retract_languages=[row.language])
        row = await StoryTranslation.get(id=row.id).using_db(conn)
    return row


async def approve(fed: Federation, username: str, story_uuid: str, language: str, reviewer: str = "",
                  note: str = "") -> StoryTranslation:
    """Approve a translation: it goes out at once (Update to followers, Create or Update on its channel)."""
    return await _decide(fed, username, story_uuid, language, "approved", reviewer, note)


async def reject(fed: Federation, username: str, story_uuid: str, language: str, reviewer: str = "",
                 note: str = "") -> StoryTranslation:
    """Reject a translation; if it was out already, an Update withdraws it."""
    return await _decide(fed, username, story_uuid, language, "rejected", reviewer, note)


async def request_machine_translations(fed: Federation, username: str, story_uuid: str, languages: list[str]
                                       ) -> list[dict[str, Any]]:
    """Queue engine jobs for these languages (the engine side installs `MACHINE_REQUEST_HOOK`)."""
    tags = [language_of(t) for t in languages]
    story = await live_story(story_uuid)
    for tag in tags:
        check_not_original(story, tag)
    if MACHINE_REQUEST_HOOK is None:
        raise no_engine()
    return await MACHINE_REQUEST_HOOK(fed, username, story, tags)


def no_engine() -> TranslationError:
    """Machine translation asked of a node configured without an engine: 501 (not 503, which says the engine
    is there but unavailable now), the same on every route."""
    return TranslationError(501, "No translation engine",
                            "this node has no machine-translation engine configured ([translation] engine); "
                            "submit a human translation instead")


# -- reading ------------------------------------------------------------------------------------------------------

def translation_json(row: StoryTranslation, story_uuid: str, locale: str = "en", story: Story | None = None
                     ) -> dict[str, Any]:
    """A translation for the API; `stale` (when the story is given) says the original changed since."""
    return {
        "story": story_uuid, "language": row.language, "language_name": display_name(row.language, locale),
        "headline": row.headline, "summary": row.summary, "body_html": row.body_html,
        "kind": "translation", "source_language": row.source_language, "method": row.method,
        "engine": row.engine or None, "translated_by": row.translated_by, "translator": row.translator or None,
        "reviewer": row.reviewer or None, "status": row.status, "created": iso(row.created_at),
        "updated": iso(row.updated_at), "approved": iso(row.approved_at) if row.approved_at else None,
        "stale": (row.source_digest != source_digest(story)) if story is not None else None,
    }


async def list_translations(*, story_uuid: str | None = None, status: str | None = None, limit: int = 100,
                            locale: str = "en") -> list[dict[str, Any]]:
    """Translations of our stories, newest change first (the review queue with `status="pending_review"`)."""
    query = StoryTranslation.all().prefetch_related("story")
    if story_uuid:
        query = query.filter(story__uuid=story_uuid)
    if status:
        query = query.filter(status=status)
    rows = await query.order_by("-updated_at", "-id").limit(limit)
    return [translation_json(r, r.story.uuid, locale, r.story) for r in rows]


async def decisions(*, story_uuid: str | None = None, language: str | None = None, limit: int = 200
                    ) -> list[dict[str, Any]]:
    """The audit trail: every decision on translations, oldest first."""
    query = TranslationDecision.all().prefetch_related("story")
    if story_uuid:
        query = query.filter(story__uuid=story_uuid)
    if language:
        query = query.filter(language=language_of(language))
    rows = await query.order_by("id").limit(limit)
    return [{"id": d.id, "story": d.story.uuid, "language": d.language, "action": d.action, "actor": d.actor,
             "status_before": d.status_before or None, "status_after": d.status_after or None,
             "note": d.note or None, "at": iso(d.created_at)} for d in rows]
