"""The desk's Translations screen over real HTTP: a machine translation asked for from the desk, reviewed beside
its original with its provenance in words, edited, approved and rejected by a translator; roles refused."""

from __future__ import annotations

from node.accounts.models import AuditEvent, User
from node.translation.models import StoryTranslation
from tests.libretranslate_stub import LibreTranslateStub
from tests.node.desk.helpers import DeskClient, add_user
from tests.node.desk.other_nodes import other_node, publish


async def test_desk_translations__request_review_edit_approve_reject(tmp_path):
    """A translator asks the engine for Russian; the job's output waits in the queue labelled machine, with its
    engine; the review page shows both texts; an edit makes it machine+human; approving records the translator as
    reviewer (audited); rejecting then takes it back; a viewer sees the page but has no buttons and is refused."""
    async with LibreTranslateStub() as stub, other_node(tmp_path, engine=stub) as rn:
        await add_user(rn, "tamara", "translator")
        await add_user(rn, "vera", "viewer")
        story = await publish(rn)
        async with DeskClient(rn) as desk:
            await desk.login("tamara")
            status, text, _ = await desk.get("/desk/translations")
            assert status == 200 and "Request machine translation" in text and "libretranslate" in text
            status, _, headers = await desk.post("/desk/translations/request",
                                                 {"story": story["id"], "language": "ru"})
            assert status == 303, _
            assert await rn.node.translate_once() == 1
            status, text, _ = await desk.get("/desk/translations")
            assert "[ru] Caspian ferry line reopens" in text
            assert "Machine translation by libretranslate, from Azerbaijani." in text and "Waiting for review." in text
            page = f"/desk/translations/{story['id']}/ru"
            status, text, _ = await desk.get(page)
            assert status == 200 and "Caspian ferry line reopens" in text and "[ru] Caspian ferry line reopens" in text
            assert 'class="card original"' in text and 'class="card translated"' in text

            status, _, _ = await desk.post(page, {"headline": "<script>alert('h')</script>Паромная линия",
                                                  "summary": "<img src=x onerror=alert(1)>",
                                                  "body_html": "<p>Паром.</p><script>alert('b')</script>"})
            assert status == 303
            status, text, _ = await desk.get(page)  # a script in an edit never reaches the page as markup
            assert "<script>alert" not in text and "<img src=x" not in text
            status, _, _ = await desk.post(page, {"headline": "Паромная линия снова открыта",
                                                  "summary": "[ru] Baku-Aktau crossings resume on Monday.",
                                                  "body_html": "<p>Паромная линия открывается.</p>"})
            assert status == 303
            row = await rn.db(StoryTranslation.get, language="ru")
            assert row.method == "machine+human" and row.headline == "Паромная линия снова открыта"
            status, text, _ = await desk.get(page)
            assert "Machine translation by libretranslate, then edited by people." in text

            status, _, _ = await desk.post(page + "/approve", {"note": "checked"})
            assert status == 303
            row = await rn.db(StoryTranslation.get, language="ru")
            assert row.status == "approved" and row.reviewer == "tamara"
            status, text, _ = await desk.get(page)
            assert "Reviewed and approved by tamara." in text and "goes out to followers now" in text
            status, text, _ = await desk.post(page + "/approve")
            assert status == 409 and "Nothing was changed." in text
            status, _, _ = await desk.post(page + "/reject", {"note": "wrong term"})
            assert status == 303
            assert (await rn.db(StoryTranslation.get, language="ru")).status == "rejected"
            actions = [e.action for e in await rn.db(AuditEvent.filter(actor="tamara").order_by, "id")]
            assert actions == ["session.login", "translation.request", "translation.edit", "translation.edit",
                               "translation.approve", "translation.reject"]

            # A translator trying an admin action: refused with a page that says so, no user added.
            status, text, _ = await desk.post("/desk/operations/users", {
                "username": "intruder", "role": "admin", "password": "long enough pw", "repeat_password":
                "long enough pw"})
            assert status == 403 and "This needs the admin role; you are translator." in text
            assert not await rn.db(User.exists, username="intruder")
        async with DeskClient(rn) as viewer:
            await viewer.login("vera")
            status, text, _ = await viewer.get(page)
            assert status == 200 and "Approve and publish" not in text and "Паромная" in text
            status, text, _ = await viewer.post(page + "/approve")
            assert status == 403 and "Nothing was changed." in text
            assert (await rn.db(StoryTranslation.get, language="ru")).status == "rejected"


async def test_desk_translations__no_engine_and_bad_language(tmp_path):
    """Without an engine the screen says translations are written by people; a request for the story's own
    language is refused on the page (nothing queued)."""
    async with other_node(tmp_path) as rn:
        await add_user(rn, "tamara", "translator")
        story = await publish(rn)
        async with DeskClient(rn) as desk:
            await desk.login("tamara")
            status, text, _ = await desk.get("/desk/translations")
            assert status == 200 and "no machine-translation engine configured" in text
            status, text, _ = await desk.post("/desk/translations/request", {"story": story["id"], "language": "az"})
            assert status == 409 and "Nothing was changed." in text and "Language is the original" in text
