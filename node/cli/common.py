"""What every `agency-node` command shares: the error it raises, printing, and running code inside a node."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

from node.config import Config, redact_url
from node.logsafety import hide_query_values

ENV_CONFIG = "AGENCY_NODE_CONFIG"
EXIT_USAGE, EXIT_FAIL = 2, 1

# build_parser's helper that adds one command: add(name, fn, help, needs_config=True) -> its parser.
Add = Callable[..., argparse.ArgumentParser]


class CliError(Exception):
    """A command failed; the message is shown as is."""


def print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


def table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "") if r.get(c) is not None else "-").ljust(widths[c]) for c in columns))


# -- running things inside a node -------------------------------------------------------------------------------

async def with_node(config: Config, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    from node.runtime import Node

    await require_migrated(config)
    node = Node(config)
    await node.start()
    try:
        return await node.run(fn, node)
    finally:
        await node.stop()


async def require_migrated(config: Config) -> None:
    from tortoise.context import TortoiseContext

    from node.db import activate, pending_migrations

    async def _check() -> list[str]:
        activate(TortoiseContext())
        return await pending_migrations(config.database_url)

    try:
        pending = await asyncio.get_running_loop().create_task(_check())
    except Exception as exc:  # cannot reach the database at all
        raise CliError(f"cannot open the database {safe_url(config.database_url)} "
                       f"({config.database_url_from}): {exc}") from None
    if pending:
        raise CliError(f"the database schema is not current ({', '.join(pending)} pending): "
                       "run `agency-node migrate` first")


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return redact_url(url)


def run_migrations(config: Config) -> list[str]:
    from tortoise.context import TortoiseContext

    from node.db import activate, migrate

    async def _run() -> list[str]:
        async def _inner() -> list[str]:
            activate(TortoiseContext())
            return await migrate(config.database_url, progress=lambda line: print(f"  {line}", flush=True))
        return await asyncio.get_running_loop().create_task(_inner())

    try:
        applied = asyncio.run(_run())
    except Exception as exc:
        raise CliError(f"migration failed on {safe_url(config.database_url)} ({config.database_url_from}): {exc}"
                       ) from None
    print(f"database {safe_url(config.database_url)}: "
          + (f"applied {len(applied)} migration(s)" if applied else "schema already current"))
    return applied


def setup_logging(config: Config) -> None:
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Their DEBUG lines print every query's parameters: private keys, stored payloads. Secrets are never logged.
    for name in ("tortoise.db_client", "aiosqlite", "asyncpg"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(config.log_level)))
    hide_query_values()  # and should someone turn them up, their lines keep the SQL but lose the values


def read_body(args: argparse.Namespace) -> str:
    if args.body_file == "-":
        return sys.stdin.read()
    try:
        return Path(args.body_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {args.body_file}: {exc.strerror}") from None


def story_uuid(ref: str) -> str:
    return ref.rstrip("/").rsplit("/", 1)[-1]


def read_document(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}") from None
