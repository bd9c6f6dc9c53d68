"""A translation's provenance in words, in the editor's language: how it was made (machine, people, or a machine
and then people), with which engine, by whom, from which language, and who reviewed it.

The translations screen, the offers and the verify report all say it the same way, from the same fields
(`node.translation.review.translation_json`, `offers.offer_json`, `schemas.provenance.parse_provenance`).
"""

from __future__ import annotations

from typing import Any, Mapping

from node.desk.i18n import DeskLocale

__all__ = ["provenance_words"]


def provenance_words(loc: DeskLocale, p: Mapping[str, Any], *, own_actor: str = "", agency_name: str = "",
                     names: Mapping[str, str] | None = None) -> list[str]:
    """Sentences describing one translation's provenance. `p` holds any of method, engine, source_language,
    translated_by (an agency's actor URI, shown by its name in `names` when known), translator, reviewer (or
    reviewed_by) and status."""
    method = p.get("method") or ""
    engine = p.get("engine") or ""
    source = loc.language_name(p["source_language"]) if p.get("source_language") else ""
    words: list[str] = []
    if method == "machine":
        words.append(loc.gettext("Machine translation by %(engine)s, from %(source)s.", engine=engine,
                                 source=source) if engine and source else
                     loc.gettext("Machine translation by %(engine)s.", engine=engine) if engine else
                     loc.gettext("Machine translation."))
    elif method == "machine+human":
        words.append(loc.gettext("Machine translation by %(engine)s, then edited by people.", engine=engine)
                     if engine else loc.gettext("Machine translation, then edited by people."))
    elif method == "human":
        words.append(loc.gettext("Translated by people, from %(source)s.", source=source) if source
                     else loc.gettext("Translated by people."))
    if p.get("translator"):
        words.append(loc.gettext("Translator: %(name)s.", name=p["translator"]))
    by = p.get("translated_by") or ""
    if by and own_actor and by == own_actor:
        words.append(loc.gettext("Made at %(agency)s (this agency).", agency=agency_name or by))
    elif by:
        words.append(loc.gettext("Made by the agency %(agency)s.", agency=(names or {}).get(by, by)))
    reviewer = p.get("reviewer") or p.get("reviewed_by") or ""
    status = p.get("status") or ""
    if status == "approved":
        words.append(loc.gettext("Reviewed and approved by %(name)s.", name=reviewer) if reviewer
                     else loc.gettext("Published without review (the node approves machine output itself)."))
    elif status == "pending_review":
        words.append(loc.gettext("Waiting for review."))
    elif status == "rejected":
        words.append(loc.gettext("Rejected: it does not go out."))
    elif status == "draft":
        words.append(loc.gettext("Draft: not sent for review yet."))
    elif reviewer:
        words.append(loc.gettext("Reviewed by %(name)s.", name=reviewer))
    return words
