"""Compose, edit and the workflow over HTTP: two editors and a viewer on one node's desk (lock, stale save,
spike, alt text, roles, escaping)."""

from __future__ import annotations

import aiohttp
import pytest

from node.media.models import MediaItem
from node.stories.draft_models import DeskItem
from node.stories.models import Story
from tests.node.desk.helpers import DeskClient, add_user, desk_node
from tests.node.media import photos
from tests.node.media.test_stock_api import _upload_raw

SCRIPT = "<script>alert('x')</script>"


def _form(version: int, **fields: str) -> dict[str, str]:
    return {"version": str(version), "headline": "Ferry line reopens", "summary": "Crossings resume.",
            "body": "The ferry **sails** again.", "language": "en", "urgency": "4", **fields}


async def _item(item_id: int) -> DeskItem:
    return await DeskItem.get(id=item_id)


def _upload(form: dict[str, str], jpeg: bytes, alt: str) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for key, value in form.items():
        data.add_field(key, value)
    data.add_field("upload_alt", alt)
    data.add_field("upload", jpeg, filename="ferry.jpg", content_type="image/jpeg")
    return data


@pytest.mark.postgres
async def test_desk_compose__lock_stale_save_spike_alt_text_roles_and_escaping(tmp_path, database_url):
    """Leyla composes (the draft is locked for her); Anar sees "locked by leyla since", cannot take the lock nor
    save; Leyla's save from an old version is refused with nothing overwritten; Anar takes over the item she
    left open and her late save is refused; spike keeps it out until unspiked; an image without alt text is refused and not stored; a viewer's
    publish is refused with a clear page and nothing changes; a script in headline, body, alt or caption is shown
    as text, never as markup."""
    async with desk_node(tmp_path, database=database_url) as rn:
        for name, role in (("leyla", "editor"), ("anar", "editor"), ("vera", "viewer")):
            await add_user(rn, name, role)
        async with DeskClient(rn) as leyla, DeskClient(rn) as anar, DeskClient(rn) as vera:
            await leyla.login("leyla")
            await anar.login("anar")
            await vera.login("vera")

            status, text, _ = await leyla.get("/desk/compose")
            assert status == 200 and 'name="headline"' in text and "medtop:15000000" in text
            status, text, headers = await leyla.post("/desk/compose", _form(
                0, headline=f"Ferry {SCRIPT}", body=f"Quay {SCRIPT} *open*"))
            assert status == 303, text[:400]
            item_id = int(headers["Location"].rsplit("/", 1)[-1])
            item = await rn.db(_item, item_id)
            assert (item.stage, item.version, item.locked_by, item.created_by) == ("draft", 1, "leyla", "leyla")

            status, text, _ = await leyla.get(f"/desk/items/{item_id}")
            assert SCRIPT not in text and "Ferry &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
            assert "<em>open</em>" in text  # the preview, rendered as publishing renders it
            async with leyla.session.post(f"{rn.base_url}/desk/preview", data={"body": f"**Quay** {SCRIPT}"},
                                          headers={"X-CSRF-Token": leyla.csrf}) as resp:
                preview = (await resp.json())["html"]
            assert "<strong>Quay</strong>" in preview and "<script" not in preview

            # Anar: the item is Leyla's for now.
            status, text, _ = await anar.get(f"/desk/items/{item_id}")
            assert status == 200 and "Locked by leyla since" in text and 'name="headline"' not in text
            status, _, headers = await anar.post(f"/desk/items/{item_id}/lock")
            assert status == 303
            status, text, _ = await anar.get(headers["Location"])
            assert "leyla is editing this item" in text
            status, text, _ = await anar.post(f"/desk/items/{item_id}", _form(1, headline="Anar's headline"))
            assert status == 409 and "leyla is editing this item" in text
            assert (await rn.db(_item, item_id)).headline.startswith("Ferry <script>")

            # Leyla saves, then sends a save made from the version she had before: refused, nothing overwritten.
            status, _, _ = await leyla.post(f"/desk/items/{item_id}", _form(1, headline="Ferry line reopens"))
            assert status == 303
            status, text, _ = await leyla.post(f"/desk/items/{item_id}", _form(1, headline="Stale headline"))
            assert status == 409 and "Your changes were not saved and nothing was overwritten" in text
            assert "Stale headline" in text  # her text comes back for her to copy
            item = await rn.db(_item, item_id)
            assert (item.headline, item.version) == ("Ferry line reopens", 2)

            # Leyla left it open: Anar takes it over; her next save is refused, his goes in.
            status, text, _ = await anar.get(f"/desk/items/{item_id}")
            assert "Take this item over from leyla?" in text
            assert (await anar.post(f"/desk/items/{item_id}/take-over"))[0] == 303
            status, text, _ = await leyla.post(f"/desk/items/{item_id}", _form(2, headline="Leyla's late save"))
            assert status == 409 and "anar is editing this item" in text
            assert (await leyla.post(f"/desk/items/{item_id}/unlock"))[0] == 303  # not hers: changes nothing
            assert (await rn.db(_item, item_id)).locked_by == "anar"
            status, _, _ = await anar.post(f"/desk/items/{item_id}", _form(2, headline="Ferry line reopens today",
                                                                        action="review"))
            assert status == 303
            item = await rn.db(_item, item_id)
            assert (item.stage, item.version, item.changed_by, item.locked_by) == ("review", 4, "anar", "anar")

            # Spike and unspike.
            assert (await anar.post(f"/desk/items/{item_id}/spike"))[0] == 303
            assert (await rn.db(_item, item_id)).stage == "spiked"
            status, text, _ = await anar.get("/desk/stories")
            assert "Ferry line reopens today" not in text
            status, text, _ = await anar.get("/desk/stories?spiked=1")
            assert "Ferry line reopens today" in text
            status, text, _ = await anar.post(f"/desk/items/{item_id}", _form(5))
            assert status == 409 and "This item is spiked" in text
            assert (await anar.post(f"/desk/items/{item_id}/unspike"))[0] == 303
            assert (await rn.db(_item, item_id)).stage == "review"

            # An image without alt text is refused and not stored; with alt text (and a script) it is attached.
            assert (await anar.post(f"/desk/items/{item_id}/lock"))[0] == 303
            version = (await rn.db(_item, item_id)).version
            jpeg = photos.jpeg(image=photos.picture(160, 100))
            form = {**_form(version, headline="Ferry line reopens today"), "csrf_token": anar.csrf}
            async with anar.session.post(f"{rn.base_url}/desk/items/{item_id}", data=_upload(form, jpeg, ""),
                                         allow_redirects=False) as resp:
                text = await resp.text()
                assert resp.status == 422 and "Write the alt text of the new image" in text
            assert await rn.db(MediaItem.all().count) == 0
            async with anar.session.post(f"{rn.base_url}/desk/items/{item_id}",
                                         data=_upload(form, jpeg, f"Ferry {SCRIPT} at the quay"),
                                         allow_redirects=False) as resp:
                assert resp.status == 303, (await resp.text())[:500]
            item = await rn.db(_item, item_id)
            assert item.image and await rn.db(MediaItem.all().count) == 1
            status, text, _ = await anar.post(f"/desk/items/{item_id}", _form(
                item.version, image=item.image, **{f"alt.{item.image}": "", f"caption.{item.image}": SCRIPT}))
            assert status == 303  # the stock already has its alt text: an empty field keeps it
            status, text, _ = await anar.get(f"/desk/items/{item_id}")
            assert SCRIPT not in text and "Ferry &lt;script&gt;" in text and "&lt;script&gt;alert" in text
            assert f'value="{SCRIPT}"' not in text  # the caption, as the form's value

            # A file the page's script put in the stock without alt text is not attached either.
            status, bare = await _upload_raw(rn, photos.jpeg(image=photos.picture(90, 60)), "image/jpeg")
            assert status == 201, bare
            item = await rn.db(_item, item_id)
            status, text, _ = await anar.post(f"/desk/items/{item_id}", _form(
                item.version, image=item.image, uploaded=bare["id"], upload_as="other"))
            assert status == 422 and "Write the alt text of the new image" in text
            assert (await rn.db(_item, item_id)).media == []

            # A viewer reads, but cannot compose or publish: a clear page, nothing changed.
            before = await rn.db(_item, item_id)
            status, text, _ = await vera.get("/desk/compose")
            assert status == 403 and "This needs the editor role; you are viewer. Nothing was changed." in text
            status, text, _ = await vera.post(f"/desk/items/{item_id}/publish")
            assert status == 403 and "Nothing was changed." in text
            after = await rn.db(_item, item_id)
            assert (after.stage, after.version) == (before.stage, before.version)
            assert await rn.db(Story.all().count) == 0
            status, text, _ = await vera.get(f"/desk/items/{item_id}")
            assert status == 200 and 'name="headline"' not in text
