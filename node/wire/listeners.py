"""What stories arriving from other agencies mean to the newsroom: the inbox listeners of the wire.

Create, Update and Delete of stories from agencies we follow, Announce (a boost, the story fetched or believed
on its proof) and Undo of an Announce. The wire copy is sanitized before it is stored. Registered with the
engine in `node.inbox`; each returns None for what is not a story, so the next listener (or the engine's own
handler, for actors) gets it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation import provenance
from federation.context import Federation
from federation.errors import FetchError
from federation.handlers.base import followed_actor
from federation.integrity import proof_of
from federation.listeners import Ignored
from federation.payload import ref
from federation.sanitize import html_to_text, sanitize_html
from federation.store.models import RemoteActor
from node.media.receiving import attachments_of, queue_story_media
from node.translation.models import WireTranslation
from node.wire import hooks, provenance as wire_provenance
from node.wire.changes import story_changed
from node.wire.languages import merge_languages
from node.wire.models import Boost, WireStory
from node.wire.revisions import record_wire_revision, wire_columns
from node.wire.search_index import index_story
from node.wire.threads import context_of
from schemas.activitystreams import object_id, same_origin
from schemas.lifecycle import kill_reason

STORY_TYPES = frozenset({"Article", "Note", "Page"})


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
    story = await WireStory.get_or_none(uri=obj["id"])
    created = story is None
    if story is None:
        # A plain insert in the caller's transaction (get_or_create adds a savepoint, a second select and its
        # release around it). A copy stored meanwhile by another worker process fails the insert: the transaction
        # is undone and the inbox item retried, which then finds the story (at-least-once, stored once).
        # A story that names no thread starts its own: its key is written with it, not by a second statement.
        thread = "" if context_of(values["object"], obj["id"]) else obj["id"]
        story = await WireStory.create(uri=obj["id"], actor_id=actor.id, thread=thread, **values)
    story.arrived_new = created  # type: ignore[attr-defined]  # for the change hooks (stored vs updated)
    known_original = "" if created else story.language
    if not created and story.updated_at is not None:
        incoming = values["updated_at"] or values["published_at"]
        if incoming is None or incoming < story.updated_at:
            return story  # an older version arriving after a newer one (deliveries may cross): keep the newer
    if not created and story.state == "live":
        await WireStory.filter(id=story.id).update(**values)
        await story.refresh_from_db()
    if story.state == "live":
        # A story stored just now has no revisions, languages or media yet: nothing to look up or replace.
        await record_wire_revision(story, values["object"], verdict, new=created)
        await merge_languages(story, clean, known_original=known_original, new=created)
        if not created or attachments_of(obj):
            await queue_story_media(story, obj)
    return story


async def handle_create(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """A story from an agency we follow: store it on the wire. (A partner's translation of one of our stories,
    an object linked to it with our `translationOf` rel, is an offer: its listener comes first.)"""
    actor = await followed_actor(activity["actor"])
    if actor is None:
        raise Ignored(f"Create from {activity['actor']}, whom we do not follow")
    obj = activity.get("object")
    if not isinstance(obj, dict):
        obj = await fed.fetcher.fetch_json(ref(obj, "created object", required=True) or "")
        if not isinstance(obj, dict):
            raise Ignored("the created object is not a JSON object")
        done = await hooks.claimed(fed, activity, obj, False)  # a fact-check sent by id: not a story
        if done is not None:
            return done
    if obj.get("type") not in STORY_TYPES:
        raise Ignored(f"Create of a {obj.get('type')}")
    ref(obj, "story", required=True)
    if not same_origin(obj.get("id", ""), actor.uri):
        raise Ignored("object id is not on its actor's host")
    verdict = await provenance.check(fed, obj, activity=activity)
    if verdict.status == provenance.INVALID:
        raise Ignored(f"proof invalid ({verdict.code}): {verdict.reason}")
    async with in_transaction():
        story = await store_wire_story(actor, obj, signature, verdict)
        new = getattr(story, "arrived_new", False)
        await wire_provenance.record(story, verdict, via=activity["actor"], new=new)
        if new:  # indexed with it: one commit, and the story is never on the wire without its index row
            await index_story(story, new=True)
    await hooks.stored(fed, story)  # fact-check matches first: the desk's live row shows them
    # A story stored just now is exactly as this process wrote it: no need to read it back.
    await story_changed(fed, "stored" if new else "updated", story, current=new)
    return f"stored {obj['id']} (proof {verdict.status})"


async def handle_announce(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """A boost by an actor we follow: keep the boost, fetching the story from its origin when unknown."""
    booster = await followed_actor(activity["actor"])
    if booster is None:
        raise Ignored(f"Announce from {activity['actor']}, whom we do not follow")
    story_id = ref(activity.get("object"), "announced object")
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
            done = await hooks.claimed(fed, activity, embedded, True)  # a forwarded fact-check: not a story
            if done is not None:
                return done
            author = await fed.fetcher.actor(verdict.origin)
            async with in_transaction():
                story = await store_wire_story(author, embedded, "proof", verdict)
                await wire_provenance.record(story, verdict, via=activity["actor"])
            await story_changed(fed, "stored", story)
    if story is None:
        # No verifiable copy: fetch it from where it lives.
        try:
            obj = await fed.fetcher.fetch_json(story_id)
        except FetchError as exc:
            raise Ignored(f"announced object unavailable: {exc}") from None
        done = await hooks.claimed(fed, activity, obj, True) if isinstance(obj, dict) else None
        if done is not None:
            return done
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
            await wire_provenance.record(story, verdict, via=author_uri)
        await story_changed(fed, "stored", story)
    await Boost.get_or_create(activity_id=activity["id"], defaults={"actor_id": booster.id, "story_id": story.id})
    await hooks.stored(fed, story)
    return f"boost of {story_id}"


async def handle_update(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """Update(story) edits our wire copy (an unknown story is taken as a Create). Other Updates pass on."""
    obj = activity.get("object")
    if not isinstance(obj, dict) or obj.get("type") not in STORY_TYPES:
        return None
    story = await WireStory.get_or_none(uri=ref(obj, "story", required=True), actor__uri=activity["actor"])
    if story is None:
        return await handle_create(fed, activity, signature)
    if story.state != "live":
        raise Ignored("update of a deleted story")
    incoming = _parse_time(obj.get("updated"))
    if incoming is not None and story.updated_at is not None and incoming < story.updated_at:
        # Deliveries may arrive out of order: an older version never replaces a newer one.
        raise Ignored(f"stale update of {story.uri} ({obj.get('updated')})")
    verdict = await provenance.check(fed, obj, activity=activity)
    if verdict.status == provenance.INVALID:
        raise Ignored(f"update refused, proof invalid ({verdict.code}): {verdict.reason}")
    clean = _clean_object(obj)
    values = wire_fields(clean)
    async with in_transaction():  # all of the edit or none of it: a member that fails to store undoes the rest
        await WireStory.filter(id=story.id).update(**values, signature=signature or story.signature)
        await record_wire_revision(story, values["object"], verdict)
        await wire_provenance.record(story, verdict, via=activity["actor"])
        await queue_story_media(story, obj)
        languages = await merge_languages(story, clean, known_original=story.language)
    await story.refresh_from_db()
    await hooks.stored(fed, story)
    await story_changed(fed, "updated", story)
    return f"story {story.uri} updated ({', '.join(languages)})"


async def handle_delete(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """Delete(story) tombstones our wire copy; a kill reason (our term, or its summary) makes it a kill, whose
    record and reason are kept. Deletes of anything else pass on."""
    target = ref(activity.get("object"), "deleted object") or ""
    if target == activity["actor"]:
        return None  # the actor itself: the engine's, which tells us through `retire_actor`
    story = await WireStory.get_or_none(uri=target, actor__uri=activity["actor"])
    if story is None:
        return None
    reason = kill_reason(activity)
    updated = await WireStory.filter(id=story.id, state="live").update(
        state="killed" if reason else "deleted", deleted_at=datetime.now(timezone.utc), content_html="", summary="",
        kill_reason=reason)
    if not updated:
        return None
    await WireTranslation.filter(story_id=story.id).delete()  # every language goes with the story
    await story_changed(fed, "killed", story)
    return f"story {target} {'killed' if reason else 'deleted'}"


async def handle_undo(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """Undo of an Announce withdraws the boost. Anything else (an unfollow) passes on."""
    inner = activity.get("object")
    inner_id = ref(inner, "undone activity")
    inner_type = inner.get("type") if isinstance(inner, dict) else None
    if inner_type not in (None, "Announce") or not inner_id:
        return None
    remote = await RemoteActor.get_or_none(uri=activity["actor"])
    if remote is None:
        return None
    deleted = await Boost.filter(activity_id=inner_id, actor_id=remote.id).delete()
    return "boost withdrawn" if deleted else None


async def retire_actor(actor: RemoteActor) -> None:
    """An agency deleted itself: its live stories on our wire are marked deleted."""
    await WireStory.filter(actor_id=actor.id, state="live").update(
        state="deleted", deleted_at=datetime.now(timezone.utc))
