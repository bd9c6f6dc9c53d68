"""SSRF on a running node: its clients are guarded, an inbox key on a private address is refused for good, and a
delivery to a private or unfetchable inbox is dead at once. Instruments: `tests.faults.loopback`."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.errors import PrivateAddressError
from node.translation.mt import EngineUnavailable
from tests.faults.loopback import Listeners, listeners, tripwire  # noqa: F401 (fixtures)
from tests.faults.test_ssrf import KEY, _error, _media, assert_refused


async def test_node__every_client_of_a_running_node_is_guarded(tmp_path: Path, listeners: Listeners,
                                                               tripwire: list[str]) -> None:
    """A node with private addresses refused: its actor fetches, media fetches and engine never reach loopback."""
    from tests.nodes import node_config, running_node

    target = f"http://127.0.0.2:{listeners.port}"
    config = node_config(tmp_path, "baku", sections={
        "federation": {"allow_private_addresses": False},
        "translation": {"engine": "libretranslate", "url": target, "api_key": "k"}})
    async with running_node(tmp_path, "baku", config=config) as baku:
        node = baku.node
        for http in (node.fed.http, node.media_fetcher.http, node.translation._http):  # type: ignore[union-attr]
            assert type(http.session.connector).__name__ == "_GuardedConnector"
            assert not http.policy.allow_private
        error = await _error(baku.db(node.fed.fetcher.actor, target + "/users/x"))
        assert isinstance(error, PrivateAddressError), error
        error = await _error(node.translation.engine.translate(["Hello"], "en", "es", html=False))  # type: ignore
        assert isinstance(error, EngineUnavailable) and "allow_private_engine" in str(error)
        assert_refused(await _media(node.media_fetcher.http, target, tmp_path / "m"), "127.0.0.2")
    assert listeners.accepted == {}
    assert [a for a in tripwire if a != "127.0.0.1"] == []  # only the test's own calls to the node itself


async def test_node__a_signed_post_with_a_private_key_id_is_refused_for_good(tmp_path: Path, listeners: Listeners,
                                                                              tripwire: list[str]) -> None:
    """An inbox POST signed by a key on 127.0.0.2 (and its decimal, octal, mapped forms) is answered 401 (not 503:
    a peer would retry for ever), and the key's address is never connected to."""
    import orjson

    from federation.sig.cavage import sign_request
    from tests.nodes import node_config, running_node

    config = node_config(tmp_path, "baku", sections={"federation": {"allow_private_addresses": False}})
    async with running_node(tmp_path, "baku", config=config) as baku:
        for host in ("127.0.0.2", "2130706434", "0177.0.0.2", "[::ffff:127.0.0.2]", "[::1]", "localhost"):
            actor = f"http://{host}:{listeners.port}/users/mallory"
            body = orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
                                 "id": actor + "/follow/1", "actor": actor, "object": baku.actor_id})
            url = baku.base_url + "/inbox"
            headers = sign_request("POST", url, body=body, key_id=actor + "#main-key", private_key=KEY)
            async with baku.session.post(url, data=body, headers=headers) as resp:
                assert resp.status == 401, (host, resp.status, await resp.text())
    assert listeners.accepted == {}
    assert [a for a in tripwire if a != "127.0.0.1"] == []


@pytest.mark.parametrize("inbox_host", ["127.0.0.2", "2130706434"])
async def test_delivery__to_a_private_or_unfetchable_inbox_is_dead_at_once(inbox_host: str, tmp_path: Path,
                                                                           listeners: Listeners,
                                                                           tripwire: list[str]) -> None:
    """A follower whose inbox is on a private address (or a decimal host no client takes) gets no POST and no
    retries: the delivery row is dead after one attempt, with the reason."""
    from federation.store.models import Delivery, RemoteActor
    from tests.integration.test_delivery import STORY, _followed_by
    from tests.fakeremote import FakeRemote
    from tests.nodes import node_config, running_node

    config = node_config(tmp_path, "baku", sections={"federation": {
        "allow_private_addresses": False, "allowed_private_networks": ["127.0.0.1/32"]}})
    async with running_node(tmp_path, "baku", config=config) as baku, FakeRemote() as remote:
        await _followed_by(baku, remote, "alice")
        inbox = f"http://{inbox_host}:{listeners.port}/inbox"
        await baku.db(lambda: RemoteActor.all().update(inbox=inbox, shared_inbox=inbox))
        status, _ = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        await baku.node.deliver_once()
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
    assert (row.state, row.attempts) == ("dead", 1), (row.state, row.attempts, row.last_error)
    assert "non-public" in row.last_error or "canonical" in row.last_error
    assert listeners.accepted == {}
    assert {a for a in tripwire} <= {"127.0.0.1"}


async def test_node__following_a_handle_on_a_private_address_is_refused(tmp_path: Path, listeners: Listeners,
                                                                        tripwire: list[str]) -> None:
    """POST /api/following with a handle (WebFinger) or an actor URL on a private address: a 4xx problem that
    says so, nothing stored, and the address never connected to."""
    from tests.nodes import node_config, running_node

    config = node_config(tmp_path, "baku", sections={"federation": {"allow_private_addresses": False}})
    async with running_node(tmp_path, "baku", config=config) as baku:
        for handle in (f"acct:x@127.0.0.2:{listeners.port}", f"x@localhost:{listeners.port}",
                       f"http://[::1]:{listeners.port}/users/x", f"http://0.0.0.0:{listeners.port}/users/x"):
            status, doc = await baku.api("POST", "/api/following", {"handle": handle})
            assert (status, doc["title"]) == (422, "Address not allowed"), (handle, status, doc)
            assert "non-public" in doc["detail"] and "allow_private_addresses" in doc["detail"]
        status, doc = await baku.api("GET", "/api/following")
        assert status == 200 and doc["following"] == []
    assert listeners.accepted == {}
    assert {a for a in tripwire} <= {"127.0.0.1"}
