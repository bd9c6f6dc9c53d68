"""Which permission each editor API route needs and which audit action a successful call records.

One table for every /api/ route of the app, keyed by method and the route's canonical path. A route missing here
needs `users` (admin) and is audited as a change: new routes fail closed until they are given a line.
`tests/node/accounts/test_access.py` checks that every /api/ route of the app has one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PUBLIC", "Rule", "ROUTES", "rule_for"]


@dataclass(frozen=True)
class Rule:
    """`permission` from `roles.PERMISSIONS`; `action` (formatted with the route's match info, e.g.
    "translation.{decision}") is recorded in the audit trail after a successful call; None: not a change."""

    permission: str
    action: str | None = None


# Routes anyone may call: logging in is how one gets a session; the OpenAPI document holds no data, and a client
# reads it before it has credentials.
PUBLIC = frozenset({("POST", "/api/session"), ("GET", "/api/openapi.json"), ("HEAD", "/api/openapi.json")})

_READ = Rule("read")

ROUTES: dict[tuple[str, str], Rule] = {
    # accounts
    ("GET", "/api/session"): Rule("self"),
    ("DELETE", "/api/session"): Rule("self", "session.logout"),
    ("POST", "/api/session/password"): Rule("self", "user.password"),
    ("GET", "/api/tokens"): Rule("self"),
    ("POST", "/api/tokens"): Rule("self", "token.create"),
    ("DELETE", "/api/tokens/{id}"): Rule("self", "token.revoke"),
    ("GET", "/api/audit"): Rule("users"),
    ("GET", "/api/users"): Rule("users"),
    ("POST", "/api/users"): Rule("users", "user.add"),
    ("PATCH", "/api/users/{username}"): Rule("users", "user.change"),
    # stories
    ("GET", "/api/stories"): _READ,
    ("GET", "/api/stories/{uuid}"): _READ,
    ("GET", "/api/stories/{uuid}/deliveries"): _READ,
    ("GET", "/api/stories/{uuid}/revisions"): _READ,
    ("GET", "/api/stories/{uuid}/ninjs"): _READ,
    ("POST", "/api/stories"): Rule("publish", "story.publish"),
    ("PATCH", "/api/stories/{uuid}"): Rule("publish", "story.update"),
    ("DELETE", "/api/stories/{uuid}"): Rule("publish", "story.kill"),
    ("POST", "/api/stories/{uuid}/kill"): Rule("publish", "story.kill"),
    ("POST", "/api/import"): Rule("publish", "story.import"),
    # wire
    ("GET", "/api/wire"): _READ,
    ("GET", "/api/wire/story"): _READ,
    ("GET", "/api/wire/read"): _READ,
    ("GET", "/api/wire/languages"): _READ,
    ("POST", "/api/wire/announce"): Rule("publish", "wire.announce"),
    ("POST", "/api/verify"): _READ,  # checks a document, changes nothing
    # fact-checks
    ("GET", "/api/factchecks"): _READ,
    ("GET", "/api/factchecks/{uuid}"): _READ,
    ("GET", "/api/factchecks/{uuid}/ninjs"): _READ,
    ("POST", "/api/factchecks"): Rule("publish", "factcheck.publish"),
    ("PATCH", "/api/factchecks/{uuid}"): Rule("publish", "factcheck.update"),
    ("DELETE", "/api/factchecks/{uuid}"): Rule("publish", "factcheck.withdraw"),
    ("POST", "/api/factchecks/{uuid}/withdraw"): Rule("publish", "factcheck.withdraw"),
    ("POST", "/api/factchecks/import"): Rule("publish", "factcheck.import"),
    ("POST", "/api/factchecks/endorse"): Rule("publish", "factcheck.endorse"),
    ("DELETE", "/api/factchecks/endorse"): Rule("publish", "factcheck.unendorse"),
    ("POST", "/api/factchecks/announce"): Rule("publish", "factcheck.forward"),
    ("POST", "/api/factchecks/{uuid}/translations"): Rule("translate", "factcheck.translation.submit"),
    ("POST", "/api/factchecks/{uuid}/translations/{language}/{decision}"): Rule(
        "translate", "factcheck.translation.{decision}"),
    ("POST", "/api/check"): _READ,  # matches a text or URL against the fact-checks, changes nothing
    # translations
    ("GET", "/api/languages"): _READ,
    ("GET", "/api/translations"): _READ,
    ("GET", "/api/translations/decisions"): _READ,
    ("GET", "/api/stories/{uuid}/translations"): _READ,
    ("GET", "/api/stories/{uuid}/translations/{language}"): _READ,
    ("GET", "/api/stories/{uuid}/translation-jobs"): _READ,
    ("GET", "/api/translation-jobs"): _READ,
    ("GET", "/api/offers"): _READ,
    ("GET", "/api/wire/offers"): _READ,
    ("POST", "/api/stories/{uuid}/translations"): Rule("translate", "translation.submit"),
    ("POST", "/api/stories/{uuid}/translations/request"): Rule("translate", "translation.request"),
    ("POST", "/api/stories/{uuid}/translation-jobs"): Rule("translate", "translation.request"),
    ("PATCH", "/api/stories/{uuid}/translations/{language}"): Rule("translate", "translation.edit"),
    ("POST", "/api/stories/{uuid}/translations/{language}/{decision}"): Rule("translate", "translation.{decision}"),
    ("POST", "/api/offers/{id}/{decision}"): Rule("translate", "offer.{decision}"),
    ("POST", "/api/wire/offers"): Rule("translate", "offer.send"),
    ("PATCH", "/api/wire/offers/{id}"): Rule("translate", "offer.edit"),
    ("DELETE", "/api/wire/offers/{id}"): Rule("translate", "offer.withdraw"),
    # network
    ("GET", "/api/following"): _READ,
    ("GET", "/api/followers"): _READ,
    ("POST", "/api/following"): Rule("network", "follow"),
    ("POST", "/api/following/unfollow"): Rule("network", "unfollow"),
    ("POST", "/api/followers/{id}/{decision}"): Rule("network", "follower.{decision}"),
    # media
    ("GET", "/api/media"): _READ,
    ("GET", "/api/media/{sha256}"): _READ,
    ("POST", "/api/media"): Rule("media", "media.upload"),
    ("PATCH", "/api/media/{sha256}"): Rule("media", "media.edit"),
    # operations
    ("POST", "/api/keys/rotate"): Rule("operations", "keys.rotate"),
}

_UNLISTED = Rule("users", "api.{method}")


def rule_for(method: str, canonical: str) -> Rule:
    """The rule of one route (HEAD reads like GET); an unlisted route needs admin."""
    method = "GET" if method == "HEAD" else method
    return ROUTES.get((method, canonical), _UNLISTED)
