"""Where media bytes live: a content-addressed store, the same file twice is kept once.

`LocalStore` (the default) keeps each file at ``<dir>/<aa>/<bb>/<sha256>`` and writes an upload as a stream: the
bytes go to a temporary file in the store while they are hashed and counted, and only a complete file within its
limit is moved into place (an atomic rename), so a cut-off or refused upload leaves nothing behind. Disk writes run
in a thread, off the event loop. An object store can take its place behind the same small interface
(`MediaStore`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, AsyncIterator, Callable, Protocol

__all__ = ["LocalStore", "MediaStore", "Stored", "TooLarge"]

CHUNK = 256 * 1024


class TooLarge(Exception):
    """The stream passed its limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit:,} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Stored:
    sha256: str        # hex
    size: int
    created: bool      # False when the store already had these bytes


# Called once with the first bytes (at least `head_bytes` of them, or the whole file if shorter); returns the
# limit for the whole file (it may raise to refuse the file from its first bytes).
HeadCheck = Callable[[bytes], int]


class MediaStore(Protocol):
    async def put_stream(self, chunks: AsyncIterator[bytes], check_head: HeadCheck,
                         head_bytes: int = 4096) -> Stored: ...
    def path(self, sha256: str) -> Path: ...
    def exists(self, sha256: str) -> bool: ...
    async def remove(self, sha256: str) -> None: ...
    async def sweep(self) -> int: ...


def _valid_hash(sha256: str) -> bool:
    return len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256)


class LocalStore:
    """Media files in a local folder, by content hash."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _valid_hash(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return _valid_hash(sha256) and self.path(sha256).is_file()

    async def remove(self, sha256: str) -> None:
        """Delete a file (one an upload stored and that was then refused, or replaced by its cleaned copy)."""
        await asyncio.get_running_loop().run_in_executor(None, lambda: self.path(sha256).unlink(missing_ok=True))

    async def put_stream(self, chunks: AsyncIterator[bytes], check_head: HeadCheck,
                         head_bytes: int = 4096) -> Stored:
        """Store a stream of bytes; `check_head` sees its first bytes and names the size limit."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: (self.root / "tmp").mkdir(parents=True, exist_ok=True))
        # The writer's pid in the name: a file whose writer is gone (killed mid-write) is swept at start.
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp", prefix=f"upload-{os.getpid()}-")
        tmp = Path(tmp_name)
        digest, size, head, limit = hashlib.sha256(), 0, b"", None
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in _rechunk(chunks):
                    if limit is None:
                        head += chunk
                        if len(head) < head_bytes:
                            continue
                        limit = check_head(head)
                        chunk, head = head, b""
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(limit)
                    digest.update(chunk)
                    await loop.run_in_executor(None, out.write, chunk)
                if limit is None:  # the whole file is shorter than head_bytes
                    limit = check_head(head)
                    size = len(head)
                    if size > limit:
                        raise TooLarge(limit)
                    digest.update(head)
                    await loop.run_in_executor(None, out.write, head)
                await loop.run_in_executor(None, _flush, out)
            sha = digest.hexdigest()
            final = self.path(sha)
            created = await loop.run_in_executor(None, _place, tmp, final)
            return Stored(sha, size, created)
        finally:
            tmp.unlink(missing_ok=True)


    async def sweep(self) -> int:
        """Remove the temporary files of writers that are gone (a process killed while it stored a file leaves
        its half-written upload behind), or untouched for a day; returns how many. Never touches stored files."""
        return await asyncio.get_running_loop().run_in_executor(None, _sweep, self.root / "tmp")


def _sweep(tmp_dir: Path) -> int:
    removed = 0
    for path in tmp_dir.glob("upload-*") if tmp_dir.is_dir() else ():
        writer = path.name.split("-")[1]
        try:
            stale = time.time() - path.stat().st_mtime > 86400
        except FileNotFoundError:
            continue
        if stale or not (writer.isdigit() and _alive(int(writer))):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


async def _rechunk(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        for i in range(0, len(chunk), CHUNK):
            yield chunk[i:i + CHUNK]


def _flush(out: IO[bytes]) -> None:
    out.flush()
    os.fsync(out.fileno())


def _place(tmp: Path, final: Path) -> bool:
    """Move a complete upload into place; False (and nothing moved) when the store already holds it."""
    if final.is_file():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    return True
