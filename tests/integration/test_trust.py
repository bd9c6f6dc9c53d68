"""Trust policy between real nodes: a blocked domain gets nothing from us and its posts are refused (403)."""

from __future__ import annotations

import pytest

from federation.policy import TrustPolicy
from node.config import ConfigError, config_from_dict
from federation.store.models import Delivery, InboxItem
from node.wire.models import WireStory
from node.network.trust import build_policy, is_partner
from tests.nodes import node_config_data, node_on, running_node, settle

STORY = {"headline": "Steppe railway opens", "body": "<p>The line opens on Monday.</p>", "language": "kk"}


async def _follow(follower, target) -> None:
    status, doc = await follower.api("POST", "/api/following", {"handle": target.handle})
    assert status == 202, doc
    await settle(follower, target)


@pytest.mark.postgres
async def test_trust__blocked_domain_refused_both_ways(tmp_path, database_url):
    """After Alpha blocks Bravo's domain: no delivery rows to it, queued ones are not sent, its posts get 403."""
    async with node_on(tmp_path, "alpha", database_url) as a, node_on(tmp_path, "bravo", database_url) as b:
        await _follow(b, a)
        await _follow(a, b)
        queued_before_block = await a.api("POST", "/api/stories", STORY)
        a.node.fed.trust = TrustPolicy(mode="blocklist", domains=(b.config.host,))

        # Delivery time: the row queued before the block is closed without a request.
        await a.node.deliver_once()
        rows = await a.db(lambda: Delivery.filter(host=b.config.host, activity__type="Create").order_by("id"))
        assert [r.state for r in rows] == ["dead"] and rows[0].last_status is None
        assert rows[0].last_error == "domain blocked by the trust policy"
        # Fan-out: a new story gets no row for the blocked domain at all.
        await a.api("POST", "/api/stories", {**STORY, "headline": "Second"})
        assert await a.db(lambda: Delivery.filter(host=b.config.host, activity__type="Create").count()) == 1
        await settle(a, b)
        assert await b.db(lambda: WireStory.all().count()) == 0

        # Inbound: Bravo's Create is refused with a 403 problem document and nothing is stored.
        before = await a.db(lambda: InboxItem.all().count())
        status, _ = await b.api("POST", "/api/stories", {**STORY, "headline": "From Bravo"})
        assert status == 201
        await b.node.deliver_once()
        [row] = await b.db(lambda: Delivery.filter(host=a.config.host, activity__type="Create"))
        assert row.last_status == 403 and row.state == "dead"
        assert "may not federate" in (row.last_error or "")
        assert await a.db(lambda: InboxItem.all().count()) == before
        assert queued_before_block[0] == 201


async def test_trust__allowlist_only_listed_domains_and_partners_federate(tmp_path):
    """In allowlist mode a partner's domain federates and an unlisted one is refused at the inbox."""
    async with running_node(tmp_path, "bravo") as b, running_node(tmp_path, "charlie") as c:
        config = config_from_dict(node_config_data(tmp_path, "alpha", sections={"trust": {
            "mode": "allowlist", "domains": [], "partners": [b.actor_id]}}), environ={})
        async with running_node(tmp_path, "alpha", config=config) as a:
            assert await a.db(is_partner, a.node.fed, b.actor_id)
            assert not await a.db(is_partner, a.node.fed, c.actor_id)
            await _follow(b, a)
            status, _ = await c.api("POST", "/api/following", {"handle": a.handle})
            assert status == 202
            await settle(a, b, c)
            _, following = await c.api("GET", "/api/following")
            assert [f["state"] for f in following["following"]] == ["pending"]
            [row] = await c.db(lambda: Delivery.filter(host=a.config.host, activity__type="Follow"))
            assert row.last_status == 403
            _, followers = await a.api("GET", "/api/followers")
            assert [f["actor"] for f in followers["followers"]] == [b.actor_id]


def test_trust__config_section_is_validated(tmp_path):
    """[trust] loads with defaults, and a wrong mode is a one-line config error."""
    config = config_from_dict(node_config_data(tmp_path, "alpha"), environ={})
    policy = build_policy(config)
    assert policy.mode == "blocklist" and policy.domains == () and policy.partners == ()
    data = node_config_data(tmp_path, "alpha", sections={"trust": {"mode": "open"}})
    with pytest.raises(ConfigError, match="trust.mode"):
        config_from_dict(data, environ={})
    data = node_config_data(tmp_path, "alpha", sections={"trust": {"partners": ["desk@wire.example"],
                                                                   "domains": ["spam.example"]}})
    policy = build_policy(config_from_dict(data, environ={}))
    assert policy.is_partner("https://wire.example/actors/desk", handle="desk@wire.example")
    assert not policy.allows_host("https://spam.example/inbox")
