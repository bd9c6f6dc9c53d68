"""The fact-check channel (`[factchecks] channel = true`): a followable actor ``<handle>_factchecks`` with its own
keys, found by WebFinger, that a Mastodon-like follower (the fake remote) follows and from which it receives each
new fact-check, its correction and its withdrawal, signed by the channel, the verdict in plain words."""

from __future__ import annotations

import contextlib

import pytest

from federation.integrity import verify_document
from federation.keys import load_public_key
from federation.multikey import ed25519_from_multibase
from schemas.webfinger import PROFILE_PAGE_REL
from tests.fakeremote import FakeRemote
from tests.nodes import node_config, postgres_database, running_node, settle

FACTCHECK = {
    "claim": {"text": "The Caspian Sea level rose by three metres in one year and flooded the port of Baku",
              "language": "en", "urls": ["https://rumours.example/posts/1234"]},
    "verdict": "false", "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."},
}
OTHER = {**FACTCHECK, "claim": {"text": "Ferries to Aktau were cancelled for the whole winter", "language": "en"},
         "explanation": {"en": "The schedule shows crossings every week."}}


def _key_of(node, username: str):
    async def resolve(key_id: str):
        return load_public_key(node.node.keys[username].public_key_pem)
    return resolve


def _received(remote, type_: str) -> list[dict]:
    return [r.json() for r in remote.received if r.json().get("type") == type_]


@contextlib.asynccontextmanager
async def _channel_node(tmp_path, database_url):
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(postgres_database()) if database_url == "postgres" else None
        config = node_config(tmp_path, "baku", database_url=url, sections={"factchecks": {"channel": True}})
        yield await stack.enter_async_context(running_node(tmp_path, "baku", config=config))


@pytest.mark.postgres
async def test_factcheck_channel__followed_by_a_social_reader_who_gets_checks_corrections_and_withdrawals(
        tmp_path, database_url):
    """WebFinger and the actor document (its own keys), a Follow accepted, then Create, Update and Delete of a
    fact-check delivered signed by the channel; a check withdrawn before delivery reaches the reader only as
    its Delete (SQLite and PostgreSQL)."""
    async with _channel_node(tmp_path, database_url) as baku, FakeRemote() as remote:
        status, jrd, _ = await baku.get(f"/.well-known/webfinger?resource=acct:baku_factchecks@{baku.config.host}",
                                        accept="application/jrd+json")
        assert status == 200 and jrd["subject"] == f"acct:baku_factchecks@{baku.config.host}"
        channel_url = next(link["href"] for link in jrd["links"] if link.get("rel") == "self")
        status, actor, _ = await baku.get("/actors/baku_factchecks")
        assert status == 200 and actor["id"] == channel_url and actor["type"] == "Service"
        assert actor["preferredUsername"] == "baku_factchecks" and "fact-checks" in actor["name"]
        _, agency, _ = await baku.get("/actors/baku")
        assert actor["publicKey"]["owner"] == channel_url
        assert actor["publicKey"]["publicKeyPem"] != agency["publicKey"]["publicKeyPem"]  # its own keys
        [proof_key] = actor["assertionMethod"]
        assert proof_key["controller"] == channel_url
        # The agency's profile page offers the channel's handle, the one WebFinger resolves to this actor.
        status, profile, _ = await baku.get("/actors/baku", accept="text/html")
        assert status == 200 and f"<code>@baku_factchecks@{baku.config.host}</code>" in profile
        status, by_url, _ = await baku.get(f"/.well-known/webfinger?resource={channel_url}",
                                           accept="application/jrd+json")
        assert status == 200 and by_url["subject"] == jrd["subject"]
        page_url = next((link["href"] for link in jrd["links"] if link.get("rel") == PROFILE_PAGE_REL), channel_url)
        status, page, _ = await baku.get(page_url.removeprefix(baku.base_url), accept="text/html")
        assert status == 200 and f"@baku_factchecks@{baku.config.host}" in page  # the channel's own page

        remote.key_resolver = _key_of(baku, "baku_factchecks")
        alice = remote.url("/users/alice")
        remote.serve_actor(remote.generated_actor(alice))
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.url("/follows/1"),
                  "type": "Follow", "actor": alice, "object": channel_url}
        assert (await remote.post_signed(channel_url + "/inbox", follow))[0] == 202
        await settle(baku)
        [accept] = _received(remote, "Accept")
        assert accept["actor"] == channel_url
        status, followers, _ = await baku.get("/actors/baku_factchecks/followers?page=1")
        assert status == 200 and followers["orderedItems"] == [alice]

        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        await settle(baku)
        [create] = [r for r in remote.received if r.json()["type"] == "Create"]
        assert create.verified is True, create.error  # HTTP-signed with the channel's own key
        activity, obj = create.json(), create.json()["object"]
        assert activity["actor"] == channel_url and obj["attributedTo"] == channel_url
        assert obj["id"] == fc["url"] + "/channel" and obj["url"] == fc["url"]
        assert obj["name"].startswith("Fact-check: False.") and obj["summary"].startswith("Verdict: False.")
        assert obj["contentMap"] == {"en": obj["content"]} and obj["claimReview"]["verdict"] == "false"
        public = ed25519_from_multibase(proof_key["publicKeyMultibase"])
        assert verify_document(activity, public).verification_method == proof_key["id"]
        status, served, _ = await baku.get(f"/factchecks/{fc['id']}/channel")
        assert status == 200 and served["id"] == obj["id"] and served["proof"]["verificationMethod"] == proof_key["id"]
        status, outbox, _ = await baku.get("/actors/baku_factchecks/outbox?page=1")
        assert [a["type"] for a in outbox["orderedItems"]] == ["Create"]

        status, _ = await baku.api("PATCH", f"/api/factchecks/{fc['id']}", {
            "verdict": "misleading", "correction_note": "The port did flood, from a storm."})
        assert status == 200
        await settle(baku)
        [update] = _received(remote, "Update")
        assert update["object"]["id"] == obj["id"] and update["object"]["updated"]
        assert update["object"]["name"].startswith("Fact-check: Misleading.")

        assert (await baku.api("DELETE", f"/api/factchecks/{fc['id']}", {"reason": "Superseded."}))[0] == 200
        await settle(baku)
        [delete] = _received(remote, "Delete")
        assert delete["actor"] == channel_url and delete["object"]["id"] == obj["id"]
        assert delete["killReason"] == "Superseded."
        status, gone, _ = await baku.get(f"/factchecks/{fc['id']}/channel")
        assert status == 410 and gone["type"] == "Tombstone"

        # Published and withdrawn before the worker ran: the reader gets its Delete only, never the check.
        status, other = await baku.api("POST", "/api/factchecks", OTHER)
        assert (await baku.api("DELETE", f"/api/factchecks/{other['id']}", {"reason": "Wrong claim."}))[0] == 200
        await settle(baku)
        assert [a["object"]["id"] for a in _received(remote, "Create")] == [obj["id"]]
        assert [a["object"]["id"] for a in _received(remote, "Delete")] == [obj["id"], other["url"] + "/channel"]


async def test_factcheck_channel__off_unless_configured(tmp_path):
    """Without `[factchecks] channel = true` there is no such actor: WebFinger, the actor and its posts are 404."""
    async with running_node(tmp_path, "baku") as baku:
        status, _, _ = await baku.get(f"/.well-known/webfinger?resource=acct:baku_factchecks@{baku.config.host}",
                                      accept="application/jrd+json")
        assert status == 404
        assert (await baku.get("/actors/baku_factchecks"))[0] == 404
        status, profile, _ = await baku.get("/actors/baku", accept="text/html")
        assert status == 200 and "@baku@" in profile and "_factchecks" not in profile
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201
        assert (await baku.get(f"/factchecks/{fc['id']}/channel"))[0] == 404
