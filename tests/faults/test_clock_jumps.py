"""The node's wall clock jumping forwards and backwards (an NTP step, a VM restored from a snapshot) while
`agency-node run` federates: a real node process whose clock libfaketime offsets (`FAKETIME_TIMESTAMP_FILE`,
re-read at every call; the monotonic clock, which asyncio's timers use, is left alone, as a real step leaves it),
against the crash suite's verifying receiver and followed agency, which keep the true time.

What README's Reliability section promises, checked here:
- signature date windows: a signed POST whose Date is more than `federation.signature_max_age_seconds` (1 h) from
  the node's clock is answered 401 with a problem and nothing stored; accepted again once the clock is back;
- claims and retries: jumps within the window during a fan-out lose no delivery, and resend at most the requests
  in flight (a jump forward past `delivery.lock_seconds` makes live claims look expired);
- embargo release follows the node's clock: a story is released when the node's clock passes its embargo, once,
  and a clock going back afterwards neither withdraws nor releases it again.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest

from tests.faults.crashes import STORY, CrashRun
from tests.faults.crashnode import CONCURRENCY, TOKEN

FAKETIME = next((p for p in (Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
                              Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
                              Path("/usr/lib/faketime/libfaketimeMT.so.1")) if p.exists()), None)
pytestmark = pytest.mark.skipif(FAKETIME is None, reason="needs libfaketime (Debian: apt-get install libfaketime)")


class Clock:
    """The node process's clock offset, in seconds from the true time, changed while it runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set(0)

    def set(self, seconds: float) -> None:
        self.path.write_text(f"{int(seconds):+d}s\n")

    def env(self) -> dict[str, str]:
        return {"LD_PRELOAD": str(FAKETIME), "FAKETIME_TIMESTAMP_FILE": str(self.path), "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


async def _until(condition, what: str, timeout: float = 60.0) -> None:
    """Wait until `condition()` (a function, or a coroutine function) holds."""
    deadline = time.monotonic() + timeout
    while not (await value if asyncio.iscoroutine(value := condition()) else value):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _publish(crash: CrashRun, session: aiohttp.ClientSession, doc: dict) -> str:
    async with session.post(f"{crash.node.base_url}/api/stories", json=doc,
                            headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
        assert resp.status == 201, await resp.text()
        uid = (await resp.json())["id"]
    crash.answered_stories.add(uid)
    return uid


async def _drained(crash: CrashRun) -> None:
    try:
        await _until(crash.db.drained, "the queues to drain")
    except AssertionError as exc:  # say what is left, and when it is due
        raise AssertionError(f"{exc}: {await _pending(crash)}") from None


async def _pending(crash: CrashRun) -> dict:
    from federation.store.models import Delivery, FanoutExpansion, InboxItem
    from node.translation.models import TranslationJob

    def rows(model, states, *fields):
        return model.filter(state__in=states).values_list("state", *fields)

    return {"now": datetime.now(timezone.utc).isoformat(),
            "expansions": await rows(FanoutExpansion, ["expanding"], "id"),
            "deliveries": await rows(Delivery, ["queued", "sending"], "next_attempt_at", "locked_until",
                                     "heartbeat_at", "attempts", "last_error"),
            "inbox": await rows(InboxItem, ["received", "processing"], "next_attempt_at", "locked_until"),
            "jobs": await rows(TranslationJob, ["pending", "translating"], "next_attempt_at", "locked_until",
                               "attempts", "last_error")}


async def test_clock_jumps__windows_claims_retries_and_embargo_follow_the_readme():
    """Forward and backward jumps of the node's clock: Date windows refuse and then accept, a fan-out across
    jumps loses nothing and resends at most the requests in flight, an embargo is released once by the node's
    clock and not again when the clock goes back."""
    with tempfile.TemporaryDirectory(prefix="clock-jumps-") as tmp:
        crash = CrashRun(Path(tmp), f"sqlite://{Path(tmp) / 'node.sqlite3'}", hosts=20, seed=9, quick=True)
        clock = Clock(Path(tmp) / "clock-offset")
        crash.node.env = clock.env()
        async with crash:
            await _scenarios(crash, clock)


async def _scenarios(crash: CrashRun, clock: Clock) -> None:
    assert crash.agency is not None
    inbox = f"{crash.node.base_url}/inbox"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        # Date windows: the node two hours ahead refuses the agency's (true) Date; back on time, it accepts.
        clock.set(2 * 3600)
        body = crash.agency.create("clock-window")
        async with session.post(inbox, data=body, headers=crash.agency.signed(inbox, body)) as resp:
            doc = await resp.json(content_type=None)
            assert resp.status == 401 and resp.content_type == "application/problem+json", doc
        assert not await crash.db.inbox_states({f"{crash.agency.origin}/activities/clock-window"})
        clock.set(0)
        async with session.post(inbox, data=body, headers=crash.agency.signed(inbox, body)) as resp:
            assert resp.status == 202, await resp.text()
        crash.answered_activities.add(f"{crash.agency.origin}/activities/clock-window")

        # Claims and retries: a fan-out across a jump forward past the claims' lock, then backwards.
        hosts = crash.receiver.hosts
        before = len(crash.receiver.deliveries)
        for _ in range(3):
            await _publish(crash, session, STORY)
        for share, offset in ((0.2, 40 * 60), (0.5, -40 * 60), (0.8, 0)):
            target = before + int(3 * hosts * share)
            await _until(lambda: len(crash.receiver.deliveries) >= target, "deliveries to arrive")
            clock.set(offset)
        await _drained(crash)

        # Embargo: due in 20 minutes of true time; the node's clock jumps 30 minutes ahead (its next pass,
        # at the restart here, releases it), then back on time (no second release, no withdrawal).
        due = datetime.now(timezone.utc) + timedelta(minutes=20)
        embargoed = await _publish(crash, session, dict(STORY, embargoed_until=due.isoformat()))
        clock.set(30 * 60)
        crash.node.stop()
        await crash.node.start()
        await _until(lambda: _published(embargoed), "the embargoed story to be released", timeout=30)
        await _drained(crash)
        clock.set(0)
        crash.node.stop()
        await crash.node.start()
        await _publish(crash, session, STORY)  # a barrier: the node has passed its scheduler again
        await _drained(crash)

    await crash._check()
    figures = crash.figures
    print("\n" + "\n".join(figures.lines()))
    assert figures.lost == {"stories": 0, "deliveries": 0, "activities": 0}
    assert not figures.problems, figures.problems  # among them: a story sent to its followers twice
    assert crash.receiver.duplicates() <= CONCURRENCY
    assert not crash.receiver.refused  # every Date the node signed fell in the receiver's window


async def _published(uid: str) -> bool:
    from node.stories.models import Story

    return await Story.filter(uuid=uid, state="published").exists()
