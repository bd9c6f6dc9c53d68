"""`agency-node keys`: the agency's proof keys, listed, or rotated with its channels' keys."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from node.cli.common import Add, print_json, with_node


def cmd_keys(args: argparse.Namespace) -> int:
    from node.identity import rotation
    from node.identity.proofkeys import assertion_methods
    from node.runtime import KEY_WATCH_SECONDS

    async def _go(node: Any) -> Any:
        if args.action == "rotate":
            return await rotation.rotate_keys(node)
        def keys_of(name: str) -> dict[str, Any]:
            return {"actor": node.urls.actor(name), "rsa_key": node.urls.key_id(name),
                    "assertionMethod": assertion_methods(node.urls, name, node.proof_keys.get(name, []))}
        channels = sorted(name for name in node.fed.local_actors if name != node.agency)
        return {**keys_of(node.agency), "channels": [keys_of(name) for name in channels]}

    result = asyncio.run(with_node(args.cfg, _go))
    if args.json:
        print_json(result)
    elif args.action == "rotate":
        print(f"rotated the keys of {result['actor']}")
        print(f"new Ed25519 key: {result['ed25519_key']}")
        print(f"retired (still listed with an end date): {len(result['retired_keys'])}")
        print(f"Update(actor) queued for {result['followers_inboxes']} inbox(es)")
        for channel in result["channels"]:
            print(f"rotated the keys of channel {channel['actor']}: Update(actor) queued for "
                  f"{channel['followers_inboxes']} inbox(es)")
        print(f"running `agency-node run` / `worker` processes sign with the new keys within "
              f"{KEY_WATCH_SECONDS:.0f} s")
    else:
        for actor in [result, *result["channels"]]:
            for key in actor["assertionMethod"]:
                print(f"{key['id']}  {'expires ' + key['expires'] if key.get('expires') else 'current'}")
    return 0


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("keys", cmd_keys, "list the agency's proof keys, or rotate the RSA and Ed25519 keys of the agency and "
            "its channels")
    p.add_argument("action", choices=["list", "rotate"],
                   help="list: the Multikeys in the assertionMethod of the agency and its channels; rotate: new keys for the agency and each of its "
                        "channels (language, fact-check), old ones kept with an end date, Update(actor) sent to "
                        "each actor's followers")
    p.add_argument("--json", action="store_true", help="print JSON")
