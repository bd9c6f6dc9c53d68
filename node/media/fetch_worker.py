"""The worker that brings partners' media into our stock: claims due `WireMedia` rows, fetches each file
(`node.media.fetching`), checks it against the digest its story announced, and settles the row with its verdict.

The digest is compared before any stock row is written. A file whose bytes do not match is kept out of the stock
(its file removed again if this fetch put it in the store) and the row says why; a match, or a file from a peer that
sends no digest, becomes a `MediaItem` with the sending agency as its origin and the attachment's credit, copyright,
alt text and source type, measured and derived like an upload (thumbnails, a video's poster) and with its C2PA
verdict (a received image is checked, never signed). The bytes stay exactly as received. What may pass (timeouts, 429, 5xx) is tried again
with the delivery back-off (`federation.retry`), honouring Retry-After, until the retry horizon.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from federation.http import HttpClient
from federation.claims import claim
from federation.queue import run_batches, settle, take_back_all
from federation.retry import RetryPolicy, schedule_retry
from node.media.fetching import FetchLimits, FetchProblem, Fetched, fetch_into_store
from node.media import contentcred
from node.media.credentials import Credentials
from node.media.models import MediaItem
from node.media.receiving import item_fields, wake_on_queue
from node.media.sniff import Sniffed
from node.media.stock import MediaError, admit, limits_of
from node.media.storage import MediaStore, Stored
from node.media.wire_models import WireMedia
from node.media.wire_states import MediaFetchState as S, Verdict
from node.wire.models import WireStory

__all__ = ["MediaFetchWorker", "discard", "fetch_limits", "stock_item"]

log = logging.getLogger("agency_node.media")


def fetch_limits(media_config: Mapping[str, Any]) -> FetchLimits:
    """The bounds of one fetch, from the [media] section."""
    return FetchLimits(sizes=limits_of(media_config), timeout=float(media_config["fetch_timeout_seconds"]),
                       max_seconds=float(media_config["fetch_max_seconds"]))


class MediaFetchWorker:
    """Fetches due media rows: `run_once()` for tests and commands, `run_forever()` in the node."""

    def __init__(self, http: HttpClient, store: MediaStore, limits: FetchLimits, retry: RetryPolicy, *,
                 concurrency: int = 4, credentials: Credentials | None = None) -> None:
        self.http, self.store, self.limits, self.retry = http, store, limits, retry
        self.credentials = credentials  # C2PA trust anchors for the verdict of received images (never signs them)
        self.concurrency = concurrency
        # Longer than the longest fetch, so a live worker never loses its row to another.
        self.lock_for = timedelta(seconds=limits.max_seconds + 60)
        self.wakeup = asyncio.Event()
        wake_on_queue(self.wakeup)
        # The only worker on its database (SQLite): rows left `fetching` at start are a killed predecessor's.
        self.take_back_at_start = False

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim and fetch one batch of due files; return how many were handled (0: nothing due)."""
        now = now or datetime.now(timezone.utc)
        token, rows = await claim(WireMedia, now=now, limit=self.concurrency, lock_for=self.lock_for,
                                  ready_state=S.WAITING, busy_state=S.FETCHING)
        await asyncio.gather(*(self._process(token, row, now) for row in rows))
        return len(rows)

    async def run_forever(self, stop: asyncio.Event, idle_poll: float = 5.0) -> None:
        """Fetch until `stop` is set, idling between batches when nothing is due (rows stay the only truth).
        With `take_back_at_start`, the files a killed predecessor was fetching are fetched again at once (their
        half-written temporary files are swept by `MediaStore.sweep`, on every start), not after the lock."""
        if self.take_back_at_start:
            try:
                taken = await take_back_all(WireMedia, ready_state=S.WAITING, busy_state=S.FETCHING)
                if taken:
                    log.warning("media.fetch_taken_back", extra={"rows": taken})
            except Exception:  # the database busy at start: those rows come back when their lock expires
                log.exception("media.fetch_take_back_failed")
        try:
            swept = await self.store.sweep()
            if swept:
                log.warning("media.tmp_swept", extra={"files": swept})
        except OSError:  # an unreadable folder: the next start tries again
            log.warning("media.tmp_sweep_failed", exc_info=True)
        await run_batches(self.run_once, self.wakeup, stop, idle_poll=idle_poll, log=log,
                          failure="media.fetch_batch_failed")

    async def _settle(self, token: str, row: WireMedia, to: S, **values: Any) -> None:
        await settle(WireMedia, row.id, token, from_state=S.FETCHING, to_state=to, **values)

    async def _process(self, token: str, row: WireMedia, now: datetime) -> None:
        story = await WireStory.get_or_none(id=row.wire_story_id).prefetch_related("actor")  # type: ignore
        if story is None or story.state != "live":
            await self._settle(token, row, S.WITHDRAWN, last_error="the story was withdrawn before its file came")
            return
        if row.expected_digest and not row.expected_sha256:
            await self._reject(token, row, Verdict.REFUSED, "the digestMultibase is not a SHA-256 multihash, so "
                                                            "the file cannot be checked; not fetched")
            return
        try:
            fetched = await fetch_into_store(self.http.session, self.store, row.url, announced_type=row.media_type,
                                             announced=row.kind, limits=self.limits)
        except FetchProblem as exc:
            await self._failed(token, row, exc, now)
            return
        if row.expected_sha256 and fetched.sha256 != row.expected_sha256:
            c2pa_note = await self._c2pa_words(fetched)
            await discard(self.store, fetched)
            await self._reject(token, row, Verdict.MISMATCH,
                               f"the bytes served have SHA-256 {fetched.sha256}, but the story's digest names "
                               f"{row.expected_sha256}: kept out of the stock{c2pa_note}",
                               actual_sha256=fetched.sha256)
            log.warning("media.digest_mismatch", extra={"url": row.url, "story": story.uri})
            return
        try:
            item = await self._stock_item(fetched, row, story)
        except MediaError as exc:  # the bytes match, but they are not a file the stock can take (e.g. a bomb)
            await discard(self.store, fetched)
            await self._reject(token, row, Verdict.REFUSED, f"{exc.title}: {exc.detail}",
                               actual_sha256=fetched.sha256)
            return
        verdict = Verdict.VERIFIED if row.expected_sha256 else Verdict.NO_DIGEST
        reason = ("the bytes match the story's digest" if row.expected_sha256
                  else "the sender gave no digest: stored unverified")
        await self._settle(token, row, S.STORED, verdict=verdict.value, reason=reason, media_item_id=item.id,
                           actual_sha256=fetched.sha256, settled_at=datetime.now(timezone.utc), last_error=None)
        log.info("media.stored", extra={"url": row.url, "verdict": verdict.value})

    async def _c2pa_words(self, fetched: Fetched) -> str:
        """What the C2PA manifest of an image whose digest failed says, for the editor (a photo altered in transit
        reads "tampered" with the reason); empty for other files and for images without a manifest."""
        if fetched.kind != "image":
            return ""
        verdict = await asyncio.get_running_loop().run_in_executor(
            None, contentcred.read_verdict, self.store.path(fetched.sha256), fetched.media_type,
            self.credentials or contentcred.NO_CREDENTIALS)
        return "" if verdict.get("verdict") == "none" else f"; {contentcred.describe(verdict)}"

    async def _stock_item(self, fetched: Fetched, row: WireMedia, story: WireStory) -> MediaItem:
        """The stock item of a wire story's file, with the sending agency as its origin."""
        desc = row.description if isinstance(row.description, dict) else {}
        return await stock_item(self.store, fetched, item_fields(desc, story.language),
                                origin_actor=story.actor.uri, origin_url=row.url,  # type: ignore[attr-defined]
                                credentials=self.credentials)

    async def _reject(self, token: str, row: WireMedia, verdict: Verdict, reason: str, **values: Any) -> None:
        to = S.GAVE_UP if verdict is Verdict.FAILED else S.REJECTED
        await self._settle(token, row, to, verdict=verdict.value, reason=reason[:500],
                           settled_at=datetime.now(timezone.utc), **values)

    async def _failed(self, token: str, row: WireMedia, exc: FetchProblem, now: datetime) -> None:
        if exc.verdict is not None:
            await self._reject(token, row, exc.verdict, exc.reason, last_error=exc.reason)
            return
        when = schedule_retry(attempts=row.attempts, first_attempt_at=row.queued_at, now=now, policy=self.retry,
                              retry_after=exc.retry_after)
        if when is not None:
            await self._settle(token, row, S.WAITING, next_attempt_at=when, last_error=exc.reason)
            return
        await self._reject(token, row, Verdict.FAILED, f"gave up after {row.attempts} attempts: {exc.reason}",
                           last_error=exc.reason)


async def stock_item(store: MediaStore, fetched: Fetched, fields: Mapping[str, Any], *, origin_actor: str,
                     origin_url: str, own: bool = False, credentials: Credentials | None = None) -> MediaItem:
    """The stock item of fetched bytes: the one there already (ours or an earlier partner's), or a new one made
    through the stock's steps (`node.media.stock.admit`): measured and derived, its C2PA manifest checked, and,
    when it is a partner's (``own=False``), kept byte for byte with where it came from and what its sender said
    about it. Kind and type come from the bytes."""
    stored = Stored(fetched.sha256, fetched.size, fetched.created)
    item, _ = await admit(store, stored, Sniffed(fetched.media_type, fetched.kind), fields, own=own,
                          credentials=credentials, origin_actor=origin_actor, origin_url=origin_url)
    return item


async def discard(store: MediaStore, fetched: Fetched) -> None:
    """Remove a file a fetch newly put in the store (never one the stock already had)."""
    if fetched.created and not await MediaItem.exists(sha256=fetched.sha256):
        path = store.path(fetched.sha256)
        await asyncio.get_running_loop().run_in_executor(None, lambda: path.unlink(missing_ok=True))
