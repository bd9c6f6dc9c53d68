"""The states of a machine-translation job and the edges between them, declared to the engine's queue so that
its claims and settles guard job rows as they guard deliveries."""

from __future__ import annotations

from enum import StrEnum

from federation.states import declare


class TranslationJobState(StrEnum):
    PENDING = "pending"          # waiting for its next attempt (first, retry, or the story changed)
    TRANSLATING = "translating"  # claimed by a worker; lock expiry returns it to the pool after a crash
    TRANSLATED = "translated"    # the translation reached the translation store
    DEAD = "dead"                # gave up: refused by the engine, or retries exhausted
    CANCELLED = "cancelled"      # the story was deleted first


_TRANSLATION_JOB_EDGES: dict[TranslationJobState, frozenset[TranslationJobState]] = {
    TranslationJobState.PENDING: frozenset({TranslationJobState.TRANSLATING, TranslationJobState.CANCELLED,
                                            TranslationJobState.PENDING}),
    TranslationJobState.TRANSLATING: frozenset(
        {TranslationJobState.TRANSLATED, TranslationJobState.PENDING, TranslationJobState.DEAD,
         TranslationJobState.CANCELLED, TranslationJobState.TRANSLATING}  # re-claimed after its lock expired
    ),
    # The story changed, or an operator retries: translate again.
    TranslationJobState.TRANSLATED: frozenset({TranslationJobState.PENDING, TranslationJobState.CANCELLED}),
    # (dead -> cancelled is not an edge: "dead" and "cancelled" are delivery states too, whose edges win.)
    TranslationJobState.DEAD: frozenset({TranslationJobState.PENDING}),
    TranslationJobState.CANCELLED: frozenset(),
}

declare(TranslationJobState, _TRANSLATION_JOB_EDGES)
