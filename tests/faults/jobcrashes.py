"""The crash suite's kill points in the node's background jobs: machine translation and the fetching of partners'
media. `tests.faults.crashes.CrashRun` runs them like its other kinds and calls the checks here after each drain.

- `translation`: stories published while the engine (the LibreTranslate stand-in, `tests.libretranslate_stub`,
  made slow) is translating them; killed while jobs are `translating`. After the restart every story has exactly
  one job per target language, `translated`, and one stored translation whose text is the engine's whole answer
  (the job's result), never a part of it.
- `media-fetch`: a followed agency sends stories with pictures that `MediaServer` trickles out slowly; killed while
  files are being fetched and stored. After the restart every file is in the stock once, its bytes those served
  (SHA-256 of the stored file), with one stock item per file, and no half-written temporary file is left.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tests.faults.receiver import PUBLIC, Agency

TARGETS = ("ru",)  # machine translation targets of the crash node (one keeps the publish rounds light)


class MediaServer:
    """The followed agency's media files (JPEGs, distinct bytes each), sent in small chunks with pauses so that a
    fetch takes about `seconds` and a kill lands in the middle of it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.files: dict[str, bytes] = {}
        self.seconds = 0.0
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, port: int) -> None:
        self.port = port
        app = web.Application()
        app.router.add_get("/media/{name}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add(self) -> str:
        """A new picture; its URL."""
        from PIL import Image

        image = Image.effect_noise((160, 120), self.rng.uniform(20, 90)).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        name = f"{uuid.uuid4().hex}.jpg"
        self.files[name] = out.getvalue()
        return f"http://127.0.0.1:{self.port}/media/{name}"

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = self.files.get(request.match_info["name"])
        if body is None:
            return web.Response(status=404)
        resp = web.StreamResponse(headers={"Content-Type": "image/jpeg", "Content-Length": str(len(body))})
        await resp.prepare(request)
        pieces = 8
        step = -(-len(body) // pieces)
        try:
            for i in range(0, len(body), step):
                await resp.write(body[i:i + step])
                if self.seconds:
                    await asyncio.sleep(self.seconds / pieces)
            await resp.write_eof()
        except ConnectionResetError:  # the node was killed while fetching: what this suite is for
            pass
        return resp


def create_with_media(agency: Agency, tag: str, urls: list[str]) -> bytes:
    """A Create of a story carrying pictures (`urls`), as a followed agency sends it."""
    now = datetime.now(timezone.utc).isoformat()
    story = f"{agency.origin}/stories/{tag}"
    return orjson.dumps({
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{agency.origin}/activities/{tag}",
        "type": "Create", "actor": agency.actor, "published": now, "to": [PUBLIC],
        "object": {"id": story, "type": "Article", "attributedTo": agency.actor, "url": story, "published": now,
                   "name": f"Pictures {tag}", "summary": "A story with pictures.", "to": [PUBLIC],
                   "content": "<p>Harvest pictures from the northern regions.</p>",
                   "attachment": [{"type": "Image", "mediaType": "image/jpeg", "url": u, "name": "Harvest"}
                                  for u in urls]}})


async def send_media_stories(session: Any, inbox: str, agency: Agency, media: MediaServer, stories: int,
                             per_story: int) -> set[str]:
    """POST `stories` signed Creates with `per_story` pictures each; the activity ids answered 2xx."""
    answered = set()
    for _ in range(stories):
        tag = uuid.uuid4().hex
        body = create_with_media(agency, tag, [media.add() for _ in range(per_story)])
        async with session.post(inbox, data=body, headers=agency.signed(inbox, body)) as resp:
            await resp.read()
            assert resp.status < 300, resp.status
            answered.add(f"{agency.origin}/activities/{tag}")
    return answered


async def pending_jobs() -> int:
    """Translation jobs and media fetches still to do (part of a drained node)."""
    from node.media.wire_models import WireMedia
    from node.translation.models import TranslationJob

    return (await TranslationJob.filter(state__in=["pending", "translating"]).count()
            + await WireMedia.filter(state__in=["waiting", "fetching"]).count())


async def busy_jobs() -> tuple[int, int]:
    """(translation jobs translating, media files fetching): what a kill interrupted."""
    from node.media.wire_models import WireMedia
    from node.translation.models import TranslationJob

    return (await TranslationJob.filter(state="translating").count(),
            await WireMedia.filter(state="fetching").count())


async def check_translations(problems: list[str]) -> int:
    """Every published story: one job per target, translated; one stored translation, the job's whole result.
    Returns how many translations were checked."""
    from node.stories.models import Story
    from node.translation.models import StoryTranslation, TranslationJob

    stories = dict(await Story.filter(state="published").values_list("id", "uuid"))
    jobs: dict[tuple[int, str], list[Any]] = {}
    for job in await TranslationJob.filter(story_id__in=list(stories)):
        jobs.setdefault((job.story_id, job.language), []).append(job)  # type: ignore[attr-defined]
    kept: dict[tuple[int, str], list[Any]] = {}
    for t in await StoryTranslation.filter(story_id__in=list(stories)):
        kept.setdefault((t.story_id, t.language), []).append(t)  # type: ignore[attr-defined]
    checked = 0
    for sid, uid in stories.items():
        for lang in TARGETS:
            found, stored = jobs.get((sid, lang), []), kept.get((sid, lang), [])
            if len(found) != 1 or found[0].state != "translated":
                problems.append(f"translation: story {uid} {lang}: jobs {[j.state for j in found]}")
                continue
            if len(stored) != 1:
                problems.append(f"translation: story {uid} {lang}: {len(stored)} stored translations")
                continue
            result, t = found[0].result or {}, stored[0]
            whole = (t.headline, t.summary, t.body_html) == (result.get("headline"), result.get("summary"),
                                                            result.get("body_html"))
            if not whole or not t.headline.startswith(f"[{lang}] ") or f"[{lang}]" not in t.body_html:
                problems.append(f"translation: story {uid} {lang}: stored text is not the engine's whole answer")
            checked += 1
    return checked


async def check_media(media: MediaServer, store_root: Path, problems: list[str]) -> int:
    """Every file served is in the stock once with the bytes served; no temporary file left. Returns how many
    files were checked."""
    from node.media.models import MediaItem
    from node.media.wire_models import WireMedia

    served = {f"http://127.0.0.1:{media.port}/media/{name}": hashlib.sha256(body).hexdigest()
              for name, body in media.files.items()}
    rows = await WireMedia.filter(url__in=list(served)).values_list("url", "state", "media_item_id")
    items = dict(await MediaItem.filter(sha256__in=list(served.values())).values_list("sha256", "id"))
    seen: dict[str, int] = {}
    for url, state, item_id in rows:
        seen[url] = seen.get(url, 0) + 1
        sha = served[url]
        if state != "stored" or item_id is None or items.get(sha) != item_id:
            problems.append(f"media: {url} is {state}, stock item {item_id} (expected {items.get(sha)})")
            continue
        path = store_root / sha[:2] / sha[2:4] / sha
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            problems.append(f"media: the stored file of {url} is missing or not the bytes served")
    for url in served:
        if url in seen and seen[url] != 1:
            problems.append(f"media: {url} has {seen[url]} rows")
    leftovers = [p.name for p in (store_root / "tmp").glob("*")] if (store_root / "tmp").is_dir() else []
    if leftovers:
        problems.append(f"media: half-written temporary files left: {leftovers[:5]}")
    return len(rows)
