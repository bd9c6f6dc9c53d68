"""The Wire screen in a real Chromium, between two loopback nodes: a story published at one node appears live on the
other's open wire page, without a reload, with its verified badge; a flash story raises a notification; the list
and the story view pass axe-core."""

from __future__ import annotations

import asyncio

from tests.node.desk.helpers import add_user, desk_node
from tests.nodes import settle
from tests.pages.desk.browser import assert_accessible, chromium, login, needs_browser, new_desk_page, shoot

pytestmark = needs_browser

# Records notifications instead of showing them (headless Chromium has no notification centre to look at).
RECORD_NOTIFICATIONS = """
window.__notified = [];
window.Notification = function (title, options) { window.__notified.push(title); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


async def test_desk_wire__story_arrives_live_with_badge_and_notification(tmp_path):
    """Ankara follows Baku; an Ankara editor has the wire open; Baku publishes a story and a flash: both appear at
    the top of Ankara's list without a reload (the page's own state survives), the first with its verified badge,
    the flash styled and notified; a script in the body never runs; list and story view pass axe-core."""
    async with desk_node(tmp_path, "baku") as baku, desk_node(tmp_path, "ankara") as ankara:
        await add_user(ankara, "leyla", "editor")
        status, doc = await ankara.api("POST", "/api/following", {"handle": baku.handle})
        assert status == 202, doc
        await settle(ankara, baku)
        status, _ = await baku.api("POST", "/api/stories", {
            "headline": "Caspian ferry timetable published", "summary": "Crossings resume on Monday.",
            "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "language": "en"})
        assert status == 201
        await settle(baku, ankara)
        async with chromium() as browser:
            page = await new_desk_page(browser)
            await page.add_init_script(RECORD_NOTIFICATIONS)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
            await login(page, ankara.base_url, "leyla", next_path="/desk/wire")
            assert page.url.endswith("/desk/wire")
            assert "Caspian ferry timetable published" in await page.inner_text("#wire-list")
            await page.wait_for_selector(".live-bar[data-connected]")
            await page.evaluate("window.__stillHere = true")

            status, story = await baku.api("POST", "/api/stories", {
                "headline": "Port of Baku opens a new terminal", "summary": "A terminal for ferries to Aktau.",
                "body": "<p>The terminal opens today.</p><script>alert('body')</script>", "language": "en",
                "subjects": ["medtop:04000000"]})
            assert status == 201, story
            await settle(baku, ankara)
            first = page.locator("#wire-list > li").first
            await first.locator("h3", has_text="Port of Baku opens a new terminal").wait_for()
            assert await first.locator("[data-proof]").get_attribute("data-proof") == "verified"
            assert "Verified: signed by its agency" in await first.inner_text()
            assert await page.evaluate("window.__stillHere") is True  # no reload happened

            status, _ = await baku.api("POST", "/api/stories", {
                "headline": "Flash: earthquake near Shamakhi", "summary": "Tremors felt in Baku.",
                "body": "<p>First reports.</p>", "language": "en", "urgency": 1})
            assert status == 201
            await settle(baku, ankara)
            await page.locator("#wire-list > li").first.locator("h3", has_text="Flash: earthquake near Shamakhi").wait_for()
            assert "urgency-1" in await page.locator("#wire-list > li").first.get_attribute("class")
            await page.wait_for_function("window.__notified.length > 0")
            assert "Flash: earthquake near Shamakhi" in (await page.evaluate("window.__notified"))[0]
            assert await page.evaluate("window.__stillHere") is True
            await assert_accessible(page)
            await shoot(page, "wire")

            async with page.expect_navigation():
                await page.locator("#wire-list > li").nth(1).locator("h3 a").click()
            assert await page.inner_text("h1") == "Port of Baku opens a new terminal"
            assert "The terminal opens today." in await page.inner_text(".wire-story")
            assert await page.get_by_role("button", name="Forward to our followers").is_visible()
            await assert_accessible(page)
            await shoot(page, "wire-story")
            assert dialogs == []  # the story's script never ran
