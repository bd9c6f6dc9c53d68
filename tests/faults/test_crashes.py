"""The crash suite's short form: `agency-node run` killed with SIGKILL at each kind of kill point, restarted, and
checked against a verifying receiver and the database. The long form: `python -m tests.faults --rounds 200`."""

from __future__ import annotations

import os

import pytest

from tests.faults.__main__ import POSTGRES_ENV, _postgres
from tests.faults.crashes import CONCURRENCY, KINDS, Figures, run


def _assert_promises(figures: Figures, kinds: tuple[str, ...] = KINDS) -> None:
    print("\n" + "\n".join(figures.lines()))
    assert figures.rounds == len(kinds) and figures.faults >= len(kinds)
    assert figures.stories > 0 and figures.deliveries > 0 and figures.activities > 0
    assert figures.translations > 0 and figures.interrupted["translations"] > 0
    if "media-fetch" in kinds:
        assert figures.media_files > 0 and figures.interrupted["fetches"] > 0
        assert figures.interrupted["tmp files"] > 0  # half-written at the kill; swept (checked per round)
    if "inbox-processing" in kinds:
        assert figures.inbox_recovery  # the kill left a burst half processed, and the restart finished it
    assert figures.lost == {"stories": 0, "deliveries": 0, "activities": 0}
    assert figures.max_duplicates <= CONCURRENCY
    assert not figures.problems


async def test_crashes__sqlite_node_loses_nothing_and_resends_at_most_the_requests_in_flight() -> None:
    """One SIGKILL at each kill point (publish by API and CLI, fan-out, inbox intake and processing, embargo
    release, translation jobs, media fetching) on SQLite:
    nothing lost, duplicates per crash within the requests in flight, and the dead process's claims are taken
    back at once (the heartbeat would take them over after 30 s here, the lock after two minutes)."""
    figures = await run(len(KINDS), hosts=30, seed=12, quick=True)
    _assert_promises(figures)
    recoveries = figures.delivery_recovery + figures.inbox_recovery
    assert recoveries and max(recoveries) < max(figures.startup) + 5
    # Interrupted translations and fetches are taken back at start, not after their lock (600 s, 70 s here).
    assert figures.job_recovery and max(figures.job_recovery) < max(figures.startup) + 15


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to run on PostgreSQL")
async def test_crashes__postgres_node_takes_over_a_dead_owners_claims_after_its_heartbeat_stops() -> None:
    """The same on PostgreSQL, where claims are taken back once their owner's heartbeat is older than
    `delivery.stale_claim_seconds` (2 s here), not after the lock. Translation jobs come back when their lock
    expires (5 s here); media fetches too, after `fetch_max_seconds` + 60 s, too long for this short form (the
    long run has them: `python -m tests.faults --postgres`)."""
    kinds = tuple(k for k in KINDS if k != "media-fetch")
    async with _postgres(os.environ[POSTGRES_ENV]) as url:
        figures = await run(len(kinds), database_url=url, hosts=30, seed=12, quick=True, kinds=kinds)
    _assert_promises(figures, kinds)
    recoveries = figures.delivery_recovery + figures.inbox_recovery
    assert recoveries and max(recoveries) < max(figures.startup) + 2 + 5


def _assert_fanout_promises(figures: Figures, rounds: int) -> None:
    print("\n" + "\n".join(figures.lines()))
    assert figures.rounds == rounds and figures.faults >= rounds
    assert figures.stories > 0 and figures.deliveries > 0
    assert figures.lost == {"stories": 0, "deliveries": 0, "activities": 0}
    assert figures.max_duplicates <= CONCURRENCY
    assert not figures.problems


async def test_crashes__sqlite_fanout_killed_mid_expansion_loses_no_inbox() -> None:
    """The fan-out kill point alone, three times, on SQLite: each story's followers are expanded into delivery
    rows in batches (`delivery.fanout_batch` 8, 30 hosts) while they are sent, and the node is killed at a random
    share of them: every story answered 201 reaches every inbox, duplicates within the requests in flight."""
    figures = await run(3, hosts=30, seed=13, quick=True, kinds=("fanout",))
    _assert_fanout_promises(figures, 3)


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to run on PostgreSQL")
async def test_crashes__postgres_fanout_killed_mid_expansion_loses_no_inbox() -> None:
    """The same on PostgreSQL, where the batch being written when the node dies rolls back and its job row's lock
    goes with the dead connection."""
    async with _postgres(os.environ[POSTGRES_ENV]) as url:
        figures = await run(3, database_url=url, hosts=30, seed=13, quick=True, kinds=("fanout",))
    _assert_fanout_promises(figures, 3)
