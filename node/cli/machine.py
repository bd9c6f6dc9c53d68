"""`agency-node translate` and `translation-jobs`: machine translation of own stories, with progress."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from node.cli.common import Add, CliError, print_json, story_uuid, table, with_node


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
        story = await publishing.get_story(story_uuid(args.story))
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
        jobs = asyncio.run(with_node(args.cfg, _go))
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

    rows = asyncio.run(with_node(args.cfg, lambda node: list_jobs(
        story_uuid(args.story) if args.story else None, args.state, args.limit)))
    if args.json:
        print_json(rows)
    else:
        table(rows, ["id", "story", "language", "state", "attempts", "next_attempt_at", "last_error"])
    return 0


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("translate", cmd_translate,
            "machine-translate one of our stories now (engine from [translation]), showing progress per chunk")
    p.add_argument("story", help="a story id or URL")
    p.add_argument("--to", required=True, metavar="LANGS", help="target languages, comma-separated: ru,tr")
    p = add("translation-jobs", cmd_translation_jobs, "list machine-translation jobs and their state")
    p.add_argument("--story", help="only the jobs of this story (id or URL)")
    p.add_argument("--state", choices=["pending", "translating", "translated", "dead", "cancelled"])
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true", help="print JSON")
