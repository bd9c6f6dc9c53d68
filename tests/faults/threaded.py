"""A loopback node on its own event loop in a thread, so that hypothesis (synchronous) can drive it case after
case without starting a node per case: `ThreadedNode(tmp).start()`, then `.call(coro)` and `.close()`."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Callable, Coroutine

from tests.nodes import RunningNode, running_node

__all__ = ["ThreadedNode"]


class ThreadedNode:
    """`running_node(tmp, handle, **kw)` kept open in a thread until `close()`; `setup(rn)` runs once inside."""

    def __init__(self, tmp: Path, handle: str = "baku",
                 setup: Callable[[RunningNode], Coroutine[Any, Any, None]] | None = None, **kw: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.rn: RunningNode
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._args = (tmp, handle, setup, kw)
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        tmp, handle, setup, kw = self._args
        self._stop = asyncio.Event()
        try:
            async with running_node(tmp, handle, **kw) as rn:
                self.rn = rn
                if setup is not None:
                    await setup(rn)
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()

    def start(self) -> "ThreadedNode":
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run `coro` on the node's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
