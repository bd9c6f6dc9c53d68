"""The audit trail for changes made on the command line: after a command that changed something succeeds, one
event is recorded as made by "node" via "cli" (the CLI is the operator's, like the node token). The `users`
commands record their own."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

__all__ = ["cli_change", "record_cli_change"]

# command -> (action, the argument naming what it acted on)
_SIMPLE = {
    "publish": ("story.publish", "headline"), "correct": ("story.correct", "story"), "kill": ("story.kill", "story"),
    "import": ("story.import", "file"), "follow": ("follow", "handle"), "unfollow": ("unfollow", "handle"),
    "translate": ("translation.request", "story"), "offer": ("offer.send", "story"),
}
_TRANSLATIONS = ("submit", "edit", "approve", "reject", "request")


def _get(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)


def cli_change(args: argparse.Namespace) -> tuple[str, str] | None:
    """(action, subject) of the change this command made, or None for a command that only reads."""
    command, action = args.command, _get(args, "action")
    if command in _SIMPLE:
        name, arg = _SIMPLE[command]
        return name, str(_get(args, arg) or "")[:200]
    for flag in ("approve", "reject"):
        if command == "followers" and _get(args, flag) is not None:
            return f"follower.{flag}", str(_get(args, flag))
    for flag, name in (("accept", "offer.accept"), ("decline", "offer.decline"), ("withdraw", "offer.withdraw")):
        if command == "offers" and _get(args, flag) is not None:
            return name, str(_get(args, flag))
    if command == "factchecks" and action in ("publish", "correct", "withdraw", "translate", "approve", "reject",
                                               "endorse"):
        target = _get(args, "factcheck") or _get(args, "uri") or _get(args, "claim") or ""
        return f"factcheck.{action}", str(target)[:200]
    if command == "keys" and action == "rotate":
        return "keys.rotate", ""
    if command == "media" and action == "add":
        return "media.upload", str(_get(args, "file"))
    if command == "translations" and action in _TRANSLATIONS:
        language = _get(args, "language")
        return f"translation.{action}", "/".join(str(p) for p in (_get(args, "story"), language) if p)
    return None


def record_cli_change(args: argparse.Namespace) -> None:
    """Record the change the (successful) command made, if it made one."""
    change = cli_change(args)
    if change is None or not _get(args, "cfg"):
        return
    from node.accounts import audit
    from node.cli.users import in_db

    async def _go() -> None:
        await audit.record(audit.Principal("node", "admin", "cli"), *change)

    asyncio.run(in_db(args.cfg, _go))
