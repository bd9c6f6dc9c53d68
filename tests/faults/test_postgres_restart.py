"""PostgreSQL going away under load: `agency-node run` (a real process) publishes stories for four API clients and
takes in signed Creates from a followed agency while its database server restarts. Nothing answered is lost,
every request during the outage is answered 201/202 or 503 with Retry-After (never a 500), and the node
reconnects by itself and carries on: stories published after the outage reach every follower inbox, the inbox
items are processed.

Two ways to take the database away:
- `terminate`: every connection to the test's own database is cut (`pg_terminate_backend`) and new ones refused
  for a moment (`ALLOW_CONNECTIONS false`), which other users of the server do not notice; runs wherever the
  PostgreSQL tests run.
- `restart`: the real thing, `pg_ctlcluster <version> <cluster> restart` (root, a Debian cluster on the URL's
  port). It breaks every other connection to the server, so it runs only when asked:
  `AGENCY_NODE_TEST_PG_RESTART=1` (`.ci/run` does, after the parallel test run, when nothing else uses the
  server). The server is started again in a `finally`, whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import AsyncIterator
from urllib.parse import urlparse

import aiohttp
import asyncpg
import pytest

from tests.faults.__main__ import POSTGRES_ENV, _postgres
from tests.faults.crashes import STORY, CrashRun
from tests.faults.crashnode import TOKEN

RESTART_ENV = "AGENCY_NODE_TEST_PG_RESTART"
pytestmark = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"set {POSTGRES_ENV} to run on PostgreSQL")


def _cluster(url: str) -> tuple[str, str] | None:
    """(version, name) of the local Debian cluster listening on the URL's port, or None."""
    if shutil.which("pg_lsclusters") is None or shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        return None
    port = str(urlparse(url).port or 5432)
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        version, name, cport, status, *_ = line.split()
        if cport == port and status.startswith("online"):
            return version, name
    return None


def _ready(url: str) -> bool:
    parsed = urlparse(url)
    return subprocess.run(["pg_isready", "-q", "-h", parsed.hostname or "127.0.0.1", "-p",
                           str(parsed.port or 5432)]).returncode == 0


@contextlib.asynccontextmanager
async def _taken_away(how: str, admin_url: str, db_url: str) -> AsyncIterator[None]:
    """The database gone for the block's first moment (see the module's docstring), and back afterwards."""
    if how == "restart":
        cluster = _cluster(admin_url)
        assert cluster is not None
        try:
            done = await asyncio.to_thread(subprocess.run, ["pg_ctlcluster", *cluster, "restart"],
                                           capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            yield
        finally:  # never leave the server down, whatever failed above
            if not await asyncio.to_thread(_ready, admin_url):
                await asyncio.to_thread(subprocess.run, ["pg_ctlcluster", *cluster, "start"], timeout=120)
        return
    name = urlparse(db_url).path.lstrip("/")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        await asyncio.sleep(1.5)  # the outage: new connections are refused meanwhile
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        yield
    finally:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await conn.close()


class Load:
    """Four editors POSTing stories and a followed agency POSTing signed Creates, until stopped; every answer is
    counted by status, and the answered stories and activities are handed to the crash run's checks."""

    def __init__(self, crash: CrashRun) -> None:
        self.crash = crash
        self.stop = asyncio.Event()
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.without_retry_after = 0
        self.after_outage = 0  # stories answered 201 once the database was back
        self.outage_over = False

    def _count(self, what: str, resp: aiohttp.ClientResponse) -> None:
        self.statuses[(what, resp.status)] += 1
        if resp.status == 503 and not resp.headers.get("Retry-After"):
            self.without_retry_after += 1

    async def _editor(self, session: aiohttp.ClientSession) -> None:
        url = f"{self.crash.node.base_url}/api/stories"
        while not self.stop.is_set():
            async with session.post(url, json=STORY, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                doc = await resp.json(content_type=None)
                self._count("api", resp)
                if resp.status == 201:
                    self.crash.answered_stories.add(doc["id"])
                    self.after_outage += self.outage_over
                elif resp.status == 503:
                    await asyncio.sleep(0.1)  # as a client honouring Retry-After would, only sooner

    async def _agency(self, session: aiohttp.ClientSession) -> None:
        agency = self.crash.agency
        assert agency is not None
        url = f"{self.crash.node.base_url}/inbox"
        while not self.stop.is_set():
            tag = uuid.uuid4().hex
            body = agency.create(tag)
            async with session.post(url, data=body, headers=agency.signed(url, body)) as resp:
                await resp.read()
                self._count("inbox", resp)
                if resp.status < 300:
                    self.crash.answered_activities.add(f"{agency.origin}/activities/{tag}")
                elif resp.status == 503:
                    await asyncio.sleep(0.1)

    async def run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            await asyncio.gather(*(self._editor(session) for _ in range(4)),
                                 *(self._agency(session) for _ in range(2)))

    async def until(self, condition, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"load stalled: {dict(self.statuses)}"
            await asyncio.sleep(0.05)


def _restart_allowed() -> str | None:
    """Why the real restart cannot run here, or None."""
    if not os.environ.get(RESTART_ENV):
        return f"restarting the server breaks other users' connections: set {RESTART_ENV}=1 (CI does)"
    if _cluster(os.environ.get(POSTGRES_ENV, "")) is None:
        return "no local Debian cluster on the URL's port that this user (root) can restart"
    return None


@pytest.mark.parametrize("how", ["terminate", "restart"])
async def test_postgres_outage__publishing_and_intake_lose_nothing_and_answer_503(how):
    """The database taken away under load: nothing answered is lost, requests meanwhile answer 503 with
    Retry-After and never 500, and the node reconnects and publishes and delivers again without a restart."""
    if how == "restart" and (why := _restart_allowed()):
        pytest.skip(why)
    admin = os.environ[POSTGRES_ENV]
    with tempfile.TemporaryDirectory(prefix="pg-outage-") as tmp:
        async with _postgres(admin) as url, CrashRun(Path(tmp), url, hosts=10, seed=7, quick=True) as crash:
            load = Load(crash)
            running = asyncio.ensure_future(load.run())
            try:
                await load.until(lambda: len(crash.answered_stories) >= 5 and len(crash.answered_activities) >= 5)
                async with _taken_away(how, admin, url):
                    pass
                load.outage_over = True
                await load.until(lambda: load.after_outage >= 8)
            finally:
                load.stop.set()
                await asyncio.wait_for(running, 60)
            await crash._drain()
            await crash._check()
            figures = crash.figures
            print(f"\n{how}: answers {dict(load.statuses)}; "
                  + "; ".join(line for line in figures.lines() if line.startswith(("checked", "lost"))))
            assert crash.node.proc is not None and crash.node.proc.poll() is None  # the same process throughout
            log = (Path(tmp) / "node.log").read_text(errors="replace")
            errors = sorted({line for line in log.splitlines() if "Error" in line and not line.startswith(" ")})
            assert not [key for key in load.statuses if key[1] >= 500 and key[1] != 503], (load.statuses, "\n".join(errors[:12]))
            assert load.without_retry_after == 0
            assert figures.lost == {"stories": 0, "deliveries": 0, "activities": 0}
            assert not figures.problems, figures.problems
            assert figures.stories >= len(crash.answered_stories) > 0 and figures.activities > 0
