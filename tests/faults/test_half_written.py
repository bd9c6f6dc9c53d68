"""Half-written media files: a process killed while it streams a file into the store leaves its temporary file
behind; the next start sweeps the temporary files of writers that are gone, and never a live writer's or a stored
file. (The crash suite's `media-fetch` kill point shows it end to end.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from node.media.storage import LocalStore


async def test_sweep__removes_dead_writers_temporary_files_only(tmp_path):
    """Files of a dead writer (and an unnamed one a day old) go; this process's file in progress and the stored
    files stay."""
    store = LocalStore(tmp_path)
    (tmp_path / "tmp").mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / "tmp" / f"upload-{int(gone.stdout)}-abc"
    live = tmp_path / "tmp" / f"upload-{os.getpid()}-def"
    old = tmp_path / "tmp" / "upload-xyz"
    for f in (dead, live, old):
        f.write_bytes(b"\xff\xd8 half a picture")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    stored = store.path("ab" * 32)
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"a whole file")
    assert await store.sweep() == 2
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [live.name]
    assert stored.read_bytes() == b"a whole file"
    assert await store.sweep() == 0
