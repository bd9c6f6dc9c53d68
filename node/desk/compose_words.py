"""Words the compose and My stories screens show by value (stages, story states, diff fields, translation review
states, media kinds): marked with `N_` for the catalogues and translated where shown (`_(value)`)."""

from __future__ import annotations

from node.desk.words import N_

__all__ = ["STAGE_NAMES", "STATE_NAMES", "DIFF_WORDS", "REVIEW_WORDS", "KIND_NAMES"]

STAGE_NAMES = (N_("draft"), N_("review"), N_("ready"), N_("published"), N_("spiked"))
STATE_NAMES = (N_("scheduled"), N_("killed"))
DIFF_WORDS = (N_("headline"), N_("summary"), N_("body"), N_("language"), N_("urgency"), N_("topics"),
              N_("embargo"), N_("media"), N_("correction note"), N_("same"), N_("changed"), N_("removed"),
              N_("added"))
REVIEW_WORDS = (N_("pending_review"), N_("approved"), N_("rejected"), N_("machine"), N_("human"),
                N_("machine+human"))
KIND_NAMES = (N_("image"), N_("video"), N_("audio"), N_("document"))
