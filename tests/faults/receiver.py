"""The crash suite's independent peers: a verifying receiver of the node's deliveries, and a followed agency that
sends the node signed Creates.

The receiver serves the shared inboxes of many remote hosts (one loopback address each, one port), verifies every
POST's HTTP signature with the node's public key (fetched from the node's actor document, not read from its
database) and records every delivery per (activity id, inbox) with the time it arrived, so that the runner can
count what was lost, what came twice and how soon deliveries resumed after a crash. It also serves the sending
agency's actor document, in case the node fetches it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from federation.keys import generate_rsa_pem, load_private_key, load_public_key
from federation.sig.cavage import inspect_request, sign_request

AP_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def inbox_address(i: int) -> str:
    """The loopback address of the i-th remote host (127.0.1.1, 127.0.1.2, ...): one shared inbox each."""
    return f"127.0.{1 + i // 200}.{1 + i % 200}"


@dataclass
class Receiver:
    """Remote hosts' shared inboxes on `port`; `deliveries[(activity id, inbox)]` holds each arrival's time."""

    hosts: int
    port: int = 0
    node_key: Any = None
    deliveries: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    refused: Counter[str] = field(default_factory=Counter)
    agency: "Agency | None" = None
    _runner: web.AppRunner | None = None

    @property
    def inboxes(self) -> list[str]:
        return [f"http://{inbox_address(i)}:{self.port}/inbox" for i in range(self.hosts)]

    async def start(self, port: int) -> None:
        self.port = port
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/inbox", self._inbox)
        app.router.add_get("/agencies/{name}", self._actor)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for host in ["127.0.0.1", *(inbox_address(i) for i in range(self.hosts))]:
            await web.TCPSite(self._runner, host, port, backlog=1024).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def learn_node_key(self, actor_url: str) -> None:
        """Fetch the node's actor document and keep its public key (the only key stories are signed with)."""
        async with aiohttp.ClientSession() as session:
            async with session.get(actor_url, headers={"Accept": AP_JSON}) as resp:
                doc = orjson.loads(await resp.read())
        self.node_key = load_public_key(doc["publicKey"]["publicKeyPem"])

    def duplicates(self) -> int:
        """Deliveries that arrived more than once, counted beyond the first."""
        return sum(len(times) - 1 for times in self.deliveries.values() if len(times) > 1)

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            pending = inspect_request(request.method, request.raw_path, request.headers, body,
                                      authority=request.host)
            valid = self.node_key is not None and pending.verify(self.node_key)
            reason = "does not verify"
        except Exception as exc:  # noqa: BLE001 - every refusal is counted by reason and fails the run
            valid, reason = False, str(exc)[:100]
        if not valid:
            self.refused[reason] += 1
            return web.Response(status=401)
        activity = orjson.loads(body)
        self.deliveries[(activity["id"], f"http://{request.host}{request.path}")].append(time.time())
        return web.Response(status=202)

    async def _actor(self, request: web.Request) -> web.Response:
        if self.agency is None or request.match_info["name"] != self.agency.name:
            return web.Response(status=404)
        return web.Response(body=orjson.dumps(self.agency.document()), content_type=AP_JSON)


@dataclass
class Agency:
    """A followed agency on the receiver's host that sends the node signed `Create{Article}` activities."""

    origin: str  # http://127.0.0.1:PORT
    name: str = "press"
    private_pem: str = ""
    public_pem: str = ""

    def __post_init__(self) -> None:
        if not self.private_pem:
            self.private_pem, self.public_pem = generate_rsa_pem()
        self._key = load_private_key(self.private_pem)

    @property
    def actor(self) -> str:
        return f"{self.origin}/agencies/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.actor}#main-key"

    def document(self) -> dict[str, Any]:
        return {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": self.actor, "type": "Organization", "preferredUsername": self.name, "name": "Press Agency",
                "inbox": f"{self.actor}/inbox", "outbox": f"{self.actor}/outbox",
                "publicKey": {"id": self.key_id, "owner": self.actor, "publicKeyPem": self.public_pem}}

    def create(self, tag: str) -> bytes:
        """A Create of a story with the ids `.../activities/<tag>` and `.../stories/<tag>`."""
        now = datetime.now(timezone.utc).isoformat()
        story = f"{self.origin}/stories/{tag}"
        return orjson.dumps({
            "@context": "https://www.w3.org/ns/activitystreams", "id": f"{self.origin}/activities/{tag}",
            "type": "Create", "actor": self.actor, "published": now, "to": [PUBLIC],
            "object": {"id": story, "type": "Article", "attributedTo": self.actor, "url": story, "published": now,
                       "name": f"Wire story {tag}", "summary": "A story from a followed agency.",
                       "content": "<p>" + "Grain prices rose in the northern regions this week. " * 8 + "</p>",
                       "contentMap": {"en": "<p>Grain prices rose.</p>"}, "to": [PUBLIC]}})

    def signed(self, url: str, body: bytes) -> dict[str, str]:
        """The headers of a signed POST of `body` to `url`."""
        headers = sign_request("POST", url, body=body, key_id=self.key_id, private_key=self._key)
        headers["Content-Type"] = AP_JSON
        return headers


async def send_creates(url: str, agency: Agency, tags: list[str], *, concurrency: int = 16,
                       stop: asyncio.Event | None = None) -> set[str]:
    """POST a signed Create per tag to `url`, `concurrency` at a time, until done, `stop` is set or the node
    stops answering; returns the activity ids answered 2xx."""
    answered: set[str] = set()
    queue = list(reversed(tags))
    timeout = aiohttp.ClientTimeout(total=10)

    async def one(session: aiohttp.ClientSession) -> None:
        while queue and not (stop and stop.is_set()):
            tag = queue.pop()
            body = agency.create(tag)
            try:
                async with session.post(url, data=body, headers=agency.signed(url, body)) as resp:
                    await resp.read()
                    if resp.status < 300:
                        answered.add(f"{agency.origin}/activities/{tag}")
                    elif resp.status >= 500:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                return  # the node died: what was answered is what counts

    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(one(session) for _ in range(concurrency)))
    return answered
