"""`agency-node media add|list|search|show`: the media stock from the command line (a progress line for large
files; filters as `node.media.search` describes them)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, AsyncIterator

from node.cli.common import Add, CliError, print_json, table, with_node

CHUNK = 1024 * 1024
PROGRESS_FROM = 8 * CHUNK  # files smaller than this are read without a progress line


def _fields(args: argparse.Namespace, default_language: str) -> dict[str, Any]:
    from marshmallow import ValidationError

    from schemas.media import media_input

    raw: dict[str, Any] = {k: v for k, v in (("alt", args.alt), ("caption", args.caption), ("credit", args.credit),
                                            ("copyright", args.copyright), ("usage_terms", args.usage_terms),
                                            ("digital_source_type", args.source_type),
                                            ("language", args.language)) if v is not None}
    try:
        return media_input(raw, default_language=default_language)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"input": exc.messages}
        raise CliError("; ".join(f"{k.replace('digital_source_type', '--source-type')}: {' '.join(map(str, v))}"
                                 for k, v in messages.items())) from None


async def _read(path: Path, size: int) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    done, shown = 0, -1
    with path.open("rb") as f:
        while chunk := await loop.run_in_executor(None, f.read, CHUNK):
            done += len(chunk)
            if size >= PROGRESS_FROM and (percent := done * 100 // size) != shown:
                shown = percent
                print(f"\r  {path.name}: {done / 2**20:,.1f} of {size / 2**20:,.1f} MiB ({percent}%)", end="",
                      file=sys.stderr, flush=True)
            yield chunk
    if size >= PROGRESS_FROM:
        print(file=sys.stderr)


def cmd_media_add(args: argparse.Namespace) -> int:
    from node.media import stock
    from node.media.routes import media_url

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    fields = _fields(args, args.cfg.agency.languages[0])

    async def _go(node: Any) -> Any:
        item, created = await stock.add(node.media_store, _read(path, path.stat().st_size), fields,
                                        limits=stock.limits_of(node.config.media), filename=path.name,
                                        credentials=node.c2pa_credentials)
        return stock.item_json(item, media_url(node, item.sha256)), created

    try:
        doc, created = asyncio.run(with_node(args.cfg, _go))
    except stock.MediaError as exc:
        raise CliError(f"{path}: {exc.detail}") from None
    if args.json:
        print_json(doc)
    else:
        print(f"{'added' if created else 'already in the stock:'} {doc['kind']} {doc['media_type']}, "
              f"{doc['size']:,} bytes: {doc['url']}")
        for line in describe(doc):
            print(f"  {line}")
    return 0


def describe(doc: dict[str, Any]) -> list[str]:
    """What the stock made of a file, a line each: its size and length, what was removed, the derivatives."""
    lines = []
    if doc.get("width") and doc.get("height"):
        lines.append(f"{doc['width']} x {doc['height']} px"
                     + (f", {doc['duration']:.1f} s" if doc.get("duration") else ""))
    elif doc.get("duration"):
        lines.append(f"{doc['duration']:.1f} s")
    if doc.get("removed_metadata"):
        lines.append("removed: " + ", ".join(doc["removed_metadata"]))
    for name, r in (doc.get("renditions") or {}).items():
        lines.append(f"{name}: {r['width']} x {r['height']} px, {r['size']:,} bytes: {r['url']}")
    return lines


def _filters(args: argparse.Namespace, text: str | None) -> dict[str, Any]:
    return {"q": text, "agency": args.agency, "kind": args.kind, "language": args.language, "since": args.since,
            "until": args.until, "credit": args.credit, "limit": args.limit, "offset": args.offset}


def _find(args: argparse.Namespace, text: str | None) -> int:
    """List or search the stock with the command's filters: a table, or JSON with --json."""
    from node.media import search
    from node.media.routes import media_url, own_names

    try:
        filters = search.parse_filters(_filters(args, text))
    except search.FilterError as exc:
        raise CliError(_option_error(exc)) from None

    async def _go(node: Any) -> Any:
        page = await search.search(filters, own=own_names(node))
        return search.page_json(page, lambda sha: media_url(node, sha)), page.next_offset

    try:
        rows, next_offset = asyncio.run(with_node(args.cfg, _go))
    except search.FilterError as exc:
        raise CliError(_option_error(exc)) from None
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        r["from"] = r.get("origin_agency") or "own"
        r["created"] = r["created"][:10]
        r["text"] = next(iter(r["alt"].values()), "") or next(iter(r["caption"].values()), "")
        if len(r["text"]) > 60:
            r["text"] = r["text"][:59] + "…"
    table(rows, ["id", "kind", "created", "from", "credit", "text"])
    if next_offset is not None:
        print(f"(more: --offset {next_offset})", file=sys.stderr)
    return 0


def _option_error(exc: Any) -> str:
    option = {"q": "TEXT", "limit": "--limit", "offset": "--offset"}.get(exc.parameter, f"--{exc.parameter}")
    return f"{option}: {exc.message}"


def cmd_media_list(args: argparse.Namespace) -> int:
    return _find(args, None)


def cmd_media_search(args: argparse.Namespace) -> int:
    return _find(args, args.text)


def cmd_media_show(args: argparse.Namespace) -> int:
    from node.media import stock
    from node.media.routes import media_url

    async def _go(node: Any) -> Any:
        item = await stock.get_item(args.id.rstrip("/").rsplit("/", 1)[-1])
        return stock.item_json(item, media_url(node, item.sha256))

    try:
        print_json(asyncio.run(with_node(args.cfg, _go)))
    except stock.MediaError as exc:
        raise CliError(exc.detail) from None
    return 0


def _filter_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--agency", help="own, partners, or one partner by actor URI or handle (user@host)")
    q.add_argument("--kind", help="image, video, audio or document")
    q.add_argument("--language", help="with alt text or a caption in this language (zh also finds zh-Hans)")
    q.add_argument("--since", metavar="DATE", help="added on or after this date (2026-12-01) or time (RFC 3339)")
    q.add_argument("--until", metavar="DATE", help="added before the end of this date, or before this time")
    q.add_argument("--credit", help="a part of the credit line (any case)")
    q.add_argument("--limit", help="at most this many items (1-500, default 50)")
    q.add_argument("--offset", help="skip this many items (to page on)")


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("media", cmd_media_list, "add files to the media stock, list, search and show them")
    p.set_defaults(json=False, **{name: None for name in ("agency", "kind", "language", "since", "until", "credit",
                                                          "limit", "offset")})
    sub = p.add_subparsers(dest="action", metavar="ACTION")

    def action(name: str, fn: Any, help_: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_, description=help_)
        q.set_defaults(fn=fn)
        q.add_argument("--json", action="store_true", help="print JSON")
        return q

    q = action("add", cmd_media_add, "add a photo, video, audio file or PDF (its type is read from its bytes)")
    q.add_argument("file", help="the file to add")
    q.add_argument("--alt", help="alt text (what the image shows), in --language")
    q.add_argument("--caption", help="the caption, in --language")
    q.add_argument("--language", help="the language of --alt and --caption (default: the agency's first)")
    q.add_argument("--credit", help="credit line / byline, e.g. 'Baku News Agency / R. Aliyev'")
    q.add_argument("--copyright", help="copyright notice")
    q.add_argument("--usage-terms", dest="usage_terms", help="usage terms")
    q.add_argument("--source-type", dest="source_type", metavar="CODE",
                   help="IPTC digital source type, e.g. digitalCapture, trainedAlgorithmicMedia")
    q = action("list", cmd_media_list, "list the stock (own and received items), newest first")
    _filter_options(q)
    q = action("search", cmd_media_search, "search alt texts, captions (any language), credits and file names")
    q.add_argument("text", help="the words to find (each must be there; quotes, * and - are plain text)")
    _filter_options(q)
    q = action("show", cmd_media_show, "print one item (by its SHA-256 or URL)")
    q.add_argument("id", help="the item's SHA-256 or its /media/ URL")
