"""Right-to-left text on the wire: a story in Arabic keeps its language and lets the browser set its direction
(`dir="auto"`) in its row and its view, inside a desk page that stays in the editor's left-to-right locale."""

from __future__ import annotations

from tests.node.desk.helpers import DeskClient, add_user, desk_node
from tests.node.desk.wire_seed import arrive, partner


async def test_wire_rtl__arabic_story_marked_with_its_language_and_auto_direction(tmp_path):
    """The row's headline and summary and the view's headline, summary and body carry lang="ar" dir="auto"."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")

        async def seed():
            qna = await partner("qna@qna.example", "Qatar News Agency")
            return await arrive(rn.node.fed, qna, "port", "افتتاح خط العبارات بين باكو وأكتاو",
                                "<p>تستأنف الرحلات يوم الاثنين.</p>", language="ar", summary="تستأنف الرحلات.")
        story = await rn.db(seed)
        async with DeskClient(rn) as desk:
            await desk.login("vera")
            _, page, _ = await desk.get("/desk/wire")
            assert 'lang="en" dir="ltr"' in page  # the desk itself
            assert f'<h3 id="h-{story.id}" lang="ar" dir="auto">' in page
            assert '<p class="summary" lang="ar" dir="auto">' in page
            _, view, _ = await desk.get(f"/desk/wire/{story.id}")
            assert '<h1 id="story-h" lang="ar" dir="auto">' in view and '<div class="body" lang="ar" dir="auto">' in view
