"""Key rotation covers the agency's channels: after `POST /api/keys/rotate` (the use-case behind `agency-node keys
rotate`), the fact-check channel and a language channel have new RSA and Ed25519 keys, each tells its own
followers with an Update(actor) signed with its new key, and a follower of the fact-check channel verifies the
channel's next post (HTTP signature and object proof) with the keys that Update announced."""

from __future__ import annotations

import contextlib

import aiohttp
import pytest

from federation.integrity import verify_document
from federation.keys import load_public_key
from federation.multikey import ed25519_from_multibase
from tests.fakeremote import FakeRemote
from tests.nodes import node_config, postgres_database, running_node, settle

FACTCHECK = {
    "claim": {"text": "The Caspian Sea level rose by three metres in one year and flooded the port of Baku",
              "language": "en", "urls": ["https://rumours.example/posts/1234"]},
    "verdict": "false", "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."},
}


def _live_keys(base_url: str):
    """A follower's key lookup: the signing actor's document as served now (what Mastodon refetches when a
    cached key fails), its RSA key parsed."""
    async def resolve(key_id: str):
        async with aiohttp.ClientSession() as session:
            async with session.get(key_id.split("#")[0], headers={"Accept": "application/activity+json"}) as resp:
                doc = await resp.json(content_type=None)
        assert key_id.startswith(base_url) and doc["publicKey"]["id"] == key_id
        return load_public_key(doc["publicKey"]["publicKeyPem"])
    return resolve


async def _follow(baku, remote, who: str, actor_url: str, n: int) -> None:
    follower = remote.url(f"/users/{who}")
    remote.serve_actor(remote.generated_actor(follower))
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.url(f"/follows/{n}"),
              "type": "Follow", "actor": follower, "object": actor_url}
    assert (await remote.post_signed(actor_url + "/inbox", follow))[0] == 202


def _of(remote, type_: str, actor: str) -> list:
    return [r for r in remote.received if r.json().get("type") == type_ and r.json().get("actor") == actor]


@contextlib.asynccontextmanager
async def _baku(tmp_path, database_url):
    """Baku with a fact-check channel and a Russian channel, on SQLite or PostgreSQL."""
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(postgres_database()) if database_url == "postgres" else None
        config = node_config(tmp_path, "baku", database_url=url,
                             sections={"factchecks": {"channel": True}, "channels": {"languages": ["ru"]}})
        yield await stack.enter_async_context(running_node(tmp_path, "baku", config=config))


@pytest.mark.postgres
async def test_key_rotation__channels_rotate_and_their_followers_verify_posts_with_the_new_keys(tmp_path,
                                                                                              database_url):
    """Rotation gives the agency, its fact-check channel and its Russian channel new keys (in one transaction);
    each channel's follower gets its Update(actor) signed with the new RSA key, carrying the new keys (the old
    Multikey listed with an end date); the fact-check channel's next post verifies with the announced keys, not
    the old ones (SQLite and PostgreSQL)."""
    async with _baku(tmp_path, database_url) as baku, FakeRemote() as remote:
        remote.key_resolver = _live_keys(baku.base_url)
        channel, russian = baku.node.urls.actor("baku_factchecks"), baku.node.urls.actor("baku_ru")
        before = {url: (await baku.get(url.removeprefix(baku.base_url)))[1]
                  for url in (channel, russian, baku.actor_id)}
        await _follow(baku, remote, "alice", channel, 1)
        await _follow(baku, remote, "boris", russian, 2)
        await settle(baku)
        assert len(_of(remote, "Accept", channel)) == 1 and len(_of(remote, "Accept", russian)) == 1

        status, report = await baku.api("POST", "/api/keys/rotate")
        assert status == 201, report
        assert {c["actor"]: c["followers_inboxes"] for c in report["channels"]} == {channel: 1, russian: 1}
        await settle(baku)
        for url in (channel, russian):
            old = before[url]
            [update] = _of(remote, "Update", url)
            assert update.verified is True, update.error  # signed with the new key, as served now
            actor = update.json()["object"]
            assert actor["id"] == url and actor["publicKey"]["publicKeyPem"] != old["publicKey"]["publicKeyPem"]
            [old_key] = old["assertionMethod"]
            new_key, retired = actor["assertionMethod"]
            assert retired["id"] == old_key["id"] and "expires" in retired and "expires" not in new_key
            assert new_key["id"] == next(c["ed25519_key"] for c in report["channels"] if c["actor"] == url)
            _, served, _ = await baku.get(url.removeprefix(baku.base_url))
            assert served["publicKey"] == actor["publicKey"] and served["assertionMethod"] == actor["assertionMethod"]
        _, agency_now, _ = await baku.get("/actors/baku")
        assert agency_now["publicKey"]["publicKeyPem"] != before[baku.actor_id]["publicKey"]["publicKeyPem"]

        # The channel's next post: the follower checks it with the keys the Update announced.
        [update] = _of(remote, "Update", channel)
        announced = update.json()["object"]
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        await settle(baku)
        [create] = _of(remote, "Create", channel)
        assert create.verified is True, create.error
        assert create.key_id == announced["publicKey"]["id"]
        new_key, old_key = announced["assertionMethod"]
        post = create.json()
        assert verify_document(post, ed25519_from_multibase(new_key["publicKeyMultibase"])).verification_method \
            == new_key["id"]
        assert post["proof"]["verificationMethod"] == new_key["id"] != old_key["id"]
