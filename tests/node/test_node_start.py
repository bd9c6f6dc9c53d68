"""A node whose start fails part-way closes what it had opened, so the command that started it can exit."""

from __future__ import annotations

import asyncio
import threading

import pytest

import node.runtime as runtime
from node.runtime import Node
from tests.nodes import migrate_in_own_context, node_config


async def test_node_start__failure_after_the_database_opened_leaves_no_thread(tmp_path, monkeypatch):
    """A step after the database and the HTTP client are open fails: the error goes up, the database
    connection (an aiosqlite thread that would keep the process alive) and the HTTP client are closed."""
    config = node_config(tmp_path, "baku")
    await migrate_in_own_context(config.database_url)
    before = {t.ident for t in threading.enumerate()}

    async def broken(*_args, **_kwargs):
        raise RuntimeError("the key table is unreadable")

    monkeypatch.setattr(runtime, "ensure_proof_keys", broken)
    node = Node(config)

    async def _start() -> None:
        await node.start()

    try:
        with pytest.raises(RuntimeError, match="unreadable"):
            await asyncio.get_running_loop().create_task(_start())
        assert node.db is None and node._http is None
    finally:  # a regression fails here instead of hanging the test run on the thread it left
        if node.db is not None:
            await node.db.close_connections()
        if node._http is not None:
            await node._http.close()
    for _ in range(100):  # aiosqlite's thread ends once its connection is closed; give it a moment to return
        # (the loop's own default executor, "asyncio_N", ends with the loop and is not ours to close)
        left = [t for t in threading.enumerate() if t.ident not in before and not t.daemon and t.is_alive()
                and not t.name.startswith("asyncio_")]
        if not left:
            break
        await asyncio.sleep(0.01)
    assert not left, f"threads still running after a failed start: {left}"
