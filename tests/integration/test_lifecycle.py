"""Three real nodes on loopback: corrections with history, kills with cancelled deliveries, embargoes with a
trusted partner and a restart before the release."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta, timezone

import pytest

from federation.claims import claim
from federation.queue import settle as settle_row
from federation.states import DeliveryState
from federation.store.models import Delivery, InboxItem
from node.stories.models import Story, StoryRevision
from node.wire.models import WireRevision, WireStory
from schemas.lifecycle import content_hash
from tests.nodes import free_port, node_config, postgres_database, running_node, settle

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between Baku and Aktau reopens on 12 May.</p>", "language": "az",
         "hashtags": ["Caspian"], "urgency": 3, "subjects": ["medtop:04000000", {"code": "medtop:20000568",
                                                                                   "name": "ferry"}]}
NOTE = {"az": "An earlier version gave the wrong date: the line reopens on 13 May."}


@contextlib.asynccontextmanager
async def three_nodes(tmp_path, database, *, partners: bool = False):
    """Baku (origin), Ankara and Astana, both following Baku. With `partners`, Ankara is Baku's trusted partner."""
    ports = {h: free_port() for h in ("baku", "ankara", "astana")}
    async with contextlib.AsyncExitStack() as stack:
        urls = {}
        for handle in ports:
            urls[handle] = (await stack.enter_async_context(postgres_database())) if database == "postgres" else None
        trust = {"partners": [f"http://127.0.0.1:{ports['ankara']}/actors/ankara"]} if partners else {}
        configs = {h: node_config(tmp_path, h, port=ports[h], database_url=urls[h],
                                  sections={"trust": trust} if h == "baku" else None) for h in ports}
        own = {h: contextlib.AsyncExitStack() for h in ports}  # one stack per node, so one can be restarted
        for h in ports:
            stack.push_async_callback(own[h].aclose)
        nodes = {h: await own[h].enter_async_context(running_node(tmp_path, h, config=configs[h])) for h in ports}
        for follower in ("ankara", "astana"):
            status, doc = await nodes[follower].api("POST", "/api/following", {"handle": nodes["baku"].handle})
            assert status == 202, doc
        await settle(*nodes.values())

        async def restart(handle: str):
            """Stop the node (web server, workers, database) and start it again on the same port and database."""
            await own[handle].aclose()
            nodes[handle] = await own[handle].enter_async_context(
                running_node(tmp_path, handle, config=configs[handle]))
            return nodes[handle]

        yield nodes, restart


async def _wire(node, *, include_killed: bool = False) -> list[dict]:
    _, doc = await node.api("GET", "/api/wire" + ("?include_killed=1" if include_killed else ""))
    return doc["stories"]


@pytest.mark.postgres
async def test_lifecycle__correction_reaches_every_follower_with_note_and_history(tmp_path, database_url):
    """A correction is a new revision: its note shows in content and maps, and every follower keeps the history."""
    async with three_nodes(tmp_path, database_url) as (nodes, _):
        baku = nodes["baku"]
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, story
        await settle(*nodes.values())
        status, fixed = await baku.api("PATCH", f"/api/stories/{story['id']}", {
            "body": "<p>The ferry line between Baku and Aktau reopens on 13 May.</p>", "correction_note": NOTE})
        assert status == 200 and fixed["version"] == 2, fixed
        await settle(*nodes.values())

        # The origin: two stored revisions, each hash the sha256 of its snapshot; the second a correction.
        status, coll, headers = await baku.get(f"/stories/{story['id']}/revisions")
        assert status == 200 and headers["Content-Type"] == "application/activity+json"
        assert coll["type"] == "OrderedCollection" and coll["totalItems"] == 2
        newest, first = coll["orderedItems"]
        assert (newest["revision"], newest["correction"], newest["correctionNoteMap"]) == (2, True, NOTE)
        assert (first["revision"], first["correction"]) == (1, False)
        rows = await baku.db(lambda: StoryRevision.all().order_by("number"))
        assert [r.content_hash for r in rows] == [newest and first["contentHash"], newest["contentHash"]]
        assert all(r.content_hash == content_hash(r.snapshot) for r in rows)
        assert rows[0].content_hash != rows[1].content_hash
        _, api_revs = await baku.api("GET", f"/api/stories/{story['id']}/revisions")
        assert [r["revision"] for r in api_revs["revisions"]] == [1, 2]

        status, obj, _ = await baku.get(f"/stories/{story['id']}")
        assert obj["correction"] is True and obj["correctionNoteMap"] == NOTE and obj["updated"]
        assert NOTE["az"] in obj["content"] and NOTE["az"] in obj["contentMap"]["az"]
        assert obj["revision"] == 2 and obj["contentHash"] == newest["contentHash"]
        assert {"revision", "correctionNoteMap"} <= set(obj["@context"][1])
        status, page, _ = await baku.get(f"/stories/{story['id']}", accept="text/html")
        assert status == 200 and "<strong>Düzəliş:</strong> " + NOTE["az"] in page

        for name in ("ankara", "astana"):
            (wire,) = await _wire(nodes[name])
            assert NOTE["az"] in wire["content_html"] and "13 May" in wire["content_html"]
            assert wire["revision"] == 2 and wire["urgency"] == 3
            assert [s["code"] for s in wire["subjects"]] == ["medtop:04000000", "medtop:20000568"]
            _, detail = await nodes[name].api("GET", f"/api/wire/story?id={story['url']}")
            assert [(r["revision"], r["correction"]) for r in detail["revisions"]] == [(1, False), (2, True)]
            assert detail["revisions"][1]["correctionNoteMap"] == NOTE
            assert detail["revisions"][1]["contentHash"] == newest["contentHash"]

        # A correction without a note for the story's language: refused, nothing stored, nothing sent.
        status, problem = await baku.api("PATCH", f"/api/stories/{story['id']}", {
            "headline": "Ferry line reopened", "correction_note": {"en": "Wrong language only."}})
        assert status == 400 and "az" in problem["detail"]
        assert await baku.db(lambda: StoryRevision.all().count()) == 2
        assert (await baku.db(lambda: Story.get(uuid=story["id"]))).headline == STORY["headline"]


@pytest.mark.postgres
async def test_lifecycle__kill_reaches_every_follower_and_cancels_pending(tmp_path, database_url):
    """A kill sends Delete with the reason, cancels what was not yet sent, answers 410, and followers keep the
    record of the kill while hiding the story."""
    async with three_nodes(tmp_path, database_url) as (nodes, _):
        baku = nodes["baku"]
        _, story = await baku.api("POST", "/api/stories", STORY)
        await settle(*nodes.values())
        # An Update queued for both followers, one of its rows claimed by a worker that is sending it right now.
        await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Ferry line reopens on Monday"})
        token, claimed = await baku.db(lambda: claim(
            Delivery, now=datetime.now(timezone.utc), limit=1, lock_for=timedelta(minutes=2),
            ready_state=DeliveryState.QUEUED, busy_state=DeliveryState.SENDING))
        assert len(claimed) == 1

        status, killed = await baku.api("POST", f"/api/stories/{story['id']}/kill",
                                        {"reason": "The ferry operator withdrew its announcement."})
        assert status == 200 and killed["state"] == "deleted", killed
        assert killed["kill_reason"] == "The ferry operator withdrew its announcement."
        # The claimed row's worker finds its claim gone: nothing is recorded as delivered.
        assert not await baku.db(lambda: settle_row(Delivery, claimed[0].id, token, from_state="sending",
                                                    to_state="delivered"))
        states = await baku.db(lambda: Delivery.filter(activity__type="Update").values_list("state", flat=True))
        assert sorted(states) == ["cancelled", "cancelled"]
        await settle(*nodes.values())
        rows = await baku.db(lambda: Delivery.filter(activity__subject_id__isnull=False).values_list(
            "activity__type", "state"))
        assert sorted(rows) == [("Create", "delivered")] * 2 + [("Delete", "delivered")] * 2 + \
            [("Update", "cancelled")] * 2

        status, tomb, _ = await baku.get(f"/stories/{story['id']}")
        assert status == 410 and tomb["type"] == "Tombstone" and tomb["formerType"] == "Article"
        assert tomb["deleted"] and tomb["killReason"] == "The ferry operator withdrew its announcement."
        status, _ = await baku.api("POST", f"/api/stories/{story['id']}/kill", {"reason": "again"})
        assert status == 409

        for name in ("ankara", "astana"):
            node = nodes[name]
            assert await _wire(node) == []
            (record,) = await _wire(node, include_killed=True)
            assert record["killed"] is True and record["state"] == "killed"
            assert record["kill_reason"] == "The ferry operator withdrew its announcement."
            assert record["content_html"] == "" and record["headline"] == STORY["headline"]
            assert await node.db(lambda: InboxItem.filter(type="Update").count()) == 0
            _, detail = await node.api("GET", f"/api/wire/story?id={story['url']}")
            assert detail["killed"] is True and [r["revision"] for r in detail["revisions"]] == [1]
            _, canceled = await node.api("GET", f"/api/wire/story?id={story['url']}&format=ninjs")
            assert canceled["pubStatus"] == "canceled"
            assert canceled["edNote"] == "Killed: The ferry operator withdrew its announcement."


@pytest.mark.postgres
async def test_lifecycle__embargo_reaches_partner_early_and_goes_public_after_restart(tmp_path, database_url):
    """An embargoed story reaches the trusted partner at once and nobody else; the origin serves nothing until the
    scheduler, run after a restart, releases it to every follower."""
    async with three_nodes(tmp_path, database_url, partners=True) as (nodes, restart):
        baku, ankara, astana = nodes["baku"], nodes["ankara"], nodes["astana"]
        until = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
        status, story = await baku.api("POST", "/api/stories", {**STORY, "embargoed_until": until.isoformat()})
        assert status == 201 and story["state"] == "scheduled", story
        assert (await baku.get(f"/stories/{story['id']}"))[0] == 404
        await settle(*nodes.values())

        (early,) = await _wire(ankara)
        assert early["embargoed"] is True and early["embargoed_until"] == until.isoformat().replace("+00:00", "Z")
        assert early["urgency"] == 3 and early["subjects"][0]["name"] == "economy, business and finance"
        assert await _wire(astana) == []
        assert await astana.db(lambda: InboxItem.all().filter(type="Create").count()) == 0
        inboxes = await baku.db(lambda: Delivery.filter(activity__subject_id__isnull=False).values_list(
            "inbox", flat=True))
        assert inboxes == [f"{ankara.base_url}/actors/ankara/inbox"]  # personal inbox, not the shared one
        _, outbox, _ = await baku.get("/actors/baku/outbox")
        assert outbox["totalItems"] == 0
        _, partner_outbox, _ = await ankara.get("/actors/ankara/outbox")
        assert partner_outbox["totalItems"] == 0
        _, held_ninjs = await ankara.api("GET", f"/api/wire/story?id={story['url']}&format=ninjs")
        assert held_ninjs["pubStatus"] == "withheld" and held_ninjs["embargoedUntil"] == early["embargoed_until"]

        # Restart the origin: the schedule is in its database only.
        restarted = await restart("baku")
        assert await restarted.node.release_once(until - timedelta(minutes=1)) == 0
        assert (await restarted.get(f"/stories/{story['id']}"))[0] == 404
        assert await restarted.node.release_once(until + timedelta(seconds=1)) == 1
        assert await restarted.node.release_once(until + timedelta(seconds=2)) == 0
        status, obj, _ = await restarted.get(f"/stories/{story['id']}")
        assert status == 200 and "embargoedUntil" not in obj and obj["urgency"] == 3
        await settle(restarted, ankara, astana)

        (public,) = await _wire(astana)
        assert public["embargoed"] is False and public["headline"] == STORY["headline"]
        (released,) = await _wire(ankara)
        assert released["embargoed"] is False
        _, usable = await ankara.api("GET", f"/api/wire/story?id={story['url']}&format=ninjs")
        assert usable["pubStatus"] == "usable" and usable["urgency"] == 3 and "embargoedUntil" not in usable
        # The proof verdict Ankara recorded for Baku's story travels in ninjs as a trust indicator.
        (proof,) = [t for t in usable["trustIndicators"] if t["role"] == "https://agency-node.org/ns#proof"]
        assert proof["title"] == "Data Integrity proof (eddsa-jcs-2022): verified"
        _, outbox, _ = await restarted.get("/actors/baku/outbox")
        assert outbox["totalItems"] == 1
        assert await astana.db(lambda: WireStory.all().count()) == 1
        assert await ankara.db(lambda: WireRevision.all().count()) == 1


async def test_lifecycle__embargoed_story_killed_before_release_stays_private(tmp_path):
    """Changes to an embargoed story and its kill go to the partner only; the scheduler never releases it."""
    async with three_nodes(tmp_path, None, partners=True) as (nodes, _):
        baku, ankara, astana = nodes["baku"], nodes["ankara"], nodes["astana"]
        until = datetime.now(timezone.utc) + timedelta(hours=1)
        _, story = await baku.api("POST", "/api/stories", {**STORY, "embargoed_until": until.isoformat()})
        await settle(*nodes.values())
        status, fixed = await baku.api("PATCH", f"/api/stories/{story['id']}", {
            "headline": "Ferry line reopens on 13 May", "correction_note": NOTE})
        assert status == 200 and fixed["state"] == "scheduled"
        await settle(*nodes.values())
        status, _ = await baku.api("POST", f"/api/stories/{story['id']}/kill", {"reason": "Plans changed."})
        assert status == 200
        await settle(*nodes.values())
        assert await baku.node.release_once(until + timedelta(minutes=1)) == 0
        assert (await baku.get(f"/stories/{story['id']}"))[0] == 410

        (record,) = await _wire(ankara, include_killed=True)
        assert record["killed"] and record["kill_reason"] == "Plans changed."
        _, detail = await ankara.api("GET", f"/api/wire/story?id={story['url']}")
        assert [(r["revision"], r["correction"]) for r in detail["revisions"]] == [(1, False), (2, True)]
        assert await astana.db(lambda: InboxItem.all().filter(type__in=["Create", "Update", "Delete"]).count()) == 0
        _, outbox, _ = await baku.get("/actors/baku/outbox")
        assert outbox["totalItems"] == 0
        types = await baku.db(lambda: Delivery.filter(activity__subject_id__isnull=False).values_list(
            "activity__type", "inbox"))
        assert sorted(t for t, _ in types) == ["Create", "Delete", "Update"]
        assert {i for _, i in types} == {f"{ankara.base_url}/actors/ankara/inbox"}


async def test_lifecycle__correction_in_every_language_of_a_translated_story(tmp_path):
    """With an approved English translation, a correction needs a note in Azerbaijani and English; each language
    on the followers' copy carries its own note, and the translation's approval is a revision of its own."""
    async with three_nodes(tmp_path, None) as (nodes, _):
        baku, ankara = nodes["baku"], nodes["ankara"]
        _, story = await baku.api("POST", "/api/stories", STORY)
        en = {"language": "en", "headline": "Ferry line reopens", "summary": "Crossings resume.",
              "body": "<p>The line reopens on 12 May.</p>", "translator": "Leyla Mammadova"}
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations", en)
        assert status == 201, doc
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve",
                                     {"reviewer": "Rashad Aliyev"})
        assert status == 200, doc
        status, problem = await baku.api("PATCH", f"/api/stories/{story['id']}", {"correction_note": NOTE})
        assert status == 400 and "en" in problem["detail"]
        notes = {**NOTE, "en": "An earlier version gave the wrong date."}
        status, fixed = await baku.api("PATCH", f"/api/stories/{story['id']}", {"correction_note": notes})
        assert status == 200, fixed
        await settle(*nodes.values())

        _, revs = await baku.api("GET", f"/api/stories/{story['id']}/revisions")
        assert [(r["revision"], r["correction"]) for r in revs["revisions"]] == [(1, False), (2, False), (3, True)]
        _, obj, _ = await baku.get(f"/stories/{story['id']}")
        assert list(obj["contentMap"]) == ["az", "en"] and obj["correctionNoteMap"] == notes
        assert obj["contentMap"]["en"].endswith(notes["en"] + "</p>") and NOTE["az"] in obj["contentMap"]["az"]
        _, langs = await ankara.api("GET", f"/api/wire/languages?story={story['url']}")
        by_lang = {i["language"]: i for i in langs["languages"]}
        assert notes["en"] in by_lang["en"]["content_html"] and NOTE["az"] in by_lang["az"]["content_html"]
        _, detail = await ankara.api("GET", f"/api/wire/story?id={story['url']}")
        assert detail["revisions"][-1]["correctionNoteMap"] == notes
