"""Roles through the real HTTP API: each route's permission, refused with 403 naming the role, nothing changed."""

from __future__ import annotations

from node.accounts import access
from node.accounts.roles import PERMISSIONS, ROLES, least_role_for
from node.identity.models import ProofKey
from node.stories.models import Story
from node.web.app import create_app
from tests.nodes import node_config
from tests.node.accounts.helpers import STORY, accounts_node, add_user, desk


def test_access__every_api_route_has_a_rule(tmp_path):
    """Every /api/ route of the app has its line in the route table (new routes must be given one)."""
    app = create_app(node_config(tmp_path, "baku"), run_workers=False)
    missing = []
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if canonical.startswith("/api/") and route.method != "HEAD":
            key = (route.method, canonical)
            if key not in access.ROUTES and key not in access.PUBLIC:
                missing.append(key)
    assert missing == []
    assert {rule.permission for rule in access.ROUTES.values()} <= set().union(*PERMISSIONS.values())


def test_roles__each_role_includes_the_ones_below(tmp_path):
    """The roles are ordered: each may do everything the one below it may."""
    for lower, higher in zip(ROLES, ROLES[1:]):
        assert PERMISSIONS[lower] < PERMISSIONS[higher]
    assert least_role_for("translate") == "translator" and least_role_for("operations") == "admin"


async def test_roles__viewer_cannot_publish(tmp_path):
    """A viewer reads stories but publishing is 403 naming the editor role, and no story is made."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "vusal", "viewer")
        async with desk(baku, "vusal") as d:
            status, doc, _ = await d.call("GET", "/api/stories")
            assert status == 200 and doc["stories"] == []
            status, problem, _ = await d.call("POST", "/api/stories", STORY)
            assert status == 403, problem
            assert problem["title"] == "Role required" and problem["required_role"] == "editor"
            assert "editor role" in problem["detail"] and "viewer" in problem["detail"]
        assert await baku.db(Story.all().count) == 0


async def test_roles__translator_cannot_do_admin_actions(tmp_path):
    """A translator rotating the keys or reading the audit trail is refused 403 (admin needed); keys unchanged."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "leyla", "translator")
        keys_before = await baku.db(ProofKey.all().count)
        async with desk(baku, "leyla") as d:
            status, problem, _ = await d.call("POST", "/api/keys/rotate")
            assert status == 403 and problem["required_role"] == "admin", problem
            status, problem, _ = await d.call("GET", "/api/audit")
            assert status == 403 and problem["required_role"] == "admin"
            status, problem, _ = await d.call("POST", "/api/following", {"handle": "desk@partner.example"})
            assert status == 403 and problem["required_role"] == "editor"
        assert await baku.db(ProofKey.all().count) == keys_before


async def test_roles__translator_works_translations(tmp_path):
    """A translator submits and approves a translation of a story an editor published; the reviewer recorded
    is the logged-in user, not the name the body claims."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        await add_user(baku, "leyla", "translator")
        async with desk(baku, "aysel") as ed, desk(baku, "leyla") as tr:
            status, story, _ = await ed.call("POST", "/api/stories", STORY)
            assert status == 201, story
            base = f"/api/stories/{story['id']}/translations"
            status, doc, _ = await tr.call("POST", base, {
                "language": "en", "headline": "Ferry line reopens", "summary": "Crossings resume.",
                "body": "<p>The ferry line reopens.</p>", "translator": "Leyla Mammadova"})
            assert status == 201, doc
            status, doc, _ = await tr.call("POST", base + "/en/approve", {"reviewer": "Somebody Else"})
            assert status == 200 and doc["status"] == "approved" and doc["reviewer"] == "leyla", doc


async def test_roles__admin_and_node_token_may_do_everything(tmp_path):
    """An admin user and the node token (acting as admin "node") pass every role check."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "root", "admin")
        async with desk(baku, "root") as d:
            status, doc, _ = await d.call("GET", "/api/audit")
            assert status == 200, doc
            status, story, _ = await d.call("POST", "/api/stories", STORY)
            assert status == 201
        status, me = await baku.api("GET", "/api/session")
        assert status == 200 and (me["username"], me["role"], me["via"]) == ("node", "admin", "node-token")
