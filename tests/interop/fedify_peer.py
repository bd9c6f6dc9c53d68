"""Harness for the Fedify test peer (tests/interop/fedify/peer.mjs).

Starts an independent ActivityPub server built on Fedify on a free loopback
port and drives it over its JSON control API::

    async with FedifyPeer(username="alice") as alice:
        await alice.follow("acct:desk@127.0.0.1:8123")
        rec = await alice.wait_for(lambda r: r["type"] == "Accept")
        assert rec["http_signature_verified"]

Every record returned by ``received()`` carries the peer's own verdict on the
HTTP signature of the POST that delivered it (``http_signature_verified``),
computed on the raw request independently of whether Fedify accepted the
activity through an embedded proof.  See tests/interop/fedify/README.md.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

PEER_DIR = Path(__file__).resolve().parent / "fedify"
PEER_SCRIPT = PEER_DIR / "peer.mjs"
NODE_MODULES_MARKER = PEER_DIR / "node_modules" / "@fedify" / "fedify" / "package.json"

Record = dict[str, Any]


class FedifyPeerError(RuntimeError):
    """The peer could not be installed, started or driven."""


def _which(name: str) -> str | None:
    return shutil.which(name)


def fedify_available() -> tuple[bool, str]:
    """Whether the Fedify peer can run here: (ok, reason).

    Only a missing ``node`` (or a missing ``npm`` while node_modules is not
    installed yet) makes it unavailable; use it for ``pytest.skip``.
    """
    node = _which("node")
    if node is None:
        return False, "node is not installed (the Fedify peer needs Node.js 20+)"
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20)
        major = int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return False, f"could not run node --version: {exc}"
    if major < 20:
        return False, f"node {out.stdout.strip()} is too old (need 20+)"
    if not NODE_MODULES_MARKER.exists() and _which("npm") is None:
        return False, "npm is not installed and tests/interop/fedify/node_modules is missing"
    return True, f"node {out.stdout.strip()}"


def ensure_installed(timeout: float = 600.0) -> None:
    """Run ``npm ci`` in tests/interop/fedify when node_modules is missing.

    Synchronous and idempotent; a lock file keeps parallel pytest workers from
    installing twice at once.
    """
    if NODE_MODULES_MARKER.exists():
        return
    npm = _which("npm")
    if npm is None:
        raise FedifyPeerError(
            "npm is not on PATH, so the Fedify peer's dependencies cannot be installed "
            "(run `npm ci` in tests/interop/fedify, or install Node.js 20+ with npm)"
        )
    lock_path = PEER_DIR / ".npm-ci.lock"
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            if NODE_MODULES_MARKER.exists():
                return
            if time.monotonic() > deadline:
                raise FedifyPeerError(f"timed out waiting for another npm ci ({lock_path})") from None
            time.sleep(0.5)
    try:
        os.close(fd)
        if NODE_MODULES_MARKER.exists():
            return
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0 or not NODE_MODULES_MARKER.exists():
            raise FedifyPeerError(
                f"npm ci failed in {PEER_DIR} (exit {proc.returncode}):\n"
                f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
    finally:
        try:
            os.unlink(lock_path)
        except FileNotFoundError:
            pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class FedifyPeer:
    """An independent Fedify ActivityPub server on loopback (async context manager).

    Parameters:
        username: the single actor's name (a ``Person``).
        port: fixed port, or ``None`` for a free one.
        first_knock: ``"draft-cavage"`` (default, signs like Mastodon) or
            ``"rfc9421"`` (Fedify's own default: RFC 9421 first, draft-cavage
            only after a 400/401/5xx answer).
        require_http_signature: when true, inbox POSTs whose HTTP signature
            does not verify are refused with 401 even if they carry a valid
            proof (stricter than Fedify and Mastodon).
        ed25519: give the actor an Ed25519 key too; Fedify then adds an Object
            Integrity Proof (eddsa-jcs-2022) to everything it sends.
        startup_timeout: seconds to wait for the READY line.
    """

    def __init__(
        self,
        username: str = "alice",
        *,
        port: int | None = None,
        first_knock: str = "draft-cavage",
        require_http_signature: bool = False,
        ed25519: bool = True,
        startup_timeout: float = 90.0,  # Node starting under a loaded CI machine took over 30 s once
        request_timeout: float = 30.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.username = username
        self.host = "127.0.0.1"
        self.port = port
        self.first_knock = first_knock
        self.require_http_signature = require_http_signature
        self.ed25519 = ed25519
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stderr_lines: list[str] = []
        self._stderr_task: asyncio.Task[None] | None = None
        self._stdout_task: asyncio.Task[None] | None = None

    # -- identity -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def handle(self) -> str:
        return f"acct:{self.username}@{self.host}:{self.port}"

    @property
    def actor_id(self) -> str:
        return f"{self.base_url}/users/{self.username}"

    @property
    def inbox(self) -> str:
        return f"{self.actor_id}/inbox"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    @property
    def followers_uri(self) -> str:
        return f"{self.actor_id}/followers"

    @property
    def log(self) -> str:
        """The peer's stderr so far (Fedify errors, what it received)."""
        return "\n".join(self._stderr_lines)

    # -- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> FedifyPeer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        ok, reason = fedify_available()
        if not ok:
            raise FedifyPeerError(reason)
        await asyncio.to_thread(ensure_installed)
        pick_port = self.port is None
        attempts = 3 if pick_port else 1
        for attempt in range(1, attempts + 1):
            if pick_port:
                self.port = free_port(self.host)
            try:
                await self._spawn()
                return
            except FedifyPeerError:
                # a port picked by us may have been taken in between: retry
                if attempt == attempts or "EADDRINUSE" not in self.log:
                    raise
                self._stderr_lines.clear()

    async def _spawn(self) -> None:
        node = _which("node")
        assert node is not None
        cmd = [
            node,
            str(PEER_SCRIPT),
            "--port",
            str(self.port),
            "--host",
            self.host,
            "--username",
            self.username,
            "--first-knock",
            self.first_knock,
            "--exit-on-stdin-close",
        ]
        if self.require_http_signature:
            cmd.append("--require-http-signature")
        if not self.ed25519:
            cmd.append("--no-ed25519")
        env = dict(os.environ)
        env.setdefault("NODE_NO_WARNINGS", "1")
        if self.env:
            env.update(self.env)
        self.proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=PEER_DIR,
            stdin=asyncio.subprocess.PIPE,  # closed when we go away: the peer exits
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        try:
            await asyncio.wait_for(self._wait_ready(), self.startup_timeout)
        except (asyncio.TimeoutError, FedifyPeerError) as exc:
            await self.stop()
            raise FedifyPeerError(
                f"Fedify peer {self.username} did not become ready on port {self.port}: {exc!r}\n"
                f"--- peer stderr ---\n{self.log[-4000:]}"
            ) from None
        self._stdout_task = asyncio.create_task(self._drain_stdout())
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout)
        )

    async def _wait_ready(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                await asyncio.sleep(0.05)  # let stderr drain for the message
                raise FedifyPeerError(f"peer exited with code {self.proc.returncode}")
            text = line.decode(errors="replace").strip()
            if text.startswith("READY "):
                return

    async def _drain_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while await self.proc.stdout.readline():
            pass

    async def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self._stderr_lines.append(line.decode(errors="replace").rstrip())
            if len(self._stderr_lines) > 5000:
                del self._stderr_lines[:1000]

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        for task in (self._stdout_task, self._stderr_task):
            if task is not None:
                try:
                    await asyncio.wait_for(task, 2)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    task.cancel()
        self._stdout_task = self._stderr_task = None

    # -- control API --------------------------------------------------------

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._session is None:
            raise FedifyPeerError("peer is not running")
        url = f"{self.base_url}/_control/{path}"
        async with self._session.request(method, url, json=body) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise FedifyPeerError(
                    f"{method} /_control/{path} -> {resp.status}: {text[:2000]}\n"
                    f"--- peer stderr (tail) ---\n{self.log[-3000:]}"
                )
            return await resp.json(content_type=None) if text else None

    async def health(self) -> dict[str, Any]:
        return await self._call("GET", "health")

    async def follow(self, handle: str) -> dict[str, Any]:
        """Look up ``handle`` (acct: handle or actor URL) and send it a Follow.

        Returns ``{"actor", "follow_id", "inbox"}``.
        """
        return await self._call("POST", "follow", {"handle": handle})

    async def unfollow(self, handle: str) -> dict[str, Any]:
        """Send Undo(Follow) for an earlier follow. Returns ``{"actor", "id"}``."""
        return await self._call("POST", "unfollow", {"handle": handle})

    async def publish(
        self,
        content: str,
        name: str | None = None,
        language: str | None = "en",
        *,
        summary: str | None = None,
        type: str | None = None,
        prefer_shared_inbox: bool = True,
    ) -> dict[str, Any]:
        """Create a Note (an Article when ``name`` is given) for the followers.

        Delivery happens before this returns. Returns ``{"id", "activity_id", "type"}``.
        """
        body: dict[str, Any] = {
            "content": content,
            "language": language,
            "prefer_shared_inbox": prefer_shared_inbox,
        }
        if name is not None:
            body["name"] = name
        if summary is not None:
            body["summary"] = summary
        if type is not None:
            body["type"] = type
        return await self._call("POST", "publish", body)

    async def send(
        self,
        inbox: str,
        activity: dict[str, Any] | None = None,
        *,
        signature: str = "draft-cavage",
        proof: bool = False,
    ) -> dict[str, Any]:
        """POST a raw activity to ``inbox`` signed as this peer's actor.

        ``signature``: ``"draft-cavage"``, ``"rfc9421"``, ``"none"``,
        ``"wrong-key"`` (our keyId, a throwaway key) or ``"tampered"`` (body
        changed after signing).  ``proof`` adds an eddsa-jcs-2022 proof.
        Returns ``{"status", "body", "activity"}``; never raises on the
        inbox's status.
        """
        body: dict[str, Any] = {"inbox": inbox, "signature": signature, "proof": proof}
        if activity is not None:
            body["activity"] = activity
        return await self._call("POST", "send", body)

    async def received(self) -> list[Record]:
        """Activities that reached an inbox listener, oldest first."""
        return await self._call("GET", "received")

    async def deliveries(self) -> list[Record]:
        """Every POST to an inbox with its HTTP status and signature verdict,
        including ones Fedify refused (those never show in ``received()``)."""
        return await self._call("GET", "deliveries")

    async def clear(self) -> None:
        await self._call("DELETE", "received")

    async def followers(self) -> list[Record]:
        return await self._call("GET", "followers")

    async def following(self) -> list[Record]:
        return await self._call("GET", "following")

    async def wait_for(
        self,
        predicate: Callable[[Record], bool],
        timeout: float = 15.0,
        *,
        interval: float = 0.1,
    ) -> Record:
        """Poll ``received()`` until a record matches ``predicate``; return it."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for rec in await self.received():
                if predicate(rec):
                    return rec
            if asyncio.get_running_loop().time() >= deadline:
                recs = await self.received()
                summary = [(r.get("type"), r.get("id"), r.get("http_signature_verified")) for r in recs]
                raise TimeoutError(
                    f"{self.username}: no matching activity within {timeout}s; received: {summary}\n"
                    f"deliveries: {await self.deliveries()}\n"
                    f"--- peer stderr (tail) ---\n{self.log[-3000:]}"
                )
            await asyncio.sleep(interval)

    async def wait_for_state(
        self,
        which: str,
        predicate: Callable[[Record], bool],
        timeout: float = 15.0,
        *,
        interval: float = 0.1,
    ) -> Record:
        """Poll ``followers()`` or ``following()`` until an entry matches."""
        getter = {"followers": self.followers, "following": self.following}[which]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for entry in await getter():
                if predicate(entry):
                    return entry
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"{self.username}: no matching {which} entry within {timeout}s: {await getter()}")
            await asyncio.sleep(interval)
