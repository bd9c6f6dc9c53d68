"""The shared inbox answered before the app's routing (node/web/serve.py): the same answers as the routed inboxes,
in the right node's database, failures as problem documents, timed under the route, and ``Expect: 100-continue``
left to the app, whose router answers it."""

from __future__ import annotations

import json
import sqlite3

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from federation.sig.cavage import sign_request
from federation.store.models import Follower, InboxItem
from node.web import activitypub, serve
from tests.fakeremote import FakeRemote
from tests.integration.test_inbox_security import (
    assert_problem, follow_of, inbox_url, node_and_remote, node_key_resolver, signed_post,
)
from tests.nodes import running_node


async def _metric_count(node, method: str, route: str) -> float:
    async with node.session.get(node.base_url + "/metrics") as resp:
        text = await resp.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "agency_http_request_duration_seconds_count"
                    and sample.labels == {"method": method, "route": route}):
                return sample.value
    return 0.0


async def test_shared_inbox__answered_before_routing_with_the_routes_answers(tmp_path, monkeypatch):
    """A signed Follow to /inbox and to /actor/inbox is stored (202) while the app's handler for those routes would
    fail; an unsigned one is 401 with a problem document, as the routed personal inbox answers; each POST is
    counted under its route."""
    async with node_and_remote(tmp_path) as (node, remote):
        routed = {r.resource.canonical: r.handler for r in node.app.router.routes() if r.method == "POST"}
        assert routed["/inbox"] is activitypub.inbox and routed["/actor/inbox"] is activitypub.inbox

        calls = []
        real = activitypub.receive_post

        async def counting(*args, **kwargs):
            calls.append(args[3])
            return await real(*args, **kwargs)

        monkeypatch.setattr(serve, "receive_post", counting)
        # The routed handler now fails: an answer from it would be a 500.
        monkeypatch.setattr(activitypub, "receive_post", None)

        assert (await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote, 1)))[0] == 202
        assert (await signed_post(remote, inbox_url(node, "/actor/inbox"), follow_of(node, remote, 2)))[0] == 202
        assert calls == [None, None]

        async def rows() -> list[str]:
            return sorted(i.activity_id for i in await InboxItem.all())

        assert await node.db(rows) == sorted(follow_of(node, remote, n)["id"] for n in (1, 2))

        body = json.dumps(follow_of(node, remote, 3)).encode()
        async with aiohttp.ClientSession() as session:
            async with session.post(inbox_url(node, "/inbox"), data=body,
                                    headers={"Content-Type": "application/activity+json"}) as resp:
                answer = resp.status, dict(resp.headers), await resp.text()
        assert assert_problem(answer, 401)["title"] == "Invalid signature"
        # A personal inbox still goes through the app (whose handler is broken now).
        personal = await signed_post(remote, inbox_url(node, "/actors/{handle}/inbox"), follow_of(node, remote, 4))
        assert_problem(personal, 500)
        assert await _metric_count(node, "POST", "/inbox") == 2  # the signed Follow and the unsigned one
        assert await _metric_count(node, "POST", "/actor/inbox") == 1
        assert await _metric_count(node, "POST", "/actors/{username}/inbox") == 1


async def test_shared_inbox__a_failure_inside_is_a_problem_document_and_nothing_stored(tmp_path, monkeypatch):
    """When storing fails unexpectedly the peer gets a 500 problem document (the crash logged, not shown), a locked
    database a 503 with Retry-After, as the app's middleware answers them; the node keeps serving."""
    async with node_and_remote(tmp_path) as (node, remote):
        async def crashing(*args, **kwargs):
            raise RuntimeError("secret internals")

        monkeypatch.setattr(node.node.fed.inbox_writer, "store", crashing)
        doc = assert_problem(await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote, 1)), 500)
        assert "secret" not in json.dumps(doc)

        async def locked(*args, **kwargs):
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(node.node.fed.inbox_writer, "store", locked)
        answer = await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote, 2))
        assert_problem(answer, 503)
        assert answer[1]["Retry-After"]
        monkeypatch.undo()
        assert (await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote, 3)))[0] == 202

        async def count() -> int:
            return await InboxItem.all().count()

        assert await node.db(count) == 1


async def test_shared_inbox__expect_100_continue_goes_through_the_app(tmp_path):
    """A sender that asks ``Expect: 100-continue`` (curl does for bodies over 1 KiB) gets its 100 from the app's
    router, then the same 202; the activity is stored once."""
    async with node_and_remote(tmp_path) as (node, remote):
        url = inbox_url(node, "/inbox")
        follow = {**follow_of(node, remote, 1), "padding": "x" * 4096}
        body = json.dumps(follow).encode()
        headers = sign_request("POST", url, body=body, key_id=remote.key_id_of(follow["actor"]),
                               private_key=remote.private_key)
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=headers, expect100=True) as resp:
                assert resp.status == 202, await resp.text()

        async def count() -> int:
            return await InboxItem.all().count()

        assert await node.db(count) == 1
        assert await _metric_count(node, "POST", "/inbox") == 1


async def test_shared_inbox__two_nodes_in_one_process_each_store_in_their_own_database(tmp_path):
    """Nodes sharing a process (the demo, these tests): a POST to each node's shared inbox is stored in that node's
    database only, and processed there into a follower."""
    async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "ankara") as ankara:
        async with FakeRemote(key_resolver=node_key_resolver(baku)) as remote:
            remote.serve_actor(remote.generated_actor(remote.url("/users/alice")))
            for node, n in ((baku, 1), (ankara, 2), (baku, 3)):
                assert (await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote, n)))[0] == 202

            async def ids() -> list[str]:
                return sorted(i.activity_id for i in await InboxItem.all())

            assert await baku.db(ids) == sorted(follow_of(baku, remote, n)["id"] for n in (1, 3))
            assert await ankara.db(ids) == [follow_of(ankara, remote, 2)["id"]]
            assert await ankara.db(ankara.node.inbox_worker.run_once) == 1

            async def followers() -> int:
                return await Follower.all().count()

            assert await ankara.db(followers) == 1 and await baku.db(followers) == 0
