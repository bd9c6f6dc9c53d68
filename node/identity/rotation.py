"""Key rotation as a use-case: new keys, signers reloaded, and Update(actor) queued for every follower."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.outbox import follower_inboxes, send_activity
from federation.vocab import PUBLIC
from node.identity.proofkeys import rotate
from node.runtime import Node
from node.web.activitypub import actor_document_of


async def rotate_keys(node: Node) -> dict[str, Any]:
    """Rotate the agency actor's RSA and Ed25519 keys and tell followers (Update with the new actor document).

    The Update is signed (HTTP signature and proof) with the new keys; followers that cached the old RSA key
    fail once on it and refetch our actor, which is what Mastodon and Fedify do on a key change.
    """
    assert node.fed is not None
    username = node.agency
    now = datetime.now(timezone.utc)
    _, new = await rotate(node.urls, username, now)
    await node.reload_keys()
    actor = actor_document_of(node, username)
    inboxes = await follower_inboxes(username)
    row = await send_activity(node.fed, username=username, type_="Update", obj=actor, inboxes=inboxes,
                              to=[PUBLIC], cc=[node.urls.followers(username)])
    retired = [m["id"] for m in actor.get("assertionMethod", []) if m.get("expires")]
    return {"actor": node.urls.actor(username), "ed25519_key": new.key_id, "rsa_key": node.urls.key_id(username),
            "retired_keys": retired, "update": row.activity_id, "followers_inboxes": len(inboxes)}
