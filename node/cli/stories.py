"""`agency-node publish`, `correct`, `kill`, `import`, `revisions` and `deliveries`: the agency's own stories
through their life, from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

from node.cli.common import Add, CliError, print_json, read_body, story_uuid, table, with_node
from node.config import Config


def _run(args: argparse.Namespace, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `fn` inside the node; a story the command cannot act on is one plain line."""
    from node.stories.errors import StoryError

    try:
        return asyncio.run(with_node(args.cfg, fn))
    except StoryError as exc:
        raise CliError(exc.detail) from None


def cmd_publish(args: argparse.Namespace) -> int:
    from marshmallow import ValidationError

    from node.stories import publishing, queries
    from schemas.editor import StoryInputSchema

    body = read_body(args) if args.body_file else args.body
    if not body:
        raise CliError("a story needs a body: --body TEXT or --body-file FILE")
    raw = {"headline": args.headline, "summary": args.summary or "", "body": body, "language": args.language,
           "body_format": "markdown" if args.markdown else "html", "hashtags": args.tag or [],
           "subjects": args.subject or []}
    if args.canonical_url:
        raw["canonical_url"] = args.canonical_url
    if args.urgency is not None:
        raw["urgency"] = args.urgency
    if args.embargo_until:
        raw["embargoed_until"] = args.embargo_until
    try:
        data = StoryInputSchema().load(raw)
    except ValidationError as exc:
        raise CliError("invalid story: " + "; ".join(f"{k}: {' '.join(map(str, v))}"
                                                     for k, v in exc.messages.items())) from None

    async def _go(node: Any) -> Any:
        story = await publishing.publish(node.fed, node.agency, publishing.StoryInput(
            headline=data["headline"], body=data["body"], language=data["language"], summary=data["summary"],
            body_format=data["body_format"], hashtags=tuple(data["hashtags"]),
            canonical_url=data.get("canonical_url"), urgency=data.get("urgency"),
            subjects=tuple(data["subjects"]), embargoed_until=data.get("embargoed_until")), hooks=node.story_hooks)
        summary = await queries.delivery_summary([story.id])
        return queries.story_json(story, node.urls.story(story.uuid), summary.get(story.id, {}))

    doc = _run(args, _go)
    if doc["state"] == "scheduled":
        print(f"scheduled {doc['url']} for release at {doc['embargoed_until']} (queued for "
              f"{sum(doc['deliveries'].values())} trusted partner inbox(es) now; a running node releases it)")
        return 0
    print(f"published {doc['url']} (queued for {sum(doc['deliveries'].values())} inbox(es); "
          "a running node or worker delivers them)")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from node.stories import publishing, revisions
    from schemas.editor import validate_language

    notes: dict[str, str] = {}
    for item in args.note:
        lang, sep, text = item.partition("=")
        if not sep or not text.strip():
            raise CliError(f"--note must be LANGUAGE=TEXT, e.g. az=\"The date was wrong\" (got {item!r})")
        try:
            validate_language(lang)
        except Exception as exc:  # marshmallow.ValidationError: show its message on one line
            raise CliError(f"--note {lang}: {' '.join(getattr(exc, 'messages', [str(exc)]))}") from None
        notes[lang] = text.strip()
    body = read_body(args) if args.body_file else args.body

    async def _go(node: Any) -> Any:
        story = await publishing.get_story(story_uuid(args.story))
        data = publishing.StoryInput(
            headline=args.headline or story.headline, body=body or story.body_html,
            body_format="markdown" if (body and args.markdown) else "html", language=story.language,
            summary=story.summary if args.summary is None else args.summary, hashtags=tuple(story.hashtags),
            canonical_url=story.canonical_url, urgency=story.urgency, subjects=tuple(story.subjects or ()),
            embargoed_until=story.embargoed_until, correction_note=notes)
        story = await publishing.update(node.fed, node.agency, story.uuid, data, hooks=node.story_hooks)
        return story.uuid, story.version, len(await revisions.story_revisions(story))

    uuid, version, count = _run(args, _go)
    print(f"corrected {uuid}: revision {version} ({count} revisions stored); the Update is queued for followers")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    from node.stories import kills, queries

    async def _go(node: Any) -> Any:
        story = await kills.kill(node.fed, node.agency, story_uuid(args.story), args.reason)
        return story.uuid, (await queries.delivery_summary([story.id])).get(story.id, {})

    uuid, deliveries = _run(args, _go)
    print(f"killed {uuid}: its URL now answers 410; {deliveries.get('cancelled', 0)} pending delivery(ies) "
          f"cancelled, Delete queued for {deliveries.get('queued', 0)} inbox(es)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from node.stories import ninjs as ninjs_exchange, publishing, queries

    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    config: Config = args.cfg

    async def _go(node: Any) -> Any:
        story, action, notes = await ninjs_exchange.import_ninjs(
            node.fed, node.agency, doc, default_language=config.agency.languages[0], hooks=node.story_hooks,
            media=node.media_fetcher)
        summary = await queries.delivery_summary([story.id])
        return queries.story_json(story, node.urls.story(story.uuid), summary.get(story.id, {})), action, notes

    try:
        doc_out, action, notes = asyncio.run(with_node(config, _go))
    except ninjs_exchange.NinjsError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    except publishing.StoryError as exc:
        raise CliError(f"{args.file}: {exc.detail}") from None
    verb = {"created": "scheduled" if doc_out["state"] == "scheduled" else "published"}.get(action, action)
    queued = doc_out["deliveries"].get("queued", 0)
    print(f"{verb} {doc_out['url']} from {args.file} ({queued} delivery(ies) queued)")
    for note in notes:
        print(f"  note: {note}")
    return 0


def cmd_revisions(args: argparse.Namespace) -> int:
    from node.stories import publishing, revisions

    async def _go(node: Any) -> Any:
        return await revisions.story_revisions(await publishing.get_story(story_uuid(args.story)))

    rows = _run(args, _go)
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            r["note"] = "; ".join(f"{k}: {v}" for k, v in r.get("correctionNoteMap", {}).items())
        table(rows, ["revision", "updated", "correction", "contentHash", "note"])
    return 0


def cmd_deliveries(args: argparse.Namespace) -> int:
    from node.stories import publishing, queries

    async def _go(node: Any) -> Any:
        if args.story:
            story = await publishing.get_story(story_uuid(args.story))
            return await queries.story_deliveries(story)
        return [{**queries.story_json(s, node.urls.story(s.uuid)), "deliveries": d}
                for s, d in await queries.list_stories(limit=args.limit)]

    rows = _run(args, _go)
    if args.json:
        print_json(rows)
    elif args.story:
        table(rows, ["type", "inbox", "state", "attempts", "last_status", "last_error"])
    else:
        for r in rows:
            r["status"] = ", ".join(f"{k} {v}" for k, v in sorted(r["deliveries"].items())) or "no followers"
        table(rows, ["id", "state", "language", "headline", "status"])
    return 0


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("publish", cmd_publish, "publish a story and queue it for every follower")
    p.add_argument("--headline", required=True)
    p.add_argument("--summary", default="")
    p.add_argument("--body", default="", help="the story body (HTML, or Markdown with --markdown)")
    p.add_argument("--body-file", help="read the body from a file ('-' for standard input)")
    p.add_argument("--markdown", action="store_true", help="the body is Markdown")
    p.add_argument("--language", required=True, help="BCP 47 tag, e.g. az, tr, kk, uz-Latn, zh-Hans")
    p.add_argument("--tag", action="append", help="a hashtag (repeatable)")
    p.add_argument("--canonical-url", help="the story's page on the agency's own site")
    p.add_argument("--urgency", type=int, choices=range(1, 10), metavar="1-9",
                   help="IPTC urgency, 1 (flash) to 9 (lowest)")
    p.add_argument("--subject", action="append", metavar="medtop:NNNNNNNN",
                   help="an IPTC Media Topic code (repeatable)")
    p.add_argument("--embargo-until", metavar="TIME",
                   help="hold the story until this time (RFC 3339 with a zone, e.g. 2026-12-01T09:00:00Z); "
                        "trusted partners receive it now, with the embargo")

    p = add("correct", cmd_correct, "correct a story: store a new revision with a correction note and send Update")
    p.add_argument("story", help="the story id or URL")
    p.add_argument("--note", action="append", required=True, metavar="LANG=TEXT",
                   help="the correction note in one language of the story (repeat for each language)")
    p.add_argument("--headline", help="the corrected headline")
    p.add_argument("--summary", help="the corrected summary")
    p.add_argument("--body", default="", help="the corrected body (HTML, or Markdown with --markdown)")
    p.add_argument("--body-file", help="read the corrected body from a file ('-' for standard input)")
    p.add_argument("--markdown", action="store_true", help="the body is Markdown")

    p = add("kill", cmd_kill, "retract a story: send Delete with the reason, cancel its pending deliveries")
    p.add_argument("story", help="the story id or URL")
    p.add_argument("--reason", required=True, help="why the story is retracted (sent to every follower)")

    p = add("import", cmd_import, "publish a story from an IPTC ninjs 3.x or 2.x file (as a newsroom CMS exports); "
                                  "the same uri again updates, corrects or (pubStatus canceled) kills it")
    p.add_argument("file", help="the ninjs JSON file ('-' for standard input)")

    p = add("revisions", cmd_revisions, "list the stored revisions of a story")
    p.add_argument("story", help="the story id or URL")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("deliveries", cmd_deliveries, "delivery status of own stories (or of one story per inbox)")
    p.add_argument("story", nargs="?", help="a story id or URL: show each inbox")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print JSON")
