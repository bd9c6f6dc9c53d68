"""Key fetching cannot be used to plant a forged actor in the cache."""

from __future__ import annotations

import pytest

from federation.errors import SignatureError
from federation.store.models import RemoteActor
from tests.fakeremote import FakeRemote
from tests.nodes import running_node


async def test_key_fetch__document_claiming_another_actor_is_refused(tmp_path):
    """A key URL whose document claims to be an actor living elsewhere is refused and nothing is cached."""
    async with running_node(tmp_path, "baku") as baku, FakeRemote() as evil, FakeRemote() as victim:
        victim_id = victim.url("/users/victim")
        victim.serve_actor(victim.generated_actor(victim_id))
        forged = evil.generated_actor(victim_id)
        forged["publicKey"] = {"id": evil.url("/keys/k#main-key"), "owner": victim_id,
                               "publicKeyPem": evil.public_key_pem}
        evil.serve("/keys/k", forged)
        with pytest.raises(SignatureError):
            await baku.db(baku.node.fed.fetcher.key, evil.url("/keys/k#main-key"))
        assert await baku.db(lambda: RemoteActor.filter(uri=victim_id).count()) == 0


async def test_key_fetch__bare_key_needs_its_owner_to_list_it(tmp_path):
    """A bare key document is believed only when its owner's actor document lists that key."""
    async with running_node(tmp_path, "baku") as baku, FakeRemote() as remote:
        actor_id = remote.url("/users/zork")
        doc = remote.generated_actor(actor_id)
        doc["publicKey"] = {"id": actor_id + "/main-key", "owner": actor_id, "publicKeyPem": ""}
        remote.serve_actor(doc)  # serves the actor with key id .../main-key
        remote.serve("/users/zork/main-key", {"id": actor_id + "/main-key", "owner": actor_id,
                                              "publicKeyPem": remote.public_key_pem})
        key = await baku.db(baku.node.fed.fetcher.key, actor_id + "/main-key")
        assert key.owner == actor_id
        remote.serve("/users/zork/other-key", {"id": actor_id + "/other-key", "owner": actor_id,
                                               "publicKeyPem": remote.public_key_pem})
        with pytest.raises(SignatureError):
            await baku.db(baku.node.fed.fetcher.key, actor_id + "/other-key")
