"""The claim index of each node in this process (several nodes may share one: the demo, the tests), loaded from
its database at first use and kept current.

Changes made here update the index at once (`changed`); changes made by another process of the same node (a
worker that received a partner's fact-check) are seen through a generation check, at most every
`RECHECK_SECONDS`, which rebuilds the index when the fact-check tables changed.
"""

from __future__ import annotations

import time
from typing import Any

from tortoise.functions import Count, Max

from federation.vocab import LocalUrls
from node.factchecks.documents import factcheck_url, languages_of
from node.factchecks.index import ClaimIndex, IndexedCheck
from node.factchecks.models import FactCheck, FactCheckTranslation, WireFactCheck

__all__ = ["changed", "index_for", "indexed_of", "indexed_of_own", "indexed_of_wire"]

RECHECK_SECONDS = 5.0
_INDEXES: dict[str, ClaimIndex] = {}


def indexed_of_own(urls: LocalUrls, fc: FactCheck, translations: list[FactCheckTranslation]) -> IndexedCheck:
    """What the index holds of one of our fact-checks: its claim URLs and its claim in every language it has."""
    claims, _ = languages_of(fc, translations)
    return IndexedCheck(factcheck_url(urls, fc.uuid), tuple(fc.claim_urls or ()), tuple(claims.items()))


def indexed_of_wire(row: WireFactCheck) -> IndexedCheck:
    """What the index holds of a partner's fact-check."""
    claims = dict(row.claims or {}) or {row.claim_language: row.claim_text}
    return IndexedCheck(row.uri, tuple(row.claim_urls or ()), tuple(claims.items()))


async def _generation() -> tuple[Any, ...]:
    marks = []
    for model, stamp in ((FactCheck, "updated_at"), (FactCheck, "published_at"), (WireFactCheck, "updated_at"),
                         (WireFactCheck, "received_at"), (FactCheckTranslation, "updated_at")):
        row = await model.all().annotate(n=Count("id"), last=Max(stamp)).first().values("n", "last")
        marks.append((row or {}).get("n"))
        marks.append(str((row or {}).get("last")))
    states = await WireFactCheck.filter(state="live").count(), await FactCheck.filter(state="published").count()
    return (*marks, *states)


async def _load(urls: LocalUrls) -> ClaimIndex:
    checks: list[IndexedCheck] = []
    own = await FactCheck.filter(state="published")
    translations: dict[int, list[FactCheckTranslation]] = {}
    for t in await FactCheckTranslation.filter(status="approved", factcheck_id__in=[f.id for f in own]):
        translations.setdefault(t.factcheck_id, []).append(t)  # type: ignore[attr-defined]
    checks += [indexed_of_own(urls, f, translations.get(f.id, [])) for f in own]
    checks += [indexed_of_wire(r) for r in await WireFactCheck.filter(state="live")]
    return ClaimIndex.build(checks)


async def index_for(urls: LocalUrls) -> ClaimIndex:
    """This node's index, current with its database (rebuilt when another process changed the fact-checks)."""
    index = _INDEXES.get(urls.base_url)
    now = time.monotonic()
    if index is not None and now - index.checked_at < RECHECK_SECONDS:
        return index
    generation = await _generation()
    if index is None or index.generation != generation:
        index = await _load(urls)
        index.generation = generation
        _INDEXES[urls.base_url] = index
    index.checked_at = now
    return index


async def indexed_of(urls: LocalUrls, uri: str) -> IndexedCheck | None:
    """What the index holds of one fact-check (ours or a partner's) by its id; None when it is not live here."""
    own_prefix = factcheck_url(urls, "")
    if uri.startswith(own_prefix):
        fc = await FactCheck.get_or_none(uuid=uri[len(own_prefix):], state="published")
        if fc is None:
            return None
        return indexed_of_own(urls, fc, list(await FactCheckTranslation.filter(factcheck_id=fc.id,
                                                                                status="approved")))
    row = await WireFactCheck.get_or_none(uri=uri, state="live")
    return indexed_of_wire(row) if row is not None else None


async def changed(urls: LocalUrls, uri: str) -> None:
    """A fact-check was published, corrected, translated, received or withdrawn here: index it anew (or drop it)."""
    index = _INDEXES.get(urls.base_url)
    if index is None:
        return  # loaded with it at first use
    check = await indexed_of(urls, uri)
    if check is None:
        index.remove(uri)
    else:
        index.add(check)
    index.generation = await _generation()
    index.checked_at = time.monotonic()
