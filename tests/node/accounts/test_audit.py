"""The audit trail: every change through the editor API records who made it, read back by admins."""

from __future__ import annotations

import pytest

from node.accounts.models import AuditEvent
from tests.node.media.test_stock_api import png
from tests.nodes import settle
from tests.node.accounts.helpers import STORY, accounts_node, add_user, desk


def _events(doc: dict) -> list[tuple[str, str, str]]:
    return [(e["actor"], e["action"], e["subject"]) for e in reversed(doc["events"])]


@pytest.mark.postgres
async def test_audit__shows_who_did_what(tmp_path, database_url):
    """Publishing, correcting, killing, uploading, approving a translation, following and deciding on a
    follower are each recorded with the user (or "node") who did it; refused attempts are not."""
    async with accounts_node(tmp_path, "baku", {"manually_approves_followers": True}, database_url) as baku, \
            accounts_node(tmp_path, "ankara", database=database_url) as ankara:
        await add_user(baku, "aysel", "editor")
        await add_user(baku, "leyla", "translator")
        await add_user(baku, "root", "admin")
        async with desk(baku, "aysel") as ed, desk(baku, "leyla") as tr, desk(baku, "root") as admin:
            _, story, _ = await ed.call("POST", "/api/stories", STORY)
            uuid = story["id"]
            status, doc, _ = await ed.call("PATCH", f"/api/stories/{uuid}", {
                "headline": "Ferry line reopens", "correction_note": {"az": "Başlıq düzəldildi."}})
            assert status == 200, doc
            status, doc, _ = await ed.call("PATCH", f"/api/stories/{uuid}", {"summary": "Crossings resume."})
            assert status == 200, doc
            status, _, _ = await tr.call("POST", f"/api/stories/{uuid}/translations", {
                "language": "en", "headline": "Ferry", "summary": "", "body": "<p>Ferry.</p>", "translator": "L"})
            assert status == 201
            status, _, _ = await tr.call("POST", f"/api/stories/{uuid}/translations/en/approve", {})
            assert status == 200
            status, _, _ = await tr.call("POST", "/api/stories", STORY)  # refused: not recorded
            assert status == 403
            async with ed.session.post(baku.base_url + "/api/media", data=png(),
                                       headers={"Content-Type": "image/png", "X-CSRF-Token": ed.csrf}) as resp:
                assert resp.status == 201
                sha = (await resp.json())["id"]
            status, _, _ = await ed.call("POST", "/api/following", {"handle": ankara.handle})
            assert status == 202
            # A partner asks to follow baku; the editor approves the request.
            assert (await ankara.api("POST", "/api/following", {"handle": baku.handle}))[0] == 202
            await settle(baku, ankara)
            _, followers, _ = await ed.call("GET", "/api/followers?state=pending")
            fid = followers["followers"][0]["id"]
            status, _, _ = await ed.call("POST", f"/api/followers/{fid}/approve")
            assert status == 200
            status, _, _ = await ed.call("POST", f"/api/stories/{uuid}/kill", {"reason": "Wrong ferry."})
            assert status == 200
            assert (await baku.api("POST", "/api/following/unfollow", {"handle": ankara.handle}))[0] == 200

            status, doc, _ = await admin.call("GET", "/api/audit?limit=50")
            assert status == 200, doc
            events = _events(doc)
            assert events == [
                ("aysel", "session.login", "aysel"), ("leyla", "session.login", "leyla"),
                ("root", "session.login", "root"),
                ("aysel", "story.publish", uuid), ("aysel", "story.correct", uuid), ("aysel", "story.update", uuid),
                ("leyla", "translation.submit", uuid), ("leyla", "translation.approve", f"{uuid}/en"),
                ("aysel", "media.upload", sha), ("aysel", "follow", ankara.actor_id),
                ("aysel", "follower.approve", str(fid)), ("aysel", "story.kill", uuid),
                ("node", "unfollow", ankara.actor_id),
            ], events
            assert doc["events"][0]["via"] == "node-token" and doc["events"][1]["via"] == "session"
            status, mine, _ = await admin.call("GET", "/api/audit?actor=leyla&limit=1")
            assert [e["action"] for e in mine["events"]] == ["translation.approve"]
            status, problem, _ = await admin.call("GET", "/api/audit?limit=many")
            assert status == 422
        assert await baku.db(AuditEvent.filter(action="story.publish").count) == 1
