"""Translation jobs: queued when a story is published (one per configured target language), run by a worker
through the engine, handed to the translation store (the sink), retried with back-off, dead after the horizon.

The engine's result is written on the job row before the sink is called: if storing it fails, the job stays
pending with its result and the next attempt calls the sink again without asking the engine. Engine outages,
timeouts and malformed answers leave the job pending and the story untouched.

The sink is `node.translations.add_machine_translation` once that module exists (see `default_sink`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Protocol

from tortoise.expressions import F

from federation.context import Federation
from node.translation.mt import EngineUnavailable, TranslationFailed
from federation.claims import claim
from federation.queue import run_batches, settle, take_back_all
from federation.retry import RetryPolicy, schedule_retry
from node.translation.states import TranslationJobState as S
from federation.states import check_transition
from federation.vocab import iso
from node.translation.machine import MachineTranslation, ProgressFn, source_hash
from node.stories.models import Story
from node.translation.models import StoryTranslation, TranslationJob
from node.translation.review import machine_may_replace
from schemas.languages import normalize_tag

log = logging.getLogger("agency_node.translation")


class TranslationSink(Protocol):
    """Where a finished machine translation goes (the translation store with its provenance and review).

    Same signature as `node.translations.add_machine_translation`. Raising means "not stored": the job retries,
    unless the exception carries an HTTP-like `status` of 4xx, the store's way of saying "never" (409: a person's
    translation is there, or the story is gone -> the job is cancelled; other 4xx -> dead, with the reason).
    """

    async def __call__(self, fed: Federation, username: str, story_uuid: str, language: str, headline: str,
                       summary: str, body_html: str, *, engine: str, source_language: str) -> Any: ...


async def _keep_on_job_row(fed: Federation, username: str, story_uuid: str, language: str, headline: str,
                           summary: str, body_html: str, *, engine: str, source_language: str) -> None:
    """Fallback sink while no translation store exists: the result stays on the job row only."""
    log.info("translation.kept_on_job", extra={"story": story_uuid, "language": language})


def default_sink() -> TranslationSink:
    """`node.translations.add_machine_translation` when the translation store is installed, else a sink that
    leaves the result on the job row (visible through the API and CLI)."""
    try:
        from node.translation.review import add_machine_translation# type: ignore[import-not-found]
    except ImportError:
        return _keep_on_job_row
    return add_machine_translation  # type: ignore[no-any-return]


def _same_language(a: str, b: str) -> bool:
    try:
        return normalize_tag(a) == normalize_tag(b)
    except ValueError:
        return a == b


async def queue_jobs(story: Story, targets: Iterable[str], *, connection: Any = None,
                     now: datetime | None = None) -> int:
    """Queue (or re-queue, when the story changed) one job per target language other than the story's own.

    Runs in the caller's transaction when `connection` is given, so a story is never stored without its jobs.
    A job being translated right now is left alone: its worker notices the changed text and translates again.
    A language whose translation people wrote, edited or approved is skipped: the engine's output could not
    replace it (node/translation/review.py `machine_may_replace`), so asking the engine would only cost.
    """
    now = now or datetime.now(timezone.utc)
    wanted = [t for t in dict.fromkeys(targets) if not _same_language(t, story.language)]
    if wanted:
        held = await people_held_languages(story, wanted, connection=connection)
        wanted = [t for t in wanted if t not in held]
    if not wanted:
        return 0
    existing = {j.language: j for j in await TranslationJob.filter(story_id=story.id, language__in=wanted)
                .using_db(connection)}
    fresh = dict(state=S.PENDING.value, attempts=0, next_attempt_at=now, queued_at=now, last_error=None,
                 claim_token=None, locked_until=None, source_language=story.language)
    again = [j.id for j in existing.values() if j.state in (S.PENDING, S.TRANSLATED, S.DEAD)]
    if again:
        await TranslationJob.filter(id__in=again).using_db(connection).update(**fresh)
    new = [TranslationJob(story_id=story.id, language=t, **fresh) for t in wanted if t not in existing]
    if new:
        await TranslationJob.bulk_create(new, using_db=connection)
    return len(again) + len(new)


async def people_held_languages(story: Story, languages: Iterable[str], *, connection: Any = None
                                ) -> dict[str, StoryTranslation]:
    """Of `languages`, those whose translation of `story` a machine may not replace, with that translation."""
    rows = await StoryTranslation.filter(story_id=story.id, language__in=list(languages)).using_db(connection)
    return {r.language: r for r in rows if not machine_may_replace(r)}


def held_reason(held: dict[str, StoryTranslation]) -> str:
    """Why the engine is not asked for these languages (for a problem document or the CLI)."""
    return ("; ".join(f"the {t} translation is {r.method}, {r.status}" for t, r in sorted(held.items()))
            + ": a machine does not overwrite what people wrote or approved (edit it instead)")


class TranslationWorker:
    """Runs due translation jobs: `run_once()` for tests and commands, `run_forever()` in the node."""

    def __init__(self, fed: Federation, username: str, mt: MachineTranslation, sink: TranslationSink) -> None:
        self.fed, self.username, self.mt, self.sink = fed, username, mt, sink
        s = mt.settings
        self.retry = RetryPolicy(base_delay=s.base_delay, max_delay=s.max_delay, give_up_after=s.give_up_after)
        self.lock_for = timedelta(seconds=s.lock_seconds)
        self.wakeup = asyncio.Event()
        # The only worker on its database (SQLite): jobs left `translating` at start are a killed predecessor's.
        self.take_back_at_start = False

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim and run one batch of due jobs; return how many were handled (0: nothing due)."""
        now = now or datetime.now(timezone.utc)
        token, rows = await claim(TranslationJob, now=now, limit=self.mt.settings.concurrency,
                                  lock_for=self.lock_for, ready_state=S.PENDING, busy_state=S.TRANSLATING)
        await asyncio.gather(*(self._process(token, row) for row in rows))
        return len(rows)

    async def run_forever(self, stop: asyncio.Event, idle_poll: float = 5.0) -> None:
        """Run jobs until `stop` is set, sleeping on the wake-up event when idle (rows stay the only truth).
        With `take_back_at_start`, the jobs a killed predecessor held are run again at once, not after their lock."""
        if self.take_back_at_start:
            try:
                taken = await take_back_all(TranslationJob, ready_state=S.PENDING, busy_state=S.TRANSLATING)
                if taken:
                    log.warning("translation.taken_back", extra={"rows": taken})
            except Exception:  # the database busy at start: those rows come back when their lock expires
                log.exception("translation.take_back_failed")
        await run_batches(self.run_once, self.wakeup, stop, idle_poll=idle_poll, log=log,
                          failure="translation.batch_failed")

    async def run_job(self, job_id: int, progress: ProgressFn | None = None) -> TranslationJob:
        """Run one job now, whatever its schedule (the `translate` command); return the row afterwards."""
        now = datetime.now(timezone.utc)
        job = await TranslationJob.get(id=job_id)
        if job.state in (S.DEAD, S.TRANSLATED):
            check_transition(job.state, S.PENDING)
            await TranslationJob.filter(id=job_id, state=job.state).update(state=S.PENDING, queued_at=now)
        token = str(uuid.uuid4())
        check_transition(S.PENDING, S.TRANSLATING)
        won = await TranslationJob.filter(id=job_id, state=S.PENDING).update(
            state=S.TRANSLATING, claim_token=token, locked_until=now + self.lock_for, attempts=F("attempts") + 1)
        if won:
            await self._process(token, await TranslationJob.get(id=job_id), progress)
        return await TranslationJob.get(id=job_id)

    async def _process(self, token: str, job: TranslationJob, progress: ProgressFn | None = None) -> None:
        story = await Story.get_or_none(id=job.story_id)  # type: ignore[attr-defined]
        if story is not None and story.state == "scheduled" and story.embargoed_until is not None:
            # Embargoed: translated once released, not cancelled as if deleted (it would never be translated).
            await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.PENDING,
                         next_attempt_at=story.embargoed_until, last_error="waiting for the story's embargo")
            return
        if story is None or story.state != "published":
            await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.CANCELLED,
                         last_error="the story was deleted")
            return
        held = await people_held_languages(story, [job.language])
        if held:  # people took this language over after the job was queued: their text stays, the engine rests
            await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.CANCELLED,
                         last_error=held_reason(held))
            return
        digest = source_hash(story.headline, story.summary, story.body_html, story.language)
        engine = self.mt.engine.name
        result = job.result if job.result and job.source_hash == digest and job.engine == engine else None
        if result is None:
            try:
                result = await self.mt.translate(story.headline, story.summary, story.body_html,
                                                 source=story.language, target=job.language, progress=progress)
            except TranslationFailed as exc:
                await self._failed(token, job, exc)
                return
            kept = await TranslationJob.filter(id=job.id, claim_token=token, state=S.TRANSLATING).update(
                result=result, source_hash=digest, engine=engine)
            if not kept:
                return  # the claim was lost (lock expired, another worker took it): that worker finishes
        current = await Story.get(id=story.id)
        if source_hash(current.headline, current.summary, current.body_html, current.language) != digest:
            await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.PENDING,
                         next_attempt_at=datetime.now(timezone.utc), last_error="the story changed; translating again")
            return
        try:
            await self.sink(self.fed, self.username, story.uuid, job.language, result["headline"],
                            result["summary"], result["body_html"], engine=engine, source_language=story.language)
        except Exception as exc:  # the result is on the row; retry storing it later
            status = getattr(exc, "status", None)
            if isinstance(status, int) and 400 <= status < 500:
                reason = f"the translation store refused it ({status}): {getattr(exc, 'detail', '') or exc}"[:300]
                await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING,
                             to_state=S.CANCELLED if status == 409 else S.DEAD, last_error=reason)
                log.info("translation.refused_by_store", extra={"story": story.uuid, "language": job.language})
                return
            log.exception("translation.sink_failed", extra={"story": story.uuid, "language": job.language})
            await self._failed(token, job, EngineUnavailable(f"storing the translation failed: "
                                                             f"{type(exc).__name__}: {exc}"[:300]))
            return
        await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.TRANSLATED,
                     translated_at=datetime.now(timezone.utc), last_error=None)
        log.info("translation.done", extra={"story": story.uuid, "language": job.language, "engine": engine})

    async def _failed(self, token: str, job: TranslationJob, exc: TranslationFailed) -> None:
        now = datetime.now(timezone.utc)
        error = str(exc)[:300]
        if exc.retryable:
            when = schedule_retry(attempts=job.attempts, first_attempt_at=job.queued_at, now=now, policy=self.retry,
                                  retry_after=exc.retry_after)
            if when is not None:
                await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.PENDING,
                             next_attempt_at=when, last_error=error)
                return
            error = f"gave up after {job.attempts} attempts: {error}"[:300]
        await settle(TranslationJob, job.id, token, from_state=S.TRANSLATING, to_state=S.DEAD, last_error=error)
        log.warning("translation.dead", extra={"job": job.id, "language": job.language})


# -- editors asking for machine translations (node.translations.request_machine_translations) ----------------------

_REQUESTERS: dict[int, tuple[MachineTranslation, "TranslationWorker | None"]] = {}


class RequestRefused(Exception):
    """Machine translation cannot be requested as asked (status, title, detail for a problem document)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


async def checked_targets(story: Story, languages: Iterable[str]) -> list[str]:
    """The languages (normalised tags) a machine may be asked for: not the story's own (422 when none is left)
    and none that people hold (409, `held_reason`). Raises RequestRefused."""
    wanted = [t for t in dict.fromkeys(languages) if not _same_language(t, story.language)]
    if not wanted:
        raise RequestRefused(422, "Nothing to translate", f"the story is already in {story.language}")
    held = await people_held_languages(story, wanted)
    if held:
        raise RequestRefused(409, "Translation exists", held_reason(held))
    return wanted


async def request_jobs(mt: MachineTranslation, worker: "TranslationWorker | None", story: Story,
                       languages: list[str]) -> list[dict[str, Any]]:
    """Queue (or re-queue) jobs for `languages` (normalised tags) after checking the engine can do them;
    return those jobs. RequestRefused: 409 for a language people translated or approved, 422 for a pair the engine
    does not offer."""
    wanted = await checked_targets(story, languages)
    unsupported = []
    for tag in wanted:
        try:
            if not await mt.engine.supports(story.language, tag):
                unsupported.append(tag)
        except TranslationFailed:
            pass  # the engine is down now: queue anyway; the job retries and says why if it cannot
    if unsupported:
        raise RequestRefused(422, "Unsupported language",
                             f"the engine cannot translate {story.language} into {', '.join(unsupported)}")
    await queue_jobs(story, wanted)
    if worker is not None:
        worker.wakeup.set()
    return [j for j in await list_jobs(story.uuid) if j["language"] in wanted]


async def machine_request_hook(fed: Federation, username: str, story: Story,
                               languages: list[str]) -> list[dict[str, Any]]:
    """`node.translations.MACHINE_REQUEST_HOOK`: queue jobs on the node that owns `fed` (several nodes may share
    a process, each with its own engine or none)."""
    from node.translation.review import TranslationError, no_engine

    found = _REQUESTERS.get(id(fed))
    if found is None:
        raise no_engine()
    try:
        return await request_jobs(found[0], found[1], story, languages)
    except RequestRefused as exc:
        raise TranslationError(exc.status, exc.title, exc.detail) from None


def install_request_hook(fed: Federation, mt: MachineTranslation | None, worker: "TranslationWorker | None") -> None:
    """Route the translation store's machine requests for `fed` to this engine (or to a 503 when None)."""
    import node.translation.review as store

    store.MACHINE_REQUEST_HOOK = machine_request_hook
    if mt is None:
        _REQUESTERS.pop(id(fed), None)
    else:
        _REQUESTERS[id(fed)] = (mt, worker)


def remove_request_hook(fed: Federation) -> None:
    """Forget `fed` (its node stopped)."""
    _REQUESTERS.pop(id(fed), None)


def job_json(job: TranslationJob, story_uuid: str | None = None) -> dict[str, Any]:
    """A job as the API and CLI show it."""
    return {
        "id": job.id, "story": story_uuid, "language": job.language, "source_language": job.source_language,
        "state": job.state, "attempts": job.attempts, "engine": job.engine or None, "last_error": job.last_error,
        "next_attempt_at": iso(job.next_attempt_at) if job.state == S.PENDING else None,
        "queued_at": iso(job.queued_at), "translated_at": iso(job.translated_at) if job.translated_at else None,
        "result": job.result,
    }


async def list_jobs(story_uuid: str | None = None, state: str | None = None,
                    limit: int = 100) -> list[dict[str, Any]]:
    """Jobs, newest first, optionally of one story or in one state."""
    query = TranslationJob.all().prefetch_related("story").order_by("-id")
    if story_uuid:
        query = query.filter(story__uuid=story_uuid)
    if state:
        query = query.filter(state=state)
    return [job_json(j, j.story.uuid) for j in await query.limit(limit)]
