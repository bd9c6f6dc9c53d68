"""The `agency-node` command line: set up, migrate, run, publish, follow and inspect a node.

One module per command group, each with its commands and a `register(add)` that adds them to the parser:
`setup` (init, migrate, run, worker, demo), `stories`, `factchecks` (fact-checks and `check`), `media`, `network`, `wire`, `identity` (keys), `machine`
(machine translation), `translations` (review desk and exchange), `users` (the desk's accounts) and `backup`
(backup, restore); `common` holds what they share.
Every command has --help; a failure prints one plain line on stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from node import __version__
from node.cli import (
    backup, factchecks, identity, machine, media, network, setup, stories, translations, users, wire,
)
from node.cli.audit import record_cli_change
from node.cli.common import ENV_CONFIG, EXIT_FAIL, CliError
from node.config import ConfigError, load_config

__all__ = ["build_parser", "main"]

# In the order `agency-node --help` lists them.
GROUPS = (setup, stories, factchecks, media, network, wire, machine, identity, translations, users, backup)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agency-node", description="A federated newswire node (ActivityPub).")
    parser.add_argument("--version", action="version", version=f"agency-node {__version__}")
    parser.add_argument("-c", "--config", default=os.environ.get(ENV_CONFIG, "node.toml"),
                        help=f"config file (default: ${ENV_CONFIG} or ./node.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str, needs_config: bool = True
            ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(fn=fn, needs_config=needs_config)
        if needs_config or name == "init":  # `agency-node run --config FILE` as well as `agency-node -c FILE run`
            p.add_argument("-c", "--config", default=argparse.SUPPRESS, help="config file (as before COMMAND)")
        return p

    for group in GROUPS:
        group.register(add)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `agency-node` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.needs_config:
            args.cfg = load_config(args.config)
        code = args.fn(args)
    except (ConfigError, CliError) as exc:
        print(f"agency-node {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    if code == 0 and args.needs_config:
        try:
            record_cli_change(args)  # who made the change: "node" via the CLI (node/cli/audit.py)
        except Exception as exc:  # the change is made; say that its audit record is missing, and why
            print(f"agency-node {args.command}: done, but not recorded in the audit trail: {exc}", file=sys.stderr)
    return code

