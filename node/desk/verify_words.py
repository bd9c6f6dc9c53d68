"""The verification report (node/wire/verification.py) in words, in the editor's language: the verdict, who signed
the story and with which key, whether this copy is what the origin signs today, which revision it is, and the
languages it carries with their provenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from node.desk.i18n import DeskLocale
from node.desk.provenance import provenance_words
from schemas.provenance import parse_provenance

__all__ = ["report_words", "story_facts"]

_INVALID = {
    "bad-signature": "tampered", "key-not-listed": "key", "controller-mismatch": "key", "expired": "expired",
    "key-expired": "expired",
}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def report_words(loc: DeskLocale, report: Mapping[str, Any], signer: str) -> dict[str, Any]:
    """{"tone": ok|warn|bad, "verdict": one sentence, "details": [sentences]} for a report; `signer` names the
    origin agency as the editor knows it (its name and handle, or its URI)."""
    status, code = report.get("status"), report.get("code") or ""
    key = report.get("key_id") or ""
    made = _when(report.get("created"))
    details: list[str] = []
    if status == "verified" and report.get("exit_code") == 10:
        tone, verdict = "bad", loc.gettext("The text is signed by %(signer)s, but a media file does not match the "
                                           "digest the story carries: the picture or file was changed.",
                                           signer=signer)
    elif status == "verified":
        tone, verdict = "ok", loc.gettext("Valid: signed by %(signer)s, and this copy is exactly what they signed.",
                                          signer=signer)
    elif status == "unsigned":
        tone, verdict = "warn", loc.gettext("Not signed: the story carries no integrity proof, so nothing shows "
                                            "who wrote it or that it is unchanged.")
    elif status == "unknown-key":
        tone, verdict = "warn", loc.gettext("Cannot tell: the origin %(signer)s cannot be reached and its key is "
                                            "not known here. Try again later.", signer=signer)
    else:
        tone = "bad"
        kind = _INVALID.get(code, "malformed")
        verdict = {
            "tampered": loc.gettext("Not valid: this copy was changed after %(signer)s signed it.", signer=signer),
            "key": loc.gettext("Not valid: the key that signed it is not (or no longer) one of %(signer)s's keys.",
                               signer=signer),
            "expired": loc.gettext("Not valid: the proof, or the key that made it, had expired."),
            "malformed": loc.gettext("Not valid: the proof is malformed or of a kind this node does not accept."),
        }[kind]
    if key:
        details.append(loc.gettext("Signed with the key %(key)s.", key=key))
    if made:
        details.append(loc.gettext("Signed on %(date)s.", date=loc.datetime(made)))
    if report.get("reason") and status != "verified":
        details.append(loc.gettext("Why: %(reason)s", reason=report["reason"]))
    origin = report.get("origin_copy") or {}
    if origin.get("matches") is True:
        details.append(loc.gettext("Compared with the origin: identical to the version it serves now."))
    elif origin.get("matches") is False and origin.get("differs_in"):
        details.append(loc.gettext("Compared with the origin: it differs in %(fields)s.",
                                   fields=", ".join(origin["differs_in"])))
    elif origin.get("matches") is False:
        details.append(loc.gettext("Compared with the origin: %(detail)s", detail=origin.get("detail", "")))
    elif origin.get("detail"):
        details.append(loc.gettext("Not compared with the origin: %(detail)s", detail=origin["detail"]))
    if report.get("fetch_error"):
        details.append(loc.gettext("The URL could not be fetched (%(error)s); this is the copy we received "
                                   "earlier.", error=report["fetch_error"]))
    media = report.get("media_summary") or {}
    if media:
        details.append(loc.gettext("Media: %(counts)s.", counts=", ".join(
            f"{loc.number(n)} {loc.gettext(k)}" for k, n in sorted(media.items()))))
    return {"tone": tone, "verdict": verdict, "details": details}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def story_facts(loc: DeskLocale, doc: Any, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Which revision the checked document is (its number, published, updated, whether it corrects an earlier
    one) and its languages with their provenance; `names` shows known agencies by name."""
    obj = doc.get("object") if isinstance(doc, dict) and isinstance(doc.get("object"), dict) else doc
    if not isinstance(obj, dict):
        return {"headline": "", "published": None, "updated": None, "revision": None, "correction": False,
                "languages": []}
    provenance = parse_provenance(obj.get("languageProvenance"))
    content_map = obj.get("contentMap") if isinstance(obj.get("contentMap"), dict) else {}
    name_map = obj.get("nameMap") if isinstance(obj.get("nameMap"), dict) else {}
    tags = list(dict.fromkeys([*provenance, *[t for t in content_map if isinstance(t, str)]]))
    languages = []
    for tag in tags:
        p = provenance.get(tag, {})
        if p.get("kind") == "original":
            words = [loc.gettext("The original.")]
        else:
            words = provenance_words(loc, {**p, "status": "approved" if p.get("reviewed_by") else ""}, names=names)
        languages.append({"tag": tag, "headline": _text(name_map.get(tag)), "words": words})
    revision = obj.get("revision")
    return {"headline": _text(obj.get("name")), "published": _when(obj.get("published")),
            "updated": _when(obj.get("updated")), "languages": languages,
            "revision": revision if isinstance(revision, int) and not isinstance(revision, bool) else None,
            "correction": obj.get("correction") is True}
