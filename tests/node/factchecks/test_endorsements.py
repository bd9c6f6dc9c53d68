"""Endorsements that must not be kept: of a fact-check the node does not have, unsigned, or forged (the proof
does not match); each is refused with its reason and nothing is stored."""

from __future__ import annotations

import pytest

from federation.listeners import Ignored
from federation.proofs import sign_object
from node.factchecks.endorsements import receive_endorsement
from node.factchecks.models import Endorsement
from tests.node.factchecks.test_api import FACTCHECK
from tests.nodes import running_node


async def test_receive_endorsement__unknown_unsigned_and_forged_are_refused(tmp_path):
    """Each bad endorsement raises Ignored naming why; no Endorsement row is written."""
    async with running_node(tmp_path, "baku") as baku:
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201
        fed = baku.node.fed
        base = {"id": f"{baku.base_url}/activities/e1", "type": "Endorse", "actor": baku.actor_id,
                "object": fc["url"], "content": "We confirm this check."}

        async def refused(activity: dict) -> str:
            with pytest.raises(Ignored) as caught:
                await baku.db(receive_endorsement, fed, activity)
            return str(caught.value)

        assert "does not have" in await refused({**base, "object": f"{baku.base_url}/factchecks/nope"})
        assert "unsigned" in await refused(base)
        signed = sign_object(fed, "baku", dict(base))
        assert "proof" in signed
        forged = {**signed, "content": "We dispute this check."}
        assert "bad-signature" in await refused(forged)
        assert await baku.db(Endorsement.all().count) == 0
