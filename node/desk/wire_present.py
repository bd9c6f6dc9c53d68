"""What the wire screen shows of a story, gathered once per page (a handful of queries for a whole page, not one per
row): its agency, proof and signature verdicts in words, languages with their provenance, media thumbnails,
topics, and the search words a live page matches filters against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from node.accounts.roles import allows
from node.desk.factcheck_links import desk_url
from node.desk.i18n import DeskLocale
from node.desk.words import N_
from node.media.stock import file_url
from node.media.wire_models import WireMedia
from node.translation.models import WireTranslation
from node.factchecks.models import FactCheck, WireFactCheck, WireStoryMatch
from node.wire.models import WireProof, WireStory, WireTopic
from schemas.lifecycle import TOP_MEDIA_TOPICS

__all__ = ["PROOF_WORDS", "SIGNATURE_WORDS", "StoryView", "row_context", "story_views", "urgency_word"]

# Proof verdicts (federation/provenance.py) in words, with a badge tone.
PROOF_WORDS = {
    "verified": (N_("Verified: signed by its agency"), "ok"),
    "unsigned": (N_("Unsigned: no proof of origin"), "warn"),
    "invalid": (N_("Proof invalid: altered or forged"), "bad"),
    "unknown-key": (N_("Unverified: the agency's key is unknown"), "warn"),
    "": (N_("Proof not checked"), "info"),
}
# How the delivering request was authenticated (the inbox's verdict).
SIGNATURE_WORDS = {
    "draft-cavage": N_("Delivered with a valid HTTP signature"),
    "rfc9421": N_("Delivered with a valid HTTP signature (RFC 9421)"),
    "proof": N_("Forwarded copy, believed on its proof"),
    "fetched": N_("Fetched from its agency"),
    "": N_("No HTTP signature recorded"),
}
URGENCY_WORDS = {1: N_("Flash"), 2: N_("Urgent")}
# Provenance of a language (schemas/provenance.py methods).
METHOD_WORDS = {
    "original": N_("original"), "machine": N_("machine translation"), "human": N_("translated by people"),
    "machine+human": N_("machine translation edited by people"), "": N_("translation"),
}
KIND_WORDS = (N_("image"), N_("video"), N_("audio"), N_("document"))
# The 17 top-level IPTC Media Topics (schemas/lifecycle.py), named in the desk's language.
TOPIC_WORDS = {
    "medtop:01000000": N_("arts, culture, entertainment and media"), "medtop:02000000": N_("crime, law and justice"),
    "medtop:03000000": N_("disaster, accident and emergency incident"),
    "medtop:04000000": N_("economy, business and finance"), "medtop:05000000": N_("education"),
    "medtop:06000000": N_("environment"), "medtop:07000000": N_("health"), "medtop:08000000": N_("human interest"),
    "medtop:09000000": N_("labour"), "medtop:10000000": N_("lifestyle and leisure"), "medtop:11000000": N_("politics"),
    "medtop:12000000": N_("religion"), "medtop:13000000": N_("science and technology"),
    "medtop:14000000": N_("society"), "medtop:15000000": N_("sport"), "medtop:16000000": N_("conflict, war and peace"),
    "medtop:17000000": N_("weather"),
}
assert set(TOPIC_WORDS) == set(TOP_MEDIA_TOPICS)


def urgency_word(urgency: int | None) -> str:
    """The msgid naming an urgency that stands out (flash, urgent), else ""."""
    return URGENCY_WORDS.get(urgency or 0, "")


def row_context(loc: DeskLocale, role: str) -> dict[str, Any]:
    """What a story row's template needs besides the story (a live page renders rows outside a request)."""
    return {"loc": loc, "can": lambda permission: allows(role, permission), "urgency_word": urgency_word,
            "earlier": {}}


@dataclass
class StoryView:
    """One story as the wire screen shows it (templates read these fields; the text is the agency's, escaped)."""

    story: WireStory
    agency: str
    agency_name: str
    proof: str
    proof_words: str
    proof_tone: str
    proof_reason: str
    signature_words: str
    languages: list[dict[str, str]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, str]] = field(default_factory=list)
    factchecks: list[dict[str, str]] = field(default_factory=list)  # fact-checks this story matched

    @property
    def language_tags(self) -> list[str]:
        return [lang["tag"] for lang in self.languages]

    @property
    def topic_codes(self) -> list[str]:
        return [t["code"] for t in self.topics]

    @property
    def when(self) -> Any:
        return self.story.published_at or self.story.received_at


def _thumb(row: WireMedia) -> dict[str, Any]:
    item = row.media_item if row.media_item_id else None  # type: ignore[attr-defined]
    desc = row.description if isinstance(row.description, dict) else {}
    alt = desc.get("name") or desc.get("summary") or ""
    if not isinstance(alt, str):
        alt = ""
    thumb = ""
    if item is not None:
        renditions = item.renditions or {}
        name = next((n for n in renditions if n.startswith("thumb.")), None)
        thumb = file_url("", item.sha256, name) if name else (file_url("", item.sha256) if item.kind == "image"
                                                              else "")
    return {"kind": row.kind or "document", "alt": alt[:500], "thumb": thumb, "state": row.state,
            "verdict": row.verdict, "lead": row.lead}


async def story_views(stories: Iterable[WireStory]) -> list[StoryView]:
    """The views of `stories` (their `actor` prefetched), in the same order."""
    stories = list(stories)
    ids = [s.id for s in stories]
    if not ids:
        return []
    proofs = {p.story_id: p for p in await WireProof.filter(story_id__in=ids).only(  # type: ignore[attr-defined]
        "id", "story_id", "status", "reason")}
    langs: dict[int, list[dict[str, str]]] = {}
    for t in await WireTranslation.filter(story_id__in=ids).only(
            "id", "story_id", "language", "kind", "method", "engine", "translator", "translated_by"):
        method = "original" if t.kind == "original" else t.method
        langs.setdefault(t.story_id, []).append({  # type: ignore[attr-defined]
            "tag": t.language, "method": METHOD_WORDS.get(method, METHOD_WORDS[""]), "engine": t.engine,
            "translator": t.translator, "original": t.kind == "original"})
    media: dict[int, list[dict[str, Any]]] = {}
    for row in await WireMedia.filter(wire_story_id__in=ids).prefetch_related("media_item").order_by(
            "wire_story_id", "position", "id"):
        media.setdefault(row.wire_story_id, []).append(_thumb(row))  # type: ignore[attr-defined]
    topics: dict[int, list[dict[str, str]]] = {}
    for topic in await WireTopic.filter(story_id__in=ids):
        topics.setdefault(topic.story_id, []).append(  # type: ignore[attr-defined]
            {"code": topic.code, "name": topic.name, "known": TOPIC_WORDS.get(topic.code, "")})
    checked = await _factchecks_of(ids)
    out = []
    for s in stories:
        proof = proofs.get(s.id)
        status = proof.status if proof is not None else ""
        words, tone = PROOF_WORDS.get(status, PROOF_WORDS[""])
        actor = s.actor
        out.append(StoryView(
            story=s, agency=actor.handle, agency_name=actor.name or actor.handle, proof=status or "unchecked",
            proof_words=words, proof_tone=tone, proof_reason=proof.reason if proof is not None else "",
            signature_words=SIGNATURE_WORDS.get(s.signature, SIGNATURE_WORDS[""]),
            languages=sorted(langs.get(s.id, []), key=lambda x: (not x["original"], x["tag"])),
            media=media.get(s.id, []), topics=topics.get(s.id, []), factchecks=checked.get(s.id, [])))
    return out


async def _factchecks_of(ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The live fact-checks each story matched (kept when it arrived: node.factchecks.matching), each with its
    verdict, agency and link; three queries for a whole page."""
    matches = await WireStoryMatch.filter(wire_story_id__in=ids).only("id", "wire_story_id", "factcheck_uri", "how")
    if not matches:
        return {}
    uris = list({m.factcheck_uri for m in matches})
    found: dict[str, dict[str, str]] = {}
    for w in await WireFactCheck.filter(uri__in=uris, state="live").prefetch_related("actor"):
        found[w.uri] = {"verdict": w.verdict, "agency": w.actor.name or w.actor.handle, "url": w.url or w.uri,
                        "desk_url": desk_url(w.id)}  # the badge opens the desk's view; the public page beside it
    own = {u.rstrip("/").rsplit("/", 1)[-1]: u for u in uris if "/factchecks/" in u}
    for f in await FactCheck.filter(uuid__in=list(own), state="published").only("id", "uuid", "verdict"):
        found[own[f.uuid]] = {"verdict": f.verdict, "agency": "", "url": own[f.uuid], "desk_url": ""}
    out: dict[int, list[dict[str, str]]] = {}
    for m in matches:
        if m.factcheck_uri in found:
            out.setdefault(m.wire_story_id, []).append({**found[m.factcheck_uri], "how": m.how})  # type: ignore
    return out
