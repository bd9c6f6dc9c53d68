"""Nodes for the tests of the desk's Translations, Network, Verify and Operations screens: cheap password hashing,
and optionally the LibreTranslate stand-in as the engine or manual approval of followers."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, AsyncIterator

from tests.libretranslate_stub import LibreTranslateStub
from tests.node.accounts.helpers import CHEAP
from tests.nodes import RunningNode, node_config, running_node

__all__ = ["STORY", "other_node", "publish"]

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "language": "az"}


@contextlib.asynccontextmanager
async def other_node(tmp: Path, handle: str = "baku", *, engine: LibreTranslateStub | None = None,
                     manual: bool = False, trust: dict[str, Any] | None = None) -> AsyncIterator[RunningNode]:
    """A running loopback node publishing in Azerbaijani; `engine` makes the stand-in its machine translator
    (nothing queued at publish: the desk asks), `manual` makes it approve followers by hand."""
    sections: dict[str, dict[str, Any]] = {"accounts": dict(CHEAP)}
    if engine is not None:
        sections["translation"] = {"engine": "libretranslate", "url": engine.url, "allow_private_engine": True,
                                   "targets": [], "timeout_seconds": 15}
    if trust:
        sections["trust"] = trust
    config = node_config(tmp, handle, sections=sections, languages=["az"], manually_approves_followers=manual)
    async with running_node(tmp, handle, config=config) as rn:
        yield rn


async def publish(rn: RunningNode, **changes: Any) -> dict[str, Any]:
    """Publish a story through the editor API (node token); its JSON."""
    status, doc = await rn.api("POST", "/api/stories", {**STORY, **changes})
    assert status == 201, doc
    return doc
