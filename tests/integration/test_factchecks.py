"""Three real nodes on loopback: Baku checks a claim, Ankara receives the check verified and sees it on stories that
repeat the claim, Astana endorses it and publishes its own check, and Baku's correction and withdrawal propagate."""

from __future__ import annotations

import contextlib

from federation.store.models import Delivery
from tests.nodes import free_port, node_config, running_node, settle

CLAIM_URL = "https://rumours.example/posts/1234"
CLAIM = "The Caspian Sea level rose by three metres in one year and flooded the port of Baku"
CLAIM_RU = "Уровень Каспийского моря поднялся на три метра за один год и затопил порт Баку"
FACTCHECK = {
    "claim": {"text": CLAIM, "language": "en", "urls": [CLAIM_URL], "first_seen": "2026-11-30"},
    "verdict": "false",
    "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."},
    "evidence": ["https://hydromet.example/caspian/2026"], "urgency": 2,
}


def _story(headline: str, body: str, language: str = "en") -> dict:
    return {"headline": headline, "summary": headline, "body": body, "language": language}


@contextlib.asynccontextmanager
async def three_nodes(tmp_path):
    """Baku (the checking agency, Ankara its trusted partner), Ankara following Baku and Astana, Astana following
    Baku."""
    ports = {h: free_port() for h in ("baku", "ankara", "astana")}
    trust = {"partners": [f"http://127.0.0.1:{ports['ankara']}/actors/ankara"]}
    async with contextlib.AsyncExitStack() as stack:
        nodes = {h: await stack.enter_async_context(running_node(tmp_path, h, config=node_config(
            tmp_path, h, port=ports[h], sections={"trust": trust} if h == "baku" else None))) for h in ports}
        for follower, followed in (("ankara", "baku"), ("ankara", "astana"), ("astana", "baku")):
            status, doc = await nodes[follower].api("POST", "/api/following", {"handle": nodes[followed].handle})
            assert status == 202, doc
        await settle(*nodes.values())
        yield nodes


async def _wire_story_checks(node, headline: str) -> list[dict]:
    _, wire = await node.api("GET", "/api/wire")
    uri = next(s["id"] for s in wire["stories"] if s["headline"] == headline)
    status, story = await node.api("GET", f"/api/wire/story?id={uri}")
    assert status == 200, story
    return story["factchecks"]


async def test_factchecks__check_travels_matches_endorsed_corrected_and_withdrawn(tmp_path):
    """The issue's scenario across three nodes, end to end."""
    async with three_nodes(tmp_path) as nodes:
        baku, ankara, astana = nodes["baku"], nodes["ankara"], nodes["astana"]
        # A story that spread the claim before anyone checked it.
        early = _story("Viral post about the port", f'<p>See <a href="{CLAIM_URL}">this post</a>.</p>')
        assert (await astana.api("POST", "/api/stories", early))[0] == 201
        await settle(*nodes.values())
        assert await _wire_story_checks(ankara, "Viral post about the port") == []
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        # Urgent: the trusted partner's delivery is due before anyone else's, so the worker sends it first.
        rows = await baku.db(lambda: Delivery.filter(activity__type="Create").order_by("next_attempt_at", "id")
                             .values_list("inbox", flat=True))
        assert len(rows) == 2 and rows[0].startswith(ankara.base_url), rows
        await settle(*nodes.values())

        # Ankara holds it, verified against Baku's key; it did not land on the wire as a story.
        _, received = await ankara.api("GET", f"/api/factchecks?origin={baku.actor_id}")
        (theirs,) = received["factchecks"]
        assert theirs["id"] == fc["url"] and theirs["verdict"] == "false" and theirs["proof"]["status"] == "verified"
        _, alerts = await ankara.api("GET", "/api/factchecks?origin=wire&urgent=1")
        assert [a["id"] for a in alerts["factchecks"]] == [fc["url"]]  # urgency 2: an alert on Ankara's desk
        _, wire = await ankara.api("GET", "/api/wire")
        assert all(s["id"] != fc["url"] for s in wire["stories"])

        # A story linking the claim's URL, and one repeating the claim in other words, are both flagged.
        linking = _story("Port rumour spreads", f'<p>A post <a href="{CLAIM_URL}?utm_source=x">went viral</a>.</p>')
        reworded = _story("Sea level story", "<p>Residents said the level of the Caspian sea rose by three metres "
                                             "in just one year and flooded the port in Baku.</p>")
        unrelated = _story("Ferry line reopens", "<p>The ferry line between Baku and Aktau reopens on Monday.</p>")
        for story in (linking, reworded, unrelated):
            assert (await astana.api("POST", "/api/stories", story))[0] == 201
        await settle(*nodes.values())
        for headline, how in (("Port rumour spreads", "url"), ("Sea level story", "text")):
            (match,) = await _wire_story_checks(ankara, headline)
            assert match["factcheck"] == fc["url"] and match["verdict"] == "false" and match["match"]["how"] == how
            assert match["agency"] == baku.actor_id
        assert await _wire_story_checks(ankara, "Ferry line reopens") == []
        (match,) = await _wire_story_checks(ankara, "Viral post about the port")  # flagged when the check came
        assert match["factcheck"] == fc["url"]

        # The Russian claim matches once Baku's Russian translation is approved.
        status, _ = await baku.api("POST", f"/api/factchecks/{fc['id']}/translations", {
            "language": "ru", "claim": CLAIM_RU, "explanation": "Уровень упал на 30 см в 2026 году."})
        assert status == 201
        assert (await baku.api("POST", f"/api/factchecks/{fc['id']}/translations/ru/approve"))[0] == 200
        await settle(*nodes.values())
        russian = _story("Слухи о Каспии", f"<p>В сети пишут, что {CLAIM_RU.lower()}.</p>", "ru")
        assert (await astana.api("POST", "/api/stories", russian))[0] == 201
        await settle(*nodes.values())
        (match,) = await _wire_story_checks(ankara, "Слухи о Каспии")
        assert match["factcheck"] == fc["url"] and match["match"]["on"] == "ru"

        # Astana endorses Baku's check, and publishes its own check of the claim with another verdict.
        status, done = await astana.api("POST", "/api/factchecks/endorse", {"uri": fc["url"]})
        assert status == 202, done
        own = {**FACTCHECK, "verdict": "misleading", "explanation": {"en": "The port flooded, from a storm."}}
        assert (await astana.api("POST", "/api/factchecks", own))[0] == 201
        await settle(*nodes.values())
        _, received = await ankara.api("GET", f"/api/factchecks?origin={baku.actor_id}")
        assert [e["agency"] for e in received["factchecks"][0]["endorsed_by"]] == [astana.actor_id]
        _, baku_view = await baku.api("GET", f"/api/factchecks/{fc['id']}")
        assert baku_view["endorsements"] == 1
        _, found = await ankara.api("POST", "/api/check", {"url": CLAIM_URL})
        assert sorted((m["agency"], m["verdict"]) for m in found["matches"]) == sorted(
            [(baku.actor_id, "false"), (astana.actor_id, "misleading")])
        # Astana takes its endorsement back, and gives it again.
        assert (await astana.api("DELETE", "/api/factchecks/endorse", {"uri": fc["url"]}))[0] == 202
        await settle(*nodes.values())
        _, baku_view = await baku.api("GET", f"/api/factchecks/{fc['id']}")
        assert baku_view["endorsements"] == 0
        assert (await astana.api("POST", "/api/factchecks/endorse", {"uri": fc["url"]}))[0] == 202
        await settle(*nodes.values())

        # Baku corrects its verdict; then withdraws the check.
        status, fixed = await baku.api("PATCH", f"/api/factchecks/{fc['id']}", {
            "verdict": "missing-context", "correction_note": "The flooding was real; its cause was not."})
        assert status == 200 and fixed["version"] > 1
        await settle(*nodes.values())
        _, received = await ankara.api("GET", f"/api/factchecks?origin={baku.actor_id}")
        assert received["factchecks"][0]["verdict"] == "missing-context"
        assert (await baku.api("DELETE", f"/api/factchecks/{fc['id']}", {"reason": "Superseded."}))[0] == 200
        await settle(*nodes.values())
        _, received = await ankara.api("GET", f"/api/factchecks?origin={baku.actor_id}&include_withdrawn=1")
        assert received["factchecks"][0]["state"] == "withdrawn"
        assert received["factchecks"][0]["withdraw_reason"] == "Superseded."
        _, found = await ankara.api("POST", "/api/check", {"url": CLAIM_URL})
        assert [m["agency"] for m in found["matches"]] == [astana.actor_id]
        assert [m["agency"] for m in await _wire_story_checks(ankara, "Port rumour spreads")] == [astana.actor_id]
