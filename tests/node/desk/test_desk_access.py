"""Every /desk/ route of the app has a line in `node/desk/access.py` (new routes fail closed until given one)."""

from __future__ import annotations

from node.desk import access
from node.accounts.roles import PERMISSIONS
from node.web.app import create_app
from tests.nodes import node_config


def test_desk_access__every_desk_route_has_a_rule(tmp_path):
    """Each desk route (static files aside) is in DESK_ROUTES or PUBLIC, each rule names a known permission,
    and no line names a route that does not exist."""
    app = create_app(node_config(tmp_path, "baku"), run_workers=False)
    known = {p for perms in PERMISSIONS.values() for p in perms}
    seen = set()
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource is not None else ""
        if not canonical.startswith("/desk") or canonical.startswith("/desk/static") or route.method == "HEAD":
            continue
        key = (route.method, canonical)
        seen.add(key)
        assert key in access.DESK_ROUTES or key in access.PUBLIC, f"{key} has no line in node/desk/access.py"
    assert not set(access.DESK_ROUTES) - seen, "lines for routes that do not exist"
    assert all(rule.permission in known for rule in access.DESK_ROUTES.values())


def test_desk_access__unlisted_route_needs_admin_and_is_audited():
    """A route without a line needs `users` (admin) and is audited as a change."""
    rule = access.rule_for("POST", "/desk/not-listed")
    assert rule.permission == "users" and rule.action
