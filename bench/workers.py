"""Several processes on PostgreSQL: `agency-node run --no-workers` plus 1, 2 and 4 `agency-node worker` processes.

    AGENCY_NODE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/workers.py
    ... bench/workers.py --quick    # smaller runs of the same shape (about a minute)

A fresh database is created on that server (and dropped at the end). Followers sit on shared inboxes of the
receiver of bench/federation.py (`python -m bench._procs receiver`, its own process), which verifies every
signature and counts 2xx per (activity, inbox). For each configuration, and for `agency-node run` with its workers
in the one process as the reference, it prints:

- the time from the publish call to the first delivery of a story, over several stories published one at a time
  onto idle workers (p50 and max): what LISTEN/NOTIFY buys (node/notify.py);
- deliveries per second end to end, several stories published back to back, from the first publish call to the
  last 2xx;
- CPU per delivery summed over the node's processes (web and workers), the PostgreSQL backends serving them, and
  both together;
- the claim cost per delivery, from the counters each process prints when it stops (`federation.claims.CLAIMS`):
  claim statements and claim time (wall clock, summed over workers) per delivery, and claims that found nothing
  (every due row taken by another worker, or none due);
- no inbox served twice: the receiver's repeated (activity, inbox) pairs, and every delivery row recorded
  delivered after one attempt.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    # Run as `python bench/workers.py`: this file's directory would shadow the `federation` package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any  # noqa: E402

from bench._procs import inbox_address  # noqa: E402
from bench.federation import (  # noqa: E402
    AP_JSON, HANDLE, STORY, TOKEN, Child, Report, _free_port, _http, _log, cpu_seconds, node_config,
    start_receiver,
)

POSTGRES_ENV = "AGENCY_NODE_TEST_POSTGRES_URL"
LISTENER = "agency-node listener"  # node/notify.py names its connection so


@dataclass(frozen=True)
class Sizes:
    followers: int = 2000
    inboxes: int = 500
    latency_stories: int = 8  # published one at a time onto idle workers
    burst_stories: int = 10   # published back to back
    workers: tuple[int, ...] = (1, 2, 4)


FULL = Sizes()
QUICK = Sizes(followers=200, inboxes=100, latency_stories=3, burst_stories=3)
TARGET_FIRST_MS = 100.0


# --- PostgreSQL -----------------------------------------------------------------------------------------------------

def _pg(url: str, sql: str, *args: Any) -> list[Any]:
    import asyncpg

    async def _go() -> list[Any]:
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()
    return asyncio.run(_go())


def _backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL backend serving the bench database (the monitoring one excluded)."""
    pids = [r["pid"] for r in _pg(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()")]
    out = {}
    for pid in pids:
        try:
            out[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def _cpu_since(before: dict[int, float], now: dict[int, float]) -> float:
    """CPU used between two snapshots (a process that appeared meanwhile counts from zero)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())


# --- the node's processes ------------------------------------------------------------------------------------------

class Processes:
    """The web process (`run`, with or without workers) and `worker` processes on one PostgreSQL database."""

    def __init__(self, workdir: Path, database_url: str) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config_path = workdir / "node.toml"
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.outputs: list[Path] = []
        self.config_path.write_text(node_config(self.port, database_url), encoding="utf-8")

    def _spawn(self, *command: str) -> subprocess.Popen:
        out = self.workdir / f"{command[0]}-{len(self.outputs)}.log"
        self.outputs.append(out)
        with out.open("w") as fh:
            return subprocess.Popen([sys.executable, "-m", "node.cli", "-c", str(self.config_path), *command],
                                    cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, text=True)

    def migrate(self) -> None:
        subprocess.run([sys.executable, "-m", "node.cli", "-c", str(self.config_path), "migrate"], cwd=ROOT,
                       check=True, capture_output=True)

    def start_web(self, *extra: str) -> None:
        self.web = self._spawn("run", *extra)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise SystemExit(f"bench: the node exited: {self.outputs[-1].read_text()[-2000:]}")
            try:
                status, _ = _http("GET", f"{self.base_url}/actors/{HANDLE}", headers={"Accept": AP_JSON}, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("bench: the node did not answer within 60 s")

    def start_workers(self, count: int) -> None:
        self.workers = [self._spawn("worker") for _ in range(count)]

    def wait_listening(self, count: int) -> None:
        """Until exactly `count` processes listen for the queues' notifications (their workers are running)."""
        deadline = time.monotonic() + 90
        while len(_pg(self.database_url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                         "AND application_name = $1", LISTENER)) != count:
            for proc in [self.web, *self.workers]:
                if proc is not None and proc.poll() is not None:
                    raise SystemExit("bench: a node process exited: " +
                                     "".join(p.read_text()[-1000:] for p in self.outputs))
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: {count} listeners not there within 90 s")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        return [p.pid for p in [self.web, *self.workers] if p is not None and p.poll() is None]

    def publish(self, n: int) -> dict[str, Any]:
        status, doc = _http("POST", f"{self.base_url}/api/stories", {**STORY, "headline": f"{STORY['headline']} {n}"},
                            headers={"Authorization": f"Bearer {TOKEN}"})
        if status != 201:
            raise SystemExit(f"bench: publishing failed: {status} {doc}")
        return doc

    @staticmethod
    def _stop(proc: subprocess.Popen | None) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop_workers(self) -> None:
        for proc in self.workers:
            self._stop(proc)
        self.workers = []

    def stop_web(self) -> None:
        self._stop(self.web)
        self.web = None

    def claim_counts(self, since: int) -> dict[str, float]:
        """The delivery claims printed by the processes stopped since output `since` (summed)."""
        total = {"statements": 0.0, "claims": 0.0, "rows": 0.0, "empty": 0.0, "seconds": 0.0}
        for out in self.outputs[since:]:
            for line in out.read_text().splitlines():
                m = re.match(r"claims delivery: (.*)$", line)
                if m:
                    for pair in m.group(1).split():
                        key, _, value = pair.partition("=")
                        total[key] += float(value)
        return total


# --- the measurements ----------------------------------------------------------------------------------------------

def _seed(url: str, receiver_port: int, sizes: Sizes) -> None:
    """Followers on `sizes.inboxes` shared inboxes, one loopback host each (as bench/federation.py seeds them)."""
    from federation.store.models import Follower, RemoteActor
    from node.db import open_context

    async def _go() -> None:
        ctx = await open_context(url)
        try:
            now = datetime.now(timezone.utc)
            actors = []
            for j in range(sizes.followers):
                host = f"{inbox_address(j % sizes.inboxes)}:{receiver_port}"
                actors.append(RemoteActor(uri=f"http://{host}/users/f{j}", host=host, preferred_username=f"f{j}",
                                          inbox=f"http://{host}/users/f{j}/inbox",
                                          shared_inbox=f"http://{host}/inbox", fetched_at=now))
            await RemoteActor.bulk_create(actors, batch_size=500)
            ids = await RemoteActor.all().order_by("id").values_list("id", flat=True)
            await Follower.bulk_create([Follower(actor_id=i, local=HANDLE, state="accepted",
                                                 follow_activity_id=f"http://follow.example/{i}") for i in ids],
                                       batch_size=500)
            # Statistics, as a database in use has them (autovacuum analyses a table after its first rows, but
            # only on its next round, up to a minute later): without them PostgreSQL plans the followers' join
            # for a table of one row, a nested loop over both tables, 3 ms of the publish call for 200 followers
            # and a 2000 x 2000 loop in the full run.
            await Follower._meta.db.execute_script("ANALYZE")
        finally:
            await ctx.close_connections()
    asyncio.run(_go())


def _wait_received(control: str, count: int, what: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        _, stats = _http("GET", f"{control}/_stats")
        if stats["ok"] >= count or stats["bad"]:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} stalled at {stats['ok']} of {count}")
        time.sleep(0.005)
    if stats["bad"]:
        raise SystemExit(f"bench: the receiver refused signatures: {stats['bad']}")
    return stats


def _wait_recorded(url: str, first_activity: int, expected: int) -> int:
    """Until every delivery row of the activities from `first_activity` on is recorded delivered; returns how many
    of them were attempted more than once."""
    deadline = time.monotonic() + 60
    while True:
        (row,) = _pg(url, "SELECT count(*) FILTER (WHERE state = 'delivered') AS delivered, count(*) AS total, "
                          "count(*) FILTER (WHERE attempts > 1) AS again FROM delivery WHERE activity_id >= $1",
                     first_activity)
        if row["delivered"] == row["total"] == expected:
            return int(row["again"])
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: delivery rows not all recorded as delivered: {dict(row)} of {expected}")
        time.sleep(0.05)


def _next_activity(url: str) -> int:
    return int(_pg(url, "SELECT coalesce(max(id), 0) + 1 AS n FROM outbox_activity")[0]["n"])


@dataclass
class Result:
    label: str
    first_ms: list[float] = field(default_factory=list)
    publish_ms: list[float] = field(default_factory=list)
    rate: float = 0.0
    deliveries: int = 0
    cpu_node_ms: float = 0.0
    cpu_pg_ms: float = 0.0
    claim_statements: float = 0.0
    claim_ms: float = 0.0
    claims_won: float = 0.0  # claims that won rows, per delivery
    claims_empty: int = 0
    after_return_ms: list[float] = field(default_factory=list)
    repeats: int = 0
    retried_rows: int = 0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)


def measure(procs: Processes, control: str, sizes: Sizes, label: str) -> Result:
    """Latency stories one at a time, then a burst of stories; the processes must be running and listening."""
    res = Result(label)
    url = procs.database_url
    # Counted from here to the end of the configuration, never reset: an activity sent again to an inbox late (after
    # a stale claim was taken over) is a repeat whenever it comes.
    _http("POST", f"{control}/_stats")
    n = 0
    for _ in range(sizes.latency_stories):
        n += 1
        first_activity = _next_activity(url)
        start = time.monotonic()
        procs.publish(n)
        returned = time.monotonic()
        res.publish_ms.append((returned - start) * 1000)
        stats = _wait_received(control, n * sizes.inboxes, "a story")
        (digest,) = [r["digest"] for r in _pg(url, "SELECT digest FROM outbox_activity WHERE id >= $1",
                                               first_activity)]
        first = stats["firsts"][digest]  # both clocks are the system's CLOCK_MONOTONIC
        res.first_ms.append((first - start) * 1000)
        res.after_return_ms.append((first - returned) * 1000)
        res.retried_rows += _wait_recorded(url, first_activity, sizes.inboxes)
    # The burst: CPU and claims counted from here (the claim counters come when the processes stop).
    before = n * sizes.inboxes
    first_activity = _next_activity(url)
    cpu_node = {pid: cpu_seconds(pid) for pid in procs.pids()}
    cpu_pg = _backend_cpu(url)
    expected = sizes.burst_stories * sizes.inboxes
    start = time.monotonic()
    for _ in range(sizes.burst_stories):
        n += 1
        procs.publish(n)
    stats = _wait_received(control, before + expected, "the burst")
    res.deliveries = stats["ok"] - before
    res.rate = res.deliveries / (stats["last"] - start)
    if stats["activities"] != n or stats["inboxes"] != sizes.inboxes:
        raise SystemExit(f"bench: {stats['activities']} activities to {stats['inboxes']} inboxes, expected "
                         f"{n} to {sizes.inboxes}")
    res.retried_rows += _wait_recorded(url, first_activity, expected)
    res.cpu_node_ms = sum(cpu_seconds(pid) - cpu_node.get(pid, 0.0) for pid in procs.pids()) / res.deliveries * 1000
    res.cpu_pg_ms = _cpu_since(cpu_pg, _backend_cpu(url)) / res.deliveries * 1000
    res.load = os.getloadavg()
    _, stats = _http("GET", f"{control}/_stats")  # after every row is recorded: nothing is in flight any more
    res.repeats = stats["repeats"]
    return res


def _finish_claims(res: Result, procs: Processes, outputs_from: int, sizes: Sizes) -> None:
    """Claim cost per delivery over the whole configuration (latency stories and burst), from the stopped processes."""
    counts = procs.claim_counts(outputs_from)
    total = sizes.latency_stories * sizes.inboxes + sizes.burst_stories * sizes.inboxes
    if not counts["rows"]:
        raise SystemExit("bench: the processes printed no delivery claims")
    res.claim_statements = counts["statements"] / total
    res.claim_ms = counts["seconds"] / total * 1000
    res.claims_won = counts["claims"] / total
    res.claims_empty = int(counts["empty"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/workers.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs of the same shape (about a minute)")
    parser.add_argument("--workers", default="", help="comma-separated worker counts (default 1,2,4)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (config, the processes' output)")
    args = parser.parse_args(argv)
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        print(f"bench/workers.py needs a PostgreSQL server: set {POSTGRES_ENV} "
              "(e.g. postgres://postgres@127.0.0.1:5432/test)", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    if args.workers:
        sizes = Sizes(**{**sizes.__dict__, "workers": tuple(int(w) for w in args.workers.split(","))})
    load = os.getloadavg()
    print(f"Agency Node several-processes benchmark on PostgreSQL ({'quick' if args.quick else 'full'}), "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    print(f"{sizes.followers} followers on {sizes.inboxes} shared inboxes; {sizes.latency_stories} stories one at a "
          f"time, then {sizes.burst_stories} back to back", flush=True)

    name = f"agency_bench_{uuid.uuid4().hex[:10]}"
    _pg(admin_url, f'CREATE DATABASE "{name}"')
    db_url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="agency-bench-workers-"))
    children: list[Child] = []
    procs = Processes(workdir, db_url)
    results: list[Result] = []
    try:
        _, receiver_port, control = start_receiver(sizes.inboxes, children)
        _log(f"database {name}: migrate, {sizes.followers} followers")
        procs.migrate()
        _seed(db_url, receiver_port, sizes)

        configurations = [0, *sizes.workers]
        for workers in configurations:
            since = len(procs.outputs)
            if workers == 0:
                label = "`run`, workers in the web process"
                procs.start_web()
            else:
                label = f"`run --no-workers` + {workers} `worker`"
                if procs.web is None:
                    procs.start_web("--no-workers")
                since = len(procs.outputs)
                procs.start_workers(workers)
            if workers == configurations[0]:  # the receiver verifies with the node's key (made at the first start)
                _, actor_doc = _http("GET", f"{procs.base_url}/actors/{HANDLE}", headers={"Accept": AP_JSON})
                _http("POST", f"{control}/_setup", {"public_key_pem": actor_doc["publicKey"]["publicKeyPem"]})
            procs.wait_listening(max(workers, 1))
            _log(f"{label}: measuring")
            res = measure(procs, control, sizes, label)
            if workers == 0:
                procs.stop_web()
            else:
                procs.stop_workers()
            procs.wait_listening(0)  # the next configuration counts only its own listeners
            _finish_claims(res, procs, since, sizes)
            results.append(res)
            _log(f"{label}: first delivery p50 {statistics.median(res.first_ms):.0f} ms, {res.rate:,.0f}/s, "
                 f"CPU {res.cpu_node_ms + res.cpu_pg_ms:.2f} ms per delivery")
        procs.stop_web()
    finally:
        procs.stop_workers()
        procs.stop_web()
        for child in children:
            child.stop()
        try:
            _pg(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - say so, and leave the database for the operator
            print(f"bench: could not drop database {name}: {exc}", file=sys.stderr)
        if args.keep:
            print(f"bench: work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    _print(results, sizes)
    return 0


def _print(results: list[Result], sizes: Sizes) -> None:
    report = Report()
    one = next((r for r in results if "+ 1 " in r.label), results[0])
    for r in results:
        first = sorted(r.first_ms)
        p50, worst = statistics.median(first), first[-1]
        mark = "met" if worst <= TARGET_FIRST_MS else "MISSED"
        report.add(f"{r.label}: publish call to first delivery, p50 / max of {len(first)} stories (ms)",
                   f"{p50:.0f} / {worst:.0f}",
                   f"the call itself p50 {statistics.median(r.publish_ms):.0f} ms; its return to the first "
                   f"delivery p50 {statistics.median(r.after_return_ms):.0f} ms", "",
                   f"max <= {TARGET_FIRST_MS:.0f} ms {mark}")
        report.add(f"{r.label}: deliveries/s end to end, {sizes.burst_stories} stories back to back",
                   f"{r.rate:,.0f}", "", f"{r.rate / results[0].rate:.2f} of `run`" if r is not results[0] else "")
        report.add(f"{r.label}: CPU per delivery, node processes + PostgreSQL backends (ms)",
                   f"{r.cpu_node_ms + r.cpu_pg_ms:.2f}", f"node {r.cpu_node_ms:.2f}, PostgreSQL {r.cpu_pg_ms:.2f}")
        report.add(f"{r.label}: claim cost per delivery: statements / claims that won rows / wall ms (all workers)",
                   f"{r.claim_statements:.3f} / {r.claims_won:.4f} / {r.claim_ms:.3f}",
                   f"{r.claims_empty} claims found nothing",
                   f"{r.claim_statements / one.claim_statements:.2f} of 1 worker" if one.claim_statements else "",
                   "not growing with workers")
        report.add(f"{r.label}: inboxes served twice (receiver: repeated (activity, inbox)) / rows sent again",
                   f"{r.repeats} / {r.retried_rows}", "", "", "0 " + ("met" if r.repeats == 0 else "MISSED"))
    load = results[-1].load if results else os.getloadavg()
    report.print()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
