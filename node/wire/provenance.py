"""The proof verdict kept with each wire story: what `federation.provenance.check` found, and through whom."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.provenance import ProofVerdict
from node.wire.models import WireProof, WireStory

__all__ = ["proof_values", "record"]


def proof_values(verdict: ProofVerdict, *, via: str) -> dict[str, Any]:
    """The columns of a story's `WireProof` for `verdict` (without ``story_id``)."""
    return dict(status=verdict.status, code=verdict.code[:32], reason=verdict.reason[:300],
                key_id=verdict.key_id[:512], origin=verdict.origin[:512], via=via[:512],
                signed_object=verdict.signed_document, checked_at=datetime.now(timezone.utc))


async def record(story: WireStory, verdict: ProofVerdict, *, via: str, new: bool = False) -> WireProof:
    """Store (or replace) the proof verdict of a wire story, with the exact document that was checked (`new`: the
    story was inserted in this transaction, so it has no verdict to replace yet)."""
    values = proof_values(verdict, via=via)
    if new:
        return await WireProof.create(story_id=story.id, **values)
    row, created = await WireProof.get_or_create(story_id=story.id, defaults=values)
    if not created:
        await WireProof.filter(id=row.id).update(**values)
        await row.refresh_from_db()
    return row
