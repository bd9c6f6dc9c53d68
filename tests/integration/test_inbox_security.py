"""The inbox of a real node on loopback: what it refuses (401/4xx/503 problem documents, nothing stored) and
what it accepts (202, stored once, answered with a signed Accept)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.sig.rfc9421 import sign_request_rfc9421
from federation.sig.cavage import sign_request
from federation.store.models import Follower, InboxItem, RemoteActor
from node.wire.models import WireStory
from schemas.actors import parse_public_key_doc
from tests.fakeremote import FakeRemote
from tests.nodes import RunningNode, node_config, node_on, running_node

AS = "https://www.w3.org/ns/activitystreams"
INBOXES = ["/inbox", "/actors/{handle}/inbox"]


class FlakyRemote(FakeRemote):
    """A FakeRemote that answers 500 to GETs of the paths in `failing` (a peer having a bad moment)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failing: set[str] = set()

    async def _handle_get(self, request: web.Request) -> web.Response:
        if request.path in self.failing:
            return web.json_response({"error": "temporarily broken"}, status=500)
        return await super()._handle_get(request)


def node_key_resolver(node: RunningNode):
    """Resolve our node's key the way a peer would: GET the actor document and read its publicKey."""

    async def resolve(key_id: str):
        async with aiohttp.ClientSession() as session:
            async with session.get(key_id.split("#", 1)[0], headers={"Accept": "application/activity+json"}) as resp:
                doc = await resp.json(content_type=None)
        _, owner, pem = parse_public_key_doc(doc, key_id)
        assert owner == node.actor_id
        return serialization.load_pem_public_key(pem.encode())

    return resolve


NO_LIMITS = {"inbox_host_burst": 0, "inbox_key_burst": 0, "api_burst": 0}


@contextlib.asynccontextmanager
async def _node(tmp_path, database: str | None, limits: bool) -> AsyncIterator[RunningNode]:
    if limits or database == "postgres":
        async with node_on(tmp_path, "baku", database) as node:
            yield node
    else:  # a fuzz run posts thousands of activities from two keys: the rate limits would refuse most
        async with running_node(tmp_path, "baku", config=node_config(tmp_path, "baku",
                                                                     sections={"limits": NO_LIMITS})) as node:
            yield node


@contextlib.asynccontextmanager
async def node_and_remote(tmp_path, database: str | None = None,
                          limits: bool = True) -> AsyncIterator[tuple[RunningNode, FlakyRemote]]:
    async with _node(tmp_path, database, limits) as node:
        async with FlakyRemote(key_resolver=node_key_resolver(node)) as remote:
            remote.serve_actor(remote.generated_actor(remote.url("/users/alice")))
            remote.serve_actor(remote.generated_actor(remote.url("/users/bob")))
            yield node, remote


def follow_of(node: RunningNode, remote: FakeRemote, n: int = 1, actor: str = "alice") -> dict[str, Any]:
    actor_id = remote.url(f"/users/{actor}")
    return {"@context": AS, "id": f"{actor_id}/follows/{n}", "type": "Follow", "actor": actor_id,
            "object": node.actor_id}


def create_of(remote: FakeRemote, object_id: str) -> dict[str, Any]:
    actor_id = remote.url("/users/alice")
    return {"@context": AS, "id": actor_id + "/statuses/1/activity", "type": "Create", "actor": actor_id,
            "to": [AS + "#Public"],
            "object": {"id": object_id, "type": "Note", "attributedTo": actor_id, "content": "<p>hi</p>"}}


def inbox_url(node: RunningNode, path: str) -> str:
    return node.base_url + path.format(handle=node.config.agency.handle)


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as resp:
            return resp.status, dict(resp.headers), await resp.text()


async def signed_post(remote: FakeRemote, url: str, activity: dict[str, Any] | bytes, *,
                      key_of: str | None = None, private_key: rsa.RSAPrivateKey | None = None,
                      now: datetime | None = None, content_type: str = "application/activity+json",
                      send_body: bytes | None = None) -> tuple[int, dict[str, str], str]:
    """POST with a draft-cavage signature; `send_body` replaces the body after signing (tampering)."""
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    if key_of is None:
        key_of = activity["actor"] if isinstance(activity, dict) else remote.url("/users/alice")
    headers = sign_request("POST", url, body=body, key_id=remote.key_id_of(key_of),
                           private_key=private_key or remote.private_key, now=now, content_type=content_type)
    return await post(url, send_body if send_body is not None else body, headers)


def assert_problem(answer: tuple[int, dict[str, str], str], status: int) -> dict[str, Any]:
    got, headers, text = answer
    assert got == status, text
    assert headers["Content-Type"].split(";")[0] == "application/problem+json"
    doc = json.loads(text)
    assert doc["status"] == status and doc["type"] and doc["title"] and doc["detail"]
    return doc


async def stored(node: RunningNode) -> tuple[int, int, int]:
    async def count() -> tuple[int, int, int]:
        return await InboxItem.all().count(), await Follower.all().count(), await WireStory.all().count()

    return await node.db(count)


# --- refused with 401 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", INBOXES)
async def test_inbox__forged_signature_refused(tmp_path, path):
    """A Follow signed by a key other than the actor's published one is refused with 401 and not stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        answer = await signed_post(remote, inbox_url(node, path), follow_of(node, remote), private_key=forger)
        assert_problem(answer, 401)
        assert await stored(node) == (0, 0, 0)


@pytest.mark.parametrize("path", INBOXES)
async def test_inbox__tampered_body_refused(tmp_path, path):
    """A body changed after signing fails its Digest: 401, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = follow_of(node, remote)
        tampered = json.dumps({**follow, "id": follow["id"] + "-evil"}).encode()
        answer = await signed_post(remote, inbox_url(node, path), follow, send_body=tampered)
        assert_problem(answer, 401)
        assert await stored(node) == (0, 0, 0)


@pytest.mark.parametrize("path", INBOXES)
async def test_inbox__stale_date_refused(tmp_path, path):
    """A correctly signed request whose Date is two hours old is outside the window: 401."""
    async with node_and_remote(tmp_path) as (node, remote):
        two_hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
        answer = await signed_post(remote, inbox_url(node, path), follow_of(node, remote), now=two_hours_ago)
        assert "date" in assert_problem(answer, 401)["detail"]
        assert await stored(node) == (0, 0, 0)


@pytest.mark.parametrize("path", INBOXES)
async def test_inbox__key_of_another_actor_refused(tmp_path, path):
    """Bob's valid key cannot sign an activity whose actor is Alice: 401 (key not owned by the actor)."""
    async with node_and_remote(tmp_path) as (node, remote):
        answer = await signed_post(remote, inbox_url(node, path), follow_of(node, remote),
                                   key_of=remote.url("/users/bob"))
        doc = assert_problem(answer, 401)
        assert remote.url("/users/bob") in doc["detail"]
        assert await stored(node) == (0, 0, 0)


@pytest.mark.parametrize("shape", ["actor document", "bare key"])
async def test_inbox__key_on_another_host_claiming_actor_refused(tmp_path, shape):
    """A key served by another host that names Alice as its owner cannot speak for Alice, nor replace her cache."""
    async with node_and_remote(tmp_path) as (node, victim), FakeRemote() as attacker:
        alice = victim.url("/users/alice")
        await node.db(node.node.fed.fetcher.actor, alice)  # the node knows the real Alice
        evil_key = attacker.url("/evil-key")
        if shape == "actor document":
            attacker.serve("/evil-key", {**victim.generated_actor(alice), "inbox": attacker.url("/stolen"),
                                         "publicKey": {"id": evil_key, "owner": alice,
                                                       "publicKeyPem": attacker.public_key_pem}})
        else:
            attacker.serve("/evil-key", {"id": evil_key, "owner": alice, "publicKeyPem": attacker.public_key_pem})
        url = inbox_url(node, "/inbox")
        body = json.dumps(follow_of(node, victim)).encode()
        headers = sign_request("POST", url, body=body, key_id=evil_key, private_key=attacker.private_key)
        assert_problem(await post(url, body, headers), 401)
        assert await stored(node) == (0, 0, 0)
        cached = await node.db(lambda: RemoteActor.get(uri=alice))
        assert cached.inbox == alice + "/inbox" and cached.key_id == victim.key_id_of(alice)


@pytest.mark.parametrize("path", INBOXES)
async def test_inbox__unsigned_refused(tmp_path, path):
    """No Signature header at all: 401, never 202."""
    async with node_and_remote(tmp_path) as (node, remote):
        body = json.dumps(follow_of(node, remote)).encode()
        answer = await post(inbox_url(node, path), body, {"Content-Type": "application/activity+json"})
        assert_problem(answer, 401)
        assert await stored(node) == (0, 0, 0)


# --- accepted -------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("path", INBOXES)
async def test_inbox__valid_follow_accepted_and_answered_signed(tmp_path, path, database_url):
    """A valid signed Follow gets 202; the worker records the follower and sends an Accept signed with our key."""
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        follow = follow_of(node, remote)
        status, _, text = await signed_post(remote, inbox_url(node, path), follow)
        assert status == 202, text
        assert await node.node.process_inbox_once() == 1
        assert await node.node.deliver_once() == 1
        assert await node.db(lambda: Follower.filter(state="accepted").count()) == 1
        [accept] = remote.received_at("/users/alice/inbox")
        assert accept.json()["type"] == "Accept" and accept.json()["object"]["id"] == follow["id"]
        assert accept.key_id == node.node.urls.key_id(node.config.agency.handle)
        assert accept.verified is True, accept.error


@pytest.mark.postgres
async def test_inbox__duplicate_activity_stored_once(tmp_path, database_url):
    """The same activity id posted twice answers 202 both times and leaves one row."""
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        follow = follow_of(node, remote)
        first = await signed_post(remote, inbox_url(node, "/inbox"), follow)
        second = await signed_post(remote, inbox_url(node, "/actors/{handle}/inbox"), follow)
        assert (first[0], second[0]) == (202, 202)
        assert await node.db(lambda: InboxItem.filter(activity_id=follow["id"]).count()) == 1


async def test_inbox__rfc9421_signature_accepted(tmp_path):
    """An RFC 9421-signed Follow is accepted and recorded as verified by RFC 9421 (not draft-cavage)."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = follow_of(node, remote)
        url = inbox_url(node, "/inbox")
        body = json.dumps(follow).encode()
        headers = sign_request_rfc9421(
            "POST", url, body=body, key_id=remote.key_id_of(follow["actor"]), private_key=remote.private_key,
            headers={"Content-Type": "application/activity+json"})
        assert "Signature-Input" in headers and "Signature" in headers
        status, _, text = await post(url, body, headers)
        assert status == 202, text
        rows = await node.db(lambda: InboxItem.all().values_list("signature", flat=True))
        assert rows == ["rfc9421"]


async def test_inbox__rfc9421_forged_refused(tmp_path):
    """An RFC 9421 signature by the wrong key is refused with 401 (so Fedify falls back, never a silent 202)."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = follow_of(node, remote)
        url = inbox_url(node, "/inbox")
        body = json.dumps(follow).encode()
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        headers = sign_request_rfc9421("POST", url, body=body, key_id=remote.key_id_of(follow["actor"]),
                                       private_key=forger, headers={"Content-Type": "application/activity+json"})
        assert_problem(await post(url, body, headers), 401)
        assert await stored(node) == (0, 0, 0)


# --- a key that cannot be fetched for a moment --------------------------------------------------------------


async def test_inbox__key_fetch_failing_answers_503(tmp_path):
    """When the actor document answers 500 the node cannot judge the signature: 503 with Retry-After."""
    async with node_and_remote(tmp_path) as (node, remote):
        remote.failing.add("/users/alice")
        answer = await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote))
        assert_problem(answer, 503)
        assert int(answer[1]["Retry-After"]) > 0
        assert await stored(node) == (0, 0, 0)


# --- bad input ------------------------------------------------------------------------------------------


async def test_inbox__malformed_json_400(tmp_path):
    """A signed body that is not JSON: 400, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        answer = await signed_post(remote, inbox_url(node, "/inbox"), b'{"type": "Follow",')
        assert_problem(answer, 400)
        assert await stored(node) == (0, 0, 0)


async def test_inbox__body_over_limit_413(tmp_path):
    """A signed body over the 1 MiB default limit: 413, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = {**follow_of(node, remote), "padding": "x" * (1024 * 1024)}
        answer = await signed_post(remote, inbox_url(node, "/inbox"), follow)
        assert_problem(answer, 413)
        assert await stored(node) == (0, 0, 0)


async def chunked_signed_post(remote: FakeRemote, url: str, activity: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """POST a signed activity with chunked transfer encoding (no Content-Length), 16 KiB at a time."""
    body = json.dumps(activity).encode()
    headers = sign_request("POST", url, body=body, key_id=remote.key_id_of(activity["actor"]),
                           private_key=remote.private_key)

    async def chunks():
        for i in range(0, len(body), 16384):
            yield body[i:i + 16384]

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=chunks(), headers=headers) as resp:
            return resp.status, dict(resp.headers), await resp.text()


async def test_inbox__large_body_under_limit_read_whole(tmp_path):
    """A 600 KB activity (under the limit) is read to its end and accepted, sent with or without Content-Length."""
    async with node_and_remote(tmp_path) as (node, remote):
        big = {**follow_of(node, remote, n=1), "padding": "x" * 600_000}
        status, _, text = await signed_post(remote, inbox_url(node, "/inbox"), big)
        assert status == 202, text
        big = {**follow_of(node, remote, n=2), "padding": "y" * 600_000}
        status, _, text = await chunked_signed_post(remote, inbox_url(node, "/inbox"), big)
        assert status == 202, text
        bodies = await node.db(lambda: InboxItem.all().values_list("body", flat=True))
        assert sorted(len(b) for b in bodies) == [len(json.dumps(big).encode())] * 2


async def test_inbox__chunked_body_over_limit_413(tmp_path):
    """A chunked body (no Content-Length to refuse early) that grows past 1 MiB: 413, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = {**follow_of(node, remote), "padding": "x" * (2 * 1024 * 1024)}
        answer = await chunked_signed_post(remote, inbox_url(node, "/inbox"), follow)
        assert_problem(answer, 413)
        assert await stored(node) == (0, 0, 0)


async def test_inbox__missing_actor_400(tmp_path):
    """An activity without `actor`: 400 naming the field, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = follow_of(node, remote)
        del follow["actor"]
        answer = await signed_post(remote, inbox_url(node, "/inbox"), follow, key_of=remote.url("/users/alice"))
        assert "actor" in assert_problem(answer, 400)["detail"]
        assert await stored(node) == (0, 0, 0)


async def test_inbox__wrong_content_type_415(tmp_path):
    """A signed activity sent as text/plain: 415, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        answer = await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote),
                                   content_type="text/plain")
        assert_problem(answer, 415)
        assert await stored(node) == (0, 0, 0)


async def test_inbox__create_of_foreign_object_400(tmp_path):
    """A validly signed Create whose object lives on another host than its actor: 400, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        create = create_of(remote, "http://127.0.0.2:9/notes/stolen")
        answer = await signed_post(remote, inbox_url(node, "/inbox"), create)
        assert_problem(answer, 400)
        assert await stored(node) == (0, 0, 0)
        # The same Create with the object on the actor's own host is fine: the refusal was about the host.
        ok = await signed_post(remote, inbox_url(node, "/inbox"), create_of(remote, remote.url("/notes/1")))
        assert ok[0] == 202
