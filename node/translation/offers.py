"""Translation exchange use-cases.

Offering side: translate a partner's wire story and offer it back. The translation is published as our own
object (``/translations/<uuid>``), linked to the original with an FEP-e232 `Link` tag, and sent to the origin's
inbox; until the origin decides, the offer can be edited (Update of the object) or withdrawn (Delete of it).
Origin side: list the offers, accept one (it becomes an approved translation credited to the offering agency, and
an Update goes to every follower) or decline it; the offering agency is told either way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation.context import Federation
from node.translation.offer_listeners import answer_offer
from federation.outbox import enqueue, new_uuid
from federation.vocab import activity as build_activity
from federation.vocab import iso
from node.translation.models import OfferedTranslation, StoryTranslation, TranslationOffer
from node.stories.models import Story
from node.wire.models import WireStory
from node.stories.documents import wire_context
from node.stories.fanout import send_update
from node.translation.review import (
    TranslationError, check_not_original, clean_text, language_of, record_decision, source_digest,
)
from schemas.languages import display_name
from schemas.provenance import provenance_record, translation_link

__all__ = ["accept_offer", "decline_offer", "edit_offer", "list_offers", "list_sent_offers", "offer_translation",
           "offered_object", "withdraw_offer"]


def offered_object(fed: Federation, username: str, row: OfferedTranslation, original_uri: str,
                   origin_actor: str) -> dict[str, Any]:
    """Our translation of a partner's story as our own Article, linked to the original (FEP-e232)."""
    object_id = fed.urls.offered_translation(row.uuid)
    return {
        "@context": wire_context(),
        "id": object_id,
        "type": "Article",
        "attributedTo": fed.urls.actor(username),
        "name": row.headline, "nameMap": {row.language: row.headline},
        "summary": row.summary, "summaryMap": {row.language: row.summary},
        "content": row.body_html, "contentMap": {row.language: row.body_html},
        "mediaType": "text/html",
        "url": object_id,
        "published": iso(row.created_at),
        "to": [origin_actor],
        "tag": [translation_link(original_uri)],
        "languageProvenance": [provenance_record(
            language=row.language, kind="translation", updated=iso(row.created_at),
            source_language=row.source_language, method=row.method, engine=row.engine,
            translated_by=fed.urls.actor(username), translator=row.translator)],
    }


async def offer_translation(fed: Federation, username: str, story_uri: str, *, language: str, headline: str,
                            summary: str, body: str, body_format: str = "html", translator: str = "",
                            method: str = "human", engine: str = "") -> OfferedTranslation:
    """Publish our translation of a wire story and send it to the story's origin as an offer."""
    language = language_of(language)
    values = clean_text(fed, headline=headline, summary=summary, body=body, body_format=body_format)
    async with in_transaction() as conn:
        story = await WireStory.get_or_none(uri=story_uri).using_db(conn).prefetch_related("actor")
        if story is None or story.state != "live":
            raise TranslationError(404, "No such wire story", f"no live wire story {story_uri}")
        if language == story.language:
            raise TranslationError(409, "Language is the original",
                                   f"{story_uri} is written in {language} ({display_name(language)})")
        if await OfferedTranslation.filter(wire_story_id=story.id, language=language).using_db(conn).exists():
            raise TranslationError(409, "Already offered", f"a {language} translation of {story_uri} was offered")
        row = await OfferedTranslation.create(
            uuid=new_uuid(), wire_story_id=story.id, language=language, source_language=story.language,
            method=method, engine=engine, translator=translator[:200], using_db=conn, **values)
        await _send_to_origin(fed, username, "Create", offered_object(fed, username, row, story.uri, story.actor.uri),
                              story.actor, conn)
    return row


async def _send_to_origin(fed: Federation, username: str, type_: str, obj: dict[str, Any], origin: Any,
                          conn: Any) -> None:
    """Queue `type_`(obj) for the origin agency's personal inbox only (an offer concerns that agency alone), in
    the caller's transaction."""
    doc = build_activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=[origin.uri],
                         published=datetime.now(timezone.utc))
    if "@context" in obj:
        doc["@context"] = obj["@context"]  # the object's terms (translationOf, provenance) are the activity's too
    await enqueue(fed, username=username, activity=doc, inboxes=[origin.inbox], public=False, connection=conn)


async def _sent_offer(offer_id: int, conn: Any) -> OfferedTranslation:
    """One of our offers that the origin has not decided yet (404 / 409 otherwise), locked for this change."""
    row = await OfferedTranslation.get_or_none(id=offer_id).using_db(conn).prefetch_related("wire_story__actor")
    if row is None:
        raise TranslationError(404, "No such offer", f"we made no translation offer {offer_id}")
    if row.state != "offered":
        raise TranslationError(409, f"Offer already {row.state}",
                               f"offer {offer_id} was already {row.state}; only an undecided offer can change")
    return row


async def edit_offer(fed: Federation, username: str, offer_id: int, *, headline: str | None = None,
                     summary: str | None = None, body: str | None = None, body_format: str = "html",
                     translator: str | None = None) -> OfferedTranslation:
    """Change an offer the origin has not decided on; the origin gets an Update and its editor sees the new text."""
    async with in_transaction() as conn:
        row = await _sent_offer(offer_id, conn)
        values = clean_text(fed, headline=row.headline if headline is None else headline,
                            summary=row.summary if summary is None else summary,
                            body=row.body_html if body is None else body,
                            body_format="html" if body is None else body_format)
        if translator is not None:
            values["translator"] = translator[:200]
        if not await OfferedTranslation.filter(id=row.id, state="offered").using_db(conn).update(**values):
            raise TranslationError(409, "Changed meanwhile", "the origin decided on the offer meanwhile; reload")
        row = await OfferedTranslation.get(id=row.id).using_db(conn).prefetch_related("wire_story__actor")
        origin = row.wire_story.actor
        obj = offered_object(fed, username, row, row.wire_story.uri, origin.uri)
        obj["updated"] = iso(datetime.now(timezone.utc))
        await _send_to_origin(fed, username, "Update", obj, origin, conn)
    return row


async def withdraw_offer(fed: Federation, username: str, offer_id: int) -> OfferedTranslation:
    """Take back an offer the origin has not decided on: it gets a Delete, and our object becomes a Tombstone."""
    now = datetime.now(timezone.utc)
    async with in_transaction() as conn:
        row = await _sent_offer(offer_id, conn)
        if not await OfferedTranslation.filter(id=row.id, state="offered").using_db(conn).update(
                state="withdrawn", decided_at=now):
            raise TranslationError(409, "Changed meanwhile", "the origin decided on the offer meanwhile; reload")
        await _send_to_origin(fed, username, "Delete", {"id": fed.urls.offered_translation(row.uuid),
                                                        "type": "Tombstone", "formerType": "Article"},
                              row.wire_story.actor, conn)
        row = await OfferedTranslation.get(id=row.id).using_db(conn).prefetch_related("wire_story__actor")
    return row


async def _offer(offer_id: int, conn: Any) -> TranslationOffer:
    row = await TranslationOffer.get_or_none(id=offer_id).using_db(conn).prefetch_related("story", "actor")
    if row is None:
        raise TranslationError(404, "No such offer", f"no translation offer {offer_id}")
    if row.state != "offered":
        raise TranslationError(409, f"Offer already {row.state}", f"offer {offer_id} was already {row.state}")
    return row


async def accept_offer(fed: Federation, username: str, offer_id: int, editor: str = "") -> StoryTranslation:
    """Take an offered translation into the story, credited to the offering agency; Update to all followers."""
    now = datetime.now(timezone.utc)
    async with in_transaction() as conn:
        offer = await _offer(offer_id, conn)
        story: Story = offer.story
        if story.state != "published":
            raise TranslationError(409, "Story deleted", f"story {story.uuid} was deleted")
        check_not_original(story, offer.language)
        if not await TranslationOffer.filter(id=offer.id, state="offered").using_db(conn).update(
                state="accepted", decided_at=now, decided_by=editor[:200] or "editor"):
            raise TranslationError(409, "Changed meanwhile", "the offer was decided by someone else; reload")
        fields = dict(headline=offer.headline, summary=offer.summary, body_html=offer.body_html,
                      source_language=story.language, source_digest=source_digest(story),
                      method=offer.method, engine=offer.engine,
                      translated_by=offer.actor.uri, translator=offer.translator, reviewer=editor[:200] or "editor",
                      status="approved", updated_at=now, approved_at=now)
        existing = await StoryTranslation.get_or_none(story_id=story.id, language=offer.language).using_db(conn)
        if existing is None:
            row = await StoryTranslation.create(story_id=story.id, language=offer.language, using_db=conn,
                                                **fields)
        else:
            await StoryTranslation.filter(id=existing.id).using_db(conn).update(**fields)
            row = await StoryTranslation.get(id=existing.id).using_db(conn)
        await record_decision(conn, story, offer.language, "offer_accepted", editor or "editor",
                      existing.status if existing else "", "approved",
                      f"offered by {offer.actor.uri} ({offer.object_uri})")
        await send_update(fed, username, story, conn, channel_languages=[offer.language])
        await answer_offer(fed, username, offer.object_uri, offer.actor.uri, offer.actor.inbox, "Accept",
                           connection=conn)
    return row


async def decline_offer(fed: Federation, username: str, offer_id: int, editor: str = "", reason: str = ""
                        ) -> TranslationOffer:
    """Decline an offered translation; the offering agency gets a Reject with the reason."""
    now = datetime.now(timezone.utc)
    async with in_transaction() as conn:
        offer = await _offer(offer_id, conn)
        if not await TranslationOffer.filter(id=offer.id, state="offered").using_db(conn).update(
                state="declined", decided_at=now, decided_by=editor[:200] or "editor"):
            raise TranslationError(409, "Changed meanwhile", "the offer was decided by someone else; reload")
        await record_decision(conn, offer.story, offer.language, "offer_declined", editor or "editor", "", "",
                      f"offered by {offer.actor.uri}" + (f": {reason}" if reason else ""))
        await answer_offer(fed, username, offer.object_uri, offer.actor.uri, offer.actor.inbox, "Reject",
                           reason or "declined by the editor", connection=conn)
        offer = await TranslationOffer.get(id=offer.id).using_db(conn).prefetch_related("story", "actor")
    return offer


def offer_json(row: TranslationOffer, locale: str = "en") -> dict[str, Any]:
    return {"id": row.id, "object": row.object_uri, "story": row.story.uuid, "language": row.language,
            "language_name": display_name(row.language, locale), "agency": row.actor.uri,
            "agency_handle": row.actor.handle, "headline": row.headline, "summary": row.summary,
            "body_html": row.body_html, "method": row.method, "engine": row.engine or None,
            "translator": row.translator or None, "state": row.state, "received": iso(row.received_at),
            "decided": iso(row.decided_at) if row.decided_at else None, "decided_by": row.decided_by or None}


async def list_offers(state: str | None = None, locale: str = "en", limit: int = 100) -> list[dict[str, Any]]:
    """Translations partners offered us, newest first."""
    query = TranslationOffer.all().prefetch_related("story", "actor")
    if state:
        query = query.filter(state=state)
    return [offer_json(r, locale) for r in await query.order_by("-id").limit(limit)]


async def list_sent_offers(fed: Federation, limit: int = 100) -> list[dict[str, Any]]:
    """Translations we offered to other agencies, with their answer."""
    rows = await OfferedTranslation.all().prefetch_related("wire_story__actor").order_by("-id").limit(limit)
    return [{"id": r.id, "object": fed.urls.offered_translation(r.uuid), "story": r.wire_story.uri,
             "origin": r.wire_story.actor.uri, "language": r.language, "headline": r.headline,
             "state": r.state, "note": r.note or None, "offered": iso(r.created_at),
             "decided": iso(r.decided_at) if r.decided_at else None} for r in rows]
