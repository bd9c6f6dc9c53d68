"""`agency-node languages`, `agency-node translations ...` and `agency-node offers ...`: the review desk and the
translation exchange from the command line. Same rules as every command: --help everywhere, one line and a
non-zero exit on failure."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, Callable

from node.cli.common import Add, CliError, print_json, read_body, story_uuid, table, with_node

__all__ = ["register"]


def _run(args: argparse.Namespace, fn: Callable[[Any], Any]) -> Any:
    from node.translation.review import TranslationError

    try:
        return asyncio.run(with_node(args.cfg, fn))
    except TranslationError as exc:
        raise CliError(f"{exc.title}: {exc.detail}") from None


def _body(args: argparse.Namespace, required: bool) -> str | None:
    body = read_body(args) if args.body_file else args.body
    if required and not body:
        raise CliError("a translation needs a body: --body TEXT or --body-file FILE")
    return body or None


def _show(rows: list[dict[str, Any]], args: argparse.Namespace, columns: list[str]) -> int:
    print_json(rows) if args.json else table(rows, columns)
    return 0


def cmd_languages(args: argparse.Namespace) -> int:
    from schemas.languages import display_name, normalize_tag

    try:
        locale = normalize_tag(args.locale)
    except ValueError as exc:
        raise CliError(f"--locale: {exc}") from None
    cfg = args.cfg
    rows = [{"language": t, "name": display_name(t, locale), "native_name": display_name(t, t), "channel": ""}
            for t in dict.fromkeys(normalize_tag(x) for x in cfg.agency.languages)]
    for tag in cfg.channel_languages:
        from node.stories.documents import channel_username

        row = next((r for r in rows if r["language"] == tag), None)
        if row is None:
            row = {"language": tag, "name": display_name(tag, locale), "native_name": display_name(tag, tag)}
            rows.append(row)
        row["channel"] = f"@{channel_username(cfg.agency.handle, tag)}@{cfg.host}"
    return _show(rows, args, ["language", "name", "native_name", "channel"])


def cmd_list(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    rows = _run(args, lambda node: translations.list_translations(
        story_uuid=story_uuid(args.story) if args.story else None, status=args.status, locale=args.locale))
    return _show(rows, args, ["story", "language", "status", "method", "translator", "reviewer", "headline"])


def cmd_show(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    async def _go(node: Any) -> Any:
        story, row = await translations.get_translation(story_uuid(args.story), args.language)
        return translations.translation_json(row, story.uuid, args.locale, story)

    print_json(_run(args, _go))
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    body = _body(args, required=True)
    row = _run(args, lambda node: translations.submit_translation(
        node.fed, node.agency, story_uuid(args.story), language=args.language, headline=args.headline,
        summary=args.summary, body=body or "", body_format="markdown" if args.markdown else "html",
        translator=args.translator))
    print(f"{row.language} translation stored ({row.status}); approve it to send it out")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    body = _body(args, required=False)
    if body is None and args.headline is None and args.summary is None:
        raise CliError("nothing to change: give --headline, --summary, --body or --body-file")
    row = _run(args, lambda node: translations.edit_translation(
        node.fed, node.agency, story_uuid(args.story), args.language, headline=args.headline, summary=args.summary,
        body=body, body_format="markdown" if args.markdown else "html", editor=args.editor))
    sent = " and queued as a correction" if row.status == "approved" else ""
    print(f"{row.language} translation edited ({row.method}, {row.status}){sent}")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    fn = translations.approve if args.decision == "approve" else translations.reject
    row = _run(args, lambda node: fn(node.fed, node.agency, story_uuid(args.story), args.language, args.reviewer,
                                     args.note))
    print(f"{row.language} translation {row.status}; an Update is queued for followers")
    return 0


def cmd_decisions(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    rows = _run(args, lambda node: translations.decisions(
        story_uuid=story_uuid(args.story) if args.story else None, language=args.language))
    return _show(rows, args, ["at", "story", "language", "action", "actor", "status_after", "note"])


def cmd_request(args: argparse.Namespace) -> int:
    from node.translation import review as translations

    languages = [t for t in args.to.split(",") if t]
    jobs = _run(args, lambda node: translations.request_machine_translations(
        node.fed, node.agency, story_uuid(args.story), languages))
    print(f"queued {len(jobs)} translation job(s)")
    return 0


def cmd_offers(args: argparse.Namespace) -> int:
    from node.translation import offers

    if args.accept is not None or args.decline is not None:
        if args.accept is not None:
            row = _run(args, lambda node: offers.accept_offer(node.fed, node.agency, args.accept, args.editor))
            print(f"offer {args.accept} accepted: the {row.language} translation is approved and sent to followers")
        else:
            _run(args, lambda node: offers.decline_offer(node.fed, node.agency, args.decline, args.editor,
                                                         args.reason))
            print(f"offer {args.decline} declined; the offering agency is told")
        return 0
    if args.withdraw is not None:
        _run(args, lambda node: offers.withdraw_offer(node.fed, node.agency, args.withdraw))
        print(f"offer {args.withdraw} withdrawn; the origin is told (a running node or worker sends it)")
        return 0
    if args.sent:
        rows = _run(args, lambda node: offers.list_sent_offers(node.fed))
        return _show(rows, args, ["id", "language", "state", "note", "story"])
    rows = _run(args, lambda node: offers.list_offers(args.state, args.locale))
    return _show(rows, args, ["id", "state", "language", "agency_handle", "translator", "headline"])


def cmd_offer(args: argparse.Namespace) -> int:
    from node.translation import offers

    body = _body(args, required=True)
    row = _run(args, lambda node: offers.offer_translation(
        node.fed, node.agency, args.story, language=args.language, headline=args.headline, summary=args.summary,
        body=body or "", body_format="markdown" if args.markdown else "html", translator=args.translator))
    print(f"{row.language} translation offered to the story's origin (a running node or worker sends it)")
    return 0


def _texts(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--headline", required=required)
    p.add_argument("--summary", default="" if required else None)
    p.add_argument("--body", default="", help="the translated body (HTML, or Markdown with --markdown)")
    p.add_argument("--body-file", help="read the body from a file ('-' for standard input)")
    p.add_argument("--markdown", action="store_true", help="the body is Markdown")


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--locale", default="en", help="name languages in this language (default en)")
    common.add_argument("--json", action="store_true", help="print JSON")
    p = add("languages", cmd_languages, "list the agency's languages and language channels with their names")
    p.add_argument("--locale", default="en", help="name the languages in this language (default en)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("translations", cmd_list, "list, show, submit, edit, approve and reject translations of own stories")
    p.set_defaults(story=None, status=None, language=None, locale="en", json=False)
    sub = p.add_subparsers(dest="action", metavar="ACTION")

    def action(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_, description=help_, parents=[common])
        q.set_defaults(fn=fn)
        return q

    q = action("list", cmd_list, "list translations (the review queue with --status pending_review)")
    q.add_argument("--story", help="only this story (id or URL)")
    q.add_argument("--status", choices=["draft", "pending_review", "approved", "rejected"])
    q = action("show", cmd_show, "print one translation with its provenance")
    q.add_argument("story")
    q.add_argument("language")
    q = action("submit", cmd_submit, "store a human translation (it waits for review)")
    q.add_argument("story")
    q.add_argument("--language", required=True, help="BCP 47 tag, e.g. ru, kk, uz-Latn")
    q.add_argument("--translator", default="", help="who translated it")
    _texts(q, required=True)
    q = action("edit", cmd_edit, "change a translation's texts (machine output becomes machine+human)")
    q.add_argument("story")
    q.add_argument("language")
    q.add_argument("--editor", default="", help="who edited it")
    _texts(q, required=False)
    for name, help_ in (("approve", "approve a translation: it goes out at once as an Update"),
                        ("reject", "reject a translation (withdrawn from partners if it was out)")):
        q = action(name, cmd_decide, help_)
        q.set_defaults(decision=name)
        q.add_argument("story")
        q.add_argument("language")
        q.add_argument("--reviewer", default="", help="who decided")
        q.add_argument("--note", default="", help="why")
    q = action("decisions", cmd_decisions, "the audit trail of every decision on translations")
    q.add_argument("--story", help="only this story (id or URL)")
    q.add_argument("--language", help="only this language")
    q = action("request", cmd_request, "ask the translation engine for machine translations")
    q.add_argument("story")
    q.add_argument("--to", required=True, help="comma-separated BCP 47 tags")

    p = add("offers", cmd_offers, "translations partners offered for our stories: list, accept, decline; "
                                  "--sent and --withdraw for the ones we offered")
    p.add_argument("--state", choices=["offered", "accepted", "declined", "withdrawn"],
                   help="only offers in this state")
    p.add_argument("--accept", type=int, metavar="ID", help="accept this offer into its story")
    p.add_argument("--decline", type=int, metavar="ID", help="decline this offer")
    p.add_argument("--editor", default="", help="who decided")
    p.add_argument("--reason", default="", help="why (sent to the offering agency)")
    p.add_argument("--sent", action="store_true", help="list the translations we offered to others instead")
    p.add_argument("--withdraw", type=int, metavar="ID",
                   help="withdraw an offer we made (its id from --sent) before its origin decides")
    p.add_argument("--locale", default="en", help="language names in this language")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("offer", cmd_offer, "translate a partner's wire story and offer it to its origin")
    p.add_argument("story", help="the wire story's URL")
    p.add_argument("--language", required=True, help="BCP 47 tag of the translation")
    p.add_argument("--translator", default="", help="who translated it")
    _texts(p, required=True)
