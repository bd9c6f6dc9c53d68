"""Compose, publish, correct and kill a story with a photo in a real Chromium, as an editor would: the photo is
uploaded from the compose screen, the story reaches a following node, My stories shows its deliveries, the
revisions screen shows the correction, and after the kill (confirmation accepted) its public URL is the 410
Tombstone page. axe-core on each screen; screenshots "compose", "my-stories", "story-revisions"."""

from __future__ import annotations

from node.stories.models import Story
from tests.node.desk.helpers import add_user, desk_node
from tests.node.media import photos
from tests.nodes import running_node, settle
from tests.pages.desk.browser import assert_accessible, chromium, login, needs_browser, new_desk_page, shoot

pytestmark = needs_browser


async def _story() -> Story:
    return await Story.get(headline="Caspian ferry line reopens")


async def test_desk_compose_page__compose_publish_with_photo_deliveries_correct_and_kill(tmp_path):
    """Upload with alt text from the compose form (its script sends the file to POST /api/media), mark ready, publish after the confirmation; Almaty (a follower)
    receives it and My stories counts it delivered; a correction makes revision 2 with the change marked;
    the kill's confirmation accepted, the public page answers 410."""
    async with desk_node(tmp_path) as baku, running_node(tmp_path, "almaty") as almaty:
        await add_user(baku, "leyla", "editor")
        status, doc = await almaty.api("POST", "/api/following", {"handle": baku.handle})
        assert status == 202, doc
        await settle(baku, almaty)
        async with chromium() as browser:
            page = await new_desk_page(browser)
            dialogs: list[str] = []

            async def accept(dialog):
                dialogs.append(dialog.message)
                await dialog.accept()
            page.on("dialog", accept)
            await login(page, baku.base_url, "leyla", next_path="/desk/compose")
            assert await page.inner_text("h1") == "New story"
            await page.fill("#headline", "Caspian ferry line reopens")
            await page.fill("#summary", "Baku-Aktau crossings resume on Monday.")
            await page.fill("#body", "The ferry **sails** again.\n\n> Tickets are on sale, the port said.")
            await page.click("text=economy, business and finance")  # opens the topic group
            await page.check("#t-20000344")
            await page.set_input_files("#upload", files=[{"name": "ferry.jpg", "mimeType": "image/jpeg",
                                                          "buffer": photos.jpeg(image=photos.picture(640, 400))}])
            await page.fill("#upload_alt", "The ferry at the Baku quay")
            await page.wait_for_function("document.querySelector('#body-preview strong')")  # the live preview
            await assert_accessible(page)
            await shoot(page, "compose")
            # The page's script streams the file to the stock (POST /api/media with the session's CSRF token),
            # then the form names it.
            async with page.expect_response(lambda r: r.url.endswith("/api/media")) as uploaded:
                async with page.expect_navigation():
                    await page.click("button:has-text('Upload and attach')")
            assert (await uploaded.value).status == 201
            assert "/desk/items/" in page.url
            assert await page.get_attribute(".mastodon .card img", "alt") == "The ferry at the Baku quay"
            assert await page.inner_text(".mastodon .card-title") == "Caspian ferry line reopens"
            async with page.expect_navigation():
                await page.click("button:has-text('Save and mark ready')")
            assert "ready" in await page.inner_text(".item-facts")
            await assert_accessible(page)
            async with page.expect_navigation():
                await page.click("button:has-text('Publish')")
            assert "Followers on Mastodon will see the headline and summary with a link" in dialogs[-1]
            assert "Followers: 1, on 1 servers." in dialogs[-1]
            assert "/desk/stories/" in page.url and await page.inner_text("h1") == "Caspian ferry line reopens"
            story = await baku.db(_story)
            assert story.media and story.media[0]["lead"] and story.media[0]["alt"]["en"]
            await settle(baku, almaty)

            await page.goto(f"{baku.base_url}/desk/stories")
            row = page.locator("tr", has_text="Caspian ferry line reopens")
            assert "delivered 1" in await row.inner_text()
            await assert_accessible(page)
            await shoot(page, "my-stories")

            # Correct: the working copy, a changed body, the note, the confirmation.
            await page.goto(f"{baku.base_url}/desk/stories/{story.uuid}")
            assert "127.0.0.1" in await page.inner_text("table")  # deliveries by host
            await assert_accessible(page)
            async with page.expect_navigation():
                await page.click("button:has-text('Correct')")
            await page.fill("#body", "The ferry **sails** again from Monday.")
            async with page.expect_navigation():
                await page.click("button[value=save].primary")
            await page.fill("#correction_note", "The crossings resume on Monday.")
            async with page.expect_navigation():
                await page.click("button:has-text('Send correction')")
            await page.goto(f"{baku.base_url}/desk/stories/{story.uuid}/revisions")
            assert "from Monday." in await page.inner_text("table.diff ins")
            await assert_accessible(page)
            await shoot(page, "story-revisions")

            # Kill, confirmed; the public URL is the Tombstone page.
            await page.goto(f"{baku.base_url}/desk/stories/{story.uuid}")
            await page.fill("#reason", "The ferry company withdrew its announcement.")
            async with page.expect_navigation():
                await page.click("button:has-text('Kill')")
            assert "replaced by a notice; the page answers 410 with your reason" in dialogs[-1]
            assert "killed" in await page.inner_text(".facts")
            response = await page.goto(baku.node.urls.story(story.uuid))
            assert response is not None and response.status == 410
            assert await page.inner_text("h1") == "This story was deleted"
