"""Migrations upgrade databases that already hold stories and wire stories, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.nodes import migrate_in_own_context, postgres_database, running_node

INSERT_STORY = ("INSERT INTO story (uuid, headline, summary, body_html, language, hashtags, state, version, "
                "published_at) VALUES ('00000000-0000-0000-0000-000000000001', 'Old story', '', '<p>Old</p>', "
                "'az', '[]', 'published', 1, '2026-01-01 00:00:00+00:00')")


async def _migrate_to(url: str, target: str) -> None:
    from tortoise.context import TortoiseContext
    from tortoise.migrations.api import migrate

    from node.db import activate, tortoise_config

    async def _run() -> None:
        activate(TortoiseContext())
        try:
            await migrate(config=tortoise_config(url), target=target)
        finally:
            from tortoise import Tortoise
            await Tortoise.close_connections()

    await asyncio.get_running_loop().create_task(_run())


@pytest.mark.postgres
async def test_migration_lifecycle__upgrades_a_database_with_stories(tmp_path, database_url):
    """A node whose database predates 0005 migrates with its stories intact, then serves and corrects them."""
    async with (postgres_database() if database_url == "postgres" else _sqlite(tmp_path)) as url:
        await _migrate_to(url, "models.0001_initial")
        if url.startswith("sqlite"):
            with sqlite3.connect(url[len("sqlite://"):].split("?")[0]) as db:
                db.execute(INSERT_STORY)
        else:
            import asyncpg
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(INSERT_STORY.replace("'2026-01-01 00:00:00+00:00'", "now()"))
            finally:
                await conn.close()
        await migrate_in_own_context(url)
        async with running_node(tmp_path, "baku", database_url=url) as baku:
            _, listed = await baku.api("GET", "/api/stories")
            (old,) = listed["stories"]
            assert old["headline"] == "Old story" and old["subjects"] == [] and old["urgency"] is None
            status, fixed = await baku.api("PATCH", f"/api/stories/{old['id']}", {
                "headline": "Old story, corrected", "correction_note": {"az": "Başlıq düzəldildi."}})
            assert status == 200 and fixed["version"] == 2, fixed
            _, revs = await baku.api("GET", f"/api/stories/{old['id']}/revisions")
            # The story predates revisions: its state before the first change is kept as its revision 1.
            assert [(r["revision"], r["correction"]) for r in revs["revisions"]] == [(1, False), (2, True)]
            status, obj, _ = await baku.get(f"/stories/{old['id']}")
            assert status == 200 and obj["correction"] is True and obj["revision"] == 2


WIRE_ROWS = [
    "INSERT INTO remote_actor (id, uri, host, type, preferred_username, name, summary, url, icon_url, inbox, document, "
    "fetched_at) VALUES (1, 'https://ankara.example/actors/ankara', 'ankara.example', 'Organization', 'ankara', "
    "'Ankara', '', '', '', 'https://ankara.example/inbox', '{}', {now})",
    "INSERT INTO wire_story (id, uri, type, language, headline, summary, content_html, url, object, state, signature, "
    "received_at, actor_id) VALUES (1, 'https://ankara.example/stories/1', 'Article', 'tr', 'Feribot', '', "
    "'<p>Feribot.</p>', 'https://ankara.example/stories/1', '{}', 'live', 'draft-cavage', {now}, 1)",
    "INSERT INTO wire_revision (wire_story_id, number, content_hash, headline, correction, correction_note, "
    "received_at) VALUES (1, 1, '', 'Feribot', {false}, '{}', {now})",
]


@pytest.mark.postgres
async def test_migration_revision_proofs__upgrades_a_database_with_wire_revisions(tmp_path, database_url):
    """0006 adds a proof verdict to every received revision: revisions received before it read as unknown
    (not a failed migration on a non-empty table)."""
    async with (postgres_database() if database_url == "postgres" else _sqlite(tmp_path)) as url:
        await _migrate_to(url, "models.0005_lifecycle")
        if url.startswith("sqlite"):
            with sqlite3.connect(url[len("sqlite://"):].split("?")[0]) as db:
                for sql in WIRE_ROWS:
                    db.execute(sql.replace("{now}", "'2026-01-01 00:00:00+00:00'").replace("{false}", "0"))
        else:
            import asyncpg
            conn = await asyncpg.connect(url)
            try:
                for sql in WIRE_ROWS:
                    await conn.execute(sql.replace("{now}", "now()").replace("{false}", "false"))
            finally:
                await conn.close()
        await migrate_in_own_context(url)
        async with running_node(tmp_path, "baku", database_url=url) as baku:
            status, detail = await baku.api("GET", "/api/wire/story?id=https://ankara.example/stories/1")
            assert status == 200, detail
            assert [(r["revision"], r["proof"]) for r in detail["revisions"]] == [
                (1, {"status": None, "key_id": None})]


class _sqlite:
    def __init__(self, tmp_path):
        self.url = f"sqlite://{tmp_path / 'old.sqlite3'}"

    async def __aenter__(self) -> str:
        return self.url

    async def __aexit__(self, *exc) -> None:
        return None
