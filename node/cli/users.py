"""`agency-node users add|list|disable|enable|reset-password|role`: the people who work the desk."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any, Awaitable, Callable

from node.cli.common import Add, CliError, print_json, require_migrated, table
from node.config import Config

__all__ = ["in_db", "register"]


async def in_db(config: Config, fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run `fn` in the node's database (only the database: no keys, no HTTP client)."""
    from node.db import open_context

    await require_migrated(config)

    async def _run() -> Any:
        ctx = await open_context(config.database_url)
        try:
            return await fn()
        finally:
            await ctx.close_connections()

    return await asyncio.get_running_loop().create_task(_run())


def _run(args: argparse.Namespace, fn: Callable[[], Awaitable[Any]]) -> Any:
    from node.accounts.errors import AccountError

    try:
        return asyncio.run(in_db(args.cfg, fn))
    except AccountError as exc:
        raise CliError(exc.detail) from None


def _password(args: argparse.Namespace) -> str:
    """The new password: from stdin (first line) with --password-stdin, else asked twice on the terminal."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: pipe it in with --password-stdin")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Repeat it: "):
        raise CliError("the two passwords differ; nothing changed")
    return first


async def _audit(action: str, subject: str) -> None:
    from node.accounts import audit

    await audit.record(audit.Principal("node", "admin", "cli"), action, subject)


def cmd_add(args: argparse.Namespace) -> int:
    from node.accounts import users
    from node.accounts.passwords import hasher_for

    password = _password(args)

    async def _go() -> Any:
        user = await users.add_user(hasher_for(args.cfg.accounts), args.username, password, args.role)
        await _audit("user.add", user.username)
        return user

    user = _run(args, _go)
    print(f"user {user.username} added ({user.role})")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from node.accounts import users

    async def _go() -> Any:
        return [users.user_json(u) for u in await users.list_users()]

    rows = _run(args, _go)
    print_json(rows) if args.json else table(rows, ["username", "role", "disabled", "locked_until", "last_login"])
    return 0


def _change(args: argparse.Namespace, action: str, fn: Callable[[], Awaitable[Any]], done: str) -> int:
    async def _go() -> Any:
        user = await fn()
        await _audit(action, user.username)
        return user

    user = _run(args, _go)
    print(done.format(user=user))
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from node.accounts import users
    return _change(args, "user.disable", lambda: users.set_disabled(args.username, True),
                   "user {user.username} disabled (sessions ended; tokens refused)")


def cmd_enable(args: argparse.Namespace) -> int:
    from node.accounts import users
    return _change(args, "user.enable", lambda: users.set_disabled(args.username, False),
                   "user {user.username} enabled")


def cmd_reset_password(args: argparse.Namespace) -> int:
    from node.accounts import users
    from node.accounts.passwords import hasher_for

    password = _password(args)
    return _change(args, "user.reset_password",
                   lambda: users.reset_password(hasher_for(args.cfg.accounts), args.username, password),
                   "password of {user.username} changed (sessions ended, lock lifted)")


def cmd_role(args: argparse.Namespace) -> int:
    from node.accounts import users
    return _change(args, "user.role", lambda: users.set_role(args.username, args.role),
                   "user {user.username} is now {user.role}")


def register(add: Add) -> None:
    """Add the `users` command and its subcommands to the `agency-node` parser."""
    from node.accounts.roles import ROLES

    p = add("users", cmd_list, "manage the desk's users (roles: " + ", ".join(ROLES)
            + ")")
    sub = p.add_subparsers(dest="users_command", metavar="SUBCOMMAND", required=True)

    def one(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_, description=help_)
        q.set_defaults(fn=fn)
        return q

    q = one("add", cmd_add, "add a user (asks for the password twice, or reads it with --password-stdin)")
    q.add_argument("username", help="1-64 characters of a-z, 0-9, '.', '_' and '-'")
    q.add_argument("--role", choices=ROLES, default="editor", help="what the user may do (default: editor)")
    q.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    q = one("list", cmd_list, "list users with role, state and last login")
    q.add_argument("--json", action="store_true", help="print JSON")
    q = one("disable", cmd_disable, "disable a user: sessions end at once, tokens are refused")
    q.add_argument("username")
    q = one("enable", cmd_enable, "enable a disabled user again")
    q.add_argument("username")
    q = one("reset-password", cmd_reset_password, "set a user's password (ends their sessions, lifts a lock)")
    q.add_argument("username")
    q.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    q = one("role", cmd_role, "change a user's role")
    q.add_argument("username")
    q.add_argument("role", choices=ROLES)
