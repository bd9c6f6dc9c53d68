"""Logging in and out through the real HTTP API: the session cookie, its flags, CSRF, and restarts."""

from __future__ import annotations

from http.cookies import SimpleCookie

import aiohttp
import pytest
from yarl import URL

from node.accounts.models import LoginSession, User
from node.stories.models import Story
from tests.nodes import free_port, node_config, running_node
from tests.node.accounts.helpers import CHEAP, PASSWORD, STORY, accounts_config, accounts_node, add_user, desk


def _cookie(headers) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.getall("Set-Cookie", []):
        jar.load(value)
    return jar


@pytest.mark.postgres
async def test_session__login_whoami_logout(tmp_path, database_url):
    """Login answers the user, role and CSRF token; GET /api/session says who I am; logout ends the session."""
    async with accounts_node(tmp_path, database=database_url) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku) as d:
            status, doc, _ = await d.login("Aysel")  # usernames are case-insensitive
            assert status == 201, doc
            assert (doc["username"], doc["role"], doc["via"]) == ("aysel", "editor", "session")
            assert "publish" in doc["permissions"] and "users" not in doc["permissions"]
            status, me, _ = await d.call("GET", "/api/session")
            assert status == 200 and me["username"] == "aysel" and me["csrf_token"] == doc["csrf_token"]
            status, _, _ = await d.call("DELETE", "/api/session")
            assert status == 204
            assert await baku.db(LoginSession.all().count) == 0
            status, problem, _ = await d.call("GET", "/api/session")
            assert status == 401 and problem["title"] == "Unauthorized"


async def test_session__cookie_flags_and_hashed_storage(tmp_path):
    """The cookie is HttpOnly and SameSite=Lax, not Secure over http; the database keeps only its SHA-256."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku) as d:
            _, _, headers = await d.login("aysel")
            morsel = _cookie(headers)["agency_session"]
            assert morsel["httponly"] and morsel["samesite"] == "Lax" and not morsel["secure"]
            assert morsel["path"] == "/" and int(morsel["max-age"]) == 7 * 86400
            raw = morsel.value
            assert len(raw) >= 43  # 32 random bytes, base64url
            row = await baku.db(LoginSession.get)
            assert row.id_sha256 != raw and len(row.id_sha256) == 64
        assert raw.encode() not in (tmp_path / "baku.sqlite3").read_bytes()


async def test_session__cookie_is_secure_behind_https(tmp_path):
    """With an https base_url (a reverse proxy in front), the cookie is marked Secure."""
    port = free_port()
    config = node_config(tmp_path, "baku", port=port, sections={
        "node": {"base_url": "https://news.example.org"}, "accounts": CHEAP})
    async with running_node(tmp_path, "baku", config=config) as baku:
        await add_user(baku, "aysel", "editor")
        async with aiohttp.ClientSession() as s:
            async with s.post(f"http://127.0.0.1:{port}/api/session",
                              json={"username": "aysel", "password": PASSWORD}) as resp:
                assert resp.status == 201
                morsel = _cookie(resp.headers)["agency_session"]
        assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax"


async def test_session__change_without_csrf_token_is_refused(tmp_path):
    """A change made with the cookie but without the session's CSRF token is 403 and changes nothing; the
    header or the form field makes it pass; a bearer request needs none."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku, "aysel") as d:
            status, problem, _ = await d.call("POST", "/api/stories", STORY, csrf=False)
            assert status == 403 and problem["title"] == "CSRF token missing or wrong", problem
            status, problem, _ = await d.call("POST", "/api/stories", STORY, csrf=False,
                                              headers={"X-CSRF-Token": "forged"})
            assert status == 403 and "X-CSRF-Token" in problem["detail"]
            assert await baku.db(Story.all().count) == 0
            status, story, _ = await d.call("POST", "/api/stories", STORY)
            assert status == 201, story
            # A form post carries it as csrf_token (logging out through a plain HTML form).
            status, _, _ = await d.call("DELETE", "/api/session", csrf=False, data={"csrf_token": "nope"})
            assert status == 403
            status, _, _ = await d.call("DELETE", "/api/session", csrf=False, data={"csrf_token": d.csrf})
            assert status == 204
        status, _ = await baku.api("POST", "/api/stories", STORY)  # node token, no cookie: no CSRF needed
        assert status == 201


async def test_session__csrf_token_of_another_session_is_refused(tmp_path):
    """The CSRF token is bound to its session: another user's token does not pass."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        await add_user(baku, "murad", "editor")
        async with desk(baku, "aysel") as a, desk(baku, "murad") as m:
            status, _, _ = await a.call("POST", "/api/stories", STORY, csrf=False, headers={"X-CSRF-Token": m.csrf})
            assert status == 403
            assert await baku.db(Story.all().count) == 0


async def test_session__survives_a_restart(tmp_path):
    """Sessions live in the database: after the node restarts, the same cookie still works."""
    config = accounts_config(tmp_path)
    async with running_node(tmp_path, "baku", config=config) as baku:
        await add_user(baku, "aysel", "viewer")
        async with desk(baku, "aysel") as d:
            cookies = d.session.cookie_jar.filter_cookies(URL(baku.base_url))
            raw = cookies["agency_session"].value
    async with running_node(tmp_path, "baku", config=config) as baku:
        async with aiohttp.ClientSession() as s:
            async with s.get(baku.base_url + "/api/session", headers={"Cookie": f"agency_session={raw}"}) as resp:
                assert resp.status == 200 and (await resp.json())["username"] == "aysel"


async def test_session__bad_login_input_is_a_problem(tmp_path):
    """A login without username or password, or not JSON, is a 4xx problem and starts no session."""
    async with accounts_node(tmp_path) as baku:
        async with desk(baku) as d:
            status, problem, _ = await d.call("POST", "/api/session", {"username": "aysel"})
            assert status == 422 and problem["status"] == 422
            status, _, _ = await d.call("POST", "/api/session", data="username=aysel")
            assert status == 415
        assert await baku.db(LoginSession.all().count) == 0 and await baku.db(User.all().count) == 0


async def test_session__user_changes_own_password(tmp_path):
    """With the current password a user sets a new one: this session stays, the other ends, the old password
    no longer logs in; a wrong current password or a short new one changes nothing."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "viewer")
        async with desk(baku, "aysel") as here, desk(baku, "aysel") as there:
            before = (await baku.db(User.get, username="aysel")).password_hash
            status, problem, _ = await here.call("POST", "/api/session/password", {
                "current_password": "not my password", "new_password": "a brand new password"})
            assert status == 403 and problem["title"] == "Wrong password"
            status, problem, _ = await here.call("POST", "/api/session/password", {
                "current_password": PASSWORD, "new_password": "short"})
            assert status == 422
            assert (await baku.db(User.get, username="aysel")).password_hash == before
            status, _, _ = await here.call("POST", "/api/session/password", {
                "current_password": PASSWORD, "new_password": "a brand new password"})
            assert status == 204
            assert (await here.call("GET", "/api/session"))[0] == 200
            assert (await there.call("GET", "/api/session"))[0] == 401
        async with desk(baku) as d:
            assert (await d.login("aysel"))[0] == 401
            assert (await d.login("aysel", "a brand new password"))[0] == 201
