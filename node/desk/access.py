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
    # Fact-checks screen (node/desk/factcheck_views.py): partners' fact-checks, forwarding and endorsing one
    ("GET", "/desk/factchecks"): _READ,
    ("GET", "/desk/factchecks/{id}"): _READ,
    ("POST", "/desk/factchecks/{id}/forward"): Rule("publish", "factcheck.forward"),
    ("POST", "/desk/factchecks/{id}/endorse"): Rule("publish", "factcheck.endorse"),
    ("POST", "/desk/factchecks/{id}/unendorse"): Rule("publish", "factcheck.unendorse"),
    # Compose / edit / workflow / My stories (node/desk/compose_views.py, node/desk/stories_views.py)
    ("GET", "/desk/compose"): Rule("publish"),
    ("POST", "/desk/compose"): Rule("publish", "item.create"),
    ("POST", "/desk/preview"): Rule("publish"),
    ("GET", "/desk/items/{item_id}"): _READ,
    ("POST", "/desk/items/{item_id}"): Rule("publish", "item.save"),
    ("POST", "/desk/items/{item_id}/lock"): Rule("publish", "item.lock"),
    ("POST", "/desk/items/{item_id}/unlock"): Rule("publish", "item.unlock"),
    ("POST", "/desk/items/{item_id}/take-over"): Rule("publish", "item.take_over"),
    ("POST", "/desk/items/{item_id}/spike"): Rule("publish", "item.spike"),
    ("POST", "/desk/items/{item_id}/unspike"): Rule("publish", "item.unspike"),
    ("POST", "/desk/items/{item_id}/publish"): Rule("publish", "story.publish"),
    ("GET", "/desk/stories"): _READ,
    ("GET", "/desk/stories/{uuid}"): _READ,
    ("GET", "/desk/stories/{uuid}/revisions"): _READ,
    ("POST", "/desk/stories/{uuid}/correct"): Rule("publish", "item.correct"),
    ("POST", "/desk/stories/{uuid}/update"): Rule("publish", "item.update"),
    ("POST", "/desk/stories/{uuid}/kill"): Rule("publish", "story.kill"),
    # Translations screen (node/desk/translation_views.py)
    ("GET", "/desk/translations"): _READ,
    ("GET", "/desk/translations/{uuid}/{language}"): _READ,
    ("POST", "/desk/translations/{uuid}/{language}"): Rule("translate", "translation.edit"),
    ("POST", "/desk/translations/{uuid}/{language}/{decision}"): Rule("translate", "translation.{decision}"),
    ("POST", "/desk/translations/offers/{id}/{decision}"): Rule("translate", "offer.{decision}"),
    ("POST", "/desk/translations/request"): Rule("translate", "translation.request"),
    # Network screen (node/desk/network_views.py)
    ("GET", "/desk/network"): _READ,
    ("POST", "/desk/network/follow"): Rule("network", "follow"),
    ("POST", "/desk/network/unfollow"): Rule("network", "unfollow"),
    ("POST", "/desk/network/followers/{id}/{decision}"): Rule("network", "follower.{decision}"),
    # Verify screen (node/desk/verify_views.py): checks a document, changes nothing
    ("GET", "/desk/verify"): _READ,
    ("POST", "/desk/verify"): _READ,
    # Operations screen (node/desk/operations_views.py), for admins
    ("GET", "/desk/operations"): Rule("operations"),
    ("POST", "/desk/operations/users"): Rule("users", "user.add"),
    ("POST", "/desk/operations/users/{username}/disable"): Rule("users", "user.disable"),
    ("POST", "/desk/operations/users/{username}/enable"): Rule("users", "user.enable"),
    ("POST", "/desk/operations/users/{username}/role"): Rule("users", "user.role"),
    ("POST", "/desk/operations/users/{username}/password"): Rule("users", "user.reset_password"),
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
