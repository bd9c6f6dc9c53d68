"""The receiving side of a story's life: the revisions a node has seen, the lifecycle columns of a wire story,
and kills. Our terms are read by `schemas.lifecycle.received_terms`, which bounds and checks every value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from node.wire.models import WireRevision, WireStory
from schemas.lifecycle import parse_time, received_terms

if TYPE_CHECKING:
    from federation.provenance import ProofVerdict


def wire_columns(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The lifecycle columns of a wire story from a received object."""
    terms = received_terms(obj)
    return {"revision": terms["revision"], "urgency": terms["urgency"], "subjects": terms["subjects"],
            "embargoed_until": terms["embargoed_until"]}


def revision_values(obj: Mapping[str, Any], verdict: ProofVerdict | None = None
                    ) -> tuple[int | None, dict[str, Any]]:
    """The revision number an object declares (None: it counts by arrival) and the other columns of its
    `WireRevision`, with the proof verdict it came with."""
    terms = received_terms(obj)
    when = parse_time(obj.get("updated")) or parse_time(obj.get("published"))
    headline = obj.get("name") if isinstance(obj.get("name"), str) else ""
    proof_status = verdict.status if verdict else ""
    return terms["revision"], {
        "content_hash": terms["content_hash"], "headline": str(headline)[:500], "correction": terms["correction"],
        "correction_note": terms["correction_note"], "updated_at": when, "proof_status": proof_status[:16],
        "proof_key_id": (verdict.key_id if verdict else "")[:512]}


async def record_wire_revision(story: WireStory, obj: Mapping[str, Any],
                               verdict: ProofVerdict | None = None, *, new: bool = False) -> WireRevision | None:
    """Keep the revision this object represents (once per number), with the proof verdict it came with; objects
    without our terms count by arrival. A revision first seen unproven and later verified (a forwarded copy
    with its proof) keeps the better verdict. `new`: the story was inserted in this transaction (it has no
    revisions yet, so nothing is looked up)."""
    number, defaults = revision_values(obj, verdict)
    if number is None:
        number = 1 if new else await WireRevision.filter(wire_story_id=story.id).count() + 1
    proof = {"proof_status": defaults["proof_status"], "proof_key_id": defaults["proof_key_id"]}
    if new:
        return await WireRevision.create(wire_story_id=story.id, number=number, **defaults)
    row, created = await WireRevision.get_or_create(wire_story_id=story.id, number=number, defaults=defaults)
    if not created and proof["proof_status"] == "verified" and row.proof_status != "verified":
        await WireRevision.filter(id=row.id).update(**proof)
        await row.refresh_from_db()
    return row
