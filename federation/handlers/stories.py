"""Create and Announce of stories from agencies we follow; the wire copy is sanitized before it is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from federation import provenance
from federation.context import Federation
from federation.errors import FetchError
from federation.integrity import proof_of
from federation.handlers.base import STORY_TYPES, Ignored, followed_actor
from federation.lifecycle import record_wire_revision, wire_columns
from federation.sanitize import html_to_text, sanitize_html
from federation.handlers.offers import handle_offer
from federation.wire_languages import merge_languages
from node.models import Boost, RemoteActor, WireStory
from schemas.activitystreams import object_id, same_origin
from schemas.provenance import translation_of


def _first(mapping: Any) -> tuple[str, str]:
    if isinstance(mapping, dict) and mapping:
        key = next(iter(mapping))
        return str(key), str(mapping[key] or "")
    return "", ""


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _clean_object(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with every HTML member sanitized (content, summary and their maps)."""
    clean = dict(obj)
    for key in ("content", "summary"):
        if isinstance(clean.get(key), str):
            clean[key] = sanitize_html(clean[key])
        if isinstance(clean.get(key + "Map"), dict):
            clean[key + "Map"] = {k: sanitize_html(str(v)) for k, v in clean[key + "Map"].items()}
    if isinstance(clean.get("name"), str):
        clean["name"] = html_to_text(clean["name"])
    return clean


def wire_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The columns of a wire story, taken from a (sanitized) object."""
    lang, content = _first(obj.get("contentMap"))
    content = obj.get("content") or content
    _, name = _first(obj.get("nameMap"))
    _, summary = _first(obj.get("summaryMap"))
    url = obj.get("url")
    if isinstance(url, list):
        url = url[0] if url else ""
    if isinstance(url, dict):
        url = url.get("href", "")
    return dict(
        type=str(obj.get("type", "Note"))[:32], language=lang[:35],
        headline=html_to_text(str(obj.get("name") or name or "")),
        summary=html_to_text(str(obj.get("summary") or summary or "")),
        content_html=str(content or ""), url=str(url or "")[:1024], object=obj,
        published_at=_parse_time(obj.get("published")), updated_at=_parse_time(obj.get("updated")),
        **wire_columns(obj),
    )


async def store_wire_story(actor: RemoteActor, obj: dict[str, Any], signature: str,
                           verdict: provenance.ProofVerdict | None = None) -> WireStory:
    """Insert or refresh the wire copy of a story by `actor` (and record the revision, with `verdict`)."""
    clean = _clean_object(obj)
    values = wire_fields(clean)
    values["signature"] = signature
    story, created = await WireStory.get_or_create(uri=obj["id"], defaults={**values, "actor_id": actor.id})
    known_original = "" if created else story.language
    if not created and story.updated_at is not None:
        incoming = values["updated_at"] or values["published_at"]
        if incoming is None or incoming < story.updated_at:
            return story  # an older version arriving after a newer one (deliveries may cross): keep the newer
    if not created and story.state == "live":
        await WireStory.filter(id=story.id).update(**values)
        await story.refresh_from_db()
    if story.state == "live":
        await record_wire_revision(story, values["object"], verdict)
        await merge_languages(story, clean, known_original=known_original)
    return story


async def handle_create(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """A story from an agency we follow: store it on the wire. A partner's translation of one of our stories
    (an object linked to it with our `translationOf` rel) is an offer instead (`handlers.offers`)."""
    if isinstance(activity.get("object"), dict) and translation_of(activity["object"]):
        return await handle_offer(fed, activity, signature)
    actor = await followed_actor(activity["actor"])
    if actor is None:
        raise Ignored(f"Create from {activity['actor']}, whom we do not follow")
    obj = activity.get("object")
    if not isinstance(obj, dict):
        obj = await fed.fetcher.fetch_json(object_id(obj) or "")
    if obj.get("type") not in STORY_TYPES:
        raise Ignored(f"Create of a {obj.get('type')}")
    if not same_origin(obj.get("id", ""), actor.uri):
        raise Ignored("object id is not on its actor's host")
    verdict = await provenance.check(fed, obj, activity=activity)
    if verdict.status == provenance.INVALID:
        raise Ignored(f"proof invalid ({verdict.code}): {verdict.reason}")
    async with in_transaction():
        story = await store_wire_story(actor, obj, signature, verdict)
        await provenance.record(story, verdict, via=activity["actor"])
    return f"stored {obj['id']} (proof {verdict.status})"


async def handle_announce(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """A boost by an actor we follow: keep the boost, fetching the story from its origin when unknown."""
    booster = await followed_actor(activity["actor"])
    if booster is None:
        raise Ignored(f"Announce from {activity['actor']}, whom we do not follow")
    story_id = object_id(activity.get("object"))
    if not story_id:
        raise Ignored("Announce without an object")
    if not fed.trust.allows_host(story_id):
        raise Ignored(f"announced story {story_id} is from a domain the trust policy refuses")
    story = await WireStory.get_or_none(uri=story_id)
    embedded = activity.get("object")
    if story is None and isinstance(embedded, dict) and proof_of(embedded) is not None:
        # A forwarded copy is believed only when its proof verifies against its origin agency's key (FEP-8b32):
        # the forwarder's own signatures say nothing about someone else's story. This works while the origin
        # is down, as long as its key is cached.
        verdict = await provenance.check(fed, embedded)
        if verdict.status == provenance.INVALID:
            raise Ignored(f"forwarded copy of {story_id} rejected, proof invalid ({verdict.code}): {verdict.reason}")
        if verdict.verified and embedded.get("id") == story_id and embedded.get("type") in STORY_TYPES:
            author = await fed.fetcher.actor(verdict.origin)
            async with in_transaction():
                story = await store_wire_story(author, embedded, "proof", verdict)
                await provenance.record(story, verdict, via=activity["actor"])
    if story is None:
        # No verifiable copy: fetch it from where it lives.
        try:
            obj = await fed.fetcher.fetch_json(story_id)
        except FetchError as exc:
            raise Ignored(f"announced object unavailable: {exc}") from None
        if not isinstance(obj, dict) or obj.get("type") not in STORY_TYPES:
            raise Ignored("announced object is not a story")
        author_uri = object_id(obj.get("attributedTo")) or ""
        if obj.get("id") != story_id or not same_origin(story_id, author_uri):
            raise Ignored("announced object is not on its author's host")
        author = await fed.fetcher.actor(author_uri)
        verdict = await provenance.check(fed, obj)
        if verdict.status == provenance.INVALID:
            raise Ignored(f"announced story {story_id} has an invalid proof ({verdict.code}): {verdict.reason}")
        async with in_transaction():
            story = await store_wire_story(author, obj, "fetched", verdict)
            await provenance.record(story, verdict, via=author_uri)
    await Boost.get_or_create(activity_id=activity["id"], defaults={"actor_id": booster.id, "story_id": story.id})
    return f"boost of {story_id}"
