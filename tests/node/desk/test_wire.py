"""The desk's Wire screen over real HTTP: filters and full-text search (SQLite and PostgreSQL), threads, the story
view, saved searches, partner health, forwarding by role, escaping, and the live stream (SSE)."""

from __future__ import annotations

import asyncio
import html
import re
from urllib.parse import unquote
from datetime import datetime, timedelta, timezone

import aiohttp
import orjson
import pytest

from federation.store.models import OutboxActivity
from node.accounts.models import AuditEvent
from node.desk.models import SavedSearch
from node.wire.changes import story_changed
from node.wire.models import WireStory
from tests.node.desk.helpers import DeskClient, add_user, desk_node
from tests.node.desk.wire_seed import arrive, partner

NOW = datetime.now(timezone.utc)
SPORT, WEATHER = "medtop:15000000", "medtop:17000000"


async def _seed(rn) -> dict[str, WireStory]:
    fed = rn.node.fed

    async def go():
        aa = await partner("aa@ankara.example", "Anadolu Agency")
        xh = await partner("xinhua@xinhua.example", "Xinhua", followed_at=NOW - timedelta(days=3))
        out = {}
        out["ferry"] = await arrive(fed, aa, "ferry", "Ferry line reopens on the Bosphorus",
                                    "<p>Vapur seferleri yeniden başladı in İstanbul.</p>", language="tr",
                                    subjects=(SPORT,), published=NOW - timedelta(days=2), media=1,
                                    translations={"en": ("Ferry line reopens", "<p>Ferries run again.</p>")})
        out["quake"] = await arrive(fed, aa, "quake", "Earthquake shakes Izmir", "<p>A strong quake hit.</p>",
                                    urgency=1, subjects=(WEATHER,), published=NOW - timedelta(hours=1))
        out["rain"] = await arrive(fed, xh, "rain", "北京今天下雨", "<p>北京今天下雨了，行人打着伞。</p>",
                                   language="zh-Hans", urgency=4, published=NOW - timedelta(days=5),
                                   proof="unsigned")
        out["xss"] = await arrive(fed, aa, "xss", '&lt;script&gt;alert("x")&lt;/script&gt;Budget talks',
                                  '<p>Budget <img src=x onerror="alert(1)"> talks</p><script>alert(2)</script>',
                                  summary='<b onmouseover="alert(3)">Talks</b>', published=NOW - timedelta(hours=3))
        await WireStory.filter(id=out["rain"].id).update(received_at=NOW - timedelta(days=2))  # Xinhua fell silent
        # The listeners reduce a headline to text (entities decoded): text that reads as markup must stay text.
        await WireStory.filter(id=out["xss"].id).update(headline='<script>alert("x")</script>Budget talks')
        return out
    return await rn.db(go)


def _ids(text: str) -> list[int]:
    return [int(x) for x in re.findall(r'<li class="wire-item[^"]*" id="story-(\d+)"', text)]


@pytest.mark.postgres
async def test_wire_page__filters_search_and_escaping(tmp_path, database_url):
    """Each filter narrows the list (agency, language incl. translations, topic, urgency, dates, media); search
    finds words and word starts in any language (Turkish, Chinese) and never treats quotes as syntax; a bad filter
    says so on the page; a script in a headline, summary or body appears escaped or not at all."""
    async with desk_node(tmp_path, database=database_url) as rn:
        await add_user(rn, "vera", "viewer")
        s = await _seed(rn)
        async with DeskClient(rn) as desk:
            await desk.login("vera")
            status, text, _ = await desk.get("/desk/wire")
            assert status == 200
            assert _ids(text) == [s["xss"].id, s["rain"].id, s["quake"].id, s["ferry"].id]  # as they arrived
            cases = {
                "agency=aa@ankara.example": ["quake", "xss", "ferry"],
                "agency=xinhua@xinhua.example": ["rain"],
                "language=en": ["quake", "xss", "ferry"],  # the ferry story carries an English translation
                "language=zh": ["rain"],
                f"topic={SPORT}": ["ferry"],
                "urgency=2": ["quake"],
                "urgency=4": ["quake", "rain"],
                "media=1": ["ferry"],
                f"since={(NOW - timedelta(days=3)).date()}": ["quake", "xss", "ferry"],
                f"until={(NOW - timedelta(days=4)).date()}": ["rain"],
                "q=bosph": ["ferry"],
                "q=vapur+SEFERLERI": ["ferry"],
                "q=ferries": ["ferry"],
                "q=北京": ["rain"],
                "q=%22quake": ["quake"],
                "q=quake+ferry": [],
                "q=%22%2A%22": [],
                "q=budget&urgency=9": [],
            }
            for query, expected in cases.items():
                status, text, _ = await desk.get("/desk/wire?" + query)
                assert status == 200, (query, text[:300])
                assert _ids(text) == sorted((s[k].id for k in expected), reverse=True), query
            status, text, _ = await desk.get("/desk/wire?urgency=12")
            assert status == 422 and "This filter cannot be used" in text
            status, text, _ = await desk.get("/desk/wire")
            assert "<script>alert" not in text and "onerror" not in text and "onmouseover" not in text
            assert html.escape('<script>alert("x")</script>Budget talks', quote=False) in text.replace("&#34;", '"')
            status, text, _ = await desk.get(f"/desk/wire/{s['xss'].id}")
            assert status == 200 and "<script>" not in text.split("</head>", 1)[1].replace(
                '<script src="/desk/static/desk.js" defer></script>', "")
            assert "onerror" not in text and "Budget" in text


async def test_wire_page__threads_story_view_kill_and_health(tmp_path):
    """A rewrite carrying `context` = the first story's URI is listed as one thread (latest first, earlier folded);
    the story view shows the sanitized body, verdicts in words, languages with provenance and the thread; a kill
    shows its reason; partner health marks a partner silent past `partner_idle_hours` as idle."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")
        s = await _seed(rn)
        fed = rn.node.fed

        async def rewrite():
            aa = await WireStory.get(id=s["quake"].id).prefetch_related("actor")
            return await arrive(fed, aa.actor, "quake-2", "Earthquake in Izmir: 3 dead", "<p>Update.</p>",
                                urgency=2, context=aa.uri)
        second = await rn.db(rewrite)
        async with DeskClient(rn) as desk:
            await desk.login("vera")
            _, text, _ = await desk.get("/desk/wire")
            assert _ids(text) == [second.id, s["xss"].id, s["rain"].id, s["ferry"].id]
            assert "Earlier versions: 1" in text and f'href="/desk/wire/{s["quake"].id}"' in text
            assert 'class="urgent-flag">Urgent' in text  # the head is urgency 2
            _, text, _ = await desk.get(f"/desk/wire/{s['ferry'].id}")
            assert "Verified: signed by its agency" in text and "Delivered with a valid HTTP signature" in text
            assert "Turkish" in text and "English" in text and "Vapur seferleri" in text
            assert "Forward to our followers" not in text  # a viewer cannot forward
            _, text, _ = await desk.get(f"/desk/wire/{s['rain'].id}")
            assert "Unsigned: no proof of origin" in text
            _, text, _ = await desk.get(f"/desk/wire/{second.id}")
            assert "Other versions of this story" in text and "Earthquake shakes Izmir" in text

            async def kill():
                await WireStory.filter(id=s["ferry"].id).update(state="killed", kill_reason="Wrong ferry line",
                                                                content_html="")
                await story_changed(fed, "killed", await WireStory.get(id=s["ferry"].id))
            await rn.db(kill)
            _, text, _ = await desk.get(f"/desk/wire/{s['ferry'].id}")
            assert "Killed: do not use" in text and "Wrong ferry line" in text
            _, text, _ = await desk.get("/desk/wire")
            assert "Killed: do not use" in text
            health = text.split('id="health-h"', 1)[1]
            assert health.index("Xinhua") < health.index("Anadolu")  # idle first
            assert re.search(r"Xinhua</a>\s*<strong class=\"badge bad\">Idle", health)
            assert "after 6 hours without a story" in health
            status, text, _ = await desk.get("/desk/wire/999999")
            assert status == 404 and "No such wire story" in text


async def test_wire_saved_searches__save_list_replace_delete_per_user(tmp_path):
    """An editor saves the current filters under a name (the same name replaces them), sees them listed, opens
    one; another user neither sees nor deletes them; deleting is audited."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")
        await add_user(rn, "omar", "editor")
        await _seed(rn)
        async with DeskClient(rn) as vera, DeskClient(rn) as omar:
            await vera.login("vera")
            await omar.login("omar")
            form = {"name": "Turkish sport", "language": "tr", "topic": SPORT, "before": "5"}
            status, _, headers = await vera.post("/desk/wire/searches", form)
            assert status == 303 and unquote(headers["Location"]) == f"/desk/wire?language=tr&topic={SPORT}"
            status, _, _ = await vera.post("/desk/wire/searches", {"name": "Turkish sport", "urgency": "2"})
            assert status == 303
            status, _, _ = await vera.post("/desk/wire/searches", {"name": "Nothing"})
            saved = await rn.db(SavedSearch.all)
            assert [(x.name, x.query) for x in saved] == [("Turkish sport", "urgency=2")]
            _, text, _ = await vera.get("/desk/wire")
            assert 'href="/desk/wire?urgency=2">Turkish sport</a>' in text
            _, text, _ = await omar.get("/desk/wire")
            assert "Turkish sport" not in text
            status, _, _ = await omar.post(f"/desk/wire/searches/{saved[0].id}/delete")
            assert status == 404 and await rn.db(SavedSearch.all().count) == 1
            status, _, _ = await vera.post(f"/desk/wire/searches/{saved[0].id}/delete")
            assert status == 303 and await rn.db(SavedSearch.all().count) == 0
            actions = [e.action for e in await rn.db(AuditEvent.filter(actor="vera").order_by, "id")]
            assert "wire.search_saved" in actions and actions[-1] == "wire.search_deleted"


async def test_wire_forward__needs_publish_and_confirms(tmp_path):
    """A viewer's forward is refused with a page that says which role it needs, and nothing is queued; an editor
    sees the confirmation text on the form and the reuse link, and forwarding queues one Announce (audited)."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")
        await add_user(rn, "omar", "editor")
        s = await _seed(rn)
        story = s["quake"]
        async with DeskClient(rn) as vera, DeskClient(rn) as omar:
            await vera.login("vera")
            status, text, _ = await vera.post(f"/desk/wire/{story.id}/forward")
            assert status == 403 and "Not allowed" in text and "needs the editor role" in text
            assert await rn.db(OutboxActivity.all().count) == 0
            await omar.login("omar")
            _, text, _ = await omar.get(f"/desk/wire/{story.id}")
            assert 'data-confirm="Forward this story to all our followers?' in text
            assert f'href="/desk/compose?from_wire={story.id}"' in text
            status, _, headers = await omar.post(f"/desk/wire/{story.id}/forward")
            assert status == 303 and headers["Location"] == f"/desk/wire/{story.id}"
            rows = await rn.db(OutboxActivity.all)
            assert [r.type for r in rows] == ["Announce"]
            assert "wire.forward" in [e.action for e in await rn.db(AuditEvent.filter(actor="omar").all)]
            _, text, _ = await omar.get(f"/desk/wire/{story.id}")
            assert "Forwarded to our followers." in text


async def _events(resp: aiohttp.ClientResponse, wanted: int, timeout: float = 10.0) -> list[dict[str, str]]:
    """The next `wanted` SSE events (comments skipped) from an open stream."""
    out: list[dict[str, str]] = []
    current: dict[str, str] = {}

    async def read():
        while len(out) < wanted:
            line = (await resp.content.readline()).decode().rstrip("\n")
            if not line:
                if "data" in current:  # a block with only `retry:` sets the client's reconnect delay
                    out.append(dict(current))
                    current.clear()
                continue
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            current[key] = value
    await asyncio.wait_for(read(), timeout)
    return out


async def test_wire_events__stream_filters_renders_and_resumes(tmp_path):
    """GET /desk/wire/events is an event stream (401 without a session): a story that passes the stream's filters
    arrives as a rendered, escaped row with an id; one that does not is not sent; reconnecting with Last-Event-ID
    replays what was missed, and an unknown id asks for a resync."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")
        s = await _seed(rn)
        fed = rn.node.fed
        async with DeskClient(rn) as desk:
            async with desk.session.get(rn.base_url + "/desk/wire/events",
                                        headers={"Accept": "text/event-stream"}) as resp:
                assert resp.status == 401
            await desk.login("vera")
            url = rn.base_url + "/desk/wire/events?agency=aa@ankara.example"
            async with desk.session.get(url, headers={"Accept": "text/event-stream"}) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
                assert (await resp.content.readline()).startswith(b"retry: ")

                async def more():
                    xh = await WireStory.get(id=s["rain"].id).prefetch_related("actor")
                    aa = await WireStory.get(id=s["quake"].id).prefetch_related("actor")
                    await arrive(fed, xh.actor, "other", "Not for this page")
                    return await arrive(fed, aa.actor, "flash", "<b>Flash</b>: strike", urgency=1)
                flash = await rn.db(more)
                (event,) = await _events(resp, 1)
            assert event["event"] == "story"
            data = orjson.loads(event["data"])
            assert data["id"] == flash.id and data["alert"] is True and data["kind"] == "stored"
            assert f'id="story-{flash.id}"' in data["html"] and "Flash: strike" in data["html"] and "<b>" not in data["html"]
            assert "Verified: signed by its agency" in data["html"]
            first_id = event["id"]
            assert await rn.db(WireStory.filter(headline="Not for this page").exists)

            async def again():
                aa = await WireStory.get(id=s["quake"].id).prefetch_related("actor")
                await arrive(fed, aa.actor, "later", "Missed while away")
            await rn.db(again)
            async with desk.session.get(url, headers={"Accept": "text/event-stream", "Last-Event-ID": first_id}) as r:
                (event,) = await _events(r, 1)
                assert event["event"] == "story" and "Missed while away" in event["data"]
            async with desk.session.get(url, headers={"Accept": "text/event-stream",
                                                      "Last-Event-ID": "00000000-5"}) as r:
                (event,) = await _events(r, 1)
                assert event["event"] == "resync"
            status, text, _ = await desk.get("/desk/wire/rows?agency=aa@ankara.example")
            assert status == 200 and text.lstrip().startswith('<ol class="wire-list"') and "Missed while away" in text


async def test_wire_story__read_in_my_language_by_machine_labelled(tmp_path):
    """`?lang=ru` on a story view shows the engine's translation labelled as machine translation with the engine's
    name (sanitized like anything received); a language the agency sent shows its own text, not labelled machine;
    without an engine the page says so."""
    from tests.libretranslate_stub import LibreTranslateStub
    from tests.node.accounts.helpers import CHEAP
    from tests.nodes import node_config, running_node

    async with LibreTranslateStub() as stub:
        sections = {"accounts": CHEAP, "translation": {"engine": "libretranslate", "url": stub.url,
                                                       "allow_private_engine": True, "targets": ["ru"]}}
        config = node_config(tmp_path, "baku", sections=sections)
        async with running_node(tmp_path, "baku", config=config) as rn:
            await add_user(rn, "vera", "viewer")
            s = await _seed(rn)
            async with DeskClient(rn) as desk:
                await desk.login("vera")
                status, text, _ = await desk.get(f"/desk/wire/{s['quake'].id}?lang=ru")
                assert status == 200, text[:500]
                assert "Machine translation into Russian by libretranslate" in text
                assert "[ru] Earthquake shakes Izmir" in text and "not checked by a person" in text
                _, text, _ = await desk.get(f"/desk/wire/{s['ferry'].id}?lang=en")
                assert "own text in English" in text and "Ferries run again." in text and "not checked by a" not in text
    (tmp_path / "plain").mkdir()
    async with desk_node(tmp_path / "plain") as rn:
        await add_user(rn, "vera", "viewer")
        s = await _seed(rn)
        async with DeskClient(rn) as desk:
            await desk.login("vera")
            _, text, _ = await desk.get(f"/desk/wire/{s['quake'].id}?lang=ru")
            assert "No machine translation engine is configured on this node." in text
