"""The operator's trust policy, from the ``[trust]`` config section, and the partner check other use-cases need.

`is_partner(fed, actor_uri)` answers whether an actor is a trusted partner agency (listed in ``trust.partners``
by actor URI or by ``name@host`` handle); embargoed stories may go early to partners only. The domain rules
(blocklist or allowlist) are enforced in federation/inbox.py (403 for posts), federation/outbox.py (no rows at
fan-out) and federation/delivery.py (nothing sent at delivery time); see federation/policy.py.
"""

from __future__ import annotations

from federation.context import Federation
from federation.policy import TrustPolicy
from node.config import Config
from federation.store.models import RemoteActor

__all__ = ["build_policy", "is_partner"]


def build_policy(config: Config) -> TrustPolicy:
    """The TrustPolicy a config asks for (the default trusts nobody specially and blocks nobody)."""
    trust = config.trust or {}
    return TrustPolicy(mode=trust.get("mode", "blocklist"), domains=tuple(trust.get("domains", ())),
                       partners=tuple(trust.get("partners", ())))


async def is_partner(fed: Federation, actor_uri: str) -> bool:
    """Whether `actor_uri` is a trusted partner agency (by URI, or by the handle of its cached actor)."""
    if fed.trust.is_partner(actor_uri):
        return True
    actor = await RemoteActor.get_or_none(uri=actor_uri)
    return actor is not None and fed.trust.is_partner(actor_uri, handle=actor.handle)
