"""Machine translation through real nodes: publish -> jobs -> LibreTranslate stand-in -> sink; failures retry.

Each node is a real aiohttp server on loopback with its own database (SQLite, and PostgreSQL when its URL is
given); the engine is the LibreTranslate stand-in speaking the real wire API.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from node.translation.models import MachineReading, TranslationJob
from node.stories.models import Story
from tests.libretranslate_stub import LibreTranslateStub
from tests.nodes import node_config, postgres_database, running_node, settle

STORY = {"headline": "SOCAR opens the Baku ferry terminal", "summary": "Crossings to Aktau resume.",
         "body": "<p>The terminal in <b>Baku</b> opens.</p><p>SOCAR runs it.</p>", "language": "az"}


class StoreRefused(Exception):
    """Shaped like the translation store's error: status, title, detail."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@dataclass
class RecordingSink:
    """A sink with the signature of node.translations.add_machine_translation that records each call."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: int = 0  # fail this many calls first
    refuse: int | None = None  # refuse every call with this status (like node.translations.TranslationError)

    async def __call__(self, fed, username, story_uuid, language, headline, summary, body_html, *, engine,
                       source_language):
        if self.fail:
            self.fail -= 1
            raise RuntimeError("translation store unavailable")
        if self.refuse:
            raise StoreRefused(self.refuse, "Translation exists", "a translation people wrote is there")
        self.calls.append(dict(username=username, story=story_uuid, language=language, headline=headline,
                               summary=summary, body_html=body_html, engine=engine, source=source_language))


def _translation(stub: LibreTranslateStub | None, **extra: Any) -> dict[str, Any]:
    if stub is None:
        return {}
    return {"engine": "libretranslate", "url": stub.url, "allow_private_engine": True, "targets": ["ru", "tr", "az"],
            "timeout_seconds": 15, "base_delay_seconds": 3, "max_delay_seconds": 5, "protected": ["SOCAR"],
            **extra}


@contextlib.asynccontextmanager
async def mt_node(tmp_path, database_url, stub, handle="baku", *, real_sink=False, **extra):
    """A running node whose engine is `stub` (None: no engine), with a recording sink (or the node's own
    translation store, `node.translations.add_machine_translation`, with `real_sink`)."""
    sections = {"translation": _translation(stub, **extra)}
    async with contextlib.AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres_database()) if database_url == "postgres" else None
        config = node_config(tmp_path, handle, database_url=db, sections=sections, languages=["az"])
        node = await stack.enter_async_context(running_node(tmp_path, handle, config=config))
        sink = RecordingSink()
        if node.node.translation_worker is not None and not real_sink:
            node.node.translation_worker.sink = sink
        node.sink = sink  # type: ignore[attr-defined]
        yield node


async def _story_row(node, uuid: str) -> dict[str, Any]:
    s = await node.db(Story.get, uuid=uuid)
    return {"headline": s.headline, "summary": s.summary, "body": s.body_html, "version": s.version,
            "updated": s.updated_at, "language": s.language}


async def _jobs(node, uuid: str) -> dict[str, dict[str, Any]]:
    status, doc = await node.api("GET", f"/api/stories/{uuid}/translation-jobs")
    assert status == 200, doc
    return {j["language"]: j for j in doc["jobs"]}


def _later(minutes: float = 30) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


@pytest.mark.postgres
async def test_translation_jobs__publish_queues_and_worker_stores_through_the_sink(tmp_path, database_url):
    """Publishing queues one job per configured target except the story's own language; the worker sends the
    story through the engine (protected terms never sent) and hands each translation to the sink."""
    async with LibreTranslateStub() as stub, mt_node(tmp_path, database_url, stub) as baku:
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        jobs = await _jobs(baku, story["id"])
        assert set(jobs) == {"ru", "tr"} and {j["state"] for j in jobs.values()} == {"pending"}
        before = await _story_row(baku, story["id"])

        assert await baku.node.translate_once() == 2
        jobs = await _jobs(baku, story["id"])
        assert {j["state"] for j in jobs.values()} == {"translated"}
        assert jobs["ru"]["result"]["headline"] == "[ru] SOCAR opens the Baku ferry terminal"
        by_lang = {c["language"]: c for c in baku.sink.calls}
        assert set(by_lang) == {"ru", "tr"}
        ru = by_lang["ru"]
        assert ru["story"] == story["id"] and ru["username"] == "baku" and ru["engine"] == "libretranslate"
        assert ru["source"] == "az" and ru["summary"] == "[ru] Crossings to Aktau resume."
        assert ru["body_html"] == "<p>[ru] The terminal in <b>[ru] Baku</b> [ru] opens.</p><p>[ru] SOCAR runs it.</p>"
        assert all("SOCAR" not in t for c in stub.calls for t in c.q)
        assert {c.source for c in stub.calls} == {"az"} and {c.format for c in stub.calls} == {"text", "html"}
        assert await _story_row(baku, story["id"]) == before  # the original is never touched
        assert await baku.node.translate_once() == 0


@pytest.mark.postgres
@pytest.mark.parametrize("failure", ["outage", "slow", "malformed", "500", "wrong_length"])
async def test_translation_jobs__engine_failure_leaves_job_retrying_and_story_untouched(tmp_path, database_url,
                                                                                       failure):
    """Connection refused, timeout, malformed JSON, 500 or a short list: the job stays pending with the error
    and a later attempt time, nothing reaches the sink, the story is unchanged; once the engine is back the
    job completes."""
    # only the "slow" engine needs a short timeout; the others keep a roomy one for a loaded test machine
    timeout = 1 if failure == "slow" else 15
    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, database_url, stub, targets=["ru"], timeout_seconds=timeout) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        before = await _story_row(baku, story["id"])
        if failure == "outage":
            await stub.outage()
        else:
            stub.mode, stub.delay = failure, 4
        started = datetime.now(timezone.utc)
        assert await baku.node.translate_once() == 1
        job = (await _jobs(baku, story["id"]))["ru"]
        assert job["state"] == "pending" and job["attempts"] == 1 and job["last_error"] and job["result"] is None
        row = await baku.db(TranslationJob.get, language="ru")
        assert row.next_attempt_at > started + timedelta(seconds=1)
        assert baku.sink.calls == [] and await _story_row(baku, story["id"]) == before
        assert await baku.node.translate_once() == 0  # not due yet

        if failure == "outage":
            await stub.restore()
        stub.mode = "ok"
        baku.node.translation.engine.timeout = 15  # the engine is back; a loaded machine may still be slow
        assert await baku.node.run(baku.node.translation_worker.run_once, _later()) == 1
        job = (await _jobs(baku, story["id"]))["ru"]
        assert job["state"] == "translated" and job["attempts"] == 2 and job["last_error"] is None
        assert [c["language"] for c in baku.sink.calls] == ["ru"]


async def test_translation_jobs__429_retry_after_is_honoured(tmp_path):
    """An engine that says "slow down, come back in 10 minutes" is not asked again before then."""
    async with LibreTranslateStub(mode="429", retry_after="600") as stub, \
            mt_node(tmp_path, None, stub, targets=["ru"]) as baku:
        started = datetime.now(timezone.utc)
        await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        row = await baku.db(TranslationJob.get, language="ru")
        assert row.state == "pending" and "Slowdown" in row.last_error
        assert row.next_attempt_at >= started + timedelta(seconds=600)


@pytest.mark.parametrize(("chunk_chars", "state"), [(60, "translated"), (500, "dead")])
async def test_translation_jobs__engine_text_limit(tmp_path, chunk_chars, state):
    """Pieces cut under the engine's character limit go through; pieces over it are refused by the engine and
    end the job as dead, with LibreTranslate's reason and the story untouched."""
    body = "".join(f"<p>Paragraph {i} of a long story.</p>" for i in range(20))
    async with LibreTranslateStub(char_limit=100) as stub, \
            mt_node(tmp_path, None, stub, targets=["ru"], chunk_chars=chunk_chars) as baku:
        _, story = await baku.api("POST", "/api/stories", {**STORY, "body": body})
        before = await _story_row(baku, story["id"])
        await baku.node.translate_once()
        job = (await _jobs(baku, story["id"]))["ru"]
        assert job["state"] == state
        if state == "dead":
            assert "exceeds text limit (100)" in job["last_error"] and baku.sink.calls == []
        else:
            assert baku.sink.calls[0]["body_html"].count("<p>[ru] Paragraph") == 20
        assert await _story_row(baku, story["id"]) == before


async def test_translation_jobs__sink_failure_keeps_the_result_and_retries_without_the_engine(tmp_path):
    """If storing the translation fails, the result stays on the job, the job retries, and the retry hands the
    kept result to the sink without asking the engine again."""
    async with LibreTranslateStub() as stub, mt_node(tmp_path, None, stub, targets=["ru"]) as baku:
        baku.sink.fail = 1
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        job = (await _jobs(baku, story["id"]))["ru"]
        assert job["state"] == "pending" and "translation store unavailable" in job["last_error"]
        assert job["result"]["headline"].startswith("[ru] ")
        engine_calls = len(stub.calls)
        await baku.node.run(baku.node.translation_worker.run_once, _later())
        assert (await _jobs(baku, story["id"]))["ru"]["state"] == "translated"
        assert len(stub.calls) == engine_calls and baku.sink.calls[0]["headline"] == job["result"]["headline"]


@pytest.mark.parametrize(("status", "state"), [(409, "cancelled"), (413, "dead")])
async def test_translation_jobs__store_refusal_ends_the_job(tmp_path, status, state):
    """A translation store that says "never" (a 4xx status: a person's translation exists, body too large) ends
    the job with the reason instead of retrying for a day."""
    async with LibreTranslateStub() as stub, mt_node(tmp_path, None, stub, targets=["ru"]) as baku:
        baku.sink.refuse = status
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        job = (await _jobs(baku, story["id"]))["ru"]
        assert job["state"] == state and f"refused it ({status})" in job["last_error"]
        assert "a translation people wrote is there" in job["last_error"] and job["result"]


async def test_translation_jobs__worker_killed_mid_job_loses_nothing(tmp_path):
    """A worker that claimed a job and died leaves it locked; after the lock expires another worker runs it."""
    from federation.claims import claim

    async with LibreTranslateStub() as stub, mt_node(tmp_path, None, stub, targets=["ru"], lock_seconds=60) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        now = datetime.now(timezone.utc)
        token, rows = await baku.db(claim, TranslationJob, now=now, limit=5, lock_for=timedelta(seconds=60),
                                    ready_state="pending", busy_state="translating")
        assert len(rows) == 1 and token  # ... and the worker process dies here
        assert await baku.node.translate_once() == 0  # still locked
        assert await baku.node.run(baku.node.translation_worker.run_once, now + timedelta(seconds=61)) == 1
        job = (await _jobs(baku, story["id"]))["ru"]
        assert job["state"] == "translated" and job["attempts"] == 2 and len(baku.sink.calls) == 1


@pytest.mark.postgres
async def test_translation_jobs__two_workers_never_run_a_job_twice(tmp_path, database_url):
    """Two workers on one database claim disjoint jobs: every translation reaches the sink exactly once."""
    from node.translation.jobs import TranslationWorker

    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, database_url, stub, targets=["ru", "tr", "en", "kk"], concurrency=3) as baku:
        for i in range(3):
            await baku.api("POST", "/api/stories", {**STORY, "headline": f"Story {i}"})
        first = baku.node.translation_worker
        second = TranslationWorker(first.fed, first.username, first.mt, first.sink)
        while sum(await asyncio.gather(baku.node.run(first.run_once), baku.node.run(second.run_once))):
            pass
        keys = [(c["story"], c["language"]) for c in baku.sink.calls]
        assert len(keys) == 12 and len(set(keys)) == 12
        assert await baku.db(TranslationJob.filter(state="translated").count) == 12


async def test_translation_jobs__dead_after_the_horizon_and_when_refused(tmp_path):
    """Retries stop after give_up_after_hours (dead, saying so); an unsupported pair is dead at once."""
    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, None, stub, targets=["ru", "hu"], give_up_after_hours=0.0001) as baku:
        await stub.outage()
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        jobs = await _jobs(baku, story["id"])
        assert jobs["ru"]["state"] == "dead" and jobs["ru"]["last_error"].startswith("gave up after 1 attempts")
        assert jobs["hu"]["state"] == "dead"
        await stub.restore()
        _, second = await baku.api("POST", "/api/stories", {**STORY, "headline": "Second"})
        await baku.node.translate_once()
        jobs = await _jobs(baku, second["id"])
        assert jobs["hu"]["state"] == "dead" and "cannot translate" in jobs["hu"]["last_error"]
        assert jobs["hu"]["attempts"] == 1 and jobs["ru"]["state"] == "translated"
        assert [c["story"] for c in baku.sink.calls] == [second["id"]]
        # an editor asks again: the dead job is queued afresh and runs
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translation-jobs", {"languages": ["ru"]})
        assert status == 202, doc
        await baku.node.translate_once()
        assert (await _jobs(baku, story["id"]))["ru"]["state"] == "translated"


async def test_translation_jobs__update_requeues_and_delete_cancels(tmp_path):
    """Changing a story translates it again (the sink gets the new text); deleting it cancels pending jobs."""
    async with LibreTranslateStub() as stub, mt_node(tmp_path, None, stub, targets=["ru"]) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Terminal opens late"})
        assert status == 200
        assert (await _jobs(baku, story["id"]))["ru"]["state"] == "pending"
        await baku.node.translate_once()
        assert [c["headline"] for c in baku.sink.calls] == ["[ru] SOCAR opens the Baku ferry terminal",
                                                            "[ru] Terminal opens late"]
        _, other = await baku.api("POST", "/api/stories", {**STORY, "headline": "Second"})
        await baku.api("DELETE", f"/api/stories/{other['id']}")
        await baku.node.translate_once()
        assert (await _jobs(baku, other["id"]))["ru"]["state"] == "cancelled"
        assert len(baku.sink.calls) == 2


async def test_translation_jobs__no_engine_means_no_jobs_and_a_working_node(tmp_path):
    """Without an engine: publishing works, no jobs are queued, and asking for machine translation says why."""
    async with mt_node(tmp_path, None, None) as baku:
        assert baku.node.translation is None
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        assert await baku.node.translate_once() == 0
        assert await _jobs(baku, story["id"]) == {}
        assert await baku.db(TranslationJob.all().count) == 0
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translation-jobs", {"languages": ["ru"]})
        assert status == 501 and doc["title"] == "No translation engine"
        status, doc = await baku.api("GET", "/api/wire/read?id=https://x.example/s/1&lang=ru")
        assert status == 501


async def test_translation_jobs__request_validation(tmp_path):
    """Asking for translations: unknown tags, the story's own language, unsupported pairs and bad bodies are
    clear errors that queue nothing."""
    async with LibreTranslateStub() as stub, mt_node(tmp_path, None, stub, targets=[]) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        path = f"/api/stories/{story['id']}/translation-jobs"
        for body, status in (({"languages": ["qq"]}, 422), ({"languages": ["az"]}, 422),
                             ({"languages": ["hu"]}, 422), ({"languages": []}, 422), ({}, 422)):
            got, doc = await baku.api("POST", path, body)
            assert got == status and doc["status"] == status, (body, doc)
        assert await baku.db(TranslationJob.all().count) == 0
        got, _ = await baku.api("POST", "/api/stories/00000000-0000-0000-0000-000000000000/translation-jobs",
                                {"languages": ["ru"]})
        assert got == 404
        got, doc = await baku.api("POST", path, {"languages": ["RU", "tr"]})
        assert got == 202 and {j["language"] for j in doc["jobs"]} == {"ru", "tr"}
        got, doc = await baku.api("GET", "/api/translation-jobs?state=pending")
        assert got == 200 and len(doc["jobs"]) == 2
        got, doc = await baku.api("GET", "/api/translation-jobs?state=bogus")
        assert got == 400


@pytest.mark.postgres
async def test_wire_read__on_demand_translation_is_local_and_cached(tmp_path, database_url):
    """An editor reads a partner's story in Russian: translated once through the engine, then from the cache;
    the partner's own language needs no engine; nothing is published or queued; outages answer 503."""
    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, database_url, stub, targets=["ru"]) as baku, \
            mt_node(tmp_path, database_url, None, handle="ankara") as ankara:
        status, doc = await baku.api("POST", "/api/following", {"handle": ankara.handle})
        assert status == 202, doc
        await settle(baku, ankara)
        _, story = await ankara.api("POST", "/api/stories", {**STORY, "language": "tr", "headline": "Feribot"})
        await settle(baku, ankara)
        _, wire = await baku.api("GET", "/api/wire")
        uri = wire["stories"][0]["id"]
        deliveries = await baku.api("GET", "/api/stories")

        status, doc = await baku.api("GET", f"/api/wire/read?id={uri}&lang=ru")
        assert status == 200, doc
        assert doc["headline"] == "[ru] Feribot" and doc["machine"] and not doc["cached"]
        assert doc["source_language"] == "tr" and doc["body_html"].startswith("<p>[ru] ")
        calls = len(stub.calls)
        status, again = await baku.api("GET", f"/api/wire/read?id={uri}&lang=RU")
        assert again["cached"] and again["headline"] == doc["headline"] and len(stub.calls) == calls
        status, own = await baku.api("GET", f"/api/wire/read?id={uri}&lang=tr")
        assert status == 200 and own["headline"] == "Feribot" and not own["machine"] and len(stub.calls) == calls

        await stub.outage()
        status, problem = await baku.api("GET", f"/api/wire/read?id={uri}&lang=kk")
        assert status == 503 and problem["title"] == "Translation engine unavailable"
        assert await baku.db(MachineReading.filter(language="kk").count) == 0
        for query, code in ((f"id={uri}&lang=qq", 400), ("id=https://nowhere.example/x&lang=ru", 404),
                            ("lang=ru", 400)):
            status, problem = await baku.api("GET", f"/api/wire/read?{query}")
            assert status == code, (query, problem)
        assert await baku.db(TranslationJob.all().count) == 0 and await baku.api("GET", "/api/stories") == deliveries


@pytest.mark.postgres
@pytest.mark.parametrize("review_machine", [True, False])
async def test_translation_jobs__into_the_translation_store(tmp_path, database_url, review_machine):
    """The real sink: published -> job -> engine -> node.translations, labelled machine with the engine's name;
    with review it waits as pending_review, without it is approved at once and an Update goes to followers.
    Editors can also ask through the translation store's own route, which queues jobs here."""
    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, database_url, stub, targets=["ru"], real_sink=True,
                    review_machine=review_machine) as baku, \
            mt_node(tmp_path, database_url, None, handle="ankara") as ankara:
        status, doc = await ankara.api("POST", "/api/following", {"handle": baku.handle})
        assert status == 202, doc
        await settle(baku, ankara)
        _, story = await baku.api("POST", "/api/stories", STORY)
        await settle(baku, ankara)
        await baku.node.translate_once()
        assert (await _jobs(baku, story["id"]))["ru"]["state"] == "translated"
        status, doc = await baku.api("GET", f"/api/stories/{story['id']}/translations")
        assert status == 200, doc
        (ru,) = [t for t in doc["translations"] if t["language"] == "ru"]
        assert ru["method"] == "machine" and ru["engine"] == "libretranslate" and ru["source_language"] == "az"
        assert ru["headline"] == "[ru] SOCAR opens the Baku ferry terminal"
        assert ru["status"] == ("pending_review" if review_machine else "approved")
        await settle(baku, ankara)
        status, langs = await ankara.api("GET", f"/api/wire/languages?story={story['url']}")
        assert status == 200, langs
        by_language = {item["language"]: item for item in langs["languages"]}
        if review_machine:
            assert "ru" not in by_language  # nothing leaves the node before a person approves it
        else:
            assert by_language["ru"]["method"] == "machine" and by_language["ru"]["engine"] == "libretranslate"

        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/request",
                                     {"languages": ["tr"]})
        assert status == 202, doc
        assert [j["language"] for j in doc["jobs"]] == ["tr"] and doc["jobs"][0]["state"] == "pending"
        await baku.node.translate_once()
        assert (await _jobs(baku, story["id"]))["tr"]["state"] == "translated"
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/request",
                                     {"languages": ["hu"]})
        assert status == 422 and doc["title"] == "Unsupported language"
        _, other = await ankara.api("POST", "/api/stories", STORY)
        status, doc = await ankara.api("POST", f"/api/stories/{other['id']}/translations/request",
                                       {"languages": ["ru"]})
        assert status == 501 and doc["title"] == "No translation engine"  # as on /translation-jobs


async def test_translation_jobs__story_update_refreshes_automatic_translations_and_leaves_people_s(tmp_path):
    """Without review, a story's update brings its machine translations up to date (and partners get them);
    a translation a person edited is neither re-translated nor overwritten, and asking for it is a 409."""
    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, None, stub, targets=["ru", "tr"], real_sink=True, review_machine=False) as baku, \
            mt_node(tmp_path, None, None, handle="ankara") as ankara:
        status, doc = await ankara.api("POST", "/api/following", {"handle": baku.handle})
        assert status == 202, doc
        await settle(baku, ankara)
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        status, doc = await baku.api("PATCH", f"/api/stories/{story['id']}/translations/tr",
                                     {"headline": "Bakü feribot terminali açıldı", "editor": "Aylin"})
        assert status == 200 and doc["method"] == "machine+human", doc

        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Terminal opens late"})
        assert status == 200
        jobs = await _jobs(baku, story["id"])
        assert jobs["ru"]["state"] == "pending" and jobs["tr"]["state"] == "translated"  # tr is not queued again
        engine_calls = len(stub.calls)
        await baku.node.translate_once()
        assert all(c.target == "ru" for c in stub.calls[engine_calls:]) and len(stub.calls) > engine_calls

        _, doc = await baku.api("GET", f"/api/stories/{story['id']}/translations")
        by_language = {t["language"]: t for t in doc["translations"]}
        assert by_language["ru"]["headline"] == "[ru] Terminal opens late" and by_language["ru"]["status"] == "approved"
        assert not by_language["ru"]["stale"]
        assert by_language["tr"]["headline"] == "Bakü feribot terminali açıldı" and by_language["tr"]["stale"]
        await settle(baku, ankara)
        status, langs = await ankara.api("GET", f"/api/wire/languages?story={story['url']}")
        assert status == 200, langs
        received = {item["language"]: item["headline"] for item in langs["languages"]}
        assert received["ru"] == "[ru] Terminal opens late" and received["tr"] == "Bakü feribot terminali açıldı"

        status, problem = await baku.api("POST", f"/api/stories/{story['id']}/translation-jobs",
                                         {"languages": ["tr"]})
        assert status == 409 and problem["title"] == "Translation exists" and "machine+human" in problem["detail"]
        assert "tr" not in [c.target for c in stub.calls[engine_calls:]]


async def test_translation_jobs__a_person_s_approval_holds_the_language(tmp_path):
    """With review on, a machine translation a person approved is theirs: an update of the story queues no
    job for it, and a job queued before the approval is cancelled without asking the engine."""
    async with LibreTranslateStub() as stub, \
            mt_node(tmp_path, None, stub, targets=["ru"], real_sink=True, review_machine=True) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.translate_once()
        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Terminal opens late"})
        assert (await _jobs(baku, story["id"]))["ru"]["state"] == "pending"  # pending review: still the engine's
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/ru/approve", {})
        assert status == 200 and doc["status"] == "approved" and doc["reviewer"] == "editor", doc
        engine_calls = len(stub.calls)
        await baku.node.translate_once()
        jobs = await _jobs(baku, story["id"])
        assert jobs["ru"]["state"] == "cancelled" and "machine, approved" in jobs["ru"]["last_error"]
        assert len(stub.calls) == engine_calls
        _, doc = await baku.api("GET", f"/api/stories/{story['id']}/translations/ru")
        assert doc["headline"] == "[ru] SOCAR opens the Baku ferry terminal" and doc["stale"]
        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Terminal opens at noon"})
        assert (await _jobs(baku, story["id"]))["ru"]["state"] == "cancelled"  # not queued again


async def test_translation_jobs__embargoed_story_is_translated_once_released(tmp_path):
    """A job of an embargoed story waits for the release instead of being cancelled as if the story were deleted
    (an embargoed story was never machine-translated); released, it is translated."""
    async with LibreTranslateStub() as stub, mt_node(tmp_path, None, stub) as baku:
        release = _later(30)
        status, story = await baku.api("POST", "/api/stories", dict(STORY, embargoed_until=release.isoformat()))
        assert status == 201
        assert await baku.node.translate_once() == 2
        jobs = await _jobs(baku, story["id"])
        assert {j["state"] for j in jobs.values()} == {"pending"}, jobs
        assert not baku.sink.calls and not stub.calls
        worker = baku.node.translation_worker
        assert await baku.node.run(worker.run_once, release - timedelta(seconds=1)) == 0
        assert await baku.node.release_once(release + timedelta(seconds=1)) == 1
        assert await baku.node.run(worker.run_once, release + timedelta(seconds=2)) == 2
        assert {j["state"] for j in (await _jobs(baku, story["id"])).values()} == {"translated"}
        assert {c["language"] for c in baku.sink.calls} == {"ru", "tr"}
