"""`agency-node follow`, `unfollow`, `followers` and `following`: the agencies this node exchanges stories with."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from node.cli.common import Add, CliError, print_json, table, with_node


def _follow_cmd(args: argparse.Namespace, fn_name: str) -> int:
    from node.network import following

    async def _go(node: Any) -> Any:
        return await getattr(following, fn_name)(node.fed, node.agency, args.handle)

    try:
        result = asyncio.run(with_node(args.cfg, _go))
    except following.FollowError as exc:
        raise CliError(f"{exc.title}: {exc.detail}") from None
    if fn_name == "follow":
        print(f"follow request for {args.handle} recorded ({result.state}); a running node or worker sends it")
    else:
        print(f"unfollowed {args.handle}")
    return 0


def cmd_follow(args: argparse.Namespace) -> int:
    return _follow_cmd(args, "follow")


def cmd_unfollow(args: argparse.Namespace) -> int:
    return _follow_cmd(args, "unfollow")


def cmd_followers(args: argparse.Namespace) -> int:
    from node.network import following
    from node.network import queries

    async def _go(node: Any) -> Any:
        if args.approve is not None or args.reject is not None:
            fid = args.approve if args.approve is not None else args.reject
            await following.decide(node.fed, node.agency, fid, approve=args.approve is not None)
        return await queries.followers(node.agency, args.state)

    try:
        rows = asyncio.run(with_node(args.cfg, _go))
    except following.FollowError as exc:
        raise CliError(f"{exc.title}: {exc.detail}") from None
    print_json(rows) if args.json else table(rows, ["id", "handle", "state", "actor", "since"])
    return 0


def cmd_following(args: argparse.Namespace) -> int:
    from node.network import queries

    rows = asyncio.run(with_node(args.cfg, lambda node: queries.following(node.agency)))
    print_json(rows) if args.json else table(rows, ["id", "handle", "state", "actor", "since"])
    return 0


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    for name, fn, help_ in (("follow", cmd_follow, "follow another agency (acct:name@host)"),
                            ("unfollow", cmd_unfollow, "stop following an agency (sends Undo)")):
        p = add(name, fn, help_)
        p.add_argument("handle", help="acct:name@host, name@host or an actor URL")

    p = add("followers", cmd_followers, "list followers; approve or reject pending requests")
    p.add_argument("--state", choices=["pending", "accepted"], help="only followers in this state")
    p.add_argument("--approve", type=int, metavar="ID", help="approve the pending follower with this id")
    p.add_argument("--reject", type=int, metavar="ID", help="reject (or remove) the follower with this id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("following", cmd_following, "list the agencies this node follows")
    p.add_argument("--json", action="store_true", help="print JSON")
