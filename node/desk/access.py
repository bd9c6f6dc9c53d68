"""Which permission each desk route needs and which audit action a successful change records.

The desk's twin of `node/accounts/access.py`: one line per /desk/ route, keyed by method and the route's
canonical path; a route missing here needs `users` (admin) and is audited as a change, so new routes fail closed
until they are given a line. `tests/node/desk/test_desk_access.py` checks that every /desk/ route has one.
"""

from __future__ import annotations

from node.accounts.access import Rule

__all__ = ["PUBLIC", "DESK_ROUTES", "rule_for"]

# Pages anyone may load: the login form and the desk's own static files.
PUBLIC = frozenset({("GET", "/desk/login"), ("HEAD", "/desk/login"), ("POST", "/desk/login"),
                    ("POST", "/desk/language")})
PUBLIC_PREFIXES = ("/desk/static/",)

_READ = Rule("read")

DESK_ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/desk"): _READ,
    ("GET", "/desk/"): _READ,
    ("POST", "/desk/logout"): Rule("self", "session.logout"),
    ("GET", "/desk/account"): Rule("self"),
    ("POST", "/desk/account/password"): Rule("self", "user.password"),
    # Wire screen (node/desk/wire_views.py, wire_events.py)
    ("GET", "/desk/wire"): _READ,
    ("GET", "/desk/wire/rows"): _READ,
    ("GET", "/desk/wire/events"): _READ,
    ("GET", "/desk/wire/{id}"): _READ,
    ("POST", "/desk/wire/{id}/forward"): Rule("publish", "wire.forward"),
    ("POST", "/desk/wire/searches"): Rule("read", "wire.search_saved"),
    ("POST", "/desk/wire/searches/{id}/delete"): Rule("read", "wire.search_deleted"),
}


def rule_for(method: str, canonical: str) -> Rule:
    """The rule of a desk route; HEAD is GET's; an unlisted route needs `users` and is audited (fail closed)."""
    if method == "HEAD":
        method = "GET"
    return DESK_ROUTES.get((method, canonical), Rule("users", f"desk.{method.lower()}"))
