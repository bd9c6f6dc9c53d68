"""The `agency-node` command line: set up, migrate, run, publish, follow and inspect a node.

Every command has --help; a failure prints one plain line on stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

from node import __version__
from node.config import Config, ConfigError, hash_token, load_config, redact_url

ENV_CONFIG = "AGENCY_NODE_CONFIG"
EXIT_USAGE, EXIT_FAIL = 2, 1


class CliError(Exception):
    """A command failed; the message is shown as is."""


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "") if r.get(c) is not None else "-").ljust(widths[c]) for c in columns))


# -- running things inside a node -------------------------------------------------------------------------------

async def _with_node(config: Config, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    from node.runtime import Node

    await _require_migrated(config)
    node = Node(config)
    await node.start()
    try:
        return await node.run(fn, node)
    finally:
        await node.stop()


async def _require_migrated(config: Config) -> None:
    from tortoise.context import TortoiseContext

    from node.db import activate, pending_migrations

    async def _check() -> list[str]:
        activate(TortoiseContext())
        return await pending_migrations(config.database_url)

    try:
        pending = await asyncio.get_running_loop().create_task(_check())
    except Exception as exc:  # cannot reach the database at all
        raise CliError(f"cannot open the database {_safe_url(config.database_url)} "
                       f"({config.database_url_from}): {exc}") from None
    if pending:
        raise CliError(f"the database schema is not current ({', '.join(pending)} pending): "
                       "run `agency-node migrate` first")


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return redact_url(url)


# -- commands ----------------------------------------------------------------------------------------------------

_TEMPLATE = '''# Agency Node configuration (written by `agency-node init`). Every key: see node.example.toml.
[node]
base_url = "{base_url}"
listen_host = "{listen_host}"
listen_port = {listen_port}
database_url = "{database_url}"

[agency]
handle = "{handle}"
name = "{name}"
summary = "{summary}"
languages = [{languages}]
manually_approves_followers = false

[api]
# SHA-256 of the editor API token printed once by `agency-node init`. Override with AGENCY_NODE_API_TOKEN.
token_sha256 = "{token_hash}"

[federation]
# Loopback and private peers are refused unless allowed (set true only for local testing).
allow_private_addresses = {allow_private}
'''


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.config)
    if path.exists() and args.if_missing and not args.force:
        config = load_config(path)
        print(f"{path} exists: keeping it")
        _migrate(config)
        return 0
    if path.exists() and not args.force:
        raise CliError(f"{path} already exists (use --force to overwrite, or --if-missing to keep it)")
    token = secrets.token_urlsafe(32)
    base_url = args.base_url or f"http://127.0.0.1:{args.port}"
    text = _TEMPLATE.format(
        base_url=base_url, listen_host=args.listen_host, listen_port=args.port,
        database_url=args.database_url or f"sqlite://{args.handle}.sqlite3", handle=args.handle,
        name=args.name.replace('"', '\\"'), summary=args.summary.replace('"', '\\"'),
        languages=", ".join(f'"{lang}"' for lang in args.languages.split(",") if lang),
        token_hash=hash_token(token), allow_private="true" if args.allow_private else "false",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        config = load_config(tmp)  # with the environment's overrides: they decide which database init sets up
    except ConfigError as exc:
        tmp.unlink()
        raise CliError(str(exc).replace(str(tmp), "init")) from None
    os.replace(tmp, path)
    print(f"wrote {path}")
    _migrate(config)
    asyncio.run(_with_node(config, lambda node: asyncio.sleep(0)))  # generates the key pairs
    print(f"generated keys for @{config.agency.handle}@{config.host} and the instance actor")
    print(f"editor API token (shown once, keep it safe): {token}")
    return 0


def _migrate(config: Config) -> list[str]:
    from tortoise.context import TortoiseContext

    from node.db import activate, migrate

    async def _run() -> list[str]:
        async def _inner() -> list[str]:
            activate(TortoiseContext())
            return await migrate(config.database_url, progress=lambda line: print(f"  {line}", flush=True))
        return await asyncio.get_running_loop().create_task(_inner())

    try:
        applied = asyncio.run(_run())
    except Exception as exc:
        raise CliError(f"migration failed on {_safe_url(config.database_url)} ({config.database_url_from}): {exc}"
                       ) from None
    print(f"database {_safe_url(config.database_url)}: "
          + (f"applied {len(applied)} migration(s)" if applied else "schema already current"))
    return applied


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate(args.cfg)
    return 0


def _setup_logging(config: Config) -> None:
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Their DEBUG lines print every query's parameters: private keys, stored payloads. Secrets are never logged.
    for name in ("tortoise.db_client", "aiosqlite", "asyncpg"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(config.log_level)))


def cmd_run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from node.web.app import create_app

    config: Config = args.cfg
    _setup_logging(config)
    # Bound before anything starts, so a port already in use is one plain line, not a traceback after the workers
    # have started.
    sock = _listening_socket(config.listen_host, config.listen_port)
    asyncio.run(_require_migrated(config))
    app = create_app(config, run_workers=not args.no_workers)
    print(f"Agency Node {__version__}: @{config.agency.handle}@{config.host} on "
          f"http://{config.listen_host}:{config.listen_port} (public URL {config.base_url})", flush=True)
    web.run_app(app, sock=sock, print=None,
                access_log=None if not args.access_log else logging.getLogger("aiohttp.access"))
    return 0


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening; CliError naming the address when that fails."""
    try:
        family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror} (check [node] listen_host)") from None
    dualstack = family == socket.AF_INET6 and host in ("", "::") and socket.has_dualstack_ipv6()
    try:
        return socket.create_server((host, port), family=family, backlog=128, dualstack_ipv6=dualstack)
    except OSError as exc:
        hint = " (another process is using it; stop it or change [node] listen_port)" \
            if exc.errno == errno.EADDRINUSE else ""
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise CliError(f"cannot listen on {host}:{port}: {reason}{hint}") from None


def cmd_worker(args: argparse.Namespace) -> int:
    from node.runtime import Node

    config: Config = args.cfg
    _setup_logging(config)

    async def _main() -> None:
        await _require_migrated(config)
        node = Node(config)
        await node.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        node.start_workers()
        print(f"worker for @{config.agency.handle}@{config.host} running (Ctrl-C to stop)", flush=True)
        await stop.wait()
        await node.stop()

    asyncio.run(_main())
    return 0


def _read_body(args: argparse.Namespace) -> str:
    if args.body_file == "-":
        return sys.stdin.read()
    try:
        return Path(args.body_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {args.body_file}: {exc.strerror}") from None


def cmd_publish(args: argparse.Namespace) -> int:
    from marshmallow import ValidationError

    from node.stories import publishing, queries
    from schemas.editor import StoryInputSchema

    body = _read_body(args) if args.body_file else args.body
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

    try:
        doc = asyncio.run(_with_node(args.cfg, _go))
    except publishing.StoryError as exc:
        raise CliError(exc.detail) from None
    if doc["state"] == "scheduled":
        print(f"scheduled {doc['url']} for release at {doc['embargoed_until']} (queued for "
              f"{sum(doc['deliveries'].values())} trusted partner inbox(es) now; a running node releases it)")
        return 0
    print(f"published {doc['url']} (queued for {sum(doc['deliveries'].values())} inbox(es); "
          "a running node or worker delivers them)")
    return 0


def _story_uuid(ref: str) -> str:
    return ref.rstrip("/").rsplit("/", 1)[-1]


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
    body = _read_body(args) if args.body_file else args.body

    async def _go(node: Any) -> Any:
        story = await publishing.get_story(_story_uuid(args.story))
        data = publishing.StoryInput(
            headline=args.headline or story.headline, body=body or story.body_html,
            body_format="markdown" if (body and args.markdown) else "html", language=story.language,
            summary=story.summary if args.summary is None else args.summary, hashtags=tuple(story.hashtags),
            canonical_url=story.canonical_url, urgency=story.urgency, subjects=tuple(story.subjects or ()),
            embargoed_until=story.embargoed_until, correction_note=notes)
        story = await publishing.update(node.fed, node.agency, story.uuid, data, hooks=node.story_hooks)
        return story.uuid, story.version, len(await revisions.story_revisions(story))

    try:
        uuid, version, count = asyncio.run(_with_node(args.cfg, _go))
    except publishing.StoryError as exc:
        raise CliError(exc.detail) from None
    print(f"corrected {uuid}: revision {version} ({count} revisions stored); the Update is queued for followers")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    from node.stories import kills, publishing, queries

    async def _go(node: Any) -> Any:
        story = await kills.kill(node.fed, node.agency, _story_uuid(args.story), args.reason)
        return story.uuid, (await queries.delivery_summary([story.id])).get(story.id, {})

    try:
        uuid, deliveries = asyncio.run(_with_node(args.cfg, _go))
    except publishing.StoryError as exc:
        raise CliError(exc.detail) from None
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
            node.fed, node.agency, doc, default_language=config.agency.languages[0], hooks=node.story_hooks)
        summary = await queries.delivery_summary([story.id])
        return queries.story_json(story, node.urls.story(story.uuid), summary.get(story.id, {})), action, notes

    try:
        doc_out, action, notes = asyncio.run(_with_node(config, _go))
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
        return await revisions.story_revisions(await publishing.get_story(_story_uuid(args.story)))

    try:
        rows = asyncio.run(_with_node(args.cfg, _go))
    except publishing.StoryError as exc:
        raise CliError(exc.detail) from None
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            r["note"] = "; ".join(f"{k}: {v}" for k, v in r.get("correctionNoteMap", {}).items())
        _table(rows, ["revision", "updated", "correction", "contentHash", "note"])
    return 0


def _follow_cmd(args: argparse.Namespace, fn_name: str) -> int:
    from node.network import following

    async def _go(node: Any) -> Any:
        return await getattr(following, fn_name)(node.fed, node.agency, args.handle)

    try:
        result = asyncio.run(_with_node(args.cfg, _go))
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
    from node.stories import queries

    async def _go(node: Any) -> Any:
        if args.approve is not None or args.reject is not None:
            fid = args.approve if args.approve is not None else args.reject
            await following.decide(node.fed, node.agency, fid, approve=args.approve is not None)
        return await queries.followers(node.agency, args.state)

    try:
        rows = asyncio.run(_with_node(args.cfg, _go))
    except following.FollowError as exc:
        raise CliError(f"{exc.title}: {exc.detail}") from None
    _print_json(rows) if args.json else _table(rows, ["id", "handle", "state", "actor", "since"])
    return 0


def cmd_following(args: argparse.Namespace) -> int:
    from node.stories import queries

    rows = asyncio.run(_with_node(args.cfg, lambda node: queries.following(node.agency)))
    _print_json(rows) if args.json else _table(rows, ["id", "handle", "state", "actor", "since"])
    return 0


def cmd_wire(args: argparse.Namespace) -> int:
    from node.stories import queries

    rows = asyncio.run(_with_node(args.cfg, lambda node: queries.wire(
        agency=args.agency, language=args.language, limit=args.limit)))
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            r["proof_status"] = r["proof"]["status"]
        _table(rows, ["received", "agency", "language", "headline", "signature", "proof_status", "id"])
    return 0


def cmd_deliveries(args: argparse.Namespace) -> int:
    from node.stories import publishing, queries

    async def _go(node: Any) -> Any:
        if args.story:
            story = await publishing.get_story(args.story.rstrip("/").rsplit("/", 1)[-1])
            return await queries.story_deliveries(story)
        return [{**queries.story_json(s, node.urls.story(s.uuid)), "deliveries": d}
                for s, d in await queries.list_stories(limit=args.limit)]

    try:
        rows = asyncio.run(_with_node(args.cfg, _go))
    except publishing.StoryError as exc:
        raise CliError(exc.detail) from None
    if args.json:
        _print_json(rows)
    elif args.story:
        _table(rows, ["type", "inbox", "state", "attempts", "last_status", "last_error"])
    else:
        for r in rows:
            r["status"] = ", ".join(f"{k} {v}" for k, v in sorted(r["deliveries"].items())) or "no followers"
        _table(rows, ["id", "state", "language", "headline", "status"])
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from node.stories import publishing
    from node.translation.models import TranslationJob
    from node.translation.jobs import RequestRefused, checked_targets, queue_jobs
    from schemas.languages import normalize_tag

    try:
        targets = list(dict.fromkeys(normalize_tag(t) for t in args.to.split(",") if t.strip()))
    except ValueError as exc:
        raise CliError(f"--to: {exc}") from None
    if not targets:
        raise CliError("--to needs at least one language, e.g. --to ru,tr")

    async def _go(node: Any) -> list[Any]:
        if node.translation is None or node.translation_worker is None:
            raise CliError("no machine-translation engine is configured ([translation] engine and url)")
        story = await publishing.get_story(args.story.rstrip("/").rsplit("/", 1)[-1])
        if story.state != "published":
            raise CliError(f"story {story.uuid} was deleted")
        try:
            wanted = await checked_targets(story, targets)
        except RequestRefused as exc:
            raise CliError(exc.detail) from None
        await queue_jobs(story, wanted)
        done = []
        for tag in wanted:
            job = await TranslationJob.get(story_id=story.id, language=tag)
            print(f"{tag}: translating from {story.language} with {node.translation.engine.name}", flush=True)

            def _progress(p: Any, tag: str = tag) -> None:
                print(f"{tag}: chunk {p.done}/{p.total} sent ({p.chars} characters so far)", flush=True)

            job = await node.translation_worker.run_job(job.id, progress=_progress)
            done.append(job)
            if job.state == "translated":
                print(f"{tag}: translated", flush=True)
            else:
                print(f"{tag}: {job.state}: {job.last_error}", flush=True)
        return done

    try:
        jobs = asyncio.run(_with_node(args.cfg, _go))
    except publishing.StoryError as exc:
        raise CliError(exc.detail) from None
    failed = [j for j in jobs if j.state != "translated"]
    if failed:
        raise CliError(f"{len(failed)} of {len(jobs)} translation(s) not done: "
                       + "; ".join(f"{j.language} {j.state} ({j.last_error})" for j in failed)
                       + " - pending jobs are retried by the running node")
    return 0


def cmd_translation_jobs(args: argparse.Namespace) -> int:
    from node.translation.jobs import list_jobs

    rows = asyncio.run(_with_node(args.cfg, lambda node: list_jobs(
        args.story.rstrip("/").rsplit("/", 1)[-1] if args.story else None, args.state, args.limit)))
    if args.json:
        _print_json(rows)
    else:
        _table(rows, ["id", "story", "language", "state", "attempts", "next_attempt_at", "last_error"])
    return 0


def _read_document(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    from node.wire import verification

    is_url = args.source.startswith(("http://", "https://"))
    doc = None if is_url else _read_document(args.source)

    async def _go(node: Any) -> Any:
        if is_url:
            return await verification.verify_url(node, args.source)
        return await verification.verify_document(node, doc, source=args.source, compare=not args.no_compare)

    try:
        report = asyncio.run(_with_node(args.cfg, _go))
    except verification.Unreadable as exc:
        print(f"agency-node verify: {exc}", file=sys.stderr)
        return verification.EXIT_UNREADABLE
    if args.json:
        _print_json(report)
    else:
        origin = report.get("origin_copy") or {}
        for label, value in (("story", report["object"]), ("status", report["status"]),
                             ("origin", report["origin"]), ("key", report["key_id"]),
                             ("signed", report["created"]), ("expires", report["expires"]),
                             ("copy", origin.get("detail")), ("reason", report["reason"])):
            if value:
                print(f"{label + ':':9}{value}")
    return int(report["exit_code"])


def cmd_keys(args: argparse.Namespace) -> int:
    from node.identity import rotation
    from node.identity.proofkeys import assertion_methods
    from node.runtime import KEY_WATCH_SECONDS

    async def _go(node: Any) -> Any:
        if args.action == "rotate":
            return await rotation.rotate_keys(node)
        return {"actor": node.urls.actor(node.agency), "rsa_key": node.urls.key_id(node.agency),
                "assertionMethod": assertion_methods(node.urls, node.agency, node.proof_keys[node.agency])}

    result = asyncio.run(_with_node(args.cfg, _go))
    if args.json:
        _print_json(result)
    elif args.action == "rotate":
        print(f"rotated the keys of {result['actor']}")
        print(f"new Ed25519 key: {result['ed25519_key']}")
        print(f"retired (still listed with an end date): {len(result['retired_keys'])}")
        print(f"Update(actor) queued for {result['followers_inboxes']} inbox(es)")
        print(f"running `agency-node run` / `worker` processes sign with the new keys within "
              f"{KEY_WATCH_SECONDS:.0f} s")
    else:
        for key in result["assertionMethod"]:
            print(f"{key['id']}  {'expires ' + key['expires'] if key.get('expires') else 'current'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from node.demo import run_demo

    return asyncio.run(run_demo(Path(args.dir) if args.dir else None, keep=args.keep))


# -- parser ------------------------------------------------------------------------------------------------------

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

    p = add("init", cmd_init, "write a config file, create the database and the key pairs", needs_config=False)
    p.add_argument("--handle", default="agency", help="the agency's handle (a-z, 0-9, _), e.g. baku")
    p.add_argument("--name", default="News Agency", help="the agency's display name")
    p.add_argument("--summary", default="", help="a one-paragraph description")
    p.add_argument("--languages", default="en", help="comma-separated BCP 47 tags the agency publishes in")
    p.add_argument("--base-url", help="public URL of the node (default http://127.0.0.1:PORT)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--listen-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--database-url", help="database URL (default: a SQLite file next to the config)")
    p.add_argument("--allow-private", action="store_true",
                   help="allow fetching from loopback/private addresses (local testing only)")
    p.add_argument("--force", action="store_true", help="overwrite an existing config file")
    p.add_argument("--if-missing", action="store_true",
                   help="when the config file exists, keep it and only migrate (for scripts)")

    add("migrate", cmd_migrate, "create or upgrade the database schema (safe to run again)")
    p = add("run", cmd_run, "serve the node (web server and workers in one process)")
    p.add_argument("--no-workers", action="store_true", help="serve HTTP only; run `agency-node worker` beside it")
    p.add_argument("--access-log", action="store_true", help="log every HTTP request")
    add("worker", cmd_worker, "run the delivery and inbox workers only (for a second process)")

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
    p = add("wire", cmd_wire, "list stories received from followed agencies")
    p.add_argument("--agency", help="only from this agency (name@host, name, or actor URL)")
    p.add_argument("--language", help="only in this language (BCP 47)")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("deliveries", cmd_deliveries, "delivery status of own stories (or of one story per inbox)")
    p.add_argument("story", nargs="?", help="a story id or URL: show each inbox")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("translate", cmd_translate,
            "machine-translate one of our stories now (engine from [translation]), showing progress per chunk")
    p.add_argument("story", help="a story id or URL")
    p.add_argument("--to", required=True, metavar="LANGS", help="target languages, comma-separated: ru,tr")
    p = add("translation-jobs", cmd_translation_jobs, "list machine-translation jobs and their state")
    p.add_argument("--story", help="only the jobs of this story (id or URL)")
    p.add_argument("--state", choices=["pending", "translating", "translated", "dead", "cancelled"])
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("verify", cmd_verify, "check a story's proof, origin and integrity (a URL, a JSON file or - for stdin)")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("exit status: 0 verified, 3 unsigned, 4 tampered (the copy was altered after signing), "
                "5 key not listed by the origin, 6 proof or key expired, 7 malformed proof or key, "
                "8 origin unreachable and its key not cached, 9 story unreadable, 1 other failure")
    p.add_argument("source", help="a story (or activity) URL, a JSON file, or - for standard input")
    p.add_argument("--no-compare", action="store_true", help="do not compare a file with the origin's copy")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p = add("keys", cmd_keys, "list the agency's proof keys, or rotate its RSA and Ed25519 keys")
    p.add_argument("action", choices=["list", "rotate"],
                   help="list: the Multikeys in assertionMethod; rotate: new keys, old ones kept with an end date, "
                        "Update(actor) sent to followers")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("demo", cmd_demo, "run three agency nodes on loopback, federate them, and show what each received",
            needs_config=False)
    p.add_argument("--dir", help="where to keep the demo's databases (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the nodes running until Ctrl-C")
    from node.cli import translations as cli_translations

    cli_translations.register(add, sys.modules[__name__])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `agency-node` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.needs_config:
            args.cfg = load_config(args.config)
        return args.fn(args)
    except (ConfigError, CliError) as exc:
        print(f"agency-node {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
