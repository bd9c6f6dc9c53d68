"""A real JSON-LD processor (Fedify 2.3.6) reads our multilingual Article: every language in the maps and our
inline provenance terms, expanded offline (no remote context), and a language channel's single-language post."""

from __future__ import annotations

import asyncio

import pytest

from tests.interop.fedify_peer import FedifyPeer, fedify_available
from tests.nodes import node_config, running_node, settle

_ok, _reason = fedify_available()
pytestmark = pytest.mark.skipif(not _ok, reason=f"Fedify peer unavailable: {_reason}")

TIMEOUT = 40
STORY = {"headline": "Bərə xətti açılır", "summary": "Reyslər bərpa olunur.", "body": "<p>Bərə açılır.</p>",
         "language": "az"}
RU = {"language": "ru", "headline": "Паром открывается", "summary": "Рейсы возобновятся.",
      "body": "<p>Паром открывается.</p>", "translator": "Ирина"}


async def test_fedify_languages__maps_and_provenance_understood(tmp_path):
    """Fedify (whose JSON-LD expansion fails on an invalid context) takes our Update with both languages in
    the maps; a follow of @baku_ru gets the Russian version alone, from the channel actor."""
    async def scenario() -> None:
        config = node_config(tmp_path, "baku", sections={"channels": {"languages": ["ru"]}})
        async with running_node(tmp_path, "baku", config=config) as baku, FedifyPeer("alice") as peer:
            res = await peer.follow(baku.handle)
            assert res["actor"] == baku.actor_id
            channel = await peer.follow(f"acct:baku_ru@{baku.config.host}")
            assert channel["actor"] == baku.node.urls.actor("baku_ru"), channel
            await settle(baku)
            status, story = await baku.api("POST", "/api/stories", STORY)
            assert status == 201
            await baku.api("POST", f"/api/stories/{story['id']}/translations", RU)
            await baku.api("POST", f"/api/stories/{story['id']}/translations/ru/approve", {"reviewer": "Rashad"})
            await settle(baku)
            update = await peer.wait_for(lambda r: r["type"] == "Update", timeout=15)
            assert update["http_signature_verified"] is True, update
            assert update["activity"]["@context"][1]["languageProvenance"]["@id"] == "agency:languageProvenance"
            obj = update["compacted"]["object"]  # what Fedify's JSON-LD processor made of it
            assert obj["contentMap"] == {"az": STORY["body"], "ru": RU["body"]}
            assert obj["nameMap"] == {"az": STORY["headline"], "ru": RU["headline"]}
            assert obj["content"] == STORY["body"]

            create = await peer.wait_for(lambda r: r["type"] == "Create" and r["actor"] == channel["actor"],
                                         timeout=15)
            assert create["http_signature_verified"] is True, create
            assert create["signature_key_id"] == channel["actor"] + "#main-key"
            single = create["compacted"]["object"]
            assert single["contentMap"] == {"ru": RU["body"]} and single["content"] == RU["body"]
            assert single["nameMap"] == {"ru": RU["headline"]} and single["attributedTo"] == channel["actor"]
            refused = [d for d in await peer.deliveries() if d["status"] >= 300]
            assert refused == [], refused

    await asyncio.wait_for(scenario(), TIMEOUT)
