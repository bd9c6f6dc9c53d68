"""`agency-node wire` and `verify`: what partners sent, and whether a story really comes from who signed it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from node.cli.common import Add, print_json, read_document, table, with_node


def cmd_wire(args: argparse.Namespace) -> int:
    from node.wire import queries

    rows = asyncio.run(with_node(args.cfg, lambda node: queries.wire(
        agency=args.agency, language=args.language, limit=args.limit, base_url=node.config.base_url)))
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            r["proof_status"] = r["proof"]["status"]
        table(rows, ["received", "agency", "language", "headline", "signature", "proof_status", "id"])
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from node.wire import verification

    is_url = args.source.startswith(("http://", "https://"))
    doc = None if is_url else read_document(args.source)

    async def _go(node: Any) -> Any:
        if is_url:
            return await verification.verify_url(node, args.source)
        return await verification.verify_document(node, doc, source=args.source, compare=not args.no_compare)

    try:
        report = asyncio.run(with_node(args.cfg, _go))
    except verification.Unreadable as exc:
        print(f"agency-node verify: {exc}", file=sys.stderr)
        return verification.EXIT_UNREADABLE
    if args.json:
        print_json(report)
    else:
        origin = report.get("origin_copy") or {}
        for label, value in (("story", report["object"]), ("status", report["status"]),
                             ("origin", report["origin"]), ("key", report["key_id"]),
                             ("signed", report["created"]), ("expires", report["expires"]),
                             ("copy", origin.get("detail")), ("reason", report["reason"])):
            if value:
                print(f"{label + ':':9}{value}")
        for medium in report.get("media", []):
            print(f"{'media:':9}{medium['verdict']}: {medium['url']} ({medium['detail']})")
    return int(report["exit_code"])


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("wire", cmd_wire, "list stories received from followed agencies")
    p.add_argument("--agency", help="only from this agency (name@host, name, or actor URL)")
    p.add_argument("--language", help="only in this language (BCP 47)")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("verify", cmd_verify, "check a story's proof, origin and integrity (a URL, a JSON file or - for stdin)")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("exit status: 0 verified, 3 unsigned, 4 tampered (the copy was altered after signing), "
                "5 key not listed by the origin, 6 proof or key expired, 7 malformed proof or key, "
                "8 origin unreachable and its key not cached, 9 story unreadable, 10 proof verified but a media file "
                "does not match its digest, 1 other failure")
    p.add_argument("source", help="a story (or activity) URL, a JSON file, or - for standard input")
    p.add_argument("--no-compare", action="store_true",
                   help="do not compare a file with the origin's copy nor fetch its media to check them")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
