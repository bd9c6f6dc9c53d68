"""The inbox worker alone: N signed Creates already stored, turned into wire stories in this process.

    .venv/bin/python bench/inbox_worker.py              # 1,000 Creates from 4 followed agencies (100 warm up)
    .venv/bin/python bench/inbox_worker.py -n 300 --profile FILE   # and a cProfile of the event loop's CPU time

bench/federation.py measures the worker under load, together with everything else the node does; this takes
the inbox's acceptance away (the rows are written straight into the database, as `InboxWriter` stores them) and
prints what one Create costs the worker: CPU time per activity, split between the event loop's thread (Python:
parsing, sanitising, indexing, building queries) and the SQLite thread (executing them). The profile
(`--profile`) counts the event loop thread's CPU time only (`time.thread_time`), so waiting on the SQLite thread
or on other processes does not show as cost.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    _here = Path(__file__).resolve().parent  # this directory would shadow the `federation` package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402

from bench._procs import create_activity  # noqa: E402
from bench.federation import NodeProcess, Sizes, _seed  # noqa: E402
from federation.keys import generate_rsa_pem  # noqa: E402


def _thread_cpu() -> dict[int, float]:
    """CPU seconds used so far by each thread of this process (Linux /proc), by native thread id."""
    out = {}
    for stat in Path(f"/proc/{os.getpid()}/task").glob("*/stat"):
        fields = stat.read_text().rsplit(")", 1)[1].split()
        out[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/inbox_worker.py", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="Creates to process (default 1,000)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="write a cProfile (event loop CPU) to FILE")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="agency-inbox-worker-"))
    try:
        node = NodeProcess(workdir)
        senders = []
        for i in range(4):
            private_pem, public_pem = generate_rsa_pem()
            actor = f"http://sender{i}.example/users/s{i}"
            senders.append({"actor": actor, "key_id": actor + "#main-key", "private_key_pem": private_pem,
                            "public_key_pem": public_pem})
        node.migrate()
        _seed(node, 9, Sizes(followers=0, inboxes=1), senders)
        run = uuid.uuid4().hex[:8]

        async def _store() -> None:
            from federation.inbox_store import Received, store_batch

            items = []
            for n in range(args.n):
                sender = senders[n % len(senders)]
                body = create_activity(sender["actor"], run, n)
                doc = orjson.loads(body)
                items.append(Received(doc["id"], doc["actor"], "Create", body.decode(), "draft-cavage",
                                      sender["key_id"]))
            await store_batch(items)

        node.write(_store)
        result = asyncio.run(_process(node, args.profile))
        stories = node.query("SELECT count(*) FROM wire_story WHERE uri LIKE ?", f"%/notes/{run}-%")[0][0]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if stories != args.n:
        raise SystemExit(f"bench: {stories} of {args.n} Creates became wire stories")
    n = result["processed"]
    print(f"inbox worker, {n:,} stored Creates -> wire stories, one process on SQLite "
          f"(load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    print(f"  processed/s (wall time, moves with the machine's load): {n / result['seconds']:,.0f}")
    print(f"  CPU per activity, all threads:   {result['cpu_all'] / n * 1000:.3f} ms")
    print(f"  CPU per activity, event loop:    {result['cpu_loop'] / n * 1000:.3f} ms")
    print(f"  CPU per activity, other threads: {(result['cpu_all'] - result['cpu_loop']) / n * 1000:.3f} ms "
          "(the SQLite connection's)")
    if args.profile:
        print(f"  profile: {args.profile}")
    return 0


async def _process(node: NodeProcess, profile: Path | None) -> dict[str, Any]:
    from node.config import load_config
    from node.runtime import Node

    the_node = Node(load_config(node.config_path))
    await the_node.start()
    try:
        await the_node.process_inbox_once()  # warm up: first queries, the claim index, caches (a batch of 100)
        done = node.query("SELECT count(*) FROM inbox_item WHERE state = 'processed'")[0][0]
        loop_thread = threading.get_native_id()
        before, start = _thread_cpu(), time.monotonic()
        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
        while await the_node.process_inbox_once():
            pass
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        seconds, after = time.monotonic() - start, _thread_cpu()
    finally:
        await the_node.stop()
    processed = node.query("SELECT count(*) FROM inbox_item WHERE state = 'processed'")[0][0] - done
    used = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    return {"seconds": seconds, "cpu_all": sum(used.values()), "cpu_loop": used.get(loop_thread, 0.0),
            "processed": max(processed, 1)}


if __name__ == "__main__":
    sys.exit(main())
