"""Managing users through the editor API (admin only), with the audit trail."""

from __future__ import annotations

from node.accounts.models import User
from tests.node.accounts.helpers import PASSWORD, accounts_node, add_user, desk


async def test_users_api__admin_adds_changes_and_disables(tmp_path):
    """An admin adds a user, changes the role, disables them (their session dies) and sets a new password;
    each change is audited with the admin's name."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "root", "admin")
        async with desk(baku, "root") as admin:
            status, made, _ = await admin.call("POST", "/api/users", {"username": "aysel", "password": PASSWORD,
                                                                      "role": "translator"})
            assert status == 201 and (made["username"], made["role"]) == ("aysel", "translator"), made
            assert "password" not in str(made) and "hash" not in str(made)
            async with desk(baku, "aysel") as user:
                status, changed, _ = await admin.call("PATCH", "/api/users/aysel", {"role": "editor"})
                assert status == 200 and changed["role"] == "editor"
                assert (await user.call("GET", "/api/session"))[1]["role"] == "editor"  # at the next request
                status, changed, _ = await admin.call("PATCH", "/api/users/aysel", {"disabled": True})
                assert status == 200 and changed["disabled"] is True
                assert (await user.call("GET", "/api/session"))[0] == 401
            status, _, _ = await admin.call("PATCH", "/api/users/aysel", {"disabled": False,
                                                                          "password": "a new long password"})
            assert status == 200
            async with desk(baku) as user:
                assert (await user.login("aysel", PASSWORD))[0] == 401
                assert (await user.login("aysel", "a new long password"))[0] == 201
            _, doc, _ = await admin.call("GET", "/api/audit?actor=root")
            assert [(e["action"], e["subject"]) for e in reversed(doc["events"])] == [
                ("session.login", "root"), ("user.add", "aysel"), ("user.change", "aysel"),
                ("user.change", "aysel"), ("user.change", "aysel")]
            status, listed, _ = await admin.call("GET", "/api/users")
            assert [u["username"] for u in listed["users"]] == ["aysel", "root"]


async def test_users_api__bad_changes_change_nothing(tmp_path):
    """A bad role, a short password, an unknown key or user: 4xx problems, the user left as it was; an editor
    may not manage users at all (403)."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "root", "admin")
        await add_user(baku, "aysel", "editor")
        async with desk(baku, "root") as admin, desk(baku, "aysel") as editor:
            before = (await baku.db(User.get, username="aysel")).password_hash
            for body, code in (({"role": "boss"}, 422), ({"role": "admin", "password": "short"}, 422),
                               ({"shoe_size": 44}, 422), ({"disabled": "yes"}, 422)):
                status, problem, _ = await admin.call("PATCH", "/api/users/aysel", body)
                assert status == code and problem["status"] == code, (body, problem)
            assert (await admin.call("PATCH", "/api/users/nobody", {"role": "viewer"}))[0] == 404
            assert (await admin.call("POST", "/api/users", {"username": "aysel", "password": PASSWORD,
                                                            "role": "viewer"}))[0] == 409
            status, problem, _ = await editor.call("POST", "/api/users", {"username": "x1", "password": PASSWORD,
                                                                          "role": "admin"})
            assert status == 403 and problem["required_role"] == "admin"
            user = await baku.db(User.get, username="aysel")
            assert (user.role, user.disabled, user.password_hash) == ("editor", False, before)
            assert await baku.db(User.all().count) == 2
