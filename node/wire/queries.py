"""Read-side queries of the wire (stories received from followed agencies) for the editor API, the CLI and the demo."""

from __future__ import annotations

from typing import Any

from federation.vocab import iso
from node.media.receiving import media_of_stories
from node.stories.embargo import held
from node.stories.revisions import revision_json
from node.wire import hooks
from node.wire.models import WireProof, WireRevision, WireStory


async def wire(*, agency: str | None = None, language: str | None = None, limit: int = 50,
               include_deleted: bool = False, base_url: str = "") -> list[dict[str, Any]]:
    """Stories received from followed agencies, newest first, each with its media (stock URLs under
    `base_url`)."""
    query = WireStory.all().prefetch_related("actor", "translations")
    if not include_deleted:
        query = query.filter(state="live")
    if agency:
        if "@" in agency:
            user, _, host = agency.lstrip("@").partition("@")
            query = query.filter(actor__preferred_username=user, actor__host=host)
        else:
            query = query.filter(actor__uri=agency) if agency.startswith("http") else query.filter(
                actor__preferred_username=agency)
    if language:
        query = query.filter(language=language)
    rows = await query.order_by("-id").limit(limit)
    proofs = {p.story_id: p for p in await WireProof.filter(story_id__in=[r.id for r in rows])}  # type: ignore
    media = await media_of_stories([r.id for r in rows], base_url)
    return [{**_wire_item(r), "proof": proof_json(proofs.get(r.id)), "media": media.get(r.id, [])} for r in rows]


def proof_json(proof: WireProof | None) -> dict[str, Any]:
    """A wire story's proof verdict for the API and CLI (``unchecked`` when none was recorded)."""
    if proof is None:
        return {"status": "unchecked"}
    return {"status": proof.status, "code": proof.code or None, "reason": proof.reason or None,
            "key_id": proof.key_id or None, "origin": proof.origin or None, "via": proof.via or None,
            "checked": iso(proof.checked_at)}


def _wire_item(r: WireStory) -> dict[str, Any]:
    return {"id": r.uri, "agency": r.actor.handle, "agency_name": r.actor.name, "actor": r.actor.uri,
             "type": r.type, "language": r.language, "headline": r.headline, "summary": r.summary,
             "languages": [t.language for t in sorted(r.translations, key=lambda t: (t.kind != "original",
                                                                                      t.language))],
             "content_html": r.content_html, "url": r.url, "state": r.state, "signature": r.signature,
             "boosted_by": [], "published": iso(r.published_at) if r.published_at else None,
             "updated": iso(r.updated_at) if r.updated_at else None, "received": iso(r.received_at),
             "revision": r.revision, "urgency": r.urgency, "subjects": r.subjects or [],
             "embargoed": held(r), "embargoed_until": iso(r.embargoed_until) if r.embargoed_until else None,
             "killed": r.state == "killed", "kill_reason": r.kill_reason,
             "deleted": iso(r.deleted_at) if r.deleted_at else None}


async def wire_story(uri: str, *, base_url: str = "") -> dict[str, Any] | None:
    """One wire story in any state (killed ones too), with its proof and the revisions this node has seen;
    `embargoed` is true while it is held."""
    row = await WireStory.get_or_none(uri=uri).prefetch_related("actor", "translations")
    if row is None:
        return None
    proof = await WireProof.get_or_none(story_id=row.id)
    media = (await media_of_stories([row.id], base_url)).get(row.id, [])
    return {**_wire_item(row), "proof": proof_json(proof), "revisions": await wire_revisions(row), "media": media,
            **await hooks.extras(row, base_url)}


async def wire_revisions(story: WireStory) -> list[dict[str, Any]]:
    """The revisions of a wire story this node has seen, oldest first."""
    return [revision_json(r) for r in await WireRevision.filter(wire_story_id=story.id).order_by("number")]
