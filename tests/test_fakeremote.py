"""Tests for tests/fakeremote.py: fixture rewriting, actor serving, scripted answers and
signature verdicts, over real loopback HTTP with federation.signatures."""

from __future__ import annotations

import aiohttp
from cryptography.hazmat.primitives import serialization

from federation.sig import cavage as signatures
from schemas.activitystreams import parse_activity
from schemas.actors import parse_actor, parse_public_key_doc
from tests.fakeremote import FakeRemote, rewrite_origin


def _resolver_for(*remotes: FakeRemote):
    """A key resolver that looks keys up in the documents the fakes serve (as a node would fetch)."""

    def resolve(key_id: str):
        for remote in remotes:
            for actor in remote.actors.values():
                if actor["publicKey"]["id"] == key_id:
                    _, _, pem = parse_public_key_doc(actor, key_id)
                    return serialization.load_pem_public_key(pem.encode())
        return None

    return resolve


def test_rewrite_origin__whole_origins_only():
    """Only the exact origin is rewritten, never a longer host that shares its prefix."""
    doc = {"a": "https://mastodon/users/x", "b": ["https://mastodon.social/users/y", "https://mastodon"], "n": 3}
    out = rewrite_origin(doc, "https://mastodon", "http://127.0.0.1:9")
    assert out == {"a": "http://127.0.0.1:9/users/x", "b": ["https://mastodon.social/users/y", "http://127.0.0.1:9"], "n": 3}


async def test_fake_remote__serves_recorded_actor_with_own_key():
    """A recorded actor is rewritten to the fake's origin and served with the fake's key."""
    async with FakeRemote() as remote:
        actor = remote.load_fixture("mastodon/actor-gargron.json")
        assert actor["id"] == remote.url("/users/Gargron")
        assert actor["endpoints"]["sharedInbox"] == remote.url("/inbox")
        async with aiohttp.ClientSession() as session:
            async with session.get(actor["id"]) as resp:
                assert resp.status == 200
                assert resp.content_type == "application/activity+json"
                served = await resp.json(content_type=None)
        doc = parse_actor(served)
        assert doc.public_key_pem == remote.public_key_pem
        assert doc.public_key_id == remote.url("/users/Gargron#main-key")


async def test_fake_remote__gotosocial_key_path_served():
    """GoToSocial's /main-key key id is served too, and names the actor's key."""
    async with FakeRemote() as remote:
        actor = remote.load_fixture("gotosocial/actor-the_mighty_zork.json")
        key_id = actor["publicKey"]["id"]
        assert key_id == remote.url("/users/the_mighty_zork/main-key")
        async with aiohttp.ClientSession() as session:
            async with session.get(key_id) as resp:
                served = await resp.json(content_type=None)
        assert parse_public_key_doc(served, key_id)[2] == remote.public_key_pem


async def test_fake_remote__signed_post_verified_by_receiver():
    """A recorded activity posted by one fake is received and verified by another."""
    async with FakeRemote() as sender, FakeRemote() as receiver:
        receiver.key_resolver = _resolver_for(sender)
        follow = sender.load_fixture("misskey/undo-follow.json")
        parse_activity(follow)
        assert follow["actor"] in sender.actors  # a generated actor serves the key
        status, _ = await sender.post_signed(receiver.url("/users/wire/inbox"), follow)
        assert status == 202
        [got] = receiver.received_at("/users/wire/inbox")
        assert got.verified is True, got.error
        assert got.key_id == sender.key_id_of(follow["actor"])
        assert got.json() == follow


async def test_fake_remote__tampered_body_not_verified():
    """A body that does not match the signed digest gets a False verdict."""
    async with FakeRemote() as receiver:
        receiver.key_resolver = lambda key_id: None
        headers = signatures.sign_request(
            "POST", receiver.url("/inbox"), body=b'{"a": 1}', key_id="https://x.test/k", private_key=receiver.private_key
        )
        async with aiohttp.ClientSession() as session:
            async with session.post(receiver.url("/inbox"), data=b'{"a": 2}', headers=headers) as resp:
                assert resp.status == 202
        [got] = receiver.received
        assert got.verified is False and got.error


async def test_fake_remote__scripted_statuses_and_retry_after():
    """Configured statuses are answered in order with Retry-After, then 202 again."""
    async with FakeRemote() as sender, FakeRemote() as receiver:
        receiver.key_resolver = _resolver_for(sender)
        receiver.respond("/inbox", [503, 200], retry_after=30)
        activity = sender.load_fixture("gotosocial/announce.json")
        url = receiver.url("/inbox")
        async with aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(3):
                headers = signatures.sign_request(
                    "POST", url, body=b"{}", key_id=sender.key_id_of(activity["actor"]), private_key=sender.private_key
                )
                async with session.post(url, data=b"{}", headers=headers) as resp:
                    statuses.append((resp.status, resp.headers.get("Retry-After")))
        assert statuses == [(503, "30"), (200, None), (202, None)]
        assert all(r.verified for r in receiver.received)
