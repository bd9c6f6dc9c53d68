"""A database made by release 0.1, before the engine's tables moved to the app ``federation``, upgrades with
`agency-node migrate` with every row kept, on SQLite and PostgreSQL.

Release 0.1's chain is kept verbatim in ``tests/node/legacy_v0``: there ``models.0001_initial`` also made the
engine's tables, which the upgrade must adopt (``node.db.adopt_engine_tables`` records ``federation.0001_initial`` as
applied), not create again or drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from federation.keys import generate_rsa_pem
from federation.multikey import generate_ed25519_pem
from schemas.lifecycle import content_hash
from tests.nodes import free_port, node_config, node_config_data, postgres_database, running_node, write_config

ROOT = Path(__file__).resolve().parents[2]
HANDLE = "baku"
ANKARA = "https://ankara.example/actors/ankara"
WIRE_URI = "https://ankara.example/stories/1"
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=2)
# What only tortoise itself writes, not the node's schema.
NOT_OURS = {"tortoise_migrations", "sqlite_sequence"}


def _hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _legacy_config(url: str) -> dict[str, Any]:
    """Release 0.1's tortoise config: one app, ``models``, holding the engine's tables too."""
    # Named after the dialect, as node.db.tortoise_config does (tortoise caches SQL per connection name).
    name = "sqlite" if url.startswith("sqlite") else "postgres"
    return {
        "connections": {name: url},
        "apps": {"models": {"models": ["tests.node.legacy_v0.models"], "default_connection": name,
                            "migrations": "tests.node.legacy_v0.migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def _migrate_in_own_task(config: dict[str, Any]) -> None:
    """Run tortoise's migrations for `config` in a fresh context, in a task of its own (as a new process would)."""
    from tortoise import Tortoise
    from tortoise.context import TortoiseContext
    from tortoise.migrations.api import migrate

    from node.db import activate

    async def _run() -> None:
        activate(TortoiseContext())
        try:
            await migrate(config=config)
        finally:
            await Tortoise.close_connections()

    await asyncio.get_running_loop().create_task(_run())


class _Sql:
    """Plain SQL on one database, outside tortoise: sqlite3 for a SQLite URL, asyncpg for PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self._conn: Any = None

    async def __aenter__(self) -> "_Sql":
        if self.sqlite:
            self._conn = sqlite3.connect(self.url[len("sqlite://"):].split("?")[0])
        else:
            import asyncpg
            self._conn = await asyncpg.connect(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sqlite:
            self._conn.close()
        else:
            await self._conn.close()

    def _value(self, v: Any) -> Any:
        if isinstance(v, (dict, list)):
            return json.dumps(v)
        if self.sqlite and isinstance(v, bool):
            return int(v)
        if self.sqlite and isinstance(v, datetime):
            return v.isoformat(" ")  # as tortoise's SQLite backend stores it
        return v

    async def _fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with self._conn:
                return [tuple(r) for r in self._conn.execute(sql, args).fetchall()]
        return [tuple(r) for r in await self._conn.fetch(sql, *args)]

    async def insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert one row (its id left to the database, as the application left it); its id."""
        marks = ", ".join("?" if self.sqlite else f"${i}" for i in range(1, len(row) + 1))
        sql = f'INSERT INTO "{table}" ({", ".join(row)}) VALUES ({marks}) RETURNING id'
        ((rid,),) = await self._fetch(sql, *(self._value(v) for v in row.values()))
        return rid

    async def rows(self, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
        """Every row of `table` as tuples of `columns`, in id order."""
        return await self._fetch(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY id')

    async def schema(self) -> dict[str, list[tuple[Any, ...]]]:
        """Per table of ours: its columns as (name, type, not null, default), by name."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        if self.sqlite:
            for (table,) in await self._fetch("SELECT name FROM sqlite_master WHERE type = 'table'"):
                if table not in NOT_OURS:
                    info = await self._fetch(f'PRAGMA table_info("{table}")')
                    out[table] = sorted((name, type_, bool(notnull), default) for _, name, type_, notnull, default, _
                                        in info)
            return out
        for table, name, type_, nullable, length, default in await self._fetch(
                "SELECT table_name, column_name, data_type, is_nullable, character_maximum_length, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public'"):
            if table not in NOT_OURS:
                out.setdefault(table, []).append((name, f"{type_}({length})" if length else type_,
                                                  nullable == "NO", default))
        return {t: sorted(cols) for t, cols in out.items()}

    async def indexes(self) -> dict[str, list[tuple[str, bool]]]:
        """Per table of ours: its indexes as (indexed columns, unique), sorted."""
        out: dict[str, list[tuple[str, bool]]] = {}
        if self.sqlite:
            for (table,) in await self._fetch("SELECT name FROM sqlite_master WHERE type = 'table'"):
                if table in NOT_OURS:
                    continue
                out[table] = []
                for _, index, unique, *_ in await self._fetch(f'PRAGMA index_list("{table}")'):
                    cols = [r[2] for r in await self._fetch(f'PRAGMA index_info("{index}")')]
                    out[table].append((",".join(cols), bool(unique)))
            return {t: sorted(ix) for t, ix in out.items()}
        for table, cols, unique in await self._fetch(
                "SELECT t.relname, string_agg(a.attname, ',' ORDER BY k.n), i.indisunique FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace "
                "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                "WHERE s.nspname = 'public' AND NOT i.indisprimary GROUP BY t.relname, i.indexrelid, i.indisunique"):
            if table not in NOT_OURS:
                out.setdefault(table, []).append((cols, unique))
        return {t: sorted(ix) for t, ix in out.items()}

    async def migrations(self) -> set[tuple[str, str]]:
        """The (app, name) of every migration recorded as applied."""
        return set(await self._fetch("SELECT app, name FROM tortoise_migrations"))


def _legacy_rows(base_url: str) -> list[tuple[str, dict[str, Any]]]:
    """A row for every table release 0.1 made, in foreign-key order; `$table` is that table's id."""
    rsa_private, rsa_public = generate_rsa_pem()
    ed_private, ed_multibase = generate_ed25519_pem()
    actor = f"{base_url}/actors/{HANDLE}"
    story = {"headline": "Ferry line to Aktau reopens", "summary": "The Baku-Aktau ferry sails again.",
             "body_html": "<p>The ferry sails again.</p>", "language": "az", "hashtags": ["Caspian"],
             "canonical_url": None, "urgency": 4,
             "subjects": [{"code": "medtop:04000000", "name": "economy, business and finance",
                           "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}],
             "embargoed_until": None}
    create = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "actor": actor,
              "id": f"{base_url}/activities/00000000-0000-4000-8000-00000000a001",
              "object": f"{base_url}/stories/00000000-0000-4000-8000-000000000001"}
    return [
        ("remote_actor", {
            "uri": ANKARA, "host": "ankara.example", "type": "Organization", "preferred_username": "ankara",
            "name": "Ankara Haber Ajansı", "summary": "Haberler", "url": "https://ankara.example/@ankara",
            "icon_url": "", "inbox": f"{ANKARA}/inbox", "shared_inbox": "https://ankara.example/inbox",
            "key_id": f"{ANKARA}#main-key", "public_key_pem": rsa_public,
            "document": {"id": ANKARA, "type": "Organization", "inbox": f"{ANKARA}/inbox"},
            "fetched_at": T0, "deleted_at": None}),
        ("actor_key", {"actor": HANDLE, "private_key_pem": rsa_private, "public_key_pem": rsa_public,
                       "created_at": T0}),
        ("proof_key", {"actor": HANDLE, "kind": "ed25519", "key_id": f"{actor}#{ed_multibase}",
                       "private_key_pem": ed_private, "public_key": ed_multibase, "created_at": T0,
                       "expires_at": None}),
        ("host_health", {"host": "ankara.example", "consecutive_failures": 2, "parked": False,
                         "last_failure_at": T1, "last_success_at": T0}),
        ("inbox_item", {
            "activity_id": "https://ankara.example/activities/follow-1", "actor_uri": ANKARA, "type": "Follow",
            "body": json.dumps({"type": "Follow", "actor": ANKARA, "object": actor}), "signature": "draft-cavage",
            "key_id": f"{ANKARA}#main-key", "state": "processed", "attempts": 1, "next_attempt_at": T0,
            "locked_until": None, "claim_token": None, "note": None, "received_at": T0, "processed_at": T0}),
        ("follower", {"actor_id": "$remote_actor", "local": HANDLE, "state": "accepted",
                      "follow_activity_id": "https://ankara.example/activities/follow-1", "created_at": T0,
                      "updated_at": T0}),
        ("following", {"actor_id": "$remote_actor", "local": HANDLE, "state": "accepted",
                       "follow_activity_id": f"{base_url}/activities/00000000-0000-4000-8000-00000000f001",
                       "created_at": T0, "updated_at": T1}),
        ("story", {"uuid": "00000000-0000-4000-8000-000000000001", **story, "state": "published", "version": 1,
                   "published_at": T0, "updated_at": None, "deleted_at": None, "import_uri": None,
                   "kill_reason": None}),
        ("story_revision", {"story_id": "$story", "number": 1, "content_hash": content_hash(story),
                            "snapshot": story, "correction": False, "correction_note": {}, "created_at": T0}),
        ("story_translation", {
            "story_id": "$story", "language": "en", "headline": "Ferry line to Aktau reopens (en)",
            "summary": "The ferry sails again.", "body_html": "<p>The ferry sails again (en).</p>",
            "source_language": "az", "source_digest": _hex("az"), "method": "human", "engine": "",
            "translated_by": "", "translator": "Baku desk", "reviewer": "Chief editor", "status": "approved",
            "created_at": T0, "updated_at": T1, "approved_at": T1}),
        ("translation_decision", {"story_id": "$story", "language": "en", "action": "approved",
                                  "actor": "Chief editor", "status_before": "pending_review",
                                  "status_after": "approved", "note": "", "created_at": T1}),
        ("translation_job", {
            "story_id": "$story", "language": "tr", "source_language": "az", "state": "translated", "attempts": 1,
            "next_attempt_at": T0, "locked_until": None, "claim_token": None, "engine": "libretranslate",
            "source_hash": _hex("story"), "result": {"headline": "Aktau feribotu", "summary": "", "body_html": ""},
            "last_error": None, "created_at": T0, "queued_at": T0, "translated_at": T1}),
        ("translation_offer", {
            "object_uri": "https://ankara.example/translations/1", "language": "tr", "headline": "Aktau feribotu",
            "summary": "", "body_html": "<p>Feribot.</p>", "method": "human", "engine": "", "translator": "Ankara",
            "state": "offered", "received_at": T1, "decided_at": None, "decided_by": "",
            "actor_id": "$remote_actor", "story_id": "$story"}),
        ("outbox_activity", {
            "uuid": "00000000-0000-4000-8000-00000000a001", "activity_id": create["id"], "actor": HANDLE,
            "type": "Create", "story_id": "$story", "body": json.dumps(create), "digest": "SHA-256=" + _hex("c"),
            "public": True, "created_at": T0}),
        ("delivery", {
            "activity_id": "$outbox_activity", "inbox": "https://ankara.example/inbox", "host": "ankara.example",
            "state": "delivered", "attempts": 1, "next_attempt_at": T0, "locked_until": None, "claim_token": None,
            "last_status": 202, "last_error": None, "created_at": T0, "delivered_at": T0}),
        ("wire_story", {
            "uri": WIRE_URI, "actor_id": "$remote_actor", "type": "Article", "language": "tr",
            "headline": "Feribot seferleri yeniden başladı", "summary": "", "content_html": "<p>Feribot.</p>",
            "url": WIRE_URI, "object": {"id": WIRE_URI, "type": "Article"}, "state": "live",
            "signature": "draft-cavage", "published_at": T0, "updated_at": None, "received_at": T0,
            "deleted_at": None, "revision": 1, "urgency": 3, "subjects": [], "embargoed_until": None,
            "kill_reason": None}),
        ("wire_revision", {
            "wire_story_id": "$wire_story", "number": 1, "content_hash": "sha256:" + _hex("wire"),
            "headline": "Feribot seferleri yeniden başladı", "correction": False, "correction_note": {},
            "updated_at": T0, "received_at": T0, "proof_status": "verified",
            "proof_key_id": f"{ANKARA}#z6MkAnkara"}),
        ("wire_proof", {
            "story_id": "$wire_story", "status": "verified", "code": "", "reason": "",
            "key_id": f"{ANKARA}#z6MkAnkara", "origin": ANKARA, "via": ANKARA,
            "signed_object": {"id": WIRE_URI, "proof": {"type": "DataIntegrityProof"}}, "checked_at": T0}),
        ("wire_translation", {
            "story_id": "$wire_story", "language": "tr", "headline": "Feribot seferleri yeniden başladı",
            "summary": "", "content_html": "<p>Feribot.</p>", "kind": "original", "source_language": "tr",
            "method": "", "engine": "", "translated_by": "", "translator": "", "reviewed_by": "", "updated": None,
            "received_at": T0}),
        ("machine_reading", {
            "wire_story_id": "$wire_story", "language": "az", "source_hash": _hex("wire"),
            "engine": "libretranslate", "headline": "Bərə", "summary": "", "body_html": "<p>Bərə.</p>",
            "created_at": T1}),
        ("offered_translation", {
            "uuid": "00000000-0000-4000-8000-00000000e001", "wire_story_id": "$wire_story", "language": "az",
            "headline": "Bərə xətti yenidən açıldı", "summary": "", "body_html": "<p>Bərə.</p>",
            "source_language": "tr", "method": "human", "engine": "", "translator": "Baku desk",
            "state": "offered", "note": "", "created_at": T1, "decided_at": None}),
        ("boost", {"activity_id": "https://ankara.example/activities/announce-1", "actor_id": "$remote_actor",
                   "story_id": "$wire_story", "created_at": T1}),
    ]


@contextlib.asynccontextmanager
async def _database(tmp_path: Path, database_url: str | None, name: str) -> AsyncIterator[str]:
    """A new, empty database: a SQLite file in `tmp_path`, or a fresh PostgreSQL database."""
    if database_url == "postgres":
        async with postgres_database() as url:
            yield url
    else:
        yield f"sqlite://{tmp_path / (name + '.sqlite3')}"


@dataclass
class _Legacy:
    """A database as release 0.1 left it: its URL, and per table its columns and its rows (as read back)."""

    url: str
    columns: dict[str, list[str]]
    rows: dict[str, list[tuple[Any, ...]]]

    def only(self, table: str) -> dict[str, Any]:
        """The one row of `table`, by column name."""
        (row,) = self.rows[table]
        return dict(zip(self.columns[table], row))

    async def rows_now(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows now, read through release 0.1's columns."""
        async with _Sql(self.url) as sql:
            return {table: await sql.rows(table, columns) for table, columns in self.columns.items()}


@contextlib.asynccontextmanager
async def _legacy_database(tmp_path: Path, database_url: str | None, base_url: str) -> AsyncIterator[_Legacy]:
    """A database migrated by release 0.1's chain and filled through plain SQL, a row in every table."""
    async with _database(tmp_path, database_url, "old") as url:
        await _migrate_in_own_task(_legacy_config(url))
        ids: dict[str, int] = {}
        async with _Sql(url) as sql:
            columns = {table: [c[0] for c in cols] for table, cols in (await sql.schema()).items()}
            for table, row in _legacy_rows(base_url):
                values = {k: ids[v[1:]] if isinstance(v, str) and v.startswith("$") else v for k, v in row.items()}
                ids[table] = await sql.insert(table, values)
        assert set(ids) == set(columns), "every table release 0.1 made needs a row here"
        legacy = _Legacy(url, columns, {})
        legacy.rows = await legacy.rows_now()
        yield legacy


def _agency_node(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `agency-node` command line in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AGENCY_NODE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "node.cli", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=120, env=env)


def _config_file(tmp_path: Path, port: int, url: str) -> Path:
    return write_config(tmp_path / "node.toml", node_config_data(tmp_path, HANDLE, port=port, database_url=url))


@pytest.mark.postgres
async def test_migration_layout__migrate_keeps_every_row_of_a_release_0_1_database(tmp_path, database_url):
    """`agency-node migrate` on a 0.1 database adopts the engine's tables: every row of every table is kept,
    federation.0001 is recorded beside the newsroom's chain, and migrating again applies nothing."""
    from node.db import tortoise_config

    port = free_port()
    async with _legacy_database(tmp_path, database_url, f"http://127.0.0.1:{port}") as legacy:
        config = _config_file(tmp_path, port, legacy.url)
        # Before the upgrade, commands refuse to work on the old schema and say what to do.
        res = _agency_node("-c", str(config), "deliveries", cwd=tmp_path)
        assert res.returncode == 1 and "federation.0001_initial" in res.stderr \
            and "run `agency-node migrate` first" in res.stderr, res.stdout + res.stderr
        res = _agency_node("-c", str(config), "migrate", cwd=tmp_path)
        assert res.returncode == 0 and "adopted federation.0001_initial" in res.stdout, res.stdout + res.stderr
        assert await legacy.rows_now() == legacy.rows

        async with _database(tmp_path, database_url, "fresh") as fresh_url:
            await _migrate_in_own_task(tortoise_config(fresh_url))
            async with _Sql(fresh_url) as fresh, _Sql(legacy.url) as upgraded:
                expected, recorded = await fresh.migrations(), await upgraded.migrations()
        assert ("federation", "0001_initial") in recorded and ("models", "0006_revision_proofs") in recorded
        assert recorded == expected

        res = _agency_node("-c", str(config), "migrate", cwd=tmp_path)
        assert res.returncode == 0 and res.stdout.strip().endswith("schema already current"), res.stdout + res.stderr
        assert await legacy.rows_now() == legacy.rows


@pytest.mark.postgres
async def test_migration_layout__upgraded_schema_matches_a_fresh_one(tmp_path, database_url):
    """After the upgrade every table has the columns and indexes a freshly migrated database has: adopted
    tables do not drift from the ones new nodes get."""
    from node.db import tortoise_config

    port = free_port()
    async with _legacy_database(tmp_path, database_url, f"http://127.0.0.1:{port}") as legacy:
        res = _agency_node("-c", str(_config_file(tmp_path, port, legacy.url)), "migrate", cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        async with _database(tmp_path, database_url, "fresh") as fresh_url:
            await _migrate_in_own_task(tortoise_config(fresh_url))
            async with _Sql(legacy.url) as upgraded, _Sql(fresh_url) as fresh:
                assert await upgraded.schema() == await fresh.schema()
                assert await upgraded.indexes() == await fresh.indexes()


@pytest.mark.postgres
async def test_migration_layout__node_serves_the_old_data_after_upgrade(tmp_path, database_url):
    """A node started on the upgraded database serves what 0.1 stored: its keys, its story with its deliveries
    and translation, its follower and followee, the wire story and the offer of the old remote actor."""
    port = free_port()
    async with _legacy_database(tmp_path, database_url, f"http://127.0.0.1:{port}") as legacy:
        res = _agency_node("-c", str(_config_file(tmp_path, port, legacy.url)), "migrate", cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        actor_key, proof_key = legacy.only("actor_key"), legacy.only("proof_key")
        story, revision = legacy.only("story"), legacy.only("story_revision")
        config = node_config(tmp_path, HANDLE, port=port, database_url=legacy.url)
        async with running_node(tmp_path, HANDLE, config=config) as baku:
            status, doc, _ = await baku.get(f"/actors/{HANDLE}")
            assert status == 200, doc
            # The keys 0.1 made, not new ones: peers that cached them still verify our signatures and proofs.
            assert doc["publicKey"]["publicKeyPem"].strip() == actor_key["public_key_pem"].strip()
            assert proof_key["public_key"] in json.dumps(doc["assertionMethod"])

            _, listed = await baku.api("GET", "/api/stories")
            (old,) = listed["stories"]
            assert (old["id"], old["headline"], old["urgency"], old["deliveries"]) == (
                story["uuid"], "Ferry line to Aktau reopens", 4, {"delivered": 1})
            _, sent = await baku.api("GET", f"/api/stories/{old['id']}/deliveries")
            assert [(d["type"], d["inbox"], d["last_status"]) for d in sent["deliveries"]] == [
                ("Create", "https://ankara.example/inbox", 202)]
            _, revs = await baku.api("GET", f"/api/stories/{old['id']}/revisions")
            assert [(r["revision"], r["contentHash"]) for r in revs["revisions"]] == [(1, revision["content_hash"])]
            status, article, _ = await baku.get(f"/stories/{old['id']}")
            assert status == 200 and set(article["contentMap"]) == {"az", "en"}, article

            status, outbox, _ = await baku.get(f"/actors/{HANDLE}/outbox")
            assert status == 200 and outbox["totalItems"] == 1
            for collection in ("followers", "following"):
                status, page, _ = await baku.get(f"/actors/{HANDLE}/{collection}?page=1")
                assert status == 200 and page["orderedItems"] == [ANKARA], (collection, page)
            _, followers = await baku.api("GET", "/api/followers")
            assert [(f["actor"], f["state"], f["inbox"]) for f in followers["followers"]] == [
                (ANKARA, "accepted", "https://ankara.example/inbox")]

            status, wire = await baku.api("GET", f"/api/wire/story?id={WIRE_URI}")
            assert status == 200, wire
            assert (wire["actor"], wire["agency_name"], wire["proof"]["status"]) == (
                ANKARA, "Ankara Haber Ajansı", "verified")
            assert [(r["revision"], r["proof"]["status"]) for r in wire["revisions"]] == [(1, "verified")]
            _, offers = await baku.api("GET", "/api/offers")
            assert [o["headline"] for o in offers["offers"]] == ["Aktau feribotu"], offers
