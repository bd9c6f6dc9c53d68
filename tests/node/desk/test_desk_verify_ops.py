"""The desk's Verify and Operations screens over real HTTP: the provenance report in words for a valid and a
tampered story; users added, given another role and disabled by an admin (a disabled user's open session is
refused at once); queue depths, audit trail and links for operators; non-admins refused."""

from __future__ import annotations

import json

from node.accounts.models import AuditEvent, User
from tests.node.desk.helpers import PASSWORD, DeskClient, add_user
from tests.node.desk.other_nodes import other_node, publish


async def test_desk_verify__report_words_for_valid_and_tampered_story(tmp_path):
    """A viewer pastes our own story's JSON: valid, signed by the agency with its key, the revision and the
    original language in words; the same document with a changed headline: not valid, changed after signing;
    the story's URL gives the valid report too; malformed input is a message on the page."""
    async with other_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")
        story = await publish(rn)
        status, doc, _ = await rn.get(f"/stories/{story['id']}")
        assert status == 200 and doc.get("proof"), doc
        async with DeskClient(rn) as desk:
            await desk.login("vera")
            status, text, _ = await desk.get("/desk/verify")
            assert status == 200 and 'name="document"' in text
            status, text, _ = await desk.post("/desk/verify", {"document": json.dumps(doc)})
            assert status == 200, text[:2000]
            assert "Valid: signed by Baku News Agency" in text and "this copy is exactly what they signed" in text
            assert f"Signed with the key {rn.actor_id}#" in text and "The original." in text
            assert "Caspian ferry line reopens" in text and "<dt>Revision</dt><dd>1</dd>" in text

            forged = "<script>alert(1)</script>Ferry line closed"
            tampered = dict(doc, name=forged, nameMap={"az": forged})
            status, text, _ = await desk.post("/desk/verify", {"document": json.dumps(tampered)})
            assert status == 200 and "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
            assert "Not valid: this copy was changed after Baku News Agency" in text and "not valid" in text
            assert "Compared with the origin: it differs in name, nameMap." in text

            status, text, _ = await desk.post("/desk/verify", {"url": doc["id"]})
            assert status == 200 and "Valid: signed by Baku News Agency" in text
            status, text, _ = await desk.post("/desk/verify", {"document": "{not json"})
            assert status == 422 and "This is not valid JSON" in text
            status, text, _ = await desk.post("/desk/verify", {"document": "{}", "url": doc["id"]})
            assert status == 422 and "not both" in text


async def test_desk_operations__users_add_role_disable_and_refusals(tmp_path):
    """The admin's screen shows the queues, hosts, errors, audit trail and the links to /healthz and /metrics;
    the admin adds a user (the same name rules as the CLI), changes their role and disables them: that user's
    open session is refused at once; an editor is refused the screen and its changes with a page."""
    async with other_node(tmp_path) as rn:
        await add_user(rn, "root", "admin")
        await add_user(rn, "leyla", "editor")
        await publish(rn)
        async with DeskClient(rn) as admin, DeskClient(rn) as editor:
            await admin.login("root")
            status, text, _ = await admin.get("/desk/operations")
            assert status == 200 and 'href="/healthz"' in text and 'href="/metrics"' in text
            assert "Queues" in text and "delivery" in text and "Audit trail" in text and "session.login" in text

            status, text, _ = await admin.post("/desk/operations/users", {
                "username": "Bad Name", "role": "editor", "password": PASSWORD, "repeat_password": PASSWORD})
            assert status == 422 and "Invalid username" in text and "Nothing was changed." in text
            status, text, _ = await admin.post("/desk/operations/users", {
                "username": "nigar", "role": "translator", "password": "short", "repeat_password": "short"})
            assert status == 422 and "Password too short" in text
            assert not await rn.db(User.exists, username="nigar")
            status, _, _ = await admin.post("/desk/operations/users", {
                "username": "nigar", "role": "translator", "password": PASSWORD, "repeat_password": PASSWORD})
            assert status == 303
            assert (await rn.db(User.get, username="nigar")).role == "translator"

            async with DeskClient(rn) as nigar:
                await nigar.login("nigar")
                status, _, _ = await admin.post("/desk/operations/users/nigar/role", {"role": "editor"})
                assert status == 303 and (await rn.db(User.get, username="nigar")).role == "editor"
                status, text, _ = await nigar.get("/desk/network")
                assert status == 200 and "Follow an agency by its handle" in text  # the new role at once
                status, _, _ = await admin.post("/desk/operations/users/nigar/disable")
                assert status == 303 and (await rn.db(User.get, username="nigar")).disabled
                status, _, headers = await nigar.get("/desk/network")
                assert status == 303 and headers["Location"].startswith("/desk/login")
                status, text, _ = await nigar.post("/desk/network/follow", {"handle": "@x@127.0.0.1:9"})
                assert status == 401 and "Your session has ended." in text
            status, text, _ = await admin.post("/desk/operations/users/root/disable")
            assert status == 409 and "cannot disable your own account" in text
            new = {"password": "new long password", "repeat_password": "new long password"}
            status, text, _ = await admin.post("/desk/operations/users/root/password", new)
            assert status == 409 and "Change your own password on My account" in text
            status, _, _ = await admin.post("/desk/operations/users/nigar/password", new)
            assert status == 303
            assert not (await rn.db(User.get, username="root")).disabled
            status, _, _ = await admin.post("/desk/operations/users/nigar/enable")
            assert status == 303 and not (await rn.db(User.get, username="nigar")).disabled
            status, text, _ = await admin.get("/desk/operations")
            assert "nigar" in text and "user.disable" in text

            await editor.login("leyla")
            status, text, _ = await editor.get("/desk/operations")
            assert status == 403 and "This needs the admin role; you are editor." in text
            status, text, _ = await editor.post("/desk/operations/users/nigar/role", {"role": "admin"})
            assert status == 403 and (await rn.db(User.get, username="nigar")).role == "editor"
            actions = [e.action for e in await rn.db(AuditEvent.filter(actor="root").order_by, "id")]
            assert actions == ["session.login", "user.add", "user.role", "user.disable", "user.reset_password",
                               "user.enable"]
