"""ninjs in and out of the node: our stories as IPTC ninjs 3.x, and ninjs 3.x or 2.x from a newsroom CMS published
as stories. The mapping itself is the pure `schemas.ninjs`; this module only gathers and stores."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Sequence

from marshmallow import ValidationError
from tortoise.exceptions import IntegrityError

from federation.context import Federation
from node.media.ninjs_media import fetch_ninjs_media
from node.stories import kills, publishing
from node.stories.embargo import held
from node.stories.models import Story, StoryRevision
from node.wire.models import WireProof, WireRevision, WireStory
from node.stories.documents import language_versions
from schemas.editor import StoryInputSchema
from schemas.ninjs import NinjsError, from_ninjs, to_ninjs

__all__ = ["NinjsError", "import_ninjs", "story_ninjs", "wire_ninjs"]

_HASHTAG = re.compile(r"^[\w]{1,100}$")


async def story_ninjs(fed: Federation, agency_name: str, story: Story) -> dict[str, Any]:
    """One of our stories as a ninjs 3.x document (pubStatus withheld under embargo, canceled once killed)."""
    revs = await StoryRevision.filter(story_id=story.id, correction=True).order_by("number")
    versions = await language_versions(fed.urls, "", story)
    return to_ninjs({
        "translations": {v.language: {"headline": v.headline, "summary": v.summary, "body_html": v.body_html}
                         for v in versions if v.kind != "original"},
        "uri": fed.urls.story(story.uuid), "url": story.canonical_url, "language": story.language,
        "headline": story.headline, "summary": story.summary, "body_html": story.body_html,
        "version": story.version, "published": story.published_at, "updated": story.updated_at,
        "state": story.state, "urgency": story.urgency, "subjects": story.subjects, "hashtags": story.hashtags,
        "embargoed_until": story.embargoed_until, "kill_reason": story.kill_reason,
        "corrections": [r.correction_note for r in revs], "agency": agency_name, "media": story.media or [],
        # Our own stories are served and sent with an eddsa-jcs-2022 proof once the agency has an Ed25519 key.
        "proof": "signed by this agency" if fed.proof_signers else None, "revisions_url": fed.urls.story(story.uuid) + "/revisions",
    })


async def wire_ninjs(story: WireStory) -> dict[str, Any]:
    """A wire story (its actor prefetched) as ninjs 3.x: withheld while held under embargo, canceled once killed."""
    revs = await WireRevision.filter(wire_story_id=story.id, correction=True).order_by("number")
    proof = await WireProof.get_or_none(story_id=story.id)
    state = "deleted" if story.state != "live" else "scheduled" if held(story) else "published"
    return to_ninjs({
        "uri": story.uri, "url": story.url, "language": story.language or "und", "headline": story.headline,
        "summary": story.summary, "body_html": story.content_html, "version": story.revision or 1,
        "published": story.published_at, "updated": story.updated_at, "state": state, "urgency": story.urgency,
        "subjects": story.subjects or [], "embargoed_until": story.embargoed_until, "kill_reason": story.kill_reason,
        "corrections": [r.correction_note for r in revs], "agency": story.actor.name or story.actor.handle,
        "proof": proof.status if proof is not None else None,  # verified | unsigned | invalid | unknown-key
    })


async def import_ninjs(fed: Federation, username: str, doc: Any, *, default_language: str | None = None,
                       hooks: Sequence[publishing.StoryHook] = (), media: Any = None
                       ) -> tuple[Story, str, list[str]]:
    """Apply a ninjs 3.x or 2.x document from a newsroom CMS, keyed by its `uri`.

    A new uri is published as a story (scheduled when it carries a future embargo); a uri imported before updates
    that story (a correction when the item carries a `correction` description not seen yet), or leaves it alone
    when nothing changed; `pubStatus: canceled` kills it, with `edNote` as the reason. Returns the story, what was
    done (created, updated, corrected, unchanged, killed) and notes on what was not imported. Raises NinjsError
    (bad document) or StoryError (the story itself is refused); in both cases nothing is stored.

    With `media` (the node's `MediaFetchWorker`), the files its associations and renditions point at are fetched
    into the stock, checked against their hashes, and attached (`node.media.ninjs_media`)."""
    fields = from_ninjs(doc, default_language=default_language)
    uri = str(fields["uri"] or "")[:512] or None
    existing = await Story.get_or_none(import_uri=uri) if uri else None
    if fields["pub_status"] == "canceled":
        if existing is None:
            raise NinjsError(f"pubStatus: canceled, but no story was imported from {uri}")
        if existing.state == "deleted":
            return existing, "unchanged", ["the story was already killed"]
        story = await kills.kill(fed, username, existing.uuid, fields["ed_note"] or "Canceled by the newsroom")
        return story, "killed", []
    if existing is not None and existing.state == "deleted":
        raise NinjsError(f"uri: the story imported from {uri} was killed; it cannot be published again")
    notes = []
    if fields["translations"]:
        notes.append("translations not imported (languages: " + ", ".join(sorted(fields["translations"])) + ")")
    data = _story_input(fields, uri)
    if media is not None:
        image, others, media_notes = await fetch_ninjs_media(media, doc, data.language)
        if image or others:
            data = replace(data, image=image, media=tuple(others))
        notes += media_notes
    if existing is None:
        if fields["corrections"]:
            notes.append("correction notes of earlier versions not imported (this is a new story here)")
        try:
            story = await publishing.publish(fed, username, data, hooks=hooks)
        except IntegrityError:  # the same item imported at the same moment by another request
            raise NinjsError(f"uri: {uri} is being imported by another request; send it again") from None
        return story, "created", notes
    seen = {n.get(existing.language) for n in await StoryRevision.filter(
        story_id=existing.id, correction=True).values_list("correction_note", flat=True)}
    new_notes = [c for c in fields["corrections"] if c not in seen]
    values = publishing.normalised(data)
    same_media = data.media is None or [m["sha256"] for m in existing.media or []] == (
        [data.image] if data.image else []) + list(data.media)
    if not new_notes and same_media and all(getattr(existing, k) == v for k, v in values.items()):
        return existing, "unchanged", notes
    note = {data.language: new_notes[-1]} if new_notes else {}
    story = await publishing.update(fed, username, existing.uuid, replace(data, correction_note=note), hooks=hooks)
    return story, "corrected" if note else "updated", notes


def _story_input(fields: dict[str, Any], uri: str | None) -> publishing.StoryInput:
    """The same checks as a story typed into the editor API (language tag, lengths, URL)."""
    raw = {"headline": fields["headline"], "body": fields["body"], "body_format": fields["body_format"],
           "language": fields["language"], "summary": fields["summary"],
           "hashtags": [t for t in fields["hashtags"] if _HASHTAG.match(t)][:30], "urgency": fields["urgency"],
           "subjects": fields["subjects"], "canonical_url": fields["canonical_url"],
           "embargoed_until": fields["embargoed_until"].isoformat() if fields["embargoed_until"] else None}
    try:
        data = StoryInputSchema().load(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                             for k, v in exc.messages.items()) if isinstance(exc.messages, dict) else str(exc)
        raise NinjsError(f"the item cannot be a story here: {problems}") from None
    return publishing.StoryInput(
        headline=data["headline"], body=data["body"], body_format=data["body_format"], language=data["language"],
        summary=data["summary"], hashtags=tuple(data["hashtags"]), canonical_url=data["canonical_url"],
        urgency=data["urgency"], subjects=tuple(data["subjects"]), embargoed_until=data["embargoed_until"],
        import_uri=uri)
