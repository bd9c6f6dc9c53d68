"""The fact-check verdicts as the desk names them (marked for the catalogues; `schemas.factcheck.VERDICTS` keeps
the English labels the wire carries)."""

from __future__ import annotations

from node.desk.words import N_

__all__ = ["VERDICT_WORDS"]

VERDICT_WORDS = {"false": N_("False"), "misleading": N_("Misleading"), "missing-context": N_("Missing context"),
                 "unproven": N_("Unproven"), "true": N_("True")}
