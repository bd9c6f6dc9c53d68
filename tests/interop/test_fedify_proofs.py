"""Object integrity proofs across implementations: a Fedify-signed object verifies here, ours verifies in Fedify."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from federation import provenance
from federation.integrity import verify_document
from federation.multikey import ed25519_from_multibase
from federation.store.models import OutboxActivity
from tests.interop.fedify_peer import NODE_MODULES_MARKER, PEER_DIR
from tests.nodes import running_node

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "fedify" / "signed-create-article.json"


def _recorded() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_fedify_proof__recorded_create_verifies_with_fedify_key():
    """Fedify's signObject output verifies with the Multikey its actor publishes (and Fedify agreed)."""
    rec = _recorded()
    assert rec["fedify_verified"] is True
    key = rec["actor"]["assertionMethod"][0]
    options = verify_document(rec["activity"], ed25519_from_multibase(key["publicKeyMultibase"]))
    assert options.verification_method == key["id"]


async def test_fedify_proof__provenance_accepts_activity_proof_for_embedded_story():
    """Fedify signs the activity, not the object: its proof vouches for the story of the same author."""
    rec = _recorded()
    activity = rec["activity"]
    actor_docs = {rec["actor"]["id"]: rec["actor"]}
    verdict = await provenance.check(None, activity["object"], activity=activity,  # type: ignore[arg-type]
                                     local_actor_docs=actor_docs)
    assert verdict.status == "verified" and verdict.origin == rec["actor"]["id"]

    altered = copy.deepcopy(activity)
    altered["object"]["content"] = "<p>Changed on the way.</p>"
    verdict = await provenance.check(None, altered["object"], activity=altered,  # type: ignore[arg-type]
                                     local_actor_docs=actor_docs)
    assert verdict.status == "invalid" and verdict.code == "bad-signature"


def _fedify_verifies(actor: dict, document: dict) -> dict:
    out = subprocess.run(["node", "verify_proof.mjs"], cwd=PEER_DIR, input=json.dumps(
        {"actor": actor, "document": document}), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


async def test_fedify_proof__fedify_verifies_our_story_and_create(tmp_path):
    """Fedify 2.3.6's verifyObject accepts our signed Article and our signed Create, and refuses an altered one."""
    if shutil.which("node") is None or not NODE_MODULES_MARKER.exists():
        pytest.skip("the Fedify peer is not installed (node and `npm ci` in tests/interop/fedify)")
    async with running_node(tmp_path, "baku") as baku:
        status, story = await baku.api("POST", "/api/stories", {"headline": "Signed for Fedify", "language": "en",
                                                                "body": "<p>Proof check.</p>"})
        assert status == 201
        _, actor, _ = await baku.get("/actors/baku")
        _, article, _ = await baku.get(f"/stories/{story['id']}")
        create = json.loads((await baku.db(lambda: OutboxActivity.get(type="Create"))).body)
    assert _fedify_verifies(actor, article)["verified"] is True
    assert _fedify_verifies(actor, create)["verified"] is True
    article["name"] = "Altered"
    assert _fedify_verifies(actor, article)["verified"] is False
