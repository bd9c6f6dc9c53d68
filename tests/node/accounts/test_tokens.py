"""Per-user API tokens and disabled users, through the real HTTP API."""

from __future__ import annotations

import pytest

from node.accounts import users
from node.accounts.models import ApiToken
from node.stories.models import Story
from tests.node.accounts.helpers import STORY, accounts_node, add_user, desk


async def test_tokens__made_listed_used_and_revoked(tmp_path):
    """A token is shown once, listed without its value, acts with its user's role, and is refused once revoked."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku, "aysel") as d:
            status, made, _ = await d.call("POST", "/api/tokens", {"name": "newsroom CMS"})
            assert status == 201 and made["token"].startswith("anu_") and made["name"] == "newsroom CMS", made
            token = made["token"]
            status, listed, _ = await d.call("GET", "/api/tokens")
            assert [t["id"] for t in listed["tokens"]] == [made["id"]]
            assert token not in str(listed) and listed["tokens"][0]["revoked"] is None
            row = await baku.db(ApiToken.get, id=made["id"])
            assert row.token_sha256 != token and len(row.token_sha256) == 64
            assert token.encode() not in (tmp_path / "baku.sqlite3").read_bytes()

            status, me = await baku.api("GET", "/api/session", token=token)
            assert status == 200 and (me["username"], me["role"], me["via"]) == ("aysel", "editor", "token")
            assert "csrf_token" not in me
            status, story = await baku.api("POST", "/api/stories", STORY, token=token)  # no CSRF with a bearer
            assert status == 201, story
            status, problem = await baku.api("POST", "/api/keys/rotate", token=token)
            assert status == 403 and problem["required_role"] == "admin"

            status, revoked, _ = await d.call("DELETE", f"/api/tokens/{made['id']}")
            assert status == 200 and revoked["revoked"] is not None
            status, problem = await baku.api("GET", "/api/stories", token=token)
            assert status == 401, problem


async def test_tokens__another_users_token_cannot_be_revoked(tmp_path):
    """Revoking a token that is not mine is 404 and leaves it working."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        await add_user(baku, "murad", "viewer")
        async with desk(baku, "aysel") as a, desk(baku, "murad") as m:
            _, made, _ = await a.call("POST", "/api/tokens", {})
            status, _, _ = await m.call("DELETE", f"/api/tokens/{made['id']}")
            assert status == 404
            assert (await baku.api("GET", "/api/stories", token=made["token"]))[0] == 200


async def test_tokens__node_token_has_none_of_its_own(tmp_path):
    """The node token cannot make user tokens (it is no user): 400, nothing stored."""
    async with accounts_node(tmp_path) as baku:
        status, problem = await baku.api("POST", "/api/tokens", {})
        assert status == 400 and problem["title"] == "Not a user"
        assert await baku.db(ApiToken.all().count) == 0


@pytest.mark.postgres
async def test_disabled__old_session_and_token_are_refused(tmp_path, database_url):
    """Disabling a user refuses their open session and their token at once (401); nothing they send changes
    anything; enabling them again brings the token back, not the session."""
    async with accounts_node(tmp_path, database=database_url) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku, "aysel") as d:
            _, made, _ = await d.call("POST", "/api/tokens", {})
            await baku.db(users.set_disabled, "aysel", True)
            status, problem, _ = await d.call("POST", "/api/stories", STORY)
            assert status == 401, problem
            status, problem = await baku.api("POST", "/api/stories", STORY, token=made["token"])
            assert status == 401 and "disabled" in problem["detail"]
            assert await baku.db(Story.all().count) == 0
            status, problem, _ = await d.login("aysel")
            assert status == 403 and problem["title"] == "Account disabled"
            await baku.db(users.set_disabled, "aysel", False)
            assert (await baku.api("GET", "/api/stories", token=made["token"]))[0] == 200
            d.csrf = ""
            assert (await d.call("GET", "/api/session"))[0] == 401
