"""A fake remote fediverse server for integration tests, on real loopback HTTP.

    async with FakeRemote(key_resolver=our_keys.get) as remote:
        follow = remote.load_fixture("mastodon/follow.json")   # origin now http://127.0.0.1:PORT
        status, body = await remote.post_signed(node_inbox_url, follow)
        ...
        remote.respond("/users/alice/inbox", [500, 200], retry_after=30)
        ...
        assert remote.received[-1].verified

`load_fixture` rewrites a recorded payload's origin (its actor's scheme://host[:port]) to the
fake's own origin in every string value, so that recorded activities and actors become served
by the fake. Actor documents are served at their ids as `application/activity+json`, with the
recorded `publicKey` replaced by the fake's own RSA-2048 key (key id kept in its recorded form,
e.g. Mastodon's `#main-key` or GoToSocial's `/main-key`). An activity whose actor has no
recorded document gets a small generated one, so its signatures can be checked.

Every POST the fake receives is recorded with its HTTP-signature verdict, computed with
`federation.signatures.inspect_request` and the sender's key from `key_resolver(key_id)` (sync
or async; None leaves the verdict unset).
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["FIXTURES", "FakeRemote", "ReceivedRequest", "fixture_origin", "read_fixture", "rewrite_origin"]

FIXTURES = Path(__file__).parent / "fixtures"
ACTIVITY_JSON = "application/activity+json"


@dataclass
class ReceivedRequest:
    """One request the fake received: what came in and what the signature check said."""

    method: str
    path: str
    raw_path: str
    headers: dict[str, str]
    body: bytes
    status: int
    key_id: str | None = None
    verified: bool | None = None  # None: no key resolver, or the key could not be found
    error: str | None = None  # SignatureError reason or resolver failure

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class _Plan:
    statuses: deque = field(default_factory=deque)
    retry_after: str | None = None


def read_fixture(path: str | Path) -> dict:
    """A recorded payload, by path relative to tests/fixtures (or absolute), unchanged."""
    p = Path(path)
    if not p.is_absolute():
        p = FIXTURES / p
    return json.loads(p.read_text(encoding="utf-8"))


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    if isinstance(value, list) and value:
        return _id_of(value[0])
    return None


def fixture_origin(doc: dict) -> str:
    """The origin a recorded document belongs to: its actor's (activities) or its own id's."""
    ref = _id_of(doc.get("actor")) if "actor" in doc else _id_of(doc.get("id"))
    origin = _origin_of(ref or "")
    if origin is None:
        raise ValueError("cannot tell the origin of this document (no actor or id URL)")
    return origin


def rewrite_origin(value: Any, old: str, new: str) -> Any:
    """A deep copy of `value` with origin `old` replaced by `new` in every string value.

    Only whole origins are replaced (followed by /, ?, # or the end), so rewriting
    https://mastodon leaves https://mastodon.social alone.
    """
    pattern = re.compile(re.escape(old) + r"(?=[/?#]|$)")
    if isinstance(value, str):
        return pattern.sub(new, value)
    if isinstance(value, list):
        return [rewrite_origin(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: rewrite_origin(v, old, new) for k, v in value.items()}
    return value


class FakeRemote:
    """A small aiohttp server on 127.0.0.1:<free port> playing a remote fediverse server."""

    def __init__(
        self,
        *,
        key_resolver: Callable[[str], Any] | None = None,
        sign_request: Callable[..., dict[str, str]] | None = None,
        inspect_request: Callable[..., Any] | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> None:
        if sign_request is None or inspect_request is None:
            from federation.sig import cavage as signatures

            sign_request = sign_request or signatures.sign_request
            inspect_request = inspect_request or signatures.inspect_request
        self._sign = sign_request
        self._inspect = inspect_request
        self.key_resolver = key_resolver
        self.private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_pem = (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )
        self.received: list[ReceivedRequest] = []
        self.documents: dict[str, dict] = {}  # path -> JSON served on GET
        self.actors: dict[str, dict] = {}  # actor id -> served actor document
        self._plans: dict[str, _Plan] = {}
        self.files: dict[str, tuple[bytes, str, bool]] = {}  # path -> (bytes, Content-Type, chunked) on GET
        self._file_plans: dict[str, _Plan] = {}
        self.file_requests: list[str] = []  # paths of the files asked for, in order
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> FakeRemote:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle_get)
        app.router.add_route("POST", "/{tail:.*}", self._handle_post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def origin(self) -> str:
        """http://127.0.0.1:PORT (only once the server runs)."""
        if self.port is None:
            raise RuntimeError("FakeRemote is not running; use it as an async context manager")
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """An absolute URL on the fake."""
        return self.origin + (path if path.startswith("/") else "/" + path)

    # --- fixtures and actors -------------------------------------------------------------

    def load_fixture(self, path: str | Path) -> dict:
        """A recorded payload rewritten to this fake's origin; actors in it become served.

        An actor document is served at its id (with our key). An activity's actor is served
        too: its recorded document if one was loaded before, else a generated minimal one.
        """
        raw = read_fixture(path)
        doc = rewrite_origin(raw, fixture_origin(raw), self.origin)
        if "inbox" in doc and "actor" not in doc:
            return self.serve_actor(doc)
        actor_id = _id_of(doc.get("actor"))
        if actor_id and actor_id not in self.actors and actor_id.startswith(self.origin + "/"):
            self.serve_actor(self.generated_actor(actor_id))
        return doc

    def generated_actor(self, actor_id: str) -> dict:
        """A minimal actor document for `actor_id` (written here, not recorded)."""
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor_id,
            "type": "Person",
            "preferredUsername": actor_id.rstrip("/").rsplit("/", 1)[-1],
            "inbox": actor_id + "/inbox",
            "outbox": actor_id + "/outbox",
            "followers": actor_id + "/followers",
            "endpoints": {"sharedInbox": self.url("/inbox")},
        }

    def serve_actor(self, doc: dict) -> dict:
        """Serve `doc` at its id with our public key replacing any recorded one; return it.

        The key keeps the id form the recording used (`#main-key`, `/main-key`...); a key id
        with its own path (GoToSocial) is served too, as the actor document.
        """
        actor = copy.deepcopy(doc)
        actor_id = actor["id"]
        recorded = actor.get("publicKey")
        if isinstance(recorded, list):
            recorded = next((k for k in recorded if isinstance(k, dict)), None)
        key_id = recorded.get("id") if isinstance(recorded, dict) else None
        if not isinstance(key_id, str) or not key_id.startswith(actor_id):
            key_id = actor_id + "#main-key"
        actor["publicKey"] = {"id": key_id, "owner": actor_id, "publicKeyPem": self.public_key_pem}
        self.actors[actor_id] = actor
        self.documents[urlsplit(actor_id).path] = actor
        key_path = urlsplit(key_id).path
        if key_path != urlsplit(actor_id).path:
            self.documents[key_path] = actor
        return actor

    def serve(self, path: str, doc: dict) -> None:
        """Serve any JSON document at `path`."""
        self.documents[path] = doc

    def key_id_of(self, actor_id: str) -> str:
        """The key id of a served actor."""
        return self.actors[actor_id]["publicKey"]["id"]

    def serve_file(self, path: str, body: bytes, content_type: str, *, statuses: list[int] | None = None,
                   retry_after: int | str | None = None, chunked: bool = False) -> str:
        """Serve a media file at `path` (answering `statuses` first, with `Retry-After`; `chunked`: without a
        Content-Length); return its absolute URL."""
        self.files[path] = (body, content_type, chunked)
        self._file_plans[path] = _Plan(deque(statuses or []), None if retry_after is None else str(retry_after))
        return self.url(path)

    # --- scripted answers --------------------------------------------------------------

    def respond(self, path: str, statuses: list[int], *, retry_after: int | str | None = None) -> None:
        """Answer the next POSTs to `path` with `statuses` in order (then 202 again);
        non-2xx answers carry `Retry-After` when given."""
        self._plans[path] = _Plan(deque(statuses), None if retry_after is None else str(retry_after))

    def received_at(self, path: str) -> list[ReceivedRequest]:
        """The POSTs received at `path`, oldest first."""
        return [r for r in self.received if r.path == path]

    # --- HTTP handlers ------------------------------------------------------------------

    async def _handle_get(self, request: web.Request) -> web.StreamResponse:
        if request.path in self.files:
            return await self._serve_file(request)
        doc = self.documents.get(request.path)
        if doc is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.Response(text=json.dumps(doc), content_type=ACTIVITY_JSON)

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        self.file_requests.append(request.path)
        body, content_type, chunked = self.files[request.path]
        plan = self._file_plans[request.path]
        if plan.statuses:
            status = plan.statuses.popleft()
            headers = {"Retry-After": plan.retry_after} if plan.retry_after is not None else {}
            return web.Response(status=status, headers=headers, text="scripted answer")
        if not chunked:
            return web.Response(body=body, content_type=content_type)
        resp = web.StreamResponse(headers={"Content-Type": content_type})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(0, len(body), 1024):
            await resp.write(body[i:i + 1024])
        await resp.write_eof()
        return resp

    async def _handle_post(self, request: web.Request) -> web.Response:
        body = await request.read()
        plan = self._plans.get(request.path)
        status = plan.statuses.popleft() if plan and plan.statuses else 202
        record = ReceivedRequest(
            method=request.method,
            path=request.path,
            raw_path=request.raw_path,
            headers=dict(request.headers),
            body=body,
            status=status,
        )
        await self._check_signature(record)
        self.received.append(record)
        headers = {}
        if plan and plan.retry_after is not None and not 200 <= status < 300:
            headers["Retry-After"] = plan.retry_after
        return web.Response(status=status, headers=headers)

    async def _check_signature(self, record: ReceivedRequest) -> None:
        from federation.errors import SignatureError

        try:
            pending = self._inspect(record.method, record.raw_path, record.headers, record.body)
        except SignatureError as exc:
            record.verified, record.error = False, getattr(exc, "reason", str(exc))
            return
        record.key_id = pending.key_id
        if self.key_resolver is None:
            return
        try:
            key = self.key_resolver(pending.key_id)
            if inspect.isawaitable(key):
                key = await key
        except Exception as exc:  # noqa: BLE001 - recorded on the request, tests assert on it
            record.error = f"key resolver failed: {exc!r}"
            return
        if key is None:
            record.error = "unknown key"
            return
        record.verified = bool(pending.verify(key))
        if not record.verified:
            record.error = "bad signature"

    # --- sending ------------------------------------------------------------------------

    async def post_signed(
        self, target_inbox_url: str, activity: dict, *, actor_id: str | None = None
    ) -> tuple[int, str]:
        """POST `activity` to `target_inbox_url`, signed with the key of `actor_id` (default:
        the activity's actor); return (status, body text)."""
        actor_id = actor_id or _id_of(activity.get("actor"))
        if actor_id not in self.actors:
            raise KeyError(f"{actor_id!r} is not served by this FakeRemote; load or serve it first")
        body = json.dumps(activity).encode("utf-8")
        headers = self._sign(
            "POST", target_inbox_url, body=body, key_id=self.key_id_of(actor_id), private_key=self.private_key
        )
        async with aiohttp.ClientSession() as session:
            async with session.post(target_inbox_url, data=body, headers=headers) as resp:
                return resp.status, await resp.text()
