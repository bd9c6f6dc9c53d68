"""`agency-node factchecks` (publish, list, show, correct, withdraw, translate, approve, reject, endorse) and
`agency-node check URL|TEXT`: the agency's fact-checks, and "has anyone in our network checked this?"."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, Awaitable, Callable

from node.cli.common import Add, CliError, print_json, read_document, table, with_node

EXIT_MATCHED = 0
EXIT_NO_MATCH = 2  # `check` found nothing: scripts can tell "checked" from "unknown"


def _run(args: argparse.Namespace, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `fn` inside the node; a fact-check the command cannot act on is one plain line."""
    from node.factchecks.errors import FactCheckError

    try:
        return asyncio.run(with_node(args.cfg, fn))
    except FactCheckError as exc:
        raise CliError(exc.detail) from None


def _uuid(ref: str) -> str:
    return ref.rstrip("/").rsplit("/", 1)[-1]


def _load(raw: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    from marshmallow import ValidationError

    from schemas.factcheck import FactCheckInputSchema

    try:
        return FactCheckInputSchema().load(raw, partial=partial)
    except ValidationError as exc:
        raise CliError("invalid fact-check: " + "; ".join(f"{k}: {v}" for k, v in exc.messages.items())) from None


def _from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The input a command's flags give (a --file document first, flags on top of it)."""
    raw: dict[str, Any] = dict(read_document(args.file)) if args.file else {}
    claim = dict(raw.get("claim") or {})
    for flag, key in (("claim", "text"), ("claim_language", "language"), ("first_seen", "first_seen")):
        if getattr(args, flag):
            claim[key] = getattr(args, flag)
    if args.claim_url:
        claim["urls"] = args.claim_url
    if args.account:
        claim["accounts"] = args.account
    if claim:
        raw["claim"] = claim
    if args.verdict:
        raw["verdict"] = args.verdict
    if args.explanation:
        language = args.language or claim.get("language") or "en"
        raw["explanation"] = {**(raw.get("explanation") or {}), language: args.explanation}
    for flag in ("language", "urgency", "correction_note"):
        if getattr(args, flag, None) not in (None, ""):
            raw[flag] = getattr(args, flag)
    if args.evidence:
        raw["evidence"] = args.evidence
    if args.urgent:
        raw["urgent"] = True
    return raw


def _show(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(doc)
        return
    for label, value in (("id", doc["id"]), ("url", doc["url"]), ("verdict", doc["label"]),
                         ("claim", doc["claim"]["text"]), ("state", doc["state"]),
                         ("endorsed", doc["endorsements"])):
        print(f"{label + ':':10}{value}")


def cmd_publish(args: argparse.Namespace) -> int:
    from node.factchecks import publishing, queries

    data = _load(_from_flags(args))

    async def _go(node: Any) -> Any:
        fc = await publishing.publish(node.fed, node.agency, node.config.agency.name, data)
        return await queries.own_json(node.urls, fc)

    _show(_run(args, _go), args.json)
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from node.factchecks import publishing, queries
    from node.factchecks.errors import get_factcheck

    changes = _load(_from_flags(args), partial=True)

    async def _go(node: Any) -> Any:
        fc = await get_factcheck(_uuid(args.factcheck))
        current = {"claim": {"text": fc.claim_text, "language": fc.claim_language, "urls": fc.claim_urls,
                             "accounts": fc.claim_accounts, "first_seen": fc.claim_first_seen,
                             "media": fc.claim_media},
                   "verdict": fc.verdict, "explanation": fc.explanation, "language": fc.language,
                   "evidence": fc.evidence, "urgency": fc.urgency, "urgent": fc.urgent}
        if "claim" in changes:
            changes["claim"] = {**current["claim"], **changes["claim"]}
        if "explanation" in changes:
            changes["explanation"] = {**fc.explanation, **changes["explanation"]}
        fc = await publishing.correct(node.fed, node.agency, node.config.agency.name, fc.uuid,
                                      {**current, **changes})
        return await queries.own_json(node.urls, fc)

    _show(_run(args, _go), args.json)
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    from node.factchecks import publishing, queries

    async def _go(node: Any) -> Any:
        fc = await publishing.withdraw(node.fed, node.agency, _uuid(args.factcheck), args.reason or "")
        return await queries.own_json(node.urls, fc)

    _show(_run(args, _go), args.json)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from node.factchecks import queries

    rows = _run(args, lambda node: queries.list_factchecks(node.urls, origin=args.origin, limit=args.limit,
                                                           include_withdrawn=args.include_withdrawn))
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            r["claim_text"] = r["claim"]["text"][:60]
        table(rows, ["published", "label", "state", "endorsements", "claim_text", "url"])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from node.factchecks import queries
    from node.factchecks.errors import get_factcheck

    async def _go(node: Any) -> Any:
        return await queries.own_json(node.urls, await get_factcheck(_uuid(args.factcheck)))

    print_json(_run(args, _go))
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from node.factchecks import publishing

    row = _run(args, lambda node: publishing.submit_translation(_uuid(args.factcheck), args.language, args.claim,
                                                                args.explanation, args.translator))
    print(f"{row.language}: {row.status}")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from node.factchecks import publishing

    row = _run(args, lambda node: publishing.review_translation(
        node.fed, node.agency, node.config.agency.name, _uuid(args.factcheck), args.language,
        "approve" if args.action == "approve" else "reject", args.reviewer))
    print(f"{row.language}: {row.status}")
    return 0


def cmd_endorse(args: argparse.Namespace) -> int:
    from node.factchecks import endorsements

    row = _run(args, lambda node: endorsements.endorse(node.fed, node.agency, node.config.agency.name, args.uri,
                                                       args.comment or ""))
    print(f"endorsed {row.factcheck_uri} ({row.activity_id})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from node.factchecks import matching

    query = " ".join(args.query).strip()
    if not query:
        raise CliError("give a URL or a text to check")
    report = _run(args, lambda node: matching.check(node.urls, query))
    if args.json:
        print_json(report)
    elif not report["matches"]:
        print(f"no fact-check in our network matches ({report['indexed']} indexed)")
    else:
        for m in report["matches"]:
            who = "us" if m["own"] else (m["agency_name"] or m["agency"])
            print(f"{m['label']:16} by {who}: {m['claim'][:80]} ({m['match']['how']} {m['match']['score']:.2f}, "
                  f"{m['endorsements']} endorsements) {m['url']}")
    return EXIT_MATCHED if report["matches"] else EXIT_NO_MATCH


def _content_flags(q: argparse.ArgumentParser) -> None:
    from schemas.factcheck import VERDICTS

    q.add_argument("--file", help="the fact-check as JSON (the API's input; - for stdin); flags override it")
    q.add_argument("--claim", help="the claim's text")
    q.add_argument("--claim-language", help="the claim's language (BCP 47)")
    q.add_argument("--claim-url", action="append", help="where the claim appeared (repeatable)")
    q.add_argument("--account", action="append", help="an account that spread it (repeatable)")
    q.add_argument("--first-seen", help="when it was first seen (YYYY-MM-DD)")
    q.add_argument("--verdict", choices=list(VERDICTS))
    q.add_argument("--explanation", help="the explanation (in --language)")
    q.add_argument("--language", help="the explanation's language (default: the claim's)")
    q.add_argument("--evidence", action="append", help="an evidence link (repeatable)")
    q.add_argument("--urgency", type=int, help="IPTC urgency 1 (flash) to 9")
    q.add_argument("--urgent", action="store_true", help="send to trusted partners first")
    q.add_argument("--json", action="store_true", help="print JSON")


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("factchecks", cmd_list, "publish, list, show, correct, withdraw, translate and endorse fact-checks")
    p.set_defaults(origin="local", limit=50, include_withdrawn=False, json=False)
    sub = p.add_subparsers(dest="action", metavar="ACTION")

    def action(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_, description=help_)
        q.set_defaults(fn=fn)
        return q

    q = action("publish", cmd_publish, "publish a fact-check (claim, verdict, explanation)")
    _content_flags(q)
    q = action("correct", cmd_correct, "correct a fact-check: the given fields change, an Update goes out")
    q.add_argument("factcheck", help="its id or URL")
    _content_flags(q)
    q.add_argument("--correction-note", help="what changed and why (shown with it)")
    q = action("withdraw", cmd_withdraw, "withdraw a fact-check (a Delete goes out)")
    q.add_argument("factcheck")
    q.add_argument("--reason", help="why (sent with the Delete)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q = action("list", cmd_list, "list fact-checks: ours, or partners' with --origin wire|ACTOR|all")
    q.add_argument("--origin", default="local")
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--include-withdrawn", action="store_true")
    q.add_argument("--json", action="store_true", help="print JSON")
    q = action("show", cmd_show, "print one of our fact-checks as JSON")
    q.add_argument("factcheck")
    q = action("translate", cmd_translate, "submit the claim and explanation in another language (for review)")
    q.add_argument("factcheck")
    q.add_argument("--language", required=True)
    q.add_argument("--claim", required=True)
    q.add_argument("--explanation", required=True)
    q.add_argument("--translator", default="")
    for name in ("approve", "reject"):
        q = action(name, cmd_decide, f"{name} a translation (approved: it goes out as an Update)")
        q.add_argument("factcheck")
        q.add_argument("language")
        q.add_argument("--reviewer", default="")
    q = action("endorse", cmd_endorse, "endorse a fact-check this node has (a signed Endorse goes out)")
    q.add_argument("uri", help="the fact-check's id (URL)")
    q.add_argument("--comment")
    p = add("check", cmd_check, "has anyone in our network checked this? (a URL or a text; exit 2: no match)")
    p.add_argument("query", nargs="+", help="a URL, or the text of a claim")
    p.add_argument("--json", action="store_true", help="print JSON")
