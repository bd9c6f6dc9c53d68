"""A real Fedify 2.3.6 peer receives our fact-check Article: its JSON-LD processor expands our inline context (the
scoped schema.org context of `claimReview` included, offline), it sees the verdict in `name`/`summary`, and its
verifyObject accepts the object's proof."""

from __future__ import annotations

import asyncio

import pytest

from tests.interop.fedify_peer import FedifyPeer, fedify_available
from tests.interop.test_fedify_interop import _create_of, _fedify_follows
from tests.interop.test_fedify_proofs import _fedify_verifies
from tests.node.factchecks.test_api import FACTCHECK
from tests.nodes import running_node, settle

_ok, _reason = fedify_available()
pytestmark = pytest.mark.skipif(not _ok, reason=f"Fedify peer unavailable: {_reason}")
TIMEOUT = 60  # the Fedify peer starts slowly on a busy machine


async def test_fedify_factcheck__article_received_parsed_and_proof_verified(tmp_path):
    """Fedify gets the Create with a verified HTTP signature, reads the verdict in plain words, and verifies the
    Article's eddsa-jcs-2022 proof."""
    async def scenario() -> None:
        async with running_node(tmp_path, "baku") as baku, FedifyPeer("alice") as peer:
            await _fedify_follows(peer, baku)
            status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
            assert status == 201, fc
            await settle(baku)
            create = await peer.wait_for(_create_of(fc["url"]), timeout=10)
            assert create["http_signature_verified"] is True, create
            obj = create["compacted"]["object"]
            assert obj["type"] == "Article" and obj["name"].startswith("Fact-check: False.")
            assert obj["summary"].startswith("Verdict: False.")
            _, actor, _ = await baku.get("/actors/baku")
            _, article, _ = await baku.get(f"/factchecks/{fc['id']}")
            assert [d for d in await peer.deliveries() if d["status"] >= 300] == []
        assert (await asyncio.to_thread(_fedify_verifies, actor, article))["verified"] is True

    await asyncio.wait_for(scenario(), TIMEOUT)
