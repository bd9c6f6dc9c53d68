"""The crash suite's node: `agency-node run` as a real process (started, SIGKILLed, restarted) on its own config,
the looks the suite takes at its database (through the models, SQLite and PostgreSQL alike), and the seeding of
its followers and of the agency it follows."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from tests.faults.jobcrashes import TARGETS, pending_jobs
from tests.faults.receiver import Agency, Receiver

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "crash-suite-token-not-secret"
HANDLE = "crashnews"
CONCURRENCY = 64  # delivery.concurrency: the requests in flight, the bound on duplicates per crash
FANOUT_BATCH = 8  # delivery.fanout_batch: followers per expansion batch (tens of hosts: several batches a story)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeProcess:
    """`agency-node run` on its own config, started, killed and restarted as an operator's machine would."""

    def __init__(self, workdir: Path, database_url: str, stale_seconds: float, translation_url: str,
                 translation_lock_seconds: float = 600) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.config = workdir / "node.toml"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_at = 0.0
        self.env: dict[str, str] = {}  # extra environment of the node process (a faked clock, say)
        from node.config import hash_token

        self.config.write_text(f"""
[node]
base_url = "{self.base_url}"
listen_port = {self.port}
database_url = "{database_url}"
log_level = "WARNING"

[agency]
handle = "{HANDLE}"
name = "Crash News Agency"

[api]
token_sha256 = "{hash_token(TOKEN)}"

[federation]
allow_private_addresses = true

[delivery]
concurrency = {CONCURRENCY}
timeout_seconds = 5
base_delay_seconds = 0.2
max_delay_seconds = 2
heartbeat_seconds = 0.5
stale_claim_seconds = {stale_seconds}
# A story reaches its followers through a two-stage fan-out (federation/expansion.py) of several batches, so
# the kills also land while followers are being expanded into delivery rows.
fanout_batch = {FANOUT_BATCH}
[media]
dir = "{workdir / 'media'}"
fetch_timeout_seconds = 5
fetch_max_seconds = 10

[translation]
engine = "libretranslate"
url = "{translation_url}"
allow_private_engine = true
targets = {json.dumps(list(TARGETS))}
base_delay_seconds = 0.2
max_delay_seconds = 2
lock_seconds = {translation_lock_seconds}
""", encoding="utf-8")

    def cli(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "node.cli", "-c", str(self.config), *args], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def migrate(self) -> None:
        out = self.cli("migrate")
        _, err = out.communicate(timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"migrate failed: {err.decode()[-2000:]}")

    async def start(self, *run_args: str) -> None:
        """Spawn the node (`run` with `run_args`, e.g. `--no-workers`) and wait until it answers HTTP;
        `started_at` is the spawn time."""
        self.started_at = time.time()
        self.log = open(self.workdir / "node.log", "ab")
        # An installed node keeps its bytecode cache; a machine that sets PYTHONDONTWRITEBYTECODE (CI here does)
        # would make every restart recompile the whole project and measure the compiler, not the recovery.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.proc = subprocess.Popen([sys.executable, "-m", "node.cli", "-c", str(self.config), "run", *run_args],
                                     cwd=ROOT,
                                     stdout=self.log, stderr=self.log, env={**env, **self.env})
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the node exited ({self.proc.returncode}); see {self.workdir / 'node.log'}")
                try:
                    async with session.get(f"{self.base_url}/healthz") as resp:
                        await resp.read()
                        self.ready_at = time.time()
                        return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("the node did not answer within 60 s")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


class Database:
    """Read-only looks at the node's database through the models (SQLite or PostgreSQL alike)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ctx: Any = None

    async def open(self) -> None:
        from node.db import open_context

        self.ctx = await open_context(self.url)

    async def close(self) -> None:
        if self.ctx is not None:
            await self.ctx.close_connections()

    async def pending_deliveries(self) -> set[tuple[str, str]]:
        from federation.store.models import Delivery

        rows = await Delivery.filter(state__in=["queued", "sending"]).values_list("activity__activity_id", "inbox")
        return {(a, i) for a, i in rows}

    async def pending_inbox(self) -> list[int]:
        from federation.store.models import InboxItem

        return list(await InboxItem.filter(state__in=["received", "processing"]).values_list("id", flat=True))

    async def drained(self) -> bool:
        from node.stories.models import Story

        due = await Story.filter(state="scheduled", embargoed_until__lte=datetime.now(timezone.utc)).exists()
        # Expansions first: a job that finishes after this check wrote its last rows before the deliveries are
        # looked at, so those rows are seen as pending.
        return (not due and not await pending_expansions() and not await self.pending_deliveries()
                and not await self.pending_inbox() and not await pending_jobs())

    async def stories(self) -> dict[str, list[tuple[str, int, int]]]:
        """uuid -> [(Create activity id, delivery rows, delivered rows)] for every stored story: one Create when
        published, two when embargoed (the first for trusted partners only, none here; the second at release)."""
        from federation.store.models import Delivery, OutboxActivity
        from node.stories.models import Story

        by_id = dict(await Story.all().values_list("id", "uuid"))
        out: dict[str, list[tuple[str, int, int]]] = {uid: [] for uid in by_id.values()}
        for act_id, activity_id, subject in await OutboxActivity.filter(type="Create").values_list(
                "id", "activity_id", "subject_id"):
            rows = await Delivery.filter(activity_id=act_id).values_list("state", flat=True)
            out.setdefault(by_id.get(subject, f"?{subject}"), []).append(
                (activity_id, len(rows), sum(s == "delivered" for s in rows)))
        return out

    async def inbox_states(self, activity_ids: set[str]) -> dict[str, str]:
        from federation.store.models import InboxItem

        ids = list(activity_ids)
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            found.update(dict(await InboxItem.filter(activity_id__in=ids[i:i + 500]).values_list("activity_id",
                                                                                              "state")))
        return found

    async def wire_uris(self) -> set[str]:
        from node.wire.models import WireStory

        return set(await WireStory.all().values_list("uri", flat=True))

    async def processed_times(self, item_ids: list[int]) -> list[float]:
        from federation.store.models import InboxItem

        times = await InboxItem.filter(id__in=item_ids, processed_at__isnull=False).values_list("processed_at",
                                                                                                 flat=True)
        return [t.replace(tzinfo=t.tzinfo or timezone.utc).timestamp() for t in times]


async def pending_expansions() -> bool:
    """Whether a story's followers are still being expanded into delivery rows (federation/expansion.py)."""
    from federation.store.models import FanoutExpansion

    return await FanoutExpansion.filter(state="expanding").exists()


async def seed(db_url: str, receiver: Receiver, agency: Agency) -> None:
    """One follower per receiver host (its shared inbox), and the followed agency with its key."""
    from federation.store.models import Follower, Following, RemoteActor
    from node.db import open_context

    ctx = await open_context(db_url)
    try:
        now = datetime.now(timezone.utc)
        for i, inbox in enumerate(receiver.inboxes):
            host = inbox.split("/")[2]
            actor = await RemoteActor.create(uri=f"http://{host}/users/r{i}", host=host, preferred_username=f"r{i}",
                                             inbox=f"http://{host}/users/r{i}/inbox", shared_inbox=inbox,
                                             fetched_at=now)
            await Follower.create(actor=actor, local=HANDLE, state="accepted",
                                  follow_activity_id=f"http://{host}/follows/{i}")
        press = await RemoteActor.create(uri=agency.actor, host=agency.origin.split("/")[2], type="Organization",
                                         preferred_username=agency.name, inbox=f"{agency.actor}/inbox",
                                         key_id=agency.key_id, public_key_pem=agency.public_pem, document={},
                                         fetched_at=now)
        await Following.create(actor=press, local=HANDLE, state="accepted",
                               follow_activity_id=f"http://127.0.0.1/follows/{HANDLE}-press")
    finally:
        await ctx.close_connections()
