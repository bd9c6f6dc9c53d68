"""The desk's gate over real HTTP: login form, redirects, CSRF on every form, roles, locale, error pages."""

from __future__ import annotations

from urllib.parse import unquote

from node.accounts.models import AuditEvent, User
from tests.node.desk.helpers import PASSWORD, DeskClient, add_user, desk_node


async def test_desk_gate__login_then_account_page_and_logout(tmp_path):
    """A page without a session redirects to the login form; the form logs in (cookie HttpOnly, SameSite=Lax)
    and returns to the page asked for; logging out ends the session."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        async with DeskClient(rn) as desk:
            status, _, headers = await desk.get("/desk/account")
            assert status == 303 and unquote(headers["Location"]) == "/desk/login?next=/desk/account"
            status, text, _ = await desk.get("/desk/login?next=/desk/account")
            assert status == 200 and 'name="password"' in text and 'lang="en"' in text
            status, _, headers = await desk.post("/desk/login", {"username": "leyla", "password": PASSWORD,
                                                                 "next": "/desk/account"}, csrf=False)
            assert status == 303 and headers["Location"] == "/desk/account"
            cookie = headers["Set-Cookie"]
            assert "agency_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
            status, text, _ = await desk.get("/desk/account")
            assert status == 200 and "leyla" in text and desk.csrf
            status, _, headers = await desk.post("/desk/logout")
            assert status == 303 and headers["Location"] == "/desk/login"
            status, _, _ = await desk.get("/desk/account")
            assert status == 303


async def test_desk_gate__wrong_password_and_open_redirect_refused(tmp_path):
    """A wrong password re-shows the form with a message (401), never says which part was wrong; a `next`
    pointing off the desk is ignored."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        async with DeskClient(rn) as desk:
            status, text, _ = await desk.post("/desk/login", {"username": "leyla", "password": "nope-nope-nope"},
                                              csrf=False)
            assert status == 401 and "Wrong user name or password." in text
            status, _, headers = await desk.post("/desk/login", {"username": "leyla", "password": PASSWORD,
                                                                 "next": "//evil.example/"}, csrf=False)
            assert status == 303 and headers["Location"] == "/desk/"


async def test_desk_gate__form_without_csrf_token_changes_nothing(tmp_path):
    """A form posted with the session cookie but without (or with a wrong) CSRF token is refused with a page
    that says so, and the password stays as it was."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        async with DeskClient(rn) as desk:
            await desk.login("leyla")
            before = (await rn.db(User.get, username="leyla")).password_hash
            form = {"current_password": PASSWORD, "new_password": "another long one", "repeat_password":
                    "another long one"}
            for token in (None, "forged"):
                data = dict(form, **({"csrf_token": token} if token else {}))
                status, text, _ = await desk.post("/desk/account/password", data, csrf=False)
                assert status == 403 and "This form has expired" in text
            assert (await rn.db(User.get, username="leyla")).password_hash == before
            status, _, headers = await desk.post("/desk/account/password", form)
            assert status == 303
            assert (await rn.db(User.get, username="leyla")).password_hash != before
            actions = [e.action for e in await rn.db(AuditEvent.filter(actor="leyla").order_by, "id")]
            assert actions == ["session.login", "user.password"]


async def test_desk_gate__language_from_browser_then_from_the_user(tmp_path):
    """Accept-Language picks the login form's language; the switcher keeps the user's choice, which then wins
    over the browser's."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "irina", "viewer")
        async with DeskClient(rn, accept_language="ru-RU,ru;q=0.9,en;q=0.5") as desk:
            status, text, _ = await desk.get("/desk/login")
            assert 'lang="ru"' in text
            await desk.login("irina")
            status, _, _ = await desk.post("/desk/language", {"language": "tr", "next": "/desk/account"})
            assert status == 303
            assert (await rn.db(User.get, username="irina")).locale == "tr"
            status, text, _ = await desk.get("/desk/account")
            assert 'lang="tr"' in text


async def test_desk_gate__unknown_desk_page_is_a_page_not_json(tmp_path):
    """A missing desk page answers 404 as an HTML page of the desk (not a JSON problem)."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        async with DeskClient(rn) as desk:
            await desk.login("leyla")
            status, text, headers = await desk.get("/desk/no-such-page")
            assert status == 404 and headers["Content-Type"].startswith("text/html") and "<h1>" in text
