"""What a real node serves to the fediverse over loopback HTTP: WebFinger, NodeInfo, actors, outbox, stories,
collections, with the media types peers ask for."""

from __future__ import annotations

import json
from urllib.parse import quote

import jsonschema
import pytest

from federation.vocab import INSTANCE_ACTOR
from tests.fakeremote import FIXTURES, FakeRemote
from tests.nodes import RunningNode, running_node

AS = "https://www.w3.org/ns/activitystreams"
LD_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between <b>Baku</b> and Aktau reopens.</p>", "language": "az",
         "hashtags": ["Caspian", "ferry"]}


def assert_problem(status: int, doc, headers, expected: int) -> None:
    assert status == expected
    assert headers["Content-Type"].split(";")[0] == "application/problem+json"
    assert doc["status"] == expected and doc["type"] and doc["title"] and doc["detail"]


async def webfinger(node: RunningNode, resource: str | None):
    path = "/.well-known/webfinger" + (f"?resource={quote(resource, safe='')}" if resource is not None else "")
    return await node.get(path, accept="application/jrd+json")


# --- WebFinger ------------------------------------------------------------------------------------------


async def test_webfinger__acct_with_port_resolves_to_actor(tmp_path):
    """acct:handle@127.0.0.1:PORT (port kept) answers a JRD whose self link is the actor as activity+json."""
    async with running_node(tmp_path, "baku") as node:
        host = node.base_url.split("://", 1)[1]
        assert ":" in host
        status, doc, headers = await webfinger(node, f"acct:baku@{host}")
        assert status == 200 and headers["Content-Type"].startswith("application/jrd+json")
        assert doc["subject"] == f"acct:baku@{host}"
        [self_link] = [link for link in doc["links"] if link["rel"] == "self"]
        assert self_link == {"rel": "self", "type": "application/activity+json", "href": node.actor_id}


async def test_webfinger__actor_url_resource_same_subject(tmp_path):
    """Looking up the actor URL gives the same JRD subject as the acct: handle."""
    async with running_node(tmp_path, "baku") as node:
        _, by_acct, _ = await webfinger(node, node.handle)
        status, by_url, _ = await webfinger(node, node.actor_id)
        assert status == 200
        assert by_url["subject"] == by_acct["subject"] == node.handle


async def test_webfinger__unknown_user_404(tmp_path):
    """An acct: handle this node does not host is a 404 problem, as is another host's."""
    async with running_node(tmp_path, "baku") as node:
        host = node.base_url.split("://", 1)[1]
        assert_problem(*(await webfinger(node, f"acct:nobody@{host}")), 404)
        assert_problem(*(await webfinger(node, "acct:baku@elsewhere.example")), 404)


async def test_webfinger__missing_resource_400(tmp_path):
    """No resource parameter: a 400 problem."""
    async with running_node(tmp_path, "baku") as node:
        assert_problem(*(await webfinger(node, None)), 400)


# --- NodeInfo -------------------------------------------------------------------------------------------


async def test_nodeinfo__index_links_both_versions(tmp_path):
    """/.well-known/nodeinfo links the 2.1 and 2.0 documents, each with its schema rel."""
    async with running_node(tmp_path, "baku") as node:
        status, doc, _ = await node.get("/.well-known/nodeinfo", accept="application/json")
        assert status == 200
        links = {link["rel"]: link["href"] for link in doc["links"]}
        for version in ("2.1", "2.0"):
            rel = f"http://nodeinfo.diaspora.software/ns/schema/{version}"
            assert links[rel] == f"{node.base_url}/nodeinfo/{version}"


@pytest.mark.parametrize("version", ["2.1", "2.0"])
async def test_nodeinfo__document_valid_and_counts_stories(tmp_path, version):
    """The NodeInfo document validates against its published schema and counts published stories."""
    schema = json.loads((FIXTURES / f"nodeinfo/schema-{version}.json").read_text())
    async with running_node(tmp_path, "baku") as node:
        status, before, headers = await node.get(f"/nodeinfo/{version}", accept="application/json")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        jsonschema.validate(before, schema)
        assert before["version"] == version and before["usage"]["localPosts"] == 0
        await node.api("POST", "/api/stories", STORY)
        _, story = await node.api("POST", "/api/stories", {**STORY, "headline": "Second"})
        await node.api("DELETE", f"/api/stories/{story['id']}")
        _, after, _ = await node.get(f"/nodeinfo/{version}", accept="application/json")
        jsonschema.validate(after, schema)
        assert after["usage"]["localPosts"] == 1


# --- actors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/activity+json", LD_PROFILE])
async def test_actor__document_for_activitypub_clients(tmp_path, accept):
    """The agency actor is an Organization with every endpoint and key peers need, as activity+json."""
    async with running_node(tmp_path, "baku") as node:
        status, doc, headers = await node.get("/actors/baku", accept=accept)
        assert status == 200 and headers["Content-Type"].startswith("application/activity+json")
        actor_id = node.actor_id
        assert doc["id"] == actor_id and doc["type"] == "Organization" and doc["preferredUsername"] == "baku"
        for key, suffix in (("inbox", "/inbox"), ("outbox", "/outbox"), ("followers", "/followers"),
                            ("following", "/following")):
            assert doc[key] == actor_id + suffix
        assert doc["endpoints"]["sharedInbox"] == node.base_url + "/inbox"
        key = doc["publicKey"]
        assert key["id"] == actor_id + "#main-key" and key["owner"] == actor_id
        assert key["publicKeyPem"] == node.node.keys["baku"].public_key_pem
        assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


async def test_actor__browser_gets_html(tmp_path):
    """A browser asking for text/html gets a web page, not JSON."""
    async with running_node(tmp_path, "baku") as node:
        status, body, headers = await node.get("/actors/baku", accept="text/html,application/xhtml+xml,*/*;q=0.8")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert "Baku News Agency" in body and "<h1>" in body


async def test_actor__unknown_404(tmp_path):
    """An actor this node does not host is a 404 problem."""
    async with running_node(tmp_path, "baku") as node:
        assert_problem(*(await node.get("/actors/ankara")), 404)


async def test_actor__instance_actor_is_application(tmp_path):
    """/actor is the instance actor, an Application with its own key (it signs our fetches)."""
    async with running_node(tmp_path, "baku") as node:
        status, doc, headers = await node.get("/actor")
        assert status == 200 and headers["Content-Type"].startswith("application/activity+json")
        assert doc["type"] == "Application" and doc["id"] == node.base_url + "/actor"
        assert doc["publicKey"]["owner"] == doc["id"]
        assert doc["publicKey"]["publicKeyPem"] == node.node.keys[INSTANCE_ACTOR].public_key_pem
        assert doc["publicKey"]["publicKeyPem"] != node.node.keys["baku"].public_key_pem


# --- outbox, stories, collections -------------------------------------------------------------------------


async def test_outbox__published_story_as_create_article(tmp_path):
    """After one story, the outbox counts 1 and its first page holds the Create{Article} peers read."""
    async with running_node(tmp_path, "baku") as node:
        _, empty, _ = await node.get("/actors/baku/outbox")
        assert empty["totalItems"] == 0
        status, story = await node.api("POST", "/api/stories", STORY)
        assert status == 201, story
        status, outbox, headers = await node.get("/actors/baku/outbox")
        assert status == 200 and headers["Content-Type"].startswith("application/activity+json")
        assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
        _, page, _ = await node.get(outbox["first"].split(node.base_url, 1)[1])
        [create] = page["orderedItems"]
        assert create["type"] == "Create" and create["actor"] == node.actor_id
        article = create["object"]
        assert article["type"] == "Article" and article["id"] == story["url"]
        assert article["attributedTo"] == node.actor_id
        assert article["name"] == STORY["headline"] and article["summary"] == STORY["summary"]
        assert "Baku" in article["content"]
        assert article["nameMap"] == {"az": article["name"]}
        assert article["summaryMap"] == {"az": article["summary"]}
        assert article["contentMap"] == {"az": article["content"]}
        assert article["url"] == story["url"] and article["published"].endswith("Z")
        tags = {t["name"]: t for t in article["tag"]}
        assert set(tags) == {"#Caspian", "#ferry"}
        assert all(t["type"] == "Hashtag" and t["href"].startswith(node.base_url + "/tags/") for t in tags.values())
        assert article["preview"]["type"] == "Note" and STORY["headline"] in article["preview"]["content"]


async def test_story__url_serves_article(tmp_path):
    """The story URL serves the same Article to ActivityPub clients and a page to browsers."""
    async with running_node(tmp_path, "baku") as node:
        _, story = await node.api("POST", "/api/stories", STORY)
        path = story["url"].split(node.base_url, 1)[1]
        status, doc, headers = await node.get(path, accept=LD_PROFILE)
        assert status == 200 and headers["Content-Type"].startswith("application/activity+json")
        assert doc["type"] == "Article" and doc["id"] == story["url"] and doc["name"] == STORY["headline"]
        assert doc["contentMap"]["az"] == doc["content"]
        status, page, headers = await node.get(path, accept="text/html")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert STORY["headline"] in page


async def test_followers__collection_counts_followers(tmp_path):
    """The followers collection counts accepted followers and lists them on its first page."""
    async with running_node(tmp_path, "baku") as node, FakeRemote() as remote:
        _, empty, _ = await node.get("/actors/baku/followers")
        assert empty["totalItems"] == 0
        for name in ("alice", "bob"):
            actor_id = remote.url(f"/users/{name}")
            remote.serve_actor(remote.generated_actor(actor_id))
            follow = {"@context": AS, "id": f"{actor_id}/follows/1", "type": "Follow", "actor": actor_id,
                      "object": node.actor_id}
            status, text = await remote.post_signed(node.node.urls.inbox("baku"), follow)
            assert status == 202, text
        await node.node.process_inbox_once()
        status, coll, _ = await node.get("/actors/baku/followers")
        assert status == 200 and coll["type"] == "OrderedCollection" and coll["totalItems"] == 2
        _, page, _ = await node.get(coll["first"].split(node.base_url, 1)[1])
        assert sorted(page["orderedItems"]) == [remote.url("/users/alice"), remote.url("/users/bob")]
