"""Verifying a story anyone hands us (``agency-node verify URL|FILE``, ``POST /api/verify``).

The story (or an activity carrying one) is fetched or read, its proof is checked against its origin agency's key
(federation.provenance), and, where the origin can be reached, the copy is compared with a fresh fetch from the
origin. The report says who signed it, with which key, whether this copy is what the origin signed, and why not.

Exit codes (the CLI returns them; the API puts them in ``exit_code``):

    0  verified: the proof is valid and made by a key the origin agency lists
    3  unsigned: the story carries no object integrity proof
    4  tampered: the proof does not match this copy (it was altered after signing)
    5  key not listed: the key is not (or no longer) the origin's, or is on another host
    6  expired: the proof, or the key that made it, had expired
    7  malformed: not a DataIntegrityProof/eddsa-jcs-2022, no verification method, a broken Multikey
    8  unknown key: the origin cannot be reached and its key is not cached here
    9  unreadable: the story could not be fetched or read
   10  media mismatch: the proof verified, but a media file's bytes do not match the digest the story carries

The report's ``media`` lists each attachment with its verdict (node/media/checking.py): files with a digest are
fetched and checked whenever the report compares with the origin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag

from federation import provenance
from federation.errors import FetchError, ObjectGone
from federation.integrity import canonical
from node.media.checking import check_story_media, summary
from node.media.fetch_worker import fetch_limits
from node.wire.models import WireProof
from node.runtime import Node
from node.web.activitypub import actor_document_of
from schemas.activitystreams import is_http_url, object_id

EXIT_VERIFIED, EXIT_UNSIGNED, EXIT_TAMPERED, EXIT_KEY_NOT_LISTED = 0, 3, 4, 5
EXIT_EXPIRED, EXIT_MALFORMED, EXIT_UNKNOWN_KEY, EXIT_UNREADABLE = 6, 7, 8, 9
EXIT_MEDIA_MISMATCH = 10

_EXIT_BY_CODE = {
    "bad-signature": EXIT_TAMPERED, "key-not-listed": EXIT_KEY_NOT_LISTED,
    "controller-mismatch": EXIT_KEY_NOT_LISTED, "expired": EXIT_EXPIRED, "key-expired": EXIT_EXPIRED,
    "wrong-cryptosuite": EXIT_MALFORMED, "malformed-proof": EXIT_MALFORMED,
    "missing-verification-method": EXIT_MALFORMED, "malformed-multikey": EXIT_MALFORMED,
}
_ACTIVITY_TYPES = ("Create", "Update", "Announce")


class Unreadable(Exception):
    """The story could not be fetched or is not a JSON object."""


def exit_code(verdict: provenance.ProofVerdict) -> int:
    """The CLI exit code for a verdict (see the module docstring)."""
    if verdict.verified:
        return EXIT_VERIFIED
    if verdict.status == provenance.UNSIGNED:
        return EXIT_UNSIGNED
    if verdict.status == provenance.UNKNOWN_KEY:
        return EXIT_UNKNOWN_KEY
    return _EXIT_BY_CODE.get(verdict.code, EXIT_MALFORMED)


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "proof"}


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    keys = sorted(set(a) | set(b))
    return [k for k in keys if k != "proof" and canonical(a.get(k)) != canonical(b.get(k))]


async def _compare_with_origin(node: Node, obj: dict[str, Any], fetched_from: str | None) -> dict[str, Any]:
    story_id = obj.get("id")
    if not is_http_url(story_id):
        return {"checked": False, "matches": None, "detail": "the story has no http(s) id to fetch"}
    if fetched_from is not None and urldefrag(fetched_from)[0] == story_id:
        return {"checked": True, "matches": True, "detail": "this copy was fetched from the origin itself"}
    try:
        fresh = await node.fed.fetcher.fetch_json(story_id)  # type: ignore[union-attr]
    except ObjectGone:
        return {"checked": True, "matches": False, "detail": "the origin has deleted this story (410 Gone)"}
    except FetchError as exc:
        return {"checked": False, "matches": None, "detail": f"the origin could not be reached: {exc}"}
    if not isinstance(fresh, dict):
        return {"checked": False, "matches": None, "detail": "the origin did not answer with a JSON object"}
    diffs = _differences(_strip(obj), _strip(fresh))
    if not diffs:
        return {"checked": True, "matches": True, "detail": "identical to the origin's current version"}
    return {"checked": True, "matches": False, "differs_in": diffs,
            "detail": f"differs from the origin's current version in: {', '.join(diffs)}"}


async def verify_document(node: Node, doc: Any, *, source: str, fetched_from: str | None = None,
                          compare: bool = True) -> dict[str, Any]:
    """The verification report of a story (or of the story inside a Create, Update or Announce)."""
    if not isinstance(doc, dict):
        raise Unreadable(f"{source}: not a JSON object")
    activity = None
    obj = doc
    if doc.get("type") in _ACTIVITY_TYPES and isinstance(doc.get("object"), dict):
        activity, obj = doc, doc["object"]
        if doc.get("type") == "Announce":
            activity = None  # the forwarder's proof says nothing about the story's origin
    local = {node.urls.actor(node.agency): actor_document_of(node, node.agency)}
    verdict = await provenance.check(node.fed, obj, activity=activity, local_actor_docs=local)  # type: ignore
    report: dict[str, Any] = {"source": source, "object": obj.get("id"), "type": obj.get("type"),
                              "attributed_to": object_id(obj.get("attributedTo")), **verdict.as_json()}
    code = exit_code(verdict)
    if compare:
        origin = await _compare_with_origin(node, obj, fetched_from)
        report["origin_copy"] = origin
        if origin.get("matches") is False and not verdict.verified and code == EXIT_TAMPERED:
            report["reason"] = f"{verdict.reason}; {origin['detail']}"
        report["media"] = await check_story_media(node.fed.http.session, obj,  # type: ignore[union-attr]
                                                  fetch_limits(node.config.media))
        report["media_summary"] = summary(report["media"])
        if code == EXIT_VERIFIED and report["media_summary"].get("mismatch"):
            code = EXIT_MEDIA_MISMATCH
    report["exit_code"] = code
    return report


async def verify_url(node: Node, url: str) -> dict[str, Any]:
    """Fetch a story (signed GET) and report on it."""
    return (await verify_url_with_document(node, url))[0]


async def verify_url_with_document(node: Node, url: str) -> tuple[dict[str, Any], Any]:
    """`verify_url`'s report and the document it checked (for a reader who wants its revision and languages)."""
    try:
        doc = await node.fed.fetcher.fetch_json(url)  # type: ignore[union-attr]
    except FetchError as exc:
        # The origin is down or the story is gone: the copy we received (exactly as signed) can still be checked.
        stored = await WireProof.filter(story__uri=url, signed_object__isnull=False).first()
        if stored is None:
            raise Unreadable(f"cannot fetch {url}: {exc}") from None
        report = await verify_document(node, stored.signed_object, source=f"our stored copy of {url}")
        report["fetch_error"] = str(exc)
        return report, stored.signed_object
    return await verify_document(node, doc, source=url, fetched_from=url), doc
