"""Backing up and restoring a node's SQLite database (the agency's stories, follows, queues and private keys).

A backup is one self-contained SQLite file, copied with SQLite's online backup API inside a single read
transaction: consistent while the node runs (in WAL mode readers never block the node's writes). It holds the
agency's private keys, so it is written readable by its owner only. PostgreSQL databases are backed up with
`pg_dump`; `pg_dump_command` says how. The media stock's files live in the `[media] dir` folder, not in the
database, and are backed up alongside (`media_hint`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable

from node.config import redact_url

__all__ = ["BackupError", "REQUIRED_TABLES", "backup_sqlite", "check_backup", "media_hint", "pg_dump_command",
           "restore_sqlite", "sqlite_path"]

# A file holding these is an Agency Node database (the keys, the engine's and the newsroom's first tables).
REQUIRED_TABLES = frozenset({"tortoise_migrations", "actor_key", "remote_actor", "follower", "inbox_item", "story"})
_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore could not be made; the message says why, for the operator."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a `sqlite://` URL (None for any other database)."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url[len("sqlite://"):].partition("?")[0]
    if path == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(path)


def pg_dump_command(database_url: str, file: str) -> str:
    """The pg_dump command line that backs up a PostgreSQL database to `file`, its password masked."""
    url = redact_url(database_url).replace("postgres://", "postgresql://", 1)
    return f"pg_dump --format=custom --file '{file}' '{url}'"


def media_hint(media_dir: str, file: Path) -> str:
    """The line telling the operator to keep the media stock's folder with the database backup."""
    return (f"the media stock's files are not in the database: back up {media_dir} alongside, for example "
            f"tar -C '{media_dir}' -cf '{file}.media.tar' .")


def _copy(source: sqlite3.Connection, dest_path: Path, progress: Callable[[int, int], None] | None) -> None:
    """Copy `source` into a new file at `dest_path` in one step (one read transaction, so one consistent state),
    reporting the bytes written so far from this thread while a worker thread copies."""
    total = source.execute("PRAGMA page_count").fetchone()[0] * source.execute("PRAGMA page_size").fetchone()[0]
    dest = sqlite3.connect(dest_path, check_same_thread=False)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            source.backup(dest, pages=-1)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(2.0)
        if worker.is_alive() and progress is not None:
            progress(dest_path.stat().st_size if dest_path.exists() else 0, total)
    try:
        if failure:
            raise BackupError(f"the copy failed: {failure[0]}")
        # One self-contained file: the copy takes its source's WAL mode, which would need a -wal file next to it.
        dest.execute("PRAGMA journal_mode=DELETE")
        if dest.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy does not pass SQLite's quick_check")
    finally:
        dest.close()
    if progress is not None:
        progress(total, total)


def backup_sqlite(source_path: Path, file: Path, *, force: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Copy the database at `source_path` into `file` (owner-only permissions); the bytes written."""
    if not source_path.is_file():
        raise BackupError(f"no database at {source_path}")
    if file.exists() and not force:
        raise BackupError(f"{file} exists (use --force to overwrite it)")
    _copy_private(f"file:{source_path}?mode=ro", file.with_name(file.name + ".partial"), progress)
    os.replace(file.with_name(file.name + ".partial"), file)
    return file.stat().st_size


def _copy_private(source_uri: str, tmp: Path, progress: Callable[[int, int], None] | None) -> None:
    """Copy the database at `source_uri` into `tmp`, a new owner-only file (the keys are in it: never
    world-readable); nothing is left of `tmp` when the copy fails."""
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = sqlite3.connect(source_uri, uri=True, timeout=30, check_same_thread=False)
    try:
        _copy(source, tmp, progress)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        source.close()


def check_backup(file: Path) -> None:
    """Raise BackupError unless `file` is a SQLite database holding an Agency Node schema."""
    try:
        with open(file, "rb") as fh:
            header = fh.read(len(_HEADER))
    except OSError as exc:
        raise BackupError(f"cannot read {file}: {exc.strerror or exc}") from None
    if header != _HEADER:
        raise BackupError(f"{file} is not a SQLite database")
    conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{file} is damaged (SQLite's quick_check fails)")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(f"{file} is not an Agency Node database (no {', '.join(sorted(missing))} table)")


def restore_sqlite(file: Path, target: Path, *, force: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> None:
    """Put the backup `file` in place as the database `target` (only over an existing one with `force`)."""
    check_backup(file)
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"a database exists at {target}: stop the node and use --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    tmp = target.with_name(target.name + ".restoring")
    _copy_private(f"file:{file}?mode=ro", tmp, progress)
    # The replaced database's write-ahead log belongs to it: left next to the restored file, SQLite would replay
    # it into the restored one.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
