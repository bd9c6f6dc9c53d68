"""Checking a story's media against the digests it carries, for ``agency-node verify`` and ``POST /api/verify``.

Each attachment with a ``digestMultibase`` is fetched (streamed, hashed, kept nowhere, within the [media] limits)
and compared; the report says which matched, which did not, and which could not be fetched. Attachments without a
digest are listed as such, unfetched: there is nothing to check them against.
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

import aiohttp

from node.media.fetching import FetchLimits, FetchProblem, digest_of
from node.media.receiving import attachments_of, expected_sha256

__all__ = ["MEDIA_VERDICTS", "check_story_media", "summary"]

# verified: the bytes match; mismatch: they do not; unreachable: not fetched (the reason says why);
# no-digest: nothing to check against; bad-digest: the digest is not a SHA-256 multihash.
MEDIA_VERDICTS = ("verified", "mismatch", "unreachable", "no-digest", "bad-digest")


async def _check(session: aiohttp.ClientSession, entry: Mapping[str, Any], limits: FetchLimits) -> dict[str, Any]:
    raw = entry["description"].get("digestMultibase")
    digest = raw if isinstance(raw, str) else ""
    out: dict[str, Any] = {"url": entry["url"], "lead": entry["lead"], "expected_digest": digest or None}
    expected = expected_sha256(digest)
    if not digest:
        return {**out, "verdict": "no-digest", "detail": "the attachment carries no digestMultibase"}
    if not expected:
        return {**out, "verdict": "bad-digest", "detail": "the digestMultibase is not a SHA-256 multihash"}
    try:
        actual, size = await digest_of(session, entry["url"], limits=limits, announced=entry["kind"])
    except FetchProblem as exc:
        return {**out, "verdict": "unreachable", "detail": f"could not be fetched: {exc.reason}"}
    if actual == expected:
        return {**out, "verdict": "verified", "sha256": actual, "size": size,
                "detail": "the bytes served match the digest"}
    return {**out, "verdict": "mismatch", "sha256": actual, "expected_sha256": expected, "size": size,
            "detail": f"the bytes served have SHA-256 {actual}, the digest names {expected}"}


async def check_story_media(session: aiohttp.ClientSession, obj: Mapping[str, Any], limits: FetchLimits
                            ) -> list[dict[str, Any]]:
    """One entry per medium of the story (lead image first) with its verdict and the detail."""
    return list(await asyncio.gather(*(_check(session, e, limits) for e in attachments_of(obj))))


def summary(media: list[dict[str, Any]]) -> dict[str, int]:
    """How many media got each verdict (only the verdicts that occur)."""
    counts: dict[str, int] = {}
    for m in media:
        counts[m["verdict"]] = counts.get(m["verdict"], 0) + 1
    return counts
