"""The desk's Translations, Network, Verify and Operations screens in a real Chromium: a machine translation
reviewed beside its original and approved, a follower from a second loopback node approved by hand, a story's
provenance report, the operator's screen; axe-core on each, and their screenshots."""

from __future__ import annotations

import json

from federation.store.models import Follower, Following
from node.translation.models import StoryTranslation
from tests.libretranslate_stub import LibreTranslateStub
from tests.node.desk.helpers import add_user
from tests.node.desk.other_nodes import other_node, publish
from tests.nodes import settle
from tests.pages.desk.browser import assert_accessible, chromium, login, needs_browser, new_desk_page, shoot

pytestmark = needs_browser


async def test_desk_other_screens__review_translation_approve_follower_verify_operations(tmp_path):
    """An editor asks for a Russian machine translation, reads it beside the Azerbaijani original (two columns,
    side by side), approves it after the confirmation; approves Ankara's follow request (Ankara sees it
    accepted); pastes the story into Verify and reads "Valid"; the admin's Operations screen lists the users.
    Every screen passes axe-core."""
    async with LibreTranslateStub() as stub, other_node(tmp_path, "baku", engine=stub, manual=True) as baku, \
            other_node(tmp_path, "ankara") as ankara:
        await add_user(baku, "leyla", "editor")
        await add_user(baku, "root", "admin")
        story = await publish(baku)
        status, doc = await ankara.api("POST", "/api/following", {"handle": f"baku@{baku.config.host}"})
        assert status == 202, doc
        await settle(baku, ankara)
        async with chromium() as browser:
            page = await new_desk_page(browser)
            page.on("dialog", lambda dialog: dialog.accept())
            await login(page, baku.base_url, "leyla", next_path="/desk/translations")
            await page.select_option("#mt-story", story["id"])
            await page.select_option("#mt-language", "ru")
            async with page.expect_navigation():
                await page.click("button:text-is('Request machine translation')")
            assert "Machine translation into Russian requested" in await page.inner_text("[role=status]")
            assert await baku.node.translate_once() == 1
            await page.reload()
            assert "Machine translation by libretranslate" in await page.inner_text("table.queue")
            await assert_accessible(page)
            async with page.expect_navigation():
                await page.click("text=[ru] Caspian ferry line reopens")
            original, translated = page.locator(".card.original"), page.locator(".card.translated")
            assert "Caspian ferry line reopens" in await original.inner_text()
            assert "[ru] The ferry line between Baku and Aktau reopens." in await translated.inner_text()
            left, right = await original.bounding_box(), await translated.bounding_box()
            assert left and right and abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
            assert "Waiting for review." in await page.inner_text(".provenance")
            await assert_accessible(page)
            await shoot(page, "translations")
            async with page.expect_navigation():
                await page.click("#approve")
            assert "goes out to followers now" in await page.inner_text("[role=status]")
            assert "Reviewed and approved by leyla." in await page.inner_text(".provenance")
            row = await baku.db(StoryTranslation.get, language="ru")
            assert row.status == "approved" and row.reviewer == "leyla"

            await page.goto(f"{baku.base_url}/desk/network")
            assert f"ankara@{ankara.config.host}" in await page.inner_text("#pending-heading + table")
            await assert_accessible(page)
            await shoot(page, "network")
            async with page.expect_navigation():
                await page.click(f"button[aria-label='Approve ankara@{ankara.config.host}']")
            assert "now follows us" in await page.inner_text("[role=status]")
            await settle(baku, ankara)
            assert (await baku.db(Follower.get, local="baku")).state == "accepted"
            assert (await ankara.db(Following.get, local="ankara")).state == "accepted"

            status, signed, _ = await baku.get(f"/stories/{story['id']}")
            await page.goto(f"{baku.base_url}/desk/verify")
            await page.fill("#verify-document", json.dumps(signed))
            async with page.expect_navigation():
                await page.click(".verify-form button[type=submit]")
            report = await page.inner_text(".report")
            assert "Valid: signed by Baku News Agency" in report and "Russian" in report
            await assert_accessible(page)
            await shoot(page, "verify")

            admin = await new_desk_page(browser)
            await login(admin, baku.base_url, "root", next_path="/desk/operations")
            users = await admin.inner_text("table.users")
            assert "leyla" in users and "root" in users
            await assert_accessible(admin)
            await shoot(admin, "operations")
