"""The processes `bench/federation.py` starts beside the node, so none of them shares the node's event loop.

    python -m bench._procs receiver --port P --addresses 500     # inboxes on 127.0.x.y:P that verify signatures
    python -m bench._procs hosts --port P --addresses 10000      # the same for many nodes' keys, timing each story
    python -m bench._procs bare --port P --doc actor=FILE ...     # a bare aiohttp JSON handler (the ceiling)
    python -m bench._procs sender --url U --keys FILE --count N  # signed Create activities, concurrently
    python -m bench._procs presign --url U --keys FILE --count N --out F  # the same, pre-signed, for wrk
    python -m bench._procs getload --url U --seconds S            # GET load (only when wrk is not installed)

Each prints one JSON line: `{"ready": ...}` once listening (servers) or its result (load generators).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from federation.keys import load_private_key, load_public_key
from federation.sig.cavage import inspect_request, sign_request

AP_JSON = "application/activity+json"


def _emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def inbox_address(i: int) -> str:
    """The loopback address of the i-th receiving host (127.0.1.1, 127.0.1.2, ...): one host per shared inbox."""
    return f"127.0.{1 + i // 200}.{1 + i % 200}"


# --- the receiver: many remote hosts' shared inboxes, each POST verified with the node's public key ----------

class _Receiver:
    """Verifies draft-cavage (our node) and RFC 9421 (Fedify's first knock) signatures with the one key set by
    /_setup, and counts the 2xx it answers per inbox and per scheme."""

    def __init__(self) -> None:
        self.key: Any = None
        self.reset()

    def reset(self) -> None:
        self.ok = 0
        self.bad: Counter[str] = Counter()
        self.per_inbox: Counter[str] = Counter()
        # Per (activity, inbox), the activity told by its body's digest: proves no inbox got one activity twice
        # when several activities are in flight (bench/workers.py).
        self.per_delivery: Counter[tuple[str, str]] = Counter()
        self.first_by_digest: dict[str, float] = {}  # when each activity's first 2xx was answered
        self.schemes: Counter[str] = Counter()  # draft-cavage (our node) or rfc9421 (Fedify's first knock)
        self.first = 0.0
        self.last = 0.0

    async def inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            pending = inspect_request(request.method, request.raw_path, request.headers, body,
                                      authority=request.host)
            valid = self.key is not None and pending.verify(self.key)
            reason = f"{pending.scheme} signature does not verify"
        except Exception as exc:  # noqa: BLE001 - every refusal is counted and reported by reason
            valid, reason = False, str(exc)
        if not valid:
            self.bad[reason] += 1
            return web.Response(status=401)
        now = time.monotonic()
        self.ok += 1
        self.schemes[pending.scheme] += 1
        self.first = self.first or now
        self.last = now
        self.per_inbox[f"{request.host}{request.path}"] += 1
        digest = request.headers.get("Digest") or request.headers.get("Content-Digest", "")
        self.per_delivery[(digest, f"{request.host}{request.path}")] += 1
        self.first_by_digest.setdefault(digest, now)
        return web.Response(status=202)

    async def setup(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.key = load_public_key(data["public_key_pem"])
        self.reset()
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            self.reset()
        return web.json_response({"ok": self.ok, "bad": dict(self.bad), "first": self.first, "last": self.last,
                                  "inboxes": len(self.per_inbox), "schemes": dict(self.schemes),
                                  "duplicates": sum(n - 1 for n in self.per_inbox.values() if n > 1),
                                  "activities": len({d for d, _ in self.per_delivery}),
                                  "repeats": sum(n - 1 for n in self.per_delivery.values() if n > 1),
                                  "firsts": self.first_by_digest})


async def _receiver(args: argparse.Namespace) -> None:
    rec = _Receiver()
    app = web.Application()
    app.router.add_post("/inbox", rec.inbox)
    app.router.add_post("/_setup", rec.setup)
    app.router.add_route("*", "/_stats", rec.stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # --any-address: one socket on every address (the whole of 127.0.0.0/8 with it), for tens of thousands of
    # hosts that one socket per address would exhaust the file descriptors for.
    hosts = ["0.0.0.0"] if args.any_address else ["127.0.0.1", *(inbox_address(i) for i in range(args.addresses))]
    for host in hosts:
        await web.TCPSite(runner, host, args.port, backlog=4096 if args.any_address else 1024).start()
    _emit({"ready": True, "port": args.port})
    await asyncio.Event().wait()


# --- the hosts: followers' servers for bench/network.py, which many nodes deliver to ---------------------------

class _Hosts:
    """Shared inboxes of many follower hosts (one loopback address each) that many agencies deliver to.

    Each POST is verified with the key its keyId names (all the agencies' keys are given by /_setup); the time
    each story's Create reached each inbox is recorded by the story's object id. /_setup also makes hosts down
    (their address stops listening, so connections are refused) or slow (they answer after a delay). Every answer
    closes its connection: one process cannot hold 10,000 listening sockets plus every node's idle keep-alive
    connections within its file limit, and a node seldom sends to the same follower host twice within a
    keep-alive period anyway."""

    def __init__(self, runner: web.AppRunner, port: int, addresses: list[str]) -> None:
        self.runner, self.port, self.addresses = runner, port, addresses
        self.sites: dict[str, web.TCPSite] = {}
        self.keys: dict[str, Any] = {}
        self.slow: set[str] = set()
        self.slow_seconds = 0.0
        self.reset()

    def reset(self) -> None:
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)  # story object id -> 2xx times
        self.seen: set[tuple[str, str]] = set()
        self.ok = 0
        self.other = 0  # verified activities that are not a Create (counted, not timed)
        self.duplicates = 0
        self.bad: Counter[str] = Counter()

    async def listen(self, down: set[str]) -> None:
        """Listen on every address but the down ones (a down address refuses connections)."""
        for address in self.addresses:
            site = self.sites.get(address)
            if address in down and site is not None:
                await site.stop()
                del self.sites[address]
            elif address not in down and site is None:
                site = web.TCPSite(self.runner, address, self.port, backlog=128)
                await site.start()
                self.sites[address] = site

    async def inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        address = request.host.rsplit(":", 1)[0]
        if address in self.slow:
            await asyncio.sleep(self.slow_seconds)
        try:
            pending = inspect_request(request.method, request.raw_path, request.headers, body,
                                      authority=request.host)
            key = self.keys.get(pending.key_id)
            valid = key is not None and pending.verify(key)
            reason = f"{pending.scheme} signature does not verify" if key is not None else "unknown keyId"
        except Exception as exc:  # noqa: BLE001 - every refusal is counted and reported by reason
            valid, reason = False, str(exc)
        if not valid:
            self.bad[reason] += 1
            response = web.Response(status=401)
        else:
            now = time.time()
            doc = orjson.loads(body)
            obj = doc.get("object")
            object_id = obj.get("id") if isinstance(obj, dict) else obj
            if doc.get("type") == "Create" and isinstance(object_id, str):
                if (object_id, request.host) in self.seen:
                    self.duplicates += 1
                else:
                    self.seen.add((object_id, request.host))
                    self.arrivals[object_id].append(now)
                    self.ok += 1
            else:
                self.other += 1
            response = web.Response(status=202)
        response.force_close()
        return response

    async def setup(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.keys = {key_id: load_public_key(pem) for key_id, pem in data.get("keys", {}).items()}
        self.slow = set(data.get("slow", []))
        self.slow_seconds = float(data.get("slow_seconds", 0.0))
        await self.listen(set(data.get("down", [])))
        self.reset()
        return web.json_response({"ok": True, "listening": len(self.sites)})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": self.ok, "other": self.other, "duplicates": self.duplicates,
                                  "bad": dict(self.bad), "stories": len(self.arrivals)})

    async def arrivals_doc(self, request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(self.arrivals), content_type="application/json")


async def _hosts(args: argparse.Namespace) -> None:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    runner = web.AppRunner(app, access_log=None)
    hosts = _Hosts(runner, args.port, [inbox_address(i) for i in range(args.addresses)])
    app.router.add_post("/inbox", hosts.inbox)
    app.router.add_post("/_setup", hosts.setup)
    app.router.add_get("/_stats", hosts.stats)
    app.router.add_get("/_arrivals", hosts.arrivals_doc)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024).start()
    await hosts.listen(set())
    _emit({"ready": True, "port": args.port, "listening": len(hosts.sites)})
    await asyncio.Event().wait()


# --- the bare handler: what one aiohttp process does with no node behind it -------------------------------------

async def _bare(args: argparse.Namespace) -> None:
    docs = {}
    for spec in args.doc:
        name, _, path = spec.partition("=")
        docs[name] = orjson.loads(Path(path).read_bytes())

    def handler_for(doc: Any):  # noqa: ANN202
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=orjson.dumps(doc), headers={"Content-Type": AP_JSON})
        return handler

    posts = {"count": 0}

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        posts["count"] += 1
        return web.Response(status=202)

    async def stats(request: web.Request) -> web.Response:
        if request.method == "POST":
            posts["count"] = 0
        return web.json_response(posts)

    app = web.Application()
    for name, doc in docs.items():
        app.router.add_get(f"/{name}", handler_for(doc))
    app.router.add_post("/inbox", inbox)
    app.router.add_route("*", "/_stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024).start()
    _emit({"ready": True, "port": args.port})
    await asyncio.Event().wait()


# --- the sender: a busy peer delivering signed Create activities to the node's shared inbox ---------------------

def create_activity(actor: str, run: str, n: int) -> bytes:
    """A Create{Note} of about 1 KiB from `actor` (ids on the actor's host, as the node requires)."""
    origin = actor.split("/users/", 1)[0]
    note_id = f"{origin}/notes/{run}-{n}"
    return orjson.dumps({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{origin}/activities/{run}-{n}", "type": "Create", "actor": actor,
        "published": datetime.now(timezone.utc).isoformat(), "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": note_id, "type": "Note", "attributedTo": actor, "url": note_id,
            "published": datetime.now(timezone.utc).isoformat(), "contentMap": {"en": "x"},
            "content": "<p>" + "Grain prices rose in Kazakhstan's northern regions this week. " * 12 + "</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    })


def _request_maker(args: argparse.Namespace, run: str):  # noqa: ANN202
    keys = json.loads(Path(args.keys).read_text())
    signers = [(k["actor"], k["key_id"], load_private_key(k["private_key_pem"])) for k in keys]

    def make(n: int) -> tuple[bytes, dict[str, str]]:
        actor, key_id, key = signers[n % len(signers)]
        body = create_activity(actor, run, n)
        return body, sign_request("POST", args.url, body=body, key_id=key_id, private_key=key)
    return make


def _lua_string(value: str) -> str:
    level = "=" * 3
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


async def _presign(args: argparse.Namespace) -> None:
    """Write `count` signed requests as a Lua table for bench/presigned.lua (wrk)."""
    run = args.run or uuid.uuid4().hex[:8]
    make = _request_maker(args, run)
    path = "/" + args.url.split("/", 3)[3]
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        made = list(pool.map(make, range(args.count)))
    lines = ["return {"]
    for body, headers in made:
        pairs = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
        lines.append(f"{{path = {_lua_string(path)}, headers = {{{pairs}}}, body = {_lua_string(body.decode())}}},")
    lines.append("}")
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    _emit({"file": args.out, "run": run, "count": args.count})


async def _sender(args: argparse.Namespace) -> None:
    run = args.run or uuid.uuid4().hex[:8]
    make = _request_maker(args, run)
    pool = ThreadPoolExecutor(max_workers=args.threads)
    loop = asyncio.get_running_loop()

    presigned: list[tuple[bytes, dict[str, str]]] = []
    if args.mode == "presigned":
        presigned = list(pool.map(make, range(args.count)))
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    counter = iter(range(args.count))
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker() -> None:
            for n in counter:
                if presigned:
                    body, headers = presigned[n]
                else:  # sign now, like a peer would, in the sender's own thread pool
                    body, headers = await loop.run_in_executor(pool, make, n)
                try:
                    async with session.post(args.url, data=body, headers=headers) as resp:
                        await resp.read()
                        statuses[resp.status] += 1
                except aiohttp.ClientError as exc:
                    errors[type(exc).__name__] += 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.monotonic() - start
    pool.shutdown()
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    _emit({"ok": ok, "statuses": {str(k): v for k, v in statuses.items()}, "errors": dict(errors),
           "seconds": elapsed, "rate": ok / elapsed if elapsed else 0.0, "run": run})


# --- GET load without wrk: an aiohttp client in its own process --------------------------------------------------

async def _getload(args: argparse.Namespace) -> None:
    headers = {"Accept": AP_JSON}
    done, bad = 0, 0
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.monotonic() + args.seconds

        async def worker() -> None:
            nonlocal done, bad
            while time.monotonic() < deadline:
                async with session.get(args.url, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 200:
                        done += 1
                    else:
                        bad += 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.monotonic() - start
    _emit({"ok": done, "bad": bad, "seconds": elapsed, "rate": done / elapsed})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._procs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    p = sub.add_parser("receiver", help="shared inboxes on many loopback hosts that verify each signature")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--addresses", type=int, default=500)
    p.add_argument("--any-address", action="store_true", help="listen on 0.0.0.0 (any 127.x.y.z host reaches it)")
    p = sub.add_parser("hosts", help="many follower hosts' shared inboxes for several nodes, some down or slow")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--addresses", type=int, default=10000)
    p = sub.add_parser("bare", help="a bare aiohttp JSON handler")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--doc", action="append", default=[], help="NAME=FILE: serve FILE's JSON at /NAME")
    p = sub.add_parser("sender", help="POST signed Create activities concurrently")
    p.add_argument("--url", required=True)
    p.add_argument("--keys", required=True, help="JSON file: [{actor, key_id, private_key_pem}]")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--mode", choices=("presigned", "live"), default="presigned")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--run", default="")
    p = sub.add_parser("presign", help="write signed Create requests as a Lua table for wrk")
    p.add_argument("--url", required=True)
    p.add_argument("--keys", required=True, help="JSON file: [{actor, key_id, private_key_pem}]")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--run", default="")
    p = sub.add_parser("getload", help="GET one URL concurrently for some seconds")
    p.add_argument("--url", required=True)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    role = {"receiver": _receiver, "hosts": _hosts, "bare": _bare, "sender": _sender, "presign": _presign,
            "getload": _getload}[args.role]
    try:
        asyncio.run(role(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
