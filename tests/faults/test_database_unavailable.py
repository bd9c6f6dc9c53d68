"""The SQLite database locked by another process past the busy timeout, or its files made read-only under a running
node: writes are answered 503 with Retry-After and a problem document (never a 500), reads go on, nothing
half-written stays behind, and the node writes again as soon as the lock or the read-only flag goes.

Read-only is made with `chattr +i` (immutable): the node runs as root in CI, and root ignores file modes; it
skips where the file system has no such flag."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from node.stories.models import Story
from tests.nodes import TOKEN, running_node

STORY = {"headline": "Ferry line reopens", "body": "<p>Ferries sail again across the bay.</p>", "language": "en"}


@contextlib.contextmanager
def write_lock(db: Path) -> Iterator[None]:
    """Another process holding the database's write lock (BEGIN IMMEDIATE) until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\nsys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        yield
    finally:
        holder.stdin.close()  # type: ignore[union-attr]
        holder.wait(10)


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """The files made read-only even for root (the ext4/xfs immutable flag) until the block ends."""
    done = [p for p in paths if p.exists()]
    try:
        for p in done:
            made = subprocess.run(["chattr", "+i", str(p)], capture_output=True)
            if made.returncode != 0:
                pytest.skip(f"cannot make {p.name} immutable here: {made.stderr.decode().strip()}")
        yield
    finally:
        for p in done:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)


async def _unavailable_answers(baku) -> None:
    """Publishing is refused with a 503 problem carrying Retry-After; reading still answers."""
    async with baku.session.post(baku.base_url + "/api/stories", json=STORY,
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as r:
        doc = await r.json(content_type=None)
        assert r.status == 503, doc
        assert r.content_type == "application/problem+json"
        assert int(r.headers["Retry-After"]) > 0
        assert doc["status"] == 503 and "database" in doc["detail"]
    status, actor, _ = await baku.get("/actors/baku")
    assert status == 200 and actor["id"] == baku.actor_id


async def test_database_locked__writes_answer_503_then_work_once_the_lock_goes(tmp_path):
    """Another process holds SQLite's write lock past the busy timeout (5 s): a story POSTed meanwhile is answered
    503 with Retry-After, no part of it is stored, the public actor document still answers; after the lock goes
    the same POST is stored."""
    async with running_node(tmp_path, "baku") as baku:
        status, first = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        with write_lock(tmp_path / "baku.sqlite3"):
            await _unavailable_answers(baku)
        assert await baku.db(lambda: Story.all().count()) == 1
        status, doc = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, doc
        assert await baku.db(lambda: Story.all().count()) == 2


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr (e2fsprogs) for the immutable flag")
async def test_database_read_only__writes_answer_503_then_work_once_writable(tmp_path):
    """The database file and its write-ahead log made read-only under the running node: publishing is answered
    503 with Retry-After, nothing of it is stored, reads go on; once writable again, publishing works."""
    async with running_node(tmp_path, "baku") as baku:
        status, first = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        db = tmp_path / "baku.sqlite3"
        with immutable(db, Path(f"{db}-wal")):
            await _unavailable_answers(baku)
            async with baku.session.get(first["url"], headers={"Accept": "application/activity+json"}) as resp:
                assert resp.status == 200
        assert await baku.db(lambda: Story.all().count()) == 1
        status, doc = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, doc
        assert await baku.db(lambda: Story.all().count()) == 2
