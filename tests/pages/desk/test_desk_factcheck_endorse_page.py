"""Endorsing on the desk's Fact-checks screen in a real Chromium: Baku and Ankara checked the same claim with
different verdicts; an editor at Astana opens Baku's check, reads Ankara's verdict beside it, endorses Baku's with a
comment after the confirmation and sees the endorsement marked as ours, then opens Ankara's check from the
side-by-side panel; axe-core on the check before and after, and screenshots."""

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
# The list's mark of our own endorsement, by the browser's language.
ENDORSED_BY_US = {"en-GB": "Endorsed by our agency", "az-AZ": "Agentliyimiz dəstəkləyib",
                  "kk-KZ": "Біздің агенттік қолдады", "ru-RU": "Поддержано нашим агентством",
                  "tr-TR": "Ajansımız destekledi", "uz-UZ": "Agentligimiz qo‘llab-quvvatlagan",
                  "zh-CN": "本机构已认可"}
ANKARA_CHECK = {**FACTCHECK, "verdict": "misleading",
                "explanation": {"en": "The port did flood, from a storm surge; the sea level did not rise."}}


async def test_desk_factcheck_endorse_page__editor_endorses_beside_a_disagreeing_check(tmp_path):
    """The side-by-side panel names Ankara's verdict; Endorse asks first, then one Endorse is queued with the
    comment, the page says so and marks our endorsement; the panel's link opens Ankara's check. axe-core passes."""
    async with other_node(tmp_path, "baku") as baku, other_node(tmp_path, "ankara") as ankara, \
            other_node(tmp_path, "astana") as astana:
        await add_user(astana, "omar", "editor")
        for partner in (baku, ankara):
            status, doc = await astana.api("POST", "/api/following", {"handle": f"{partner.config.agency.handle}@"
                                                                                f"{partner.config.host}"})
            assert status == 202, doc
        await settle(baku, ankara, astana)
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        assert (await ankara.api("POST", "/api/factchecks", ANKARA_CHECK))[0] == 201
        await settle(baku, ankara, astana)
        async with chromium() as browser:
            page = await new_desk_page(browser)
            asked: list[str] = []

            async def confirm(dialog):
                asked.append(dialog.message)
                await dialog.accept()
            page.on("dialog", confirm)
            await login(page, astana.base_url, "omar", next_path="/desk/factchecks")
            async with page.expect_navigation():
                await page.click("li.wire-item.verdict-false h3 a")
            panel = await page.inner_text("section.factcheck-compare")
            assert "Ankara News Agency" in panel and "Misleading" in panel and "False" in panel
            await assert_accessible(page)
            await shoot(page, "factcheck-endorse")
            await page.fill("#endorse-comment", "Our gauges at Aktau agree.")
            async with page.expect_navigation():
                await page.click("button:text-is('Endorse')")
            assert asked and asked[0].startswith("Endorse this fact-check in the name of Astana News Agency?")
            assert "Endorsed in our agency's name." in await page.inner_text("[role=status]")
            endorsed = await page.inner_text("#endorsements")
            assert "Astana News Agency" in endorsed and "our agency" in endorsed and "Aktau agree" in endorsed
            assert await page.locator("button:text-is('Withdraw our endorsement')").count() == 1
            await assert_accessible(page)
            await shoot(page, "factcheck-endorsed")
            async with page.expect_navigation():
                await page.click("section.factcheck-compare >> text=Open on the desk")
            assert "The port did flood" in await page.inner_text("article")
            # The list marks the check we endorsed, in every language of the desk.
            for locale, words in ENDORSED_BY_US.items():
                listing = page if locale == "en-GB" else await new_desk_page(browser, locale=locale)
                if listing is not page:
                    await login(listing, astana.base_url, "omar", next_path="/desk/factchecks")
                else:
                    await page.goto(f"{astana.base_url}/desk/factchecks")
                marks = listing.locator(".endorsed-by-us")
                assert await marks.count() == 1
                assert await marks.inner_text() == words
                assert await listing.locator("li.wire-item.verdict-false .endorsed-by-us").count() == 1
                await assert_accessible(listing)
                await shoot(listing, f"factchecks-endorsed-{locale}")
        assert await astana.db(lambda: OutboxActivity.filter(type="Endorse").count()) == 1
