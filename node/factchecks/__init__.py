"""Fact-checks across the network: our own (published, corrected, withdrawn, translated), partners' (received and
verified), endorsements, and the claim index every wire story and every pasted text or URL is checked against."""

from node.factchecks.matching import check, matches_for_wire_story

__all__ = ["check", "matches_for_wire_story"]
