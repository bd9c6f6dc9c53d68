"""The crash suite's long form: `python -m tests.faults --rounds 200 [--postgres] [--hosts 100] [--seed N]`.

Prints the figures (`tests.faults.crashes.Figures`) every ten rounds and at the end; exits 1 when anything was
lost, a crash produced more duplicates than the requests in flight, or a queue did not drain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import uuid
from typing import AsyncIterator

from tests.faults.crashes import KINDS, Figures, run

POSTGRES_ENV = "AGENCY_NODE_TEST_POSTGRES_URL"


@contextlib.asynccontextmanager
async def _postgres(admin_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    import asyncpg

    name = f"agency_crash_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _main(args: argparse.Namespace) -> Figures:
    def progress(done: int, figures: Figures) -> None:
        if done % 10 == 0 or done == args.rounds:
            print(f"-- after {done} rounds", flush=True)
            for line in figures.lines():
                print("   " + line, flush=True)

    kinds = tuple(args.kinds.split(",")) if args.kinds else KINDS
    if args.postgres:
        async with _postgres(os.environ[POSTGRES_ENV]) as url:
            return await run(args.rounds, database_url=url, hosts=args.hosts, seed=args.seed, quick=False,
                             kinds=kinds, progress=progress)
    return await run(args.rounds, hosts=args.hosts, seed=args.seed, quick=False, kinds=kinds, progress=progress)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="crashes to inject (kinds in turn)")
    parser.add_argument("--hosts", type=int, default=100, help="follower inboxes, one loopback host each")
    parser.add_argument("--seed", type=int, help="random seed, to replay a run")
    parser.add_argument("--kinds", help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--postgres", action="store_true", help=f"on PostgreSQL (${POSTGRES_ENV}, an admin URL)")
    args = parser.parse_args(argv)
    figures = asyncio.run(_main(args))
    print("== crash suite summary")
    for line in figures.lines():
        print("   " + line)
    return 1 if figures.lost_total or figures.problems else 0


if __name__ == "__main__":
    sys.exit(main())
