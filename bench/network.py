"""The network at scale, simulated: 30 agency nodes that follow each other and 10,000 follower hosts, one day of
stories compressed into minutes, on loopback.

    .venv/bin/python bench/network.py            # 30 nodes, 10,000 hosts, 2 x 4 minutes of stories (~12 min)
    .venv/bin/python bench/network.py --quick    # 4 nodes, 200 hosts, 2 x 12 s of stories (under a minute)

Every agency is a real node: `agency-node run` in a process of its own (web server and workers in one process,
default delivery settings) on its own SQLite file. The agencies follow each other (seeded through the models, as
bench/federation.py seeds its followers); a story goes to the other agencies as signed deliveries that each node
verifies, stores and turns into a wire story. The follower hosts are one receiver process (`python -m bench._procs
hosts`): a shared inbox on its own loopback address per host, which verifies every signature with the sending
agency's key and notes when each story reached it. Each host follows 1 to 5 agencies, chosen with Zipf-like
popularity, so audiences range from a few hundred hosts to a few thousand. Each agency publishes stories at
Poisson-random times over the window (a day compressed into it).

It prints, for a healthy network and again with 10% of the follower hosts impaired (half down: their address
refuses connections; half slow: they answer after a delay), the time for a story to reach 50%, 99% and 100% of
its inboxes, queue depth, CPU per delivery and more, as a table, and plots them (matplotlib, `pip install
'agency-node[bench]'`) into a PNG beside the JSON output (`--out`). bench/README.md says what each figure is.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    # Run as `python bench/network.py`: this file's directory would shadow the `federation` package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any  # noqa: E402

from bench import federation as fed  # noqa: E402
from bench.federation import _log  # noqa: E402
from bench._procs import inbox_address  # noqa: E402
from federation.keys import generate_rsa_pem  # noqa: E402

HANDLE = fed.HANDLE


@dataclass(frozen=True)
class Sizes:
    nodes: int = 30
    hosts: int = 10000
    follows_per_host: float = 2.5  # mean; each host follows 1 + Poisson(mean - 1) agencies, at most 5
    stories_per_agency: float = 4.0  # mean of the Poisson process over the window
    window_seconds: float = 240.0  # one day of stories compressed into this
    impaired: float = 0.10  # share of follower hosts down or slow in the second scenario
    down_share: float = 0.5  # of those, the share that is down; the others are slow
    slow_seconds: float = 2.0
    sample_seconds: float = 1.0
    idle_seconds: float = 5.0
    drain_timeout: float = 420.0  # after the last publish call, at most this long for every reachable inbox


FULL = Sizes()
QUICK = Sizes(nodes=4, hosts=200, stories_per_agency=2.0, window_seconds=10.0, slow_seconds=1.0,
              sample_seconds=0.5, idle_seconds=1.5, drain_timeout=90.0)
ZIPF_EXPONENT = 0.8
MAX_FOLLOWS = 5
SCENARIOS = ("healthy", "impaired")


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --- the network's shape ------------------------------------------------------------------------------------

@dataclass
class Network:
    """Who follows whom: `audiences[i]` are the host indices following agency i."""

    audiences: list[list[int]]
    down: list[int] = field(default_factory=list)
    slow: list[int] = field(default_factory=list)

    @staticmethod
    def make(sizes: Sizes, rng: random.Random) -> "Network":
        n = sizes.nodes
        weights = [1 / (r + 1) ** ZIPF_EXPONENT for r in range(n)]
        audiences: list[list[int]] = [[] for _ in range(n)]
        for host in range(sizes.hosts):
            k = min(n, MAX_FOLLOWS, 1 + _poisson(rng, sizes.follows_per_host - 1))
            chosen: set[int] = set()
            while len(chosen) < k:
                chosen.add(rng.choices(range(n), weights)[0])
            for agency in chosen:
                audiences[agency].append(host)
        impaired = rng.sample(range(sizes.hosts), round(sizes.impaired * sizes.hosts))
        split = round(len(impaired) * sizes.down_share)
        return Network(audiences, down=sorted(impaired[:split]), slow=sorted(impaired[split:]))

    def reachable(self, agency: int, down: set[int]) -> int:
        return sum(1 for h in self.audiences[agency] if h not in down)


def _stories_plan(sizes: Sizes, rng: random.Random) -> list[tuple[float, int]]:
    """(seconds into the window, agency) of every story: each agency a Poisson process over the window."""
    plan = []
    rate = sizes.stories_per_agency / sizes.window_seconds
    for agency in range(sizes.nodes):
        t = rng.expovariate(rate)
        while t < sizes.window_seconds:
            plan.append((t, agency))
            t += rng.expovariate(rate)
    return sorted(plan)


# --- the agencies ---------------------------------------------------------------------------------------------

@dataclass
class Agency:
    index: int
    node: fed.NodeProcess
    private_pem: str
    public_pem: str
    readers: dict[int, sqlite3.Connection] = field(default_factory=dict)  # per thread

    @property
    def actor(self) -> str:
        return f"{self.node.base_url}/actors/{HANDLE}"

    @property
    def key_id(self) -> str:
        return self.actor + "#main-key"

    def read(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """A query on the node's database through a read-only connection kept open (WAL: never blocks it)."""
        reader = self.readers.get(threading.get_ident())
        if reader is None:
            reader = sqlite3.connect(f"file:{self.node.db_file}?mode=ro", uri=True, timeout=30,
                                     check_same_thread=False)  # closed by close(), from the main thread
            self.readers[threading.get_ident()] = reader
        return reader.execute(sql, params).fetchall()

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()
        self.readers.clear()


def _seed(agency: Agency, agencies: list[Agency], network: Network, hosts_port: int) -> None:
    """The agency's own key, its follower hosts, and every other agency as follower and followed."""
    from federation.store.models import Follower, Following, RemoteActor
    from node.identity.models import ActorKey

    async def _insert() -> None:
        now = datetime.now(timezone.utc)
        await ActorKey.create(actor=HANDLE, private_key_pem=agency.private_pem, public_key_pem=agency.public_pem)
        actors = []
        for h in network.audiences[agency.index]:
            host = f"{inbox_address(h)}:{hosts_port}"
            actors.append(RemoteActor(uri=f"http://{host}/users/reader", host=host, preferred_username="reader",
                                      inbox=f"http://{host}/users/reader/inbox", shared_inbox=f"http://{host}/inbox",
                                      fetched_at=now))
        peers = [a for a in agencies if a is not agency]
        for peer in peers:
            actors.append(RemoteActor(uri=peer.actor, host=peer.node.base_url.split("//", 1)[1],
                                      type="Organization", preferred_username=HANDLE, inbox=peer.actor + "/inbox",
                                      shared_inbox=peer.node.base_url + "/inbox", key_id=peer.key_id,
                                      public_key_pem=peer.public_pem, fetched_at=now))
        await RemoteActor.bulk_create(actors, batch_size=500)
        ids = dict(await RemoteActor.all().values_list("uri", "id"))
        await Follower.bulk_create([Follower(actor_id=i, local=HANDLE, state="accepted",
                                             follow_activity_id=f"{uri}#follows-{agency.index}")
                                    for uri, i in ids.items()], batch_size=500)
        await Following.bulk_create([Following(actor_id=ids[p.actor], local=HANDLE, state="accepted",
                                               follow_activity_id=f"{agency.actor}#follow-{p.index}")
                                     for p in peers], batch_size=500)

    agency.node.write(_insert)


def _migrated_template(workdir: Path) -> Path:
    """One migrated SQLite file that every agency's database starts as a copy of (`agency-node migrate` once)."""
    workdir.mkdir(parents=True)
    node = fed.NodeProcess(workdir)
    node.migrate()
    conn = sqlite3.connect(node.db_file)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return node.db_file


def _cpu(pid: int) -> float:
    try:
        return fed.cpu_seconds(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def _rss_mib(pid: int) -> float:
    try:
        return fed.proc_kib(pid, "VmRSS") / 1024
    except RuntimeError:  # no VmRSS: the process is exiting
        return 0.0


# --- one scenario -------------------------------------------------------------------------------------------------

class Sampler(threading.Thread):
    """Queue depth over time: delivery rows waiting or in flight and inbox items not yet processed, summed over
    every node, and the follower hosts' 2xx so far."""

    def __init__(self, agencies: list[Agency], control: str, interval: float, start: float) -> None:
        super().__init__(daemon=True)
        self.agencies, self.control, self.interval, self.start_at = agencies, control, interval, start
        self.samples: list[tuple[float, int, int, int]] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            t = time.time() - self.start_at
            queued = sum(a.read("SELECT count(*) FROM delivery WHERE state IN ('queued', 'sending')")[0][0]
                         for a in self.agencies)
            backlog = sum(a.read("SELECT count(*) FROM inbox_item WHERE state IN ('received', 'processing')")[0][0]
                          for a in self.agencies)
            ok = fed._http("GET", f"{self.control}/_stats")[1]["ok"]
            self.samples.append((round(t, 3), queued, backlog, ok))
            self.stop_event.wait(self.interval)


def _publish(agency: Agency, n: int) -> tuple[float, float, str]:
    story = {**fed.STORY, "headline": f"{fed.STORY['headline']} ({agency.index}-{n})"}
    started = time.time()
    status, doc = fed._http("POST", f"{agency.node.base_url}/api/stories", story,
                            headers={"Authorization": f"Bearer {fed.TOKEN}"})
    if status != 201:
        raise SystemExit(f"bench: publishing on agency {agency.index} failed: {status} {doc}")
    return started, time.time(), f"{agency.node.base_url}/stories/{doc['id']}"


def run_scenario(name: str, agencies: list[Agency], network: Network, hosts: fed.Child, control: str,
                 sizes: Sizes, plan: list[tuple[float, int]]) -> dict[str, Any]:
    """Publish the plan's stories at their times and follow each to every inbox it can reach."""
    impaired = name == "impaired"
    down = set(network.down) if impaired else set()
    status, _ = fed._http("POST", f"{control}/_setup", {
        "keys": {a.key_id: a.public_pem for a in agencies},
        "down": [inbox_address(h) for h in network.down] if impaired else [],
        "slow": [inbox_address(h) for h in network.slow] if impaired else [],
        "slow_seconds": sizes.slow_seconds})
    if status != 200:
        raise SystemExit(f"bench: the hosts receiver refused its setup: {status}")
    before = {a.index: (a.read("SELECT coalesce(max(id), 0) FROM inbox_item")[0][0],
                        a.read("SELECT coalesce(max(id), 0) FROM delivery")[0][0]) for a in agencies}
    pids = [a.node.proc.pid for a in agencies if a.node.proc is not None]

    # What the idle nodes cost (workers polling, heartbeats): subtracted in one of the CPU rows.
    idle_start, idle_cpu = time.time(), sum(_cpu(p) for p in pids)
    time.sleep(sizes.idle_seconds)
    idle_rate = (sum(_cpu(p) for p in pids) - idle_cpu) / (time.time() - idle_start)

    load_before = os.getloadavg()
    _log(f"{name}: {len(plan)} stories over {sizes.window_seconds:.0f} s"
         + (f"; {len(network.down)} hosts down, {len(network.slow)} slow ({sizes.slow_seconds:g} s)"
            if impaired else ""))
    start = time.time()
    cpu_nodes, cpu_hosts = sum(_cpu(p) for p in pids), _cpu(hosts.proc.pid)
    sampler = Sampler(agencies, control, sizes.sample_seconds, start)
    sampler.start()
    published: list[dict[str, Any]] = []
    counts = [0] * len(agencies)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = []
        for at, i in plan:
            delay = start + at - time.time()
            if delay > 0:
                time.sleep(delay)
            counts[i] += 1
            futures.append((i, pool.submit(_publish, agencies[i], counts[i])))
        for i, future in futures:
            started, returned, url = future.result()
            published.append({"agency": i, "url": url, "published": started, "call": returned - started})
    expected_hosts = sum(network.reachable(s["agency"], down) for s in published)
    expected_items = len(published) * (len(agencies) - 1)

    def agency_items() -> tuple[int, int]:
        got = backlog = 0
        for a in agencies:
            got += a.read("SELECT count(*) FROM inbox_item WHERE type = 'Create' AND id > ?", before[a.index][0])[0][0]
            backlog += a.read("SELECT count(*) FROM inbox_item WHERE state IN ('received', 'processing') "
                              "AND id > ?", before[a.index][0])[0][0]
        return got, backlog

    deadline = time.time() + sizes.drain_timeout
    while True:
        stats = fed._http("GET", f"{control}/_stats")[1]
        got, backlog = agency_items()
        if stats["bad"]:
            raise SystemExit(f"bench: the hosts refused signatures: {stats['bad']}")
        if stats["ok"] >= expected_hosts and got >= expected_items and backlog == 0:
            break
        if time.time() > deadline:
            _log(f"{name}: gave up waiting: {stats['ok']} of {expected_hosts} host inboxes, {got} of "
                 f"{expected_items} agency inboxes, {backlog} not processed")
            break
        time.sleep(0.2)
    finished = time.time()
    cpu_nodes = sum(_cpu(p) for p in pids) - cpu_nodes
    cpu_hosts = _cpu(hosts.proc.pid) - cpu_hosts
    time.sleep(sizes.sample_seconds * 2)  # a last sample or two of the settled queues
    sampler.stop_event.set()
    sampler.join()
    rss = [_rss_mib(p) for p in pids]

    arrivals: dict[str, list[float]] = fed._http("GET", f"{control}/_arrivals")[1]
    wire: dict[str, list[tuple[float, float | None]]] = {}
    for a in agencies:
        for object_id, received, processed in a.read(
                "SELECT json_extract(body, '$.object.id'), received_at, processed_at FROM inbox_item "
                "WHERE type = 'Create' AND id > ?", before[a.index][0]):
            wire.setdefault(object_id, []).append((_ts(received), _ts(processed) if processed else None))
    undelivered = attempts = 0
    for a in agencies:
        for state, count, tries in a.read("SELECT state, count(*), sum(attempts) FROM delivery WHERE id > ? "
                                          "GROUP BY state", before[a.index][1]):
            if state != "delivered":
                undelivered += count
                attempts += tries or 0
    parked = sum(a.read("SELECT count(*) FROM host_health WHERE parked")[0][0] for a in agencies)

    for story in published:
        agency = story["agency"]
        host_times = arrivals.get(story["url"], [])
        agency_times = wire.get(story["url"], [])
        times = sorted([t - story["published"] for t in host_times]
                       + [r - story["published"] for r, _ in agency_times])
        inboxes = network.reachable(agency, down) + len(agencies) - 1
        story["inboxes"] = inboxes
        story["reached"] = len(times)
        story["times"] = [round(t, 4) for t in times]
        for q in (0.5, 0.99, 1.0):
            rank = max(1, math.ceil(q * inboxes))
            story[f"t{round(q * 100)}"] = times[rank - 1] if len(times) >= rank else None
        processed = [p for _, p in agency_times if p is not None]
        story["wire"] = (max(processed) - story["published"]
                         if len(processed) == len(agencies) - 1 else None)
    deliveries = stats["ok"] + got
    last = max([max(v) for v in arrivals.values() if v] + [r for v in wire.values() for r, _ in v] or [finished])
    return {
        "name": name, "stories": published, "samples": sampler.samples, "deliveries": deliveries,
        "host_deliveries": stats["ok"], "agency_deliveries": got, "duplicates": stats["duplicates"],
        "seconds": last - start, "cpu_nodes": cpu_nodes, "cpu_hosts": cpu_hosts, "idle_rate": idle_rate,
        "busy_seconds": finished - start, "undelivered": undelivered, "failed_attempts": attempts, "parked": parked,
        "load_before": load_before, "load_after": os.getloadavg(), "rss_mib": rss,
        "down": len(down), "slow": len(network.slow) if impaired else 0,
        "complete": stats["ok"] >= expected_hosts and got >= expected_items,
    }


def _ts(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


# --- report -------------------------------------------------------------------------------------------------------

def _seconds(values: list[float | None], *qs: float) -> str:
    got = [v for v in values if v is not None]
    missing = len(values) - len(got)
    if not got:
        return "never"
    text = " / ".join(f"{_quantile(got, q):.2f}" for q in qs) + " s"
    return text + (f" ({missing} never)" if missing else "")


def figures(result: dict[str, Any], nodes: int) -> dict[str, str]:
    """The table's rows for one scenario, by figure name."""
    stories = result["stories"]
    d = max(result["deliveries"], 1)
    busy = result["busy_seconds"]
    net = result["cpu_nodes"] - result["idle_rate"] * busy
    inboxes = [s["inboxes"] for s in stories]
    return {
        "stories published": f"{len(stories)}",
        "inboxes per story (agencies + follower hosts), mean / max": (
            f"{statistics.mean(inboxes):,.0f} / {max(inboxes):,}" if inboxes else "0"),
        "deliveries answered 2xx (to hosts + to agencies)": (
            f"{result['deliveries']:,} ({result['host_deliveries']:,} + {result['agency_deliveries']:,})"),
        "time to 50% of inboxes, median / p95 / max of stories": _seconds([s["t50"] for s in stories], .5, .95, 1),
        "time to 99% of inboxes, median / p95 / max of stories": _seconds([s["t99"] for s in stories], .5, .95, 1),
        "time to 100% of inboxes, median / p95 / max of stories": _seconds([s["t100"] for s in stories], .5, .95, 1),
        "time until every agency has it on its wire, median / p95": _seconds([s["wire"] for s in stories], .5, .95),
        "publish call, median / p95": (f"{_quantile([s['call'] for s in stories], .5) * 1000:.0f} / "
                                       f"{_quantile([s['call'] for s in stories], .95) * 1000:.0f} ms"),
        "peak delivery queue (rows queued or sending, all nodes)": f"{max(s[1] for s in result['samples']):,}",
        "peak inbox backlog (items not yet processed, all nodes)": f"{max(s[2] for s in result['samples']):,}",
        "deliveries/s, first publish to last 2xx": f"{result['deliveries'] / max(result['seconds'], 1e-9):,.0f}",
        f"node CPU per delivery ({nodes} processes, all their work)": f"{result['cpu_nodes'] / d * 1000:.2f} ms",
        "node CPU per delivery, idle nodes' CPU subtracted": f"{net / d * 1000:.2f} ms",
        "receiver CPU per delivery (verifying, one process)": (
            f"{result['cpu_hosts'] / max(result['host_deliveries'], 1) * 1000:.2f} ms"),
        "cores used by the nodes + the receiver, first publish until all reached": (
            f"{(result['cpu_nodes'] + result['cpu_hosts']) / max(busy, 1e-9):.2f} of {os.cpu_count()}"),
        "duplicate deliveries (a story twice to one host)": f"{result['duplicates']:,}",
        "node RSS, mean / max per process": (f"{statistics.mean(result['rss_mib']):.0f} / "
                                             f"{max(result['rss_mib']):.0f} MiB"),
        "to down hosts: rows not delivered / failed attempts / parked (host, node) pairs": (
            f"{result['undelivered']:,} / {result['failed_attempts']:,} / {result['parked']:,}"),
        "load average (1 min) before / after": (f"{result['load_before'][0]:.2f} / "
                                                f"{result['load_after'][0]:.2f}"),
    }


def print_table(results: list[dict[str, Any]], nodes: int, sizes: Sizes) -> None:
    rows = [figures(r, nodes) for r in results]
    impaired = round(sizes.impaired * sizes.hosts)
    head = ("figure", "healthy", f"{impaired:,} hosts ({sizes.impaired:.0%}) down or slow")
    table = [head] + [(name, *(r.get(name, "") for r in rows)) for name in rows[0]]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for k, row in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if k == 0:
            print("| " + " | ".join("-" * w for w in widths) + " |")


def plot(results: list[dict[str, Any]], path: Path, title: str, impaired_label: str) -> str:
    """Four panels into a PNG: reach over time, times to 50/99/100%, queue depth, CPU per delivery."""
    try:
        import matplotlib
    except ImportError:
        return "not written: matplotlib is not installed (pip install 'agency-node[bench]')"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"healthy": "tab:blue", "impaired": "tab:red"}
    labels = {"healthy": "healthy", "impaired": impaired_label}
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(title, fontsize=10)

    ax = axes[0][0]
    longest = max([max(s["times"]) for r in results for s in r["stories"] if s["times"]] or [1.0])
    steps = max(2, math.ceil(math.log10(longest * 1.5 / 0.01) * 25))
    grid = [0.01 * 10 ** (k / 25) for k in range(steps + 1)]  # 10 ms to past the slowest arrival, log-spaced
    for r in results:
        curves = []
        for s in r["stories"]:
            times, n = s["times"], s["inboxes"]
            curve = [sum(1 for t in times if t <= g) / n * 100 for g in grid]
            curves.append(curve)
            ax.plot(grid, curve, color=colours[r["name"]], alpha=0.08, linewidth=0.8)
        if curves:
            median = [statistics.median(c[k] for c in curves) for k in range(len(grid))]
            ax.plot(grid, median, color=colours[r["name"]], linewidth=2.2, label=f"{labels[r['name']]} (median story)")
    ax.set_xscale("log")
    ax.set_xlabel("seconds since the publish call")
    ax.set_ylabel("% of the story's reachable inboxes")
    ax.set_title("Reach of each story (thin: one story)")
    for level in (50, 99):
        ax.axhline(level, color="grey", linewidth=0.6, linestyle=":")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, which="both", alpha=0.2)

    ax = axes[0][1]
    data, positions, box_colours = [], [], []
    for k, key in enumerate(("t50", "t99", "t100")):
        for j, r in enumerate(results):
            values = [s[key] for s in r["stories"] if s[key] is not None]
            data.append(values or [float("nan")])
            positions.append(k * 3 + j)
            box_colours.append(colours[r["name"]])
    boxes = ax.boxplot(data, positions=positions, widths=0.8, patch_artist=True, showfliers=True)
    for patch, colour in zip(boxes["boxes"], box_colours):
        patch.set_facecolor(colour)
        patch.set_alpha(0.5)
    ax.set_xticks([k * 3 + (len(results) - 1) / 2 for k in range(3)], ["50%", "99%", "100%"])
    ax.set_yscale("log")
    ax.set_ylabel("seconds")
    ax.set_title("Time for a story to reach 50%, 99%, 100% of its inboxes")
    ax.grid(True, axis="y", which="both", alpha=0.2)
    for r in results:
        ax.plot([], [], color=colours[r["name"]], linewidth=6, alpha=0.5, label=labels[r["name"]])
    ax.legend(loc="upper left", fontsize=8)

    ax = axes[1][0]
    backlog_ax = ax.twinx()  # the inbox backlog is two or three orders of magnitude smaller
    for r in results:
        ts = [s[0] for s in r["samples"]]
        ax.plot(ts, [s[1] for s in r["samples"]], color=colours[r["name"]],
                label=f"{labels[r['name']]}: delivery rows (left)")
        backlog_ax.plot(ts, [s[2] for s in r["samples"]], color=colours[r["name"]], linestyle=":", linewidth=0.8,
                        alpha=0.6, label=f"{labels[r['name']]}: inbox backlog (right)")
    ax.set_xlabel("seconds since the first story of the scenario")
    ax.set_ylabel("delivery rows queued or sending, all nodes")
    backlog_ax.set_ylabel("inbox items not yet processed, all nodes")
    ax.set_title("Queue depth over time")
    lines, names = ax.get_legend_handles_labels()
    more, more_names = backlog_ax.get_legend_handles_labels()
    ax.legend(lines + more, names + more_names, fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.2)

    ax = axes[1][1]
    names = ["node, all work", "node, idle subtracted", "receiver (verifying)"]
    width = 0.8 / max(len(results), 1)
    for j, r in enumerate(results):
        d = max(r["deliveries"], 1)
        values = [r["cpu_nodes"] / d * 1000, (r["cpu_nodes"] - r["idle_rate"] * r["busy_seconds"]) / d * 1000,
                  r["cpu_hosts"] / max(r["host_deliveries"], 1) * 1000]
        bars = ax.bar([k + j * width for k in range(3)], values, width, color=colours[r["name"]], alpha=0.7,
                      label=labels[r["name"]])
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([k + width * (len(results) - 1) / 2 for k in range(3)], names)
    ax.set_ylabel("ms of CPU per delivery")
    ax.set_title("CPU per delivery")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.2)

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


# --- main ---------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/network.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 nodes, 200 hosts, short windows (under a minute)")
    parser.add_argument("--nodes", type=int, help="agency nodes (default 30, 4 with --quick)")
    parser.add_argument("--hosts", type=int, help="follower hosts (default 10,000, 200 with --quick)")
    parser.add_argument("--stories", type=float, help="mean stories per agency over the window (default 4)")
    parser.add_argument("--window", type=float, help="seconds the day is compressed into (default 240)")
    parser.add_argument("--slow-seconds", type=float, help="how long a slow host takes to answer (default 2)")
    parser.add_argument("--impaired", type=float, help="share of follower hosts impaired in the second scenario "
                        "(default 0.10)")
    parser.add_argument("--down-share", type=float, help="share of the impaired hosts that are down, the others "
                        "being slow (default 0.5)")
    parser.add_argument("--seed", type=int, default=13, help="random seed of the network and the stories")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "agency-network-bench.json",
                        help="JSON file of every story's times and the queue samples; the PNG goes beside it")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (databases, configs)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    overrides = {"nodes": args.nodes, "hosts": args.hosts, "stories_per_agency": args.stories,
                 "window_seconds": args.window, "slow_seconds": args.slow_seconds, "impaired": args.impaired,
                 "down_share": args.down_share}
    sizes = Sizes(**{**sizes.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
    if args.out.suffix.lower() == ".png":
        parser.error(f"--out names the JSON file (the PNG goes beside it, {args.out.with_suffix('.png').name} would "
                     f"overwrite it): give a .json name, e.g. {args.out.with_suffix('.json')}")
    if sizes.hosts > 15000:
        parser.error("at most 15,000 hosts: one receiver process listens on each address (20,000 open files)")
    rng = random.Random(args.seed)
    started = time.monotonic()
    load = os.getloadavg()
    when = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    print(f"Agency Node network benchmark ({'quick' if args.quick else 'full'}), {when}, {os.cpu_count()} cores, "
          f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)

    network = Network.make(sizes, rng)
    plans = {name: _stories_plan(sizes, rng) for name in SCENARIOS}
    sizes_by_agency = sorted(len(a) for a in network.audiences)
    print(f"Network: {sizes.nodes} agency nodes (one `agency-node run` process and SQLite file each) following "
          f"each other; {sizes.hosts:,} follower hosts (one receiver process) following "
          f"{sum(sizes_by_agency) / sizes.hosts:.2f} agencies each on average, audiences "
          f"{sizes_by_agency[0]:,} to {sizes_by_agency[-1]:,} hosts (median {statistics.median(sizes_by_agency):,.0f});"
          f" stories: Poisson, {sizes.stories_per_agency:g} per agency on average over {sizes.window_seconds:g} s "
          f"(a day compressed {86400 / sizes.window_seconds:,.0f} times). Impaired scenario: "
          f"{len(network.down):,} hosts down (refusing connections), {len(network.slow):,} slow (answering after "
          f"{sizes.slow_seconds:g} s).", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="agency-network-"))
    agencies: list[Agency] = []
    hosts: fed.Child | None = None
    results: list[dict[str, Any]] = []
    try:
        hosts_port = fed._free_port()
        _log(f"receiver: {sizes.hosts:,} follower hosts on 127.0.x.y:{hosts_port}")
        hosts = fed._spawn_role("hosts", "--port", str(hosts_port), "--addresses", str(sizes.hosts))
        control = f"http://127.0.0.1:{hosts_port}"

        _log(f"{sizes.nodes} nodes: keys, migrate once, seed")
        template = _migrated_template(workdir / "template")
        for i in range(sizes.nodes):
            (workdir / f"a{i:02d}").mkdir(parents=True)
            node = fed.NodeProcess(workdir / f"a{i:02d}")
            shutil.copyfile(template, node.db_file)
            private_pem, public_pem = generate_rsa_pem()
            agencies.append(Agency(i, node, private_pem, public_pem))
        for agency in agencies:
            _seed(agency, agencies, network, hosts_port)

        _log(f"{sizes.nodes} nodes: start")
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda a: a.node.start(), agencies))

        for name in SCENARIOS:
            results.append(run_scenario(name, agencies, network, hosts, control, sizes, plans[name]))
            r = results[-1]
            _log(f"{name}: {r['deliveries']:,} deliveries in {r['seconds']:.1f} s"
                 + ("" if r["complete"] else " (INCOMPLETE: some reachable inboxes never got their story)"))
    finally:
        for agency in agencies:
            agency.close()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda a: a.node.stop(), agencies))
        if hosts is not None:
            hosts.stop()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_table(results, sizes.nodes, sizes)
    load = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"when": when, "sizes": sizes.__dict__, "seed": args.seed,
                                    "audiences": [len(a) for a in network.audiences], "scenarios": results}))
    title = (f"Agency Node network bench, {when}: {sizes.nodes} nodes, {sizes.hosts:,} follower hosts, "
             f"{sizes.stories_per_agency:g} stories per agency over {sizes.window_seconds:g} s; "
             f"load average {results[0]['load_before'][0]:.2f} -> {load[0]:.2f}")
    png = plot(results, args.out.with_suffix(".png"), title,
               f"{sizes.impaired:.0%} of hosts down ({len(network.down):,}) or slow ({len(network.slow):,})")
    print(f"Results: {args.out}. Plot: {png}. Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. "
          f"Took {time.monotonic() - started:.0f} s.")
    incomplete = [r["name"] for r in results if not r["complete"]]
    if incomplete:
        print("incomplete: some reachable inboxes never got their story in: " + ", ".join(incomplete))
    return 0


if __name__ == "__main__":
    sys.exit(main())
