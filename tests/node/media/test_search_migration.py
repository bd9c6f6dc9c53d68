"""Migration 0009_media_search: items already in the stock are indexed when it runs, and it can be undone."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timezone
from typing import Any, AsyncIterator

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext

from node.db import activate, tortoise_config
from node.media import search_index
from tests.nodes import postgres_database

BEFORE = "models.0008_media_fetch"


@contextlib.asynccontextmanager
async def _database(tmp_path, database: str | None) -> AsyncIterator[str]:
    if database == "postgres":
        async with postgres_database() as url:
            yield url
    else:
        yield f"sqlite://{tmp_path / 'stock.sqlite3'}"


async def _in_context(url: str, fn: Any) -> Any:
    """Run ``fn(connection)`` with a fresh tortoise context on ``url`` (as a separate process would)."""
    async def _run() -> Any:
        activate(TortoiseContext())
        config = tortoise_config(url)
        await Tortoise.init(config=config)
        try:
            return await fn(get_connection(next(iter(config["connections"]))))
        finally:
            await Tortoise.close_connections()
    return await asyncio.get_running_loop().create_task(_run())


async def _migrate(url: str, target: str | None = None) -> None:
    from tortoise.migrations.api import migrate

    async def _run() -> None:
        activate(TortoiseContext())
        try:
            await migrate(config=tortoise_config(url), target=target)
        finally:
            await Tortoise.close_connections()
    await asyncio.get_running_loop().create_task(_run())


async def _insert_old_item(conn: Any, sha: str, alt: dict[str, str], credit: str) -> None:
    """An item as release 0007 stored it, written with SQL: the ORM would write the index, which is not there."""
    postgres = conn.capabilities.dialect == "postgres"
    columns = ["sha256", "kind", "media_type", "size", "alt", "caption", "credit", "copyright", "usage_terms",
               "digital_source_type", "filename", "blurhash", "renditions", "upload_sha256", "removed_metadata",
               "origin_actor", "origin_url", "created_at", "updated_at"]
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    now = when if postgres else when.isoformat(sep=" ")
    values = [sha, "image", "image/png", 10, json.dumps(alt), "{}", credit, "", "", "", "old.png", "", "{}", "",
              "[]", "", "", now, now]
    marks = [f"${n}" + ("::jsonb" if c in ("alt", "caption", "renditions", "removed_metadata") else "")
             for n, c in enumerate(columns, 1)] if postgres else ["?"] * len(columns)
    await conn.execute_query(f"INSERT INTO media_item ({', '.join(columns)}) VALUES ({', '.join(marks)})", values)


async def _found(conn: Any, text: str) -> list[str]:
    from node.media.search import parse_filters, search

    return [i.sha256 for i in (await search(parse_filters({"q": text}))).items]


async def test_search_migration__indexes_the_items_already_there_and_can_be_undone(tmp_path, database_url):
    """Migrated back to 0007 (the index dropped), items written then are found once 0009 runs again."""
    async with _database(tmp_path, database_url) as url:
        await _migrate(url)
        await _migrate(url, BEFORE)

        async def no_index(conn: Any) -> bool:
            try:
                await conn.execute_query("SELECT count(*) FROM media_search")
            except Exception:  # noqa: BLE001 (the table is gone: each driver says so its own way)
                return True
            return False

        assert await _in_context(url, no_index)
        await _in_context(url, lambda conn: _insert_old_item(conn, "a" * 64, {"az": "Köhnə bərə şəkli"},
                                                              "Baku News"))
        await _migrate(url)
        assert await _in_context(url, lambda conn: _found(conn, "bərə")) == ["a" * 64]
        assert await _in_context(url, lambda conn: _found(conn, "old")) == ["a" * 64]  # the file name too


def test_search_migration__uses_the_tokenizer_the_index_code_expects():
    """The migration's FTS5 tokenizer is the one `search_index` splits words for."""
    import importlib

    migration = importlib.import_module("node.migrations.0009_media_search")
    assert migration.FTS5_TOKENIZER == search_index.FTS5_TOKENIZER
