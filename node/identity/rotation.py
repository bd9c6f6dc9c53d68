"""Key rotation as a use-case: new keys for the agency and each of its channels, signers reloaded, and each actor's
Update(actor) queued for its own followers.

The channels (a language channel ``<handle>_<language>``, the fact-check channel ``<handle>_factchecks``) are
actors with keys of their own, kept in the same database as the agency's: whatever exposed one exposed them all,
so a rotation that left the channels' keys in place would leave their followers trusting a key the operator meant
to retire. Every local actor that has followers is therefore rotated, in one transaction. The instance actor is
not: it has no followers to tell and signs only the fetches the node makes (peers refetch it on a failure).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.outbox import follower_inboxes, send_activity
from federation.vocab import PUBLIC
from node.identity.proofkeys import rotate_all
from node.runtime import Node
from node.web.activitypub import actor_document_of

__all__ = ["rotate_keys"]


async def _tell_followers(node: Node, username: str, new_key_id: str) -> dict[str, Any]:
    """Queue `username`'s Update with its new actor document for its followers; what was done, as reported."""
    assert node.fed is not None
    actor = actor_document_of(node, username)
    inboxes = await follower_inboxes(username)
    row = await send_activity(node.fed, username=username, type_="Update", obj=actor, inboxes=inboxes,
                              to=[PUBLIC], cc=[node.urls.followers(username)])
    retired = [m["id"] for m in actor.get("assertionMethod", []) if m.get("expires")]
    return {"actor": node.urls.actor(username), "ed25519_key": new_key_id, "rsa_key": node.urls.key_id(username),
            "retired_keys": retired, "update": row.activity_id, "followers_inboxes": len(inboxes)}


async def rotate_keys(node: Node) -> dict[str, Any]:
    """Rotate the RSA and Ed25519 keys of the agency actor and of each of its channels, and tell each actor's
    followers (an Update with its new actor document).

    Each Update is signed (HTTP signature and proof) with its actor's new keys; followers that cached the old
    RSA key fail once on it and refetch the actor, which is what Mastodon and Fedify do on a key change. The
    answer is the agency's report, with the channels' reports under ``channels``.
    """
    assert node.fed is not None
    agency = node.agency
    channels = sorted(name for name in node.fed.local_actors if name != agency)
    rotated = await rotate_all(node.urls, [agency, *channels], datetime.now(timezone.utc))
    await node.reload_keys()
    report = await _tell_followers(node, agency, rotated[agency][1].key_id)
    report["channels"] = [await _tell_followers(node, name, rotated[name][1].key_id) for name in channels]
    return report
