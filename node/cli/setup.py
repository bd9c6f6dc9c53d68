"""`agency-node init`, `migrate`, `run`, `worker` and `demo`: setting a node up and running it."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import secrets
import signal
import socket
from pathlib import Path

from node import __version__
from node.cli.common import Add, CliError, require_migrated, run_migrations, setup_logging, with_node
from node.config import Config, ConfigError, hash_token, load_config


_TEMPLATE = '''# Agency Node configuration (written by `agency-node init`). Every key: see node.example.toml.
[node]
base_url = "{base_url}"
listen_host = "{listen_host}"
listen_port = {listen_port}
database_url = "{database_url}"

[agency]
handle = "{handle}"
name = "{name}"
summary = "{summary}"
languages = [{languages}]
manually_approves_followers = false

[api]
# SHA-256 of the editor API token printed once by `agency-node init`. Override with AGENCY_NODE_API_TOKEN.
token_sha256 = "{token_hash}"

[federation]
# Loopback and private peers are refused unless allowed (set true only for local testing).
allow_private_addresses = {allow_private}
'''


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.config)
    if path.exists() and args.if_missing and not args.force:
        config = load_config(path)
        print(f"{path} exists: keeping it")
        run_migrations(config)
        return 0
    if path.exists() and not args.force:
        raise CliError(f"{path} already exists (use --force to overwrite, or --if-missing to keep it)")
    token = secrets.token_urlsafe(32)
    base_url = args.base_url or f"http://127.0.0.1:{args.port}"
    text = _TEMPLATE.format(
        base_url=base_url, listen_host=args.listen_host, listen_port=args.port,
        database_url=args.database_url or f"sqlite://{args.handle}.sqlite3", handle=args.handle,
        name=args.name.replace('"', '\\"'), summary=args.summary.replace('"', '\\"'),
        languages=", ".join(f'"{lang}"' for lang in args.languages.split(",") if lang),
        token_hash=hash_token(token), allow_private="true" if args.allow_private else "false",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        config = load_config(tmp)  # with the environment's overrides: they decide which database init sets up
    except ConfigError as exc:
        tmp.unlink()
        raise CliError(str(exc).replace(str(tmp), "init")) from None
    os.replace(tmp, path)
    print(f"wrote {path}")
    run_migrations(config)
    asyncio.run(with_node(config, lambda node: asyncio.sleep(0)))  # generates the key pairs
    print(f"generated keys for @{config.agency.handle}@{config.host} and the instance actor")
    print(f"editor API token (shown once, keep it safe): {token}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    run_migrations(args.cfg)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from node.web.app import create_app
    from node.web.serve import serve

    config: Config = args.cfg
    setup_logging(config)
    # Bound before anything starts, so a port already in use is one plain line, not a traceback after the workers
    # have started.
    sock = _listening_socket(config.listen_host, config.listen_port)
    asyncio.run(require_migrated(config))
    app = create_app(config, run_workers=not args.no_workers)
    print(f"Agency Node {__version__}: @{config.agency.handle}@{config.host} on "
          f"http://{config.listen_host}:{config.listen_port} (public URL {config.base_url})", flush=True)
    # aiohttp closes a connection that sent no whole request within its keep-alive timeout, counted from the
    # connection's start too: that timeout is our header deadline against slow-loris clients. Each connection
    # passes [limits] connections_per_address first (node/web/serve.py).
    asyncio.run(serve(app, sock, keepalive_timeout=config.idle_timeout,
                      access_log=None if not args.access_log else logging.getLogger("aiohttp.access")))
    if not args.no_workers:
        from node.runtime import claim_report

        for line in claim_report():  # as `worker` does
            print(line, flush=True)
    return 0


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening; CliError naming the address when that fails."""
    try:
        family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror} (check [node] listen_host)") from None
    dualstack = family == socket.AF_INET6 and host in ("", "::") and socket.has_dualstack_ipv6()
    try:
        return socket.create_server((host, port), family=family, backlog=128, dualstack_ipv6=dualstack)
    except OSError as exc:
        hint = " (another process is using it; stop it or change [node] listen_port)" \
            if exc.errno == errno.EADDRINUSE else ""
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise CliError(f"cannot listen on {host}:{port}: {reason}{hint}") from None


def cmd_worker(args: argparse.Namespace) -> int:
    from node.runtime import Node, claim_report, freeze_startup_heap

    config: Config = args.cfg
    setup_logging(config)

    async def _main() -> None:
        await require_migrated(config)
        node = Node(config)
        await node.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        freeze_startup_heap()
        node.start_workers()
        print(f"worker for @{config.agency.handle}@{config.host} running (Ctrl-C to stop)", flush=True)
        await stop.wait()
        await node.stop()
        for line in claim_report():  # what claiming cost this process (bench/workers.py reads it)
            print(line, flush=True)

    asyncio.run(_main())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from node.demo import run_demo

    return asyncio.run(run_demo(Path(args.dir) if args.dir else None, keep=args.keep))


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("init", cmd_init, "write a config file, create the database and the key pairs", needs_config=False)
    p.add_argument("--handle", default="agency", help="the agency's handle (a-z, 0-9, _), e.g. baku")
    p.add_argument("--name", default="News Agency", help="the agency's display name")
    p.add_argument("--summary", default="", help="a one-paragraph description")
    p.add_argument("--languages", default="en", help="comma-separated BCP 47 tags the agency publishes in")
    p.add_argument("--base-url", help="public URL of the node (default http://127.0.0.1:PORT)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--listen-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--database-url", help="database URL (default: a SQLite file next to the config)")
    p.add_argument("--allow-private", action="store_true",
                   help="allow fetching from loopback/private addresses (local testing only)")
    p.add_argument("--force", action="store_true", help="overwrite an existing config file")
    p.add_argument("--if-missing", action="store_true",
                   help="when the config file exists, keep it and only migrate (for scripts)")

    add("migrate", cmd_migrate, "create or upgrade the database schema (safe to run again)")
    p = add("run", cmd_run, "serve the node (web server and workers in one process)")
    p.add_argument("--no-workers", action="store_true", help="serve HTTP only; run `agency-node worker` beside it")
    p.add_argument("--access-log", action="store_true", help="log every HTTP request")
    add("worker", cmd_worker, "run the delivery and inbox workers only (for a second process)")

    p = add("demo", cmd_demo, "run three agency nodes on loopback, federate them, and show what each received",
            needs_config=False)
    p.add_argument("--dir", help="where to keep the demo's databases (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the nodes running until Ctrl-C")
