"""Publishing from the desk over HTTP: a ready item becomes a story; "Write an update" threads the next story
(AS2 `context` = the first story); a correction with its note shows in the revision diff; a kill answers 410."""

from __future__ import annotations

from datetime import datetime, timezone

from federation.store.models import RemoteActor
from node.wire.models import WireStory
from node.stories.draft_models import DeskItem
from node.stories.models import Story
from tests.node.desk.helpers import DeskClient, add_user, desk_node


async def _item(item_id: int) -> DeskItem:
    return await DeskItem.get(id=item_id)


async def _story(**filters: str) -> Story:
    return await Story.get(**filters)


async def _compose_ready(desk: DeskClient, path: str, version: int, **fields: str) -> int:
    form = {"version": str(version), "headline": "Ferry line reopens", "summary": "Crossings resume on Monday.",
            "body": "The ferry between Baku and Aktau sails again.\n\nTickets are on sale.", "language": "en",
            "subject": "medtop:04000000", "action": "ready", **fields}
    status, text, headers = await desk.post(path, form)
    assert status == 303, text[:500]
    if path == "/desk/compose":  # created as a draft: then marked ready
        item_id = int(headers["Location"].rsplit("/", 1)[-1])
        status, text, _ = await desk.post(f"/desk/items/{item_id}", {**form, "version": "1"})
        assert status == 303, text[:500]
        return item_id
    return int(path.rsplit("/", 1)[-1])


async def test_desk_publish__publish_update_thread_correct_diff_and_kill(tmp_path):
    """A draft cannot be published; a ready one is (the story page shows it and its deliveries); an update from
    the story page goes out with `context` = the first story's URI inside its Article, and My stories shows the
    thread; a correction with its note adds revision 2, whose diff marks the changed words; a kill needs a
    reason, and then the public URL answers 410."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        async with DeskClient(rn) as leyla:
            await leyla.login("leyla")
            status, text, headers = await leyla.post("/desk/compose", {
                "version": "0", "headline": "Not yet", "body": "Draft text.", "language": "en"})
            draft_id = int(headers["Location"].rsplit("/", 1)[-1])
            status, _, headers = await leyla.post(f"/desk/items/{draft_id}/publish")
            status, text, _ = await leyla.get(headers["Location"])
            assert "Only an item marked ready can be published." in text
            assert await rn.db(Story.all().count) == 0

            item_id = await _compose_ready(leyla, "/desk/compose", 0)
            assert (await rn.db(_item, item_id)).stage == "ready"
            status, text, _ = await leyla.get(f"/desk/items/{item_id}")
            assert "Followers on Mastodon will see the headline and summary with a link" in text
            status, _, headers = await leyla.post(f"/desk/items/{item_id}/publish")
            assert status == 303 and headers["Location"].startswith("/desk/stories/")
            first = await rn.db(_story, headline="Ferry line reopens")
            item = await rn.db(_item, item_id)
            assert (item.stage, item.story_id) == ("published", first.id)
            assert first.subjects[0]["code"] == "medtop:04000000" and "<p>Tickets are on sale.</p>" in first.body_html
            status, text, _ = await leyla.get(f"/desk/stories/{first.uuid}")
            assert status == 200 and "Deliveries" in text and "published" in text

            # Write an update: a new item in the thread; published, its Article names the first story.
            status, _, headers = await leyla.post(f"/desk/stories/{first.uuid}/update")
            update_id = int(headers["Location"].rsplit("/", 1)[-1])
            first_uri = rn.node.urls.story(first.uuid)
            assert (await rn.db(_item, update_id)).thread_uri == first_uri
            await _compose_ready(leyla, f"/desk/items/{update_id}", 1, headline="Ferry line reopens: first crossing",
                                 body="The first ferry left Baku at noon.")
            status, _, headers = await leyla.post(f"/desk/items/{update_id}/publish")
            assert status == 303
            second = await rn.db(_story, headline="Ferry line reopens: first crossing")
            assert second.context_uri == first_uri
            status, doc, _ = await rn.get(f"/stories/{second.uuid}")
            assert status == 200 and doc["context"] == first_uri and doc.get("proof")
            status, doc, _ = await rn.get(f"/stories/{first.uuid}")
            assert "context" not in doc
            status, text, _ = await leyla.get("/desk/stories")
            assert "update of" in text
            status, text, _ = await leyla.get(f"/desk/stories/{second.uuid}")
            assert "Story thread" in text and f'/desk/stories/{first.uuid}"' in text

            # Correct the first story with a note: revision 2, and the diff marks what changed.
            status, _, headers = await leyla.post(f"/desk/stories/{first.uuid}/correct")
            assert status == 303
            copy_id = int(headers["Location"].rsplit("/", 1)[-1])
            copy = await rn.db(_item, copy_id)
            status, text, _ = await leyla.post(f"/desk/items/{copy_id}", {
                "version": str(copy.version), "headline": copy.headline, "summary": copy.summary,
                "body": "The ferry between Baku and Turkmenbashi sails again.\n\nTickets are on sale.",
                "language": "en", "action": "save"})
            assert status == 303, text[:400]
            status, _, headers = await leyla.post(f"/desk/items/{copy_id}/publish")  # no note: refused
            assert (await rn.db(_story, uuid=first.uuid)).version == 1
            status, _, _ = await leyla.post(f"/desk/items/{copy_id}/publish",
                                            {"correction_note": "The ferry goes to Turkmenbashi, not Aktau."})
            assert status == 303
            assert (await rn.db(_story, uuid=first.uuid)).version == 2
            status, text, _ = await leyla.get(f"/desk/stories/{first.uuid}/revisions?a=1&b=2")
            assert status == 200
            assert "<del><span class=\"visually-hidden\">removed: </span>Aktau</del>" in text
            assert "<ins><span class=\"visually-hidden\">added: </span>Turkmenbashi</ins>" in text

            # Kill: a reason is needed; then the public page is a 410 Tombstone with it.
            status, _, headers = await leyla.post(f"/desk/stories/{first.uuid}/kill", {"reason": " "})
            status, text, _ = await leyla.get(headers["Location"])
            assert "Say why the story is killed" in text
            assert (await rn.db(_story, uuid=first.uuid)).state == "published"
            status, _, _ = await leyla.post(f"/desk/stories/{first.uuid}/kill", {"reason": "Wrong ferry company."})
            assert status == 303
            status, doc, _ = await rn.get(f"/stories/{first.uuid}")
            assert status == 410 and doc["type"] == "Tombstone" and doc["killReason"] == "Wrong ferry company."
            status, text, _ = await leyla.get(f"/desk/stories/{first.uuid}")
            assert "killed" in text and "Wrong ferry company." in text


async def _wire_story() -> int:
    now = datetime.now(timezone.utc)
    actor = await RemoteActor.create(uri="https://ankara.example/actor", host="ankara.example",
                                     preferred_username="aa", name="Anadolu Agency",
                                     inbox="https://ankara.example/inbox", fetched_at=now)
    wire = await WireStory.create(
        uri="https://ankara.example/stories/1", actor=actor, type="Article", language="en",
        headline="Bosphorus ferries <b>resume</b>", summary="Service restarts at dawn.",
        content_html="<p>Ferries cross again.</p><p>Crowds <em>cheer</em> &lt;script&gt;.</p>",
        url="https://ankara.example/en/ferries", object={}, published_at=now)
    return wire.id


async def test_desk_compose__from_wire_prefills_and_api_story_corrects_as_html(tmp_path):
    """?from_wire= fills headline, summary, the body quoted with the source credited and linked, and the
    language; an embargoed item is scheduled; the working copy of a story published through the API keeps its HTML (its markup never becomes
    visible text) and the correction goes out."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        wire_id = await rn.db(_wire_story)
        async with DeskClient(rn) as leyla:
            await leyla.login("leyla")
            status, text, _ = await leyla.get(f"/desk/compose?from_wire={wire_id}")
            assert status == 200
            assert 'value="Bosphorus ferries &lt;b&gt;resume&lt;/b&gt;"' in text
            assert "&gt; Ferries cross again.\n&gt;\n&gt; Crowds cheer &lt;script&gt;." in text
            assert "— Source: Anadolu Agency &lt;https://ankara.example/en/ferries&gt;" in text
            assert (await leyla.get("/desk/compose?from_wire=999"))[0] == 404

            # An embargoed item is scheduled, and My stories says so.
            item_id = await _compose_ready(leyla, "/desk/compose", 0, headline="Budget figures",
                                           embargoed_until="2099-01-01T09:00")
            status, _, headers = await leyla.post(f"/desk/items/{item_id}/publish")
            status, text, _ = await leyla.get(headers["Location"])
            assert "Scheduled: it goes out when the embargo ends." in text
            scheduled = await rn.db(_story, headline="Budget figures")
            assert scheduled.state == "scheduled" and scheduled.embargoed_until.year == 2099
            status, text, _ = await leyla.get("/desk/stories")
            assert "stage-scheduled" in text

            status, doc = await rn.api("POST", "/api/stories", {
                "headline": "Port opens", "body": "<p>The <strong>port</strong> opens.</p>", "language": "en"})
            assert status == 201, doc
            status, _, headers = await leyla.post(f"/desk/stories/{doc['id']}/correct")
            item_id = int(headers["Location"].rsplit("/", 1)[-1])
            status, text, _ = await leyla.get(f"/desk/items/{item_id}")
            assert "(HTML, as the story was published)" in text and "<strong>port</strong>" in text
            status, text, _ = await leyla.post(f"/desk/items/{item_id}", {
                "version": "1", "headline": "Port opens", "body": "<p>The <strong>port</strong> opens today.</p>",
                "language": "en"})
            assert status == 303, text[:300]
            status, _, _ = await leyla.post(f"/desk/items/{item_id}/publish", {"correction_note": "Date added."})
            story = await rn.db(_story, uuid=doc["id"])
            assert story.version == 2 and story.body_html.startswith("<p>The <strong>port</strong> opens today.")
