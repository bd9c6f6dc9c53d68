"""State and action names the Translations, Network and Operations screens show by value, marked for extraction
(`N_`) and translated where shown: templates write `_(value.replace("_", " "))`."""

from __future__ import annotations

from node.desk.words import N_

__all__ = ["STATE_NAMES"]

STATE_NAMES = (
    # translation review (schemas/provenance.py STATUSES) and its history (TranslationDecision.action)
    N_("pending review"), N_("approved"), N_("rejected"), N_("draft"), N_("submitted"), N_("machine added"),
    N_("edited"), N_("offer accepted"), N_("offer declined"),
    # translation offers
    N_("offered"), N_("accepted"), N_("declined"), N_("withdrawn"),
    # machine-translation jobs (node/translation/states.py)
    N_("pending"), N_("translating"), N_("translated"), N_("dead"), N_("cancelled"),
    # deliveries, inbox items and media fetches (federation/states.py, node/media/wire_states.py)
    N_("queued"), N_("sending"), N_("delivered"), N_("received"), N_("processing"), N_("processed"),
    N_("ignored"), N_("failed"), N_("waiting"), N_("fetching"), N_("stored"), N_("gave-up"),
    # media verdicts (node/media/checking.py)
    N_("verified"), N_("mismatch"), N_("no-digest"), N_("too-large"), N_("refused"),
    # [operations] metrics_access
    N_("loopback"), N_("token"), N_("public"),
    # queues (node/operations/metrics.py QUEUES)
    N_("delivery"), N_("inbox"), N_("translation"), N_("media fetch"),
)
