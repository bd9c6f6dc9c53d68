"""The desk's Network screen over real HTTP between two loopback nodes: follow by handle (WebFinger), a follow
request approved or rejected by hand, unfollow; a viewer refused; trust policy shown; a translation the new
follower offers, accepted on the Translations screen."""

from __future__ import annotations

from federation.store.models import Follower, Following
from node.accounts.models import AuditEvent
from tests.node.desk.helpers import DeskClient, add_user
from node.translation.models import StoryTranslation, TranslationOffer
from tests.node.desk.other_nodes import other_node, publish
from tests.nodes import settle


async def test_desk_network__follow_by_handle_reject_then_approve_and_unfollow(tmp_path):
    """Ankara's editor follows @baku@host from the desk; Baku approves followers by hand, so the request waits on
    Baku's Network screen; a viewer's approval is refused and changes nothing; the editor rejects it (Ankara is
    told), Ankara asks again, the editor approves (Ankara sees it accepted); Ankara offers a translation of a Baku
    story, shown with its provenance in words and accepted by the editor; Ankara unfollows."""
    async with other_node(tmp_path, "baku", manual=True, trust={"partners": ["ankara@nowhere.example"],
                                                                "domains": ["spam.example"]}) as baku, \
            other_node(tmp_path, "ankara") as ankara:
        await add_user(baku, "leyla", "editor")
        await add_user(baku, "vera", "viewer")
        await add_user(ankara, "emre", "editor")
        handle = f"@baku@{baku.config.host}"
        async with DeskClient(ankara) as a_desk, DeskClient(baku) as b_desk, DeskClient(baku) as viewer:
            await a_desk.login("emre")
            await b_desk.login("leyla")
            await viewer.login("vera")

            async def ask() -> int:
                status, _, headers = await a_desk.post("/desk/network/follow", {"handle": handle})
                assert status == 303, _
                await settle(baku, ankara)
                status, text, _ = await b_desk.get("/desk/network")
                assert "Follow requests waiting" in text and f"ankara@{ankara.config.host}" in text
                return (await baku.db(Follower.get, local="baku")).id

            fid = await ask()
            status, text, _ = await a_desk.get("/desk/network")
            assert "waiting for them to accept" in text
            status, text, _ = await b_desk.get("/desk/network")
            assert "We approve each follower by hand." in text and "spam.example" in text
            assert "ankara@nowhere.example" in text and "Blocklist" in text

            status, text, _ = await viewer.post(f"/desk/network/followers/{fid}/approve")
            assert status == 403 and "This needs the editor role; you are viewer. Nothing was changed." in text
            assert (await baku.db(Follower.get, id=fid)).state == "pending"

            status, _, _ = await b_desk.post(f"/desk/network/followers/{fid}/reject")
            assert status == 303
            await settle(baku, ankara)
            assert not await baku.db(Follower.exists, id=fid)
            assert (await ankara.db(Following.get, local="ankara")).state == "rejected"

            fid = await ask()
            status, _, _ = await b_desk.post(f"/desk/network/followers/{fid}/approve")
            assert status == 303
            await settle(baku, ankara)
            assert (await baku.db(Follower.get, id=fid)).state == "accepted"
            assert (await ankara.db(Following.get, local="ankara")).state == "accepted"
            status, text, _ = await a_desk.get("/desk/network")
            assert ">following<" in text

            # Now a follower, Ankara offers a Turkish translation of Baku's story; Baku's editor accepts it.
            story = await publish(baku)
            await settle(baku, ankara)
            status, doc = await ankara.api("POST", "/api/wire/offers", {
                "story": f"{baku.base_url}/stories/{story['id']}", "language": "tr", "translator": "Ayşe Kaya",
                "headline": "Hazar feribot hattı yeniden açılıyor", "summary": "", "body": "<p>Feribot hattı.</p>"})
            assert status == 202, doc
            await settle(baku, ankara)
            status, text, _ = await b_desk.get("/desk/translations")
            assert "Hazar feribot hattı yeniden açılıyor" in text and "Translated by people." in text
            assert "Translator: Ayşe Kaya." in text and f"Made by the agency @ankara@{ankara.config.host}." in text
            offer_id = (await baku.db(TranslationOffer.get, language="tr")).id
            status, _, _ = await b_desk.post(f"/desk/translations/offers/{offer_id}/accept")
            assert status == 303
            row = await baku.db(StoryTranslation.get, language="tr")
            assert row.status == "approved" and row.reviewer == "leyla" and row.translated_by == ankara.actor_id
            status, text, _ = await b_desk.get(f"/desk/translations/{story['id']}/tr")
            assert f"Made by the agency @ankara@{ankara.config.host}." in text and "approved by leyla" in text

            status, _, _ = await a_desk.post("/desk/network/unfollow", {"actor": baku.actor_id})
            assert status == 303
            await settle(baku, ankara)
            assert not await ankara.db(Following.exists, local="ankara")
            assert not await baku.db(Follower.exists, id=fid)
            actions = [e.action for e in await baku.db(AuditEvent.filter(actor="leyla").order_by, "id")]
            assert actions == ["session.login", "follower.reject", "follower.approve", "offer.accept"]


async def test_desk_network__unreachable_handle_is_a_message(tmp_path):
    """A handle that does not parse, or names no agency that answers, is refused on the page (nothing stored)."""
    async with other_node(tmp_path, "baku") as baku:
        await add_user(baku, "leyla", "editor")
        async with DeskClient(baku) as desk:
            await desk.login("leyla")
            status, text, _ = await desk.post("/desk/network/follow", {"handle": "not a handle"})
            assert status == 400 and "Nothing was changed." in text and "Invalid handle" in text
            status, text, _ = await desk.post("/desk/network/follow", {"handle": "@nobody@127.0.0.1:9"})
            assert status == 502 and "Remote actor unavailable" in text
            assert not await baku.db(Following.exists)
