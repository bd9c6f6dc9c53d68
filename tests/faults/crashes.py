"""The crash suite: `agency-node run` killed with SIGKILL at random moments, restarted, and held to its promises.

Each round runs one kind of work against a real node process (SQLite, or PostgreSQL), kills it at a random moment
of that work, starts it again and waits until the queues are drained, then checks against the verifying receiver
(`tests.faults.receiver`) and the database:

- nothing lost: every story answered 201 (API) or printed (CLI) exists; every story in the database (answered or
  not) has one delivery row per follower inbox, all delivered, and the receiver got each of them; every inbox
  activity answered 2xx is stored, processed and its story is on the wire;
- duplicates per crash (deliveries the receiver got more than once, counted in the round of the crash) stay within
  the requests in flight (`delivery.concurrency`);
- recovery: from the restart (the new process spawned) to the first delivery the dead process had left unsent,
  and to the first inbox item it had left unprocessed.

Kinds of work (kill points): `publish-api` (four editors POSTing stories), `publish-cli` (`agency-node publish`
processes, sometimes killed themselves), `fanout` (killed when a random share of a fan-out has arrived),
`inbox-intake` (a followed agency POSTing signed Creates) and `inbox-processing` (killed while the worker turns a
received burst into wire stories), `embargo-release` (killed around the moment embargoed stories are due:
each must be released once, on the first pass after the restart if the dead process had not, and delivered),
`translation` (killed while machine translations run) and `media-fetch` (killed while partners' pictures are
fetched and stored); the last two, and their checks after every round, are in `tests.faults.jobcrashes`.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from tests.faults.crashnode import CONCURRENCY, HANDLE, TOKEN, Database, NodeProcess, free_port, seed
from tests.faults import jobcrashes
from tests.faults.jobcrashes import MediaServer
from tests.faults.receiver import Agency, Receiver, send_creates
from tests.libretranslate_stub import LibreTranslateStub

KINDS = ("publish-api", "publish-cli", "fanout", "inbox-intake", "inbox-processing", "embargo-release",
         "translation", "media-fetch")
STORY = {"headline": "Wheat harvest ends early in the north", "language": "en",
         "summary": "Farmers finished the harvest two weeks ahead of last year.",
         "body": "<p>" + "Farmers in the northern regions finished the wheat harvest early. " * 10 + "</p>"}


@dataclass
class Figures:
    """What a run counted; `lines()` prints them."""

    database: str = "sqlite"
    rounds: int = 0
    faults: int = 0  # SIGKILLs sent (to the node, and to CLI publishers)
    per_kind: dict[str, int] = field(default_factory=dict)
    stories: int = 0
    deliveries: int = 0
    activities: int = 0
    translations: int = 0  # stored machine translations checked against their job's whole result
    media_files: int = 0  # partners' files checked in the stock
    interrupted: dict[str, int] = field(default_factory=lambda: {"translations": 0, "fetches": 0, "tmp files": 0})
    job_recovery: list[float] = field(default_factory=list)  # restart to every interrupted job done
    lost: dict[str, int] = field(default_factory=lambda: {"stories": 0, "deliveries": 0, "activities": 0})
    duplicated: int = 0
    max_duplicates: int = 0
    delivery_recovery: list[float] = field(default_factory=list)
    inbox_recovery: list[float] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)  # spawn to answering HTTP: imports and opening
    # The same recoveries counted from the moment the restarted node answered HTTP (start-up left out).
    delivery_after_startup: list[float] = field(default_factory=list)
    inbox_after_startup: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lost_total(self) -> int:
        return sum(self.lost.values())

    def lines(self) -> list[str]:
        def spread(values: list[float]) -> str:
            if not values:
                return "n/a (no leftovers at a kill)"
            ordered = sorted(values)
            return (f"median {ordered[len(ordered) // 2]:.2f} s, max {ordered[-1]:.2f} s "
                    f"over {len(values)} crash(es)")
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.per_kind.items()))
        return [
            f"crash suite on {self.database}: {self.rounds} rounds in {self.seconds:.0f} s ({kinds})",
            f"faults injected: {self.faults} SIGKILLs",
            f"checked: {self.stories} stories, {self.deliveries} deliveries, {self.activities} inbox activities, "
            f"{self.translations} machine translations, {self.media_files} fetched media files",
            f"jobs a kill interrupted: {self.interrupted['translations']} translations, "
            f"{self.interrupted['fetches']} media fetches ({self.interrupted['tmp files']} half-written files "
            f"left at the kill, swept at the restart)",
            f"recovery, restart to every interrupted job done: {spread(self.job_recovery)}",
            f"lost: {self.lost['stories']} stories, {self.lost['deliveries']} deliveries, "
            f"{self.lost['activities']} inbox activities",
            f"duplicated deliveries: {self.duplicated} in all, at most {self.max_duplicates} per crash "
            f"(bound: {CONCURRENCY} requests in flight)",
            f"recovery, restart to first resent delivery: {spread(self.delivery_recovery)}",
            f"recovery, restart to first processed leftover inbox item: {spread(self.inbox_recovery)}",
            f"process start-up (spawn to answering HTTP, Python imports mostly): {spread(self.startup)}",
            f"recovery after start-up, deliveries: {spread(self.delivery_after_startup)}; "
            f"inbox: {spread(self.inbox_after_startup)}",
            *(f"problem: {p}" for p in self.problems[:20]),
        ]


class CrashRun:
    """A sequence of crash rounds against one node, with its receiver and database; `figures` grows per round."""

    def __init__(self, workdir: Path, database_url: str, *, hosts: int, seed: int | None, quick: bool) -> None:
        # On SQLite the claims' heartbeat would take over only after 30 s: a quick recovery there shows the
        # take-back at start-up. On PostgreSQL it is what takes over, after 2 s.
        postgres = database_url.startswith("postgres")
        self.engine = LibreTranslateStub()
        # Translation jobs and media fetches carry a lock, no heartbeat: on SQLite the default lock (600 s) shows
        # that a starting node takes them back at once; on PostgreSQL a short one (5 s, longer than the stand-in
        # engine's slowest answer) is what brings a dead process's jobs back.
        self.node = NodeProcess(workdir, database_url, stale_seconds=2 if postgres else 30,
                                translation_url=self.engine.url, translation_lock_seconds=5 if postgres else 600)
        self.receiver = Receiver(hosts=hosts)
        self.db = Database(database_url)
        self.rng = random.Random(seed)
        self.quick = quick
        self.figures = Figures(database="postgresql" if postgres else "sqlite")
        self.answered_stories: set[str] = set()
        self.answered_activities: set[str] = set()
        self.agency: Agency | None = None
        self.media = MediaServer(self.rng)

    async def __aenter__(self) -> "CrashRun":
        await self.engine.start()
        await self.media.start(free_port())
        await self.receiver.start(free_port())
        self.agency = Agency(origin=f"http://127.0.0.1:{self.receiver.port}")
        self.receiver.agency = self.agency
        await asyncio.to_thread(self.node.migrate)
        await seed(self.node.database_url, self.receiver, self.agency)
        await self.node.start()
        await self.receiver.learn_node_key(f"{self.node.base_url}/actors/{HANDLE}")
        await self.db.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.node.stop()
        await self.db.close()
        await self.receiver.stop()
        await self.media.stop()
        await self.engine.stop()

    async def round(self, kind: str) -> None:
        """One crash: `kind` of work, SIGKILL at a random moment of it, restart, drain, check."""
        before = self.receiver.duplicates()
        await getattr(self, "_" + kind.replace("-", "_"))()
        self.figures.faults += 1
        translating, fetching = await jobcrashes.busy_jobs()
        self.figures.interrupted["translations"] += translating
        self.figures.interrupted["fetches"] += fetching
        tmp = self.node.workdir / "media" / "tmp"
        self.figures.interrupted["tmp files"] += len(list(tmp.glob("upload-*"))) if tmp.is_dir() else 0
        self.engine.mode, self.media.seconds = "ok", 0.1
        leftover_deliveries = await self.db.pending_deliveries()
        leftover_items = await self.db.pending_inbox()
        await self.node.start()
        restart = self.node.started_at
        self.figures.startup.append(self.node.ready_at - restart)
        await self._drain()
        if translating or fetching:
            self.figures.job_recovery.append(time.time() - restart)
        await self._check()
        duplicates = self.receiver.duplicates() - before
        self.figures.duplicated += duplicates
        self.figures.max_duplicates = max(self.figures.max_duplicates, duplicates)
        if duplicates > CONCURRENCY:
            self.figures.problems.append(f"{kind}: {duplicates} duplicates after one crash")
        if leftover_deliveries:
            arrivals = [t for key in leftover_deliveries for t in self.receiver.deliveries.get(key, []) if t >= restart]
            if arrivals:
                self.figures.delivery_recovery.append(min(arrivals) - restart)
                self.figures.delivery_after_startup.append(max(0.0, min(arrivals) - self.node.ready_at))
        if leftover_items:
            times = [t for t in await self.db.processed_times(leftover_items) if t >= restart - 1]
            if times:
                self.figures.inbox_recovery.append(max(0.0, min(times) - restart))
                self.figures.inbox_after_startup.append(max(0.0, min(times) - self.node.ready_at))
        self.figures.rounds += 1
        self.figures.per_kind[kind] = self.figures.per_kind.get(kind, 0) + 1

    async def _kill_during(self, work: Any, delay: float) -> None:
        """Run `work` (a coroutine) and SIGKILL the node `delay` seconds after it began."""
        task = asyncio.ensure_future(work)
        await asyncio.sleep(delay)
        self.node.kill()
        await asyncio.wait_for(task, 30)

    async def _publish_api(self) -> None:
        stop = asyncio.Event()

        async def editor(session: aiohttp.ClientSession) -> None:
            while not stop.is_set():
                try:
                    async with session.post(f"{self.node.base_url}/api/stories", json=STORY,
                                            headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                        doc = await resp.json(content_type=None)
                        if resp.status == 201:
                            self.answered_stories.add(doc["id"])
                        elif resp.status >= 500:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                    return

        async def editors() -> None:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                await asyncio.gather(*(editor(session) for _ in range(4)))

        await self._kill_during(editors(), self.rng.uniform(0.3, 1.5 if self.quick else 3.0))
        stop.set()

    async def _publish_cli(self) -> None:
        """`agency-node publish` processes while the node runs; the node killed, and some publishers too."""
        stop = time.monotonic() + self.rng.uniform(1.5, 3.0 if self.quick else 5.0)
        kill_node_at = stop - self.rng.uniform(0.0, 1.0)
        killed_node = False
        while time.monotonic() < stop:
            procs = [self.node.cli("publish", "--headline", STORY["headline"], "--body", STORY["body"],
                                   "--language", "en") for _ in range(2)]
            victim = procs[0] if self.rng.random() < 0.5 else None
            victim_at = time.monotonic() + self.rng.uniform(0.2, 1.5)
            while any(p.poll() is None for p in procs):
                now = time.monotonic()
                if victim is not None and victim.poll() is None and now >= victim_at:
                    victim.kill()
                    self.figures.faults += 1
                if not killed_node and now >= kill_node_at:
                    self.node.kill()
                    killed_node = True
                await asyncio.sleep(0.02)
            for p in procs:
                out, _ = p.communicate()
                if p.returncode == 0:
                    url = out.decode().split()[1]
                    self.answered_stories.add(url.rstrip("/").rsplit("/", 1)[-1])
        if not killed_node:
            self.node.kill()

    async def _fanout(self) -> None:
        """Publish a few stories, kill when a random share of their deliveries has arrived."""
        before = len(self.receiver.deliveries)
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.post(f"{self.node.base_url}/api/stories", json=STORY,
                                        headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                    assert resp.status == 201, await resp.text()
                    self.answered_stories.add((await resp.json())["id"])
        target = before + int(3 * self.receiver.hosts * self.rng.uniform(0.05, 0.9))
        deadline = time.monotonic() + 30
        while len(self.receiver.deliveries) < target and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        self.node.kill()

    async def _embargo_release(self) -> None:
        """Stories embargoed for a second or two; killed around the moment they are due."""
        release = time.time() + self.rng.uniform(1.0, 2.0)
        doc = dict(STORY, embargoed_until=datetime.fromtimestamp(release, timezone.utc).isoformat())
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.post(f"{self.node.base_url}/api/stories", json=doc,
                                        headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                    assert resp.status == 201, await resp.text()
                    self.answered_stories.add((await resp.json())["id"])
        await asyncio.sleep(max(0.0, release - time.time() + self.rng.uniform(-0.2, 0.6)))
        self.node.kill()

    async def _translation(self) -> None:
        """Stories published while the engine answers slowly; killed while their translations run."""
        self.engine.mode, self.engine.delay = "slow", self.rng.uniform(0.3, 0.8)
        async with aiohttp.ClientSession() as session:
            for _ in range(4):
                async with session.post(f"{self.node.base_url}/api/stories", json=STORY,
                                        headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                    assert resp.status == 201, await resp.text()
                    self.answered_stories.add((await resp.json())["id"])
        await self._await_busy(lambda busy: busy[0] > 0)
        await asyncio.sleep(self.rng.uniform(0.0, 0.5 if self.quick else 1.5))
        self.node.kill()

    async def _await_busy(self, condition: Any, timeout: float = 30.0) -> None:
        """Wait until `condition((translating, fetching))` holds, so that the kill interrupts a job."""
        deadline = time.monotonic() + timeout
        while not condition(await jobcrashes.busy_jobs()):
            if time.monotonic() > deadline:
                raise AssertionError(f"no job started within {timeout:.0f} s")
            await asyncio.sleep(0.02)

    async def _media_fetch(self) -> None:
        """A followed agency's stories with pictures served slowly; killed while the files are fetched."""
        assert self.agency is not None
        self.media.seconds = self.rng.uniform(0.5, 1.5)
        async with aiohttp.ClientSession() as session:
            self.answered_activities |= await jobcrashes.send_media_stories(
                session, f"{self.node.base_url}/inbox", self.agency, self.media, stories=3, per_story=2)
        tmp = self.node.workdir / "media" / "tmp"
        # Killed while a file is half-written (in the store's temporary folder), or, in long runs, a little later.
        # The short form kills at once: a later kill can miss every half-written file on a loaded machine, and
        # the short form's one round must leave one to prove the sweep.
        await self._await_busy(lambda busy: busy[1] > 0 and tmp.is_dir() and any(tmp.glob("upload-*")))
        await asyncio.sleep(0.0 if self.quick else self.rng.choice([0.0, self.rng.uniform(0.0, 2.0)]))
        self.node.kill()

    def _tags(self, n: int) -> list[str]:
        return [uuid.uuid4().hex for _ in range(n)]

    async def _inbox_intake(self) -> None:
        assert self.agency is not None
        work = send_creates(f"{self.node.base_url}/inbox", self.agency, self._tags(2000), concurrency=16)
        task = asyncio.ensure_future(work)
        await asyncio.sleep(self.rng.uniform(0.3, 1.5 if self.quick else 3.0))
        self.node.kill()
        self.answered_activities |= await asyncio.wait_for(task, 30)

    async def _inbox_processing(self) -> None:
        """A burst stored while the node runs without workers, then the node restarted with them and killed while
        its inbox worker turns the burst into wire stories (some done, some not): the worker is faster than any
        sender here, so a burst sent to a working node would be done before the kill."""
        assert self.agency is not None
        self.node.stop()
        await self.node.start("--no-workers")
        tags = self._tags(600 if self.quick else 1500)
        answered = await send_creates(f"{self.node.base_url}/inbox", self.agency, tags, concurrency=16)
        self.answered_activities |= answered
        self.node.stop()
        await self.node.start()
        deadline = time.monotonic() + 30
        while len(await self.db.pending_inbox()) >= len(answered):  # until the worker has begun
            if time.monotonic() > deadline:
                raise AssertionError("the inbox worker did not begin within 30 s")
            await asyncio.sleep(0.01)
        await asyncio.sleep(self.rng.uniform(0.0, 0.03))  # a batch takes about 0.05 s: killed inside the burst
        self.node.kill()

    async def _drain(self, timeout: float = 150.0) -> None:  # PostgreSQL media fetches: their lock, 70 s
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.db.drained():
                return
            await asyncio.sleep(0.1)
        self.figures.problems.append(f"queues not drained {timeout:.0f} s after a restart: "
                                     f"{len(await self.db.pending_deliveries())} deliveries, "
                                     f"{len(await self.db.pending_inbox())} inbox items")

    async def _check(self) -> None:
        """Nothing lost, so far: stories, their deliveries (database and receiver), inbox activities."""
        stories = await self.db.stories()
        hosts = self.receiver.hosts
        self.figures.stories = len(stories)
        self.figures.deliveries = sum(rows for creates in stories.values() for _, rows, _ in creates)
        self.figures.activities = len(self.answered_activities)
        lost_stories = [s for s in self.answered_stories if s not in stories]
        lost_deliveries = 0
        for uid, creates in stories.items():
            public = [c for c in creates if c[1]]
            if len(public) != 1:
                self.figures.problems.append(f"story {uid}: sent to its followers {len(public)} times")
            for activity_id, rows, delivered in public:
                if rows != hosts or delivered != hosts:
                    self.figures.problems.append(f"story {uid}: {rows} delivery rows, {delivered} delivered, "
                                                 f"{hosts} inboxes")
                lost_deliveries += sum(1 for inbox in self.receiver.inboxes
                                       if not self.receiver.deliveries.get((activity_id, inbox)))
        states = await self.db.inbox_states(self.answered_activities)
        wire = await self.db.wire_uris()
        lost_activities = [a for a in self.answered_activities
                           if states.get(a) != "processed" or a.replace("/activities/", "/stories/") not in wire]
        self.figures.lost = {"stories": len(lost_stories), "deliveries": lost_deliveries,
                             "activities": len(lost_activities)}
        if self.receiver.refused:
            self.figures.problems.append(f"the receiver refused signatures: {dict(self.receiver.refused)}")
        self.figures.translations = await jobcrashes.check_translations(self.figures.problems)
        self.figures.media_files = await jobcrashes.check_media(self.media, self.node.workdir / "media",
                                                                self.figures.problems)


async def run(rounds: int, *, database_url: str | None = None, hosts: int = 40, seed: int | None = None,
              quick: bool = True, kinds: tuple[str, ...] = KINDS, progress: Any = None) -> Figures:
    """Run `rounds` crash rounds (kinds in turn) on a fresh node and return the figures.

    `database_url`: a PostgreSQL database to use (made empty by the caller); default a SQLite file."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-suite-") as tmp:
        url = database_url or f"sqlite://{Path(tmp) / 'node.sqlite3'}"
        async with CrashRun(Path(tmp), url, hosts=hosts, seed=seed, quick=quick) as crash:
            for i in range(rounds):
                await crash.round(kinds[i % len(kinds)])
                crash.figures.seconds = time.monotonic() - started
                if progress is not None:
                    progress(i + 1, crash.figures)
        return crash.figures
