"""The desk's Fact-checks screen in a real Chromium: an editor at Astana opens the fact-check Baku sent, reads the
claim, verdict and explanation, forwards it after the confirmation, and reads that it went out; axe-core on the
list and on the fact-check, and their screenshots."""

from __future__ import annotations

from federation.store.models import OutboxActivity
from tests.node.desk.helpers import add_user
from tests.node.desk.other_nodes import other_node
from tests.nodes import settle
from tests.pages.desk.browser import assert_accessible, chromium, login, needs_browser, new_desk_page, shoot

pytestmark = needs_browser

FACTCHECK = {
    "claim": {"text": "The Caspian Sea level rose by three metres in one year and flooded the port of Baku",
              "language": "en", "urls": ["https://rumours.example/posts/1234"]},
    "verdict": "false", "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."},
}


async def test_desk_factchecks_page__editor_reads_and_forwards_a_partners_check(tmp_path):
    """The list shows Baku's verdict; the fact-check's page its claim, where it appeared and the explanation; the
    Forward button asks first, then one Announce is queued and the page says so. Both screens pass axe-core."""
    async with other_node(tmp_path, "baku") as baku, other_node(tmp_path, "astana") as astana:
        await add_user(astana, "omar", "editor")
        status, doc = await astana.api("POST", "/api/following", {"handle": f"baku@{baku.config.host}"})
        assert status == 202, doc
        await settle(baku, astana)
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        await settle(baku, astana)
        async with chromium() as browser:
            page = await new_desk_page(browser)
            asked: list[str] = []

            async def confirm(dialog):
                asked.append(dialog.message)
                await dialog.accept()
            page.on("dialog", confirm)
            await login(page, astana.base_url, "omar", next_path="/desk/factchecks")
            assert "False" in await page.inner_text("ol.wire-list")
            await assert_accessible(page)
            await shoot(page, "factchecks")
            async with page.expect_navigation():
                await page.click("text=The Caspian Sea level rose")
            assert "https://rumours.example/posts/1234" in await page.inner_text("dl.facts")
            assert "Gauges at Baku show the level fell" in await page.inner_text("article")
            await assert_accessible(page)
            await shoot(page, "factcheck")
            async with page.expect_navigation():
                await page.click("button:text-is('Forward to our followers')")
            assert asked and asked[0].startswith("Forward this fact-check to all our followers?")
            assert "Forwarded to our followers." in await page.inner_text("[role=status]")
        assert await astana.db(lambda: OutboxActivity.filter(type="Announce").count()) == 1
