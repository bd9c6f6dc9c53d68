"""Where the desk links a fact-check: to its own view (/desk/factchecks/{id}) when the node holds it as a
partner's check, so an editor reads the claim, proof and endorsements and can act on it without leaving the desk;
the checking agency's public page stays the secondary link (and the only one for our own checks, which the desk's
Fact-checks screen does not list)."""

from __future__ import annotations

from typing import Any

from node.factchecks.models import WireFactCheck

__all__ = ["desk_url", "desk_ids", "with_desk_links"]


def desk_url(row_id: int) -> str:
    """The desk's view of the partner's fact-check kept as row `row_id`."""
    return f"/desk/factchecks/{row_id}"


async def desk_ids(uris: list[str]) -> dict[str, int]:
    """The desk row id of each of these fact-checks the node holds as a partner's (one query)."""
    if not uris:
        return {}
    return dict(await WireFactCheck.filter(uri__in=list(set(uris))).values_list("uri", "id"))


async def with_desk_links(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The matches of `node.factchecks.matching.describe` with ``desk_url`` added (None for ours): the badges in
    compose and on our stories link there first."""
    ids = await desk_ids([m["factcheck"] for m in items])
    return [{**m, "desk_url": desk_url(ids[m["factcheck"]]) if m["factcheck"] in ids else None} for m in items]
