"""A full disk: the media folder or the database on a tiny tmpfs that fills up. Uploads and publishing are
refused with a clear problem (507 Insufficient Storage), nothing half-written stays behind, reads go on, and
everything works again once space is freed. Needs root to mount the tmpfs (CI runs as root); skips otherwise."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from node.media.models import MediaItem
from node.stories.models import Story
from tests.node.media import photos
from tests.nodes import TOKEN, node_config, running_node

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None,
                                reason="mounting a small tmpfs to fill needs root (CI runs as root)")


@contextlib.contextmanager
def tiny_disk(path: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the test."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(disk: Path) -> Path:
    """Fill the disk to the last byte; the filler file, to delete for room."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:  # unbuffered: closing it has nothing left to write
        for size in (65536, 4096, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError:
                pass
    return filler


async def _upload(rn, body: bytes) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/octet-stream"}
    async with rn.session.post(rn.base_url + "/api/media", data=body, headers=headers,
                               params={"alt": "A ferry"}) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_disk_full__media_upload_refused_cleanly_then_works_again(tmp_path):
    """The media folder's disk is full: an upload answers 507 with a problem, no stock row and no stray file; after
    space is freed the same upload is stored."""
    with tiny_disk(tmp_path / "disk") as disk:
        config = node_config(tmp_path, "baku", sections={"media": {"dir": str(disk / "media")}})
        async with running_node(tmp_path, "baku", config=config) as baku:
            photo = photos.jpeg(image=photos.picture(640, 480))
            filler = _fill(disk)
            before = {p for p in disk.rglob("*") if p.is_file()}
            status, doc = await _upload(baku, photo)
            assert status == 507, doc
            assert doc["title"] and "space" in doc["detail"]
            assert await baku.db(lambda: MediaItem.all().count()) == 0
            assert {p for p in disk.rglob("*") if p.is_file()} == before
            filler.unlink()
            status, doc = await _upload(baku, photo)
            assert status == 201, doc


async def test_disk_full__database_full_refuses_publishing_and_keeps_reading(tmp_path):
    """The SQLite database's disk is full: publishing answers 507 with a problem and leaves no story behind, GETs
    still answer; after space is freed, publishing works."""
    with tiny_disk(tmp_path / "disk", size="64m") as disk:
        config = node_config(tmp_path, "baku", database_url=f"sqlite://{disk / 'baku.sqlite3'}")
        async with running_node(tmp_path, "baku", config=config) as baku:
            story = {"headline": "Ferry line reopens", "body": "<p>" + "Ferries sail. " * 2000 + "</p>",
                     "language": "en"}
            status, first = await baku.api("POST", "/api/stories", story)
            assert status == 201
            filler = _fill(disk)
            statuses = []
            for _ in range(3):
                status, doc = await baku.api("POST", "/api/stories", story)
                statuses.append(status)
            assert 507 in statuses and all(s in (201, 507) for s in statuses), statuses
            async with baku.session.get(first["url"], headers={"Accept": "application/activity+json"}) as resp:
                assert resp.status == 200
            stored = await baku.db(lambda: Story.all().count())
            assert stored == 1 + statuses.count(201)
            filler.unlink()
            status, doc = await baku.api("POST", "/api/stories", story)
            assert status == 201, doc
