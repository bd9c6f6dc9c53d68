"""A guard around tortoise's pooled transactions (PostgreSQL) so that a connection cut by a database restart does
not poison the task that was using it.

tortoise 1.1's `TransactionContextPooled` points the task's connection context at the transaction first and resets
it last: when BEGIN fails (the server just restarted) the context is never reset and the pool connection never
released, and when releasing fails (asyncpg marks the connection released, then fails to reset it on a dead
socket) the reset is skipped. Every later query of that task then fails with "connection has been released back
to the pool": a worker's loop, or all the requests of one keep-alive HTTP connection, stay broken until the node is
restarted. Found by `tests/faults/test_postgres_restart.py`. `install()` replaces both methods with versions that
always release and reset. (Upstream: tortoise/tortoise-orm#1793 and #1604, fixed by #1796 for a failing COMMIT
or ROLLBACK only; BEGIN and the release still leak in 1.1.9. Drop this module once tortoise does both.)
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["install"]

_installed = False


def install() -> None:
    """Patch tortoise's pooled transaction context once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from tortoise.backends.base.client import TransactionContextPooled
    from tortoise.connection import get_connections
    from tortoise.exceptions import TransactionManagementError

    async def __aenter__(self: Any) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            try:
                with contextlib.suppress(Exception):  # a dead connection: the pool replaces it
                    await pool.release(self.client._connection)
            finally:
                get_connections().reset(self.token)
            raise
        return self.client

    async def __aexit__(self: Any, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            if not self.client._finalized:
                if exc_type:
                    if exc_type is not TransactionManagementError:  # a failed transaction cannot roll back
                        await self.client.rollback()
                else:
                    await self.client.commit()
        finally:
            try:
                if self.client._parent._pool:
                    await self.client._parent._pool.release(self.client._connection)
            finally:
                get_connections().reset(self.token)

    TransactionContextPooled.__aenter__ = __aenter__  # type: ignore[method-assign]
    TransactionContextPooled.__aexit__ = __aexit__  # type: ignore[method-assign]
    _installed = True
