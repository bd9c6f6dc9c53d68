"""Reusing a partner's photo in our own story: its credit and a link back to the origin item travel with it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from federation.errors import ProofError
from federation.integrity import verify_document
from federation.multikey import ed25519_from_multibase
from federation.store.models import RemoteActor
from federation.vocab import MEDIA_TERMS
from node.media.models import MediaItem
from tests.node.media.test_stock_api import _upload_raw, png
from tests.nodes import running_node

XINHUA = "https://xinhua.example/actors/xinhua"
ORIGIN_URL = "https://xinhua.example/media/" + "c" * 64
# The contexts peers know offline (INTEROP.md); anything else must be an inline definition.
COMMON_CONTEXTS = {"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                   "https://w3id.org/security/data-integrity/v1", "https://w3id.org/security/multikey/v1",
                   "http://joinmastodon.org/ns", "http://schema.org/"}


async def _received_photo() -> None:
    await RemoteActor.create(uri=XINHUA, host="xinhua.example", preferred_username="xinhua", name="Xinhua",
                             inbox=XINHUA + "/inbox", fetched_at=datetime.now(timezone.utc))
    await MediaItem.create(sha256="c" * 64, kind="image", media_type="image/jpeg", size=2048, width=1200,
                           height=800, alt={"zh-Hans": "北京的雨天", "en": "A rainy day in Beijing"},
                           credit="Xinhua / Li Ming", copyright="© 2026 Xinhua", origin_actor=XINHUA,
                           origin_url=ORIGIN_URL)


async def test_media_reuse__a_partners_photo_keeps_its_credit_and_links_to_the_origin_item(tmp_path):
    """A story led by Xinhua's photo: the editor API says "from Xinhua"; the signed Article's attachment has its
    creditText and isBasedOn (the origin item) while url is our own copy; our own photo has no isBasedOn."""
    async with running_node(tmp_path, "baku") as baku:
        await baku.db(_received_photo)
        _, own = await _upload_raw(baku, png(), "image/png", alt="Bakı limanı", credit="Baku News / R. Aliyev")
        status, story = await baku.api("POST", "/api/stories", {
            "headline": "Rain in Beijing", "body": "<p>It rained.</p>", "language": "en",
            "image": "c" * 64, "media": [own["id"]]})
        assert status == 201, story
        lead, mine = story["media"]
        assert lead["lead"] and lead["from"] == "Xinhua" and lead["origin_url"] == ORIGIN_URL
        assert lead["credit_line"] == "Xinhua / Li Ming (from Xinhua)"
        assert lead["url"] == f"{baku.base_url}/media/{'c' * 64}"
        assert "from" not in mine and "credit_line" not in mine

        status, article, _ = await baku.get(f"/stories/{story['id']}")
        assert status == 200
        reused, ours = article["attachment"]
        assert reused["type"] == "Image" and reused["url"] == lead["url"]
        assert reused["creditText"] == "Xinhua / Li Ming" and reused["isBasedOn"] == ORIGIN_URL
        assert reused["copyrightNotice"] == "© 2026 Xinhua" and reused["name"] == "A rainy day in Beijing"
        assert ours["creditText"] == "Baku News / R. Aliyev" and "isBasedOn" not in ours
        # Our own term definitions are inline: isBasedOn is schema.org's, an IRI.
        terms = article["@context"][1]
        assert terms["isBasedOn"] == {"@id": "schema:isBasedOn", "@type": "@id"} == MEDIA_TERMS["isBasedOn"]
        assert terms["schema"] == "http://schema.org/"
        assert {c for c in article["@context"] if isinstance(c, str)} <= COMMON_CONTEXTS

        # The credit and the link are inside what the story's proof covers.
        _, actor, _ = await baku.get("/actors/baku")
        key = ed25519_from_multibase(actor["assertionMethod"][0]["publicKeyMultibase"])
        verify_document(article, key)
        tampered = {**article, "attachment": [{**reused, "creditText": "Baku News"}, ours]}
        with pytest.raises(ProofError):
            verify_document(tampered, key)
