"""`agency-node backup FILE` and `agency-node restore FILE`: the node's database, with the agency's keys in it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.backup import BackupError, backup_sqlite, media_hint, pg_dump_command, restore_sqlite, sqlite_path
from node.cli.common import Add, CliError, run_migrations, safe_url

__all__ = ["register"]

SECRET_WARNING = ("WARNING: this file holds the agency's private signing keys (and its API and follower data): "
                  "anyone who has it can publish as the agency. Keep it secret, encrypted, and off shared drives.")


def _progress(done: int, total: int) -> None:
    if total:
        print(f"  copied {done / 1048576:.1f} of {total / 1048576:.1f} MiB ({100 * done // total}%)", flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    config = args.cfg
    file = Path(args.file)
    source = sqlite_path(config.database_url)
    if source is None:
        raise CliError("`agency-node backup` copies SQLite databases; for PostgreSQL, pg_dump is the tool "
                       "(it is consistent while the node runs). Run, with the real password:\n  "
                       + pg_dump_command(config.database_url, str(file))
                       + f"\n  {media_hint(str(config.media.get('dir', 'media')), file)}\n{SECRET_WARNING}")
    try:
        size = backup_sqlite(source, file, force=args.force, progress=_progress)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"backed up {safe_url(config.database_url)} to {file} ({size / 1048576:.1f} MiB, readable by you only)")
    print(media_hint(str(config.media.get("dir", "media")), file))
    print(SECRET_WARNING, file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    config = args.cfg
    target = sqlite_path(config.database_url)
    if target is None:
        raise CliError("`agency-node restore` restores SQLite backups; for PostgreSQL restore a pg_dump file with "
                       f"pg_restore --clean --dbname '{safe_url(config.database_url)}' FILE")
    try:
        restore_sqlite(Path(args.file), target, force=args.force, progress=_progress)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"restored {args.file} to {safe_url(config.database_url)}")
    run_migrations(config)  # a backup made by an older release gets the current schema
    print(f"restore the media stock's files into {config.media.get('dir', 'media')} too, if you backed them up")
    print(SECRET_WARNING, file=sys.stderr)
    return 0


def register(add: Add) -> None:
    """Add this group's commands to the `agency-node` parser."""
    p = add("backup", cmd_backup, "copy the database (with the agency's keys) to FILE, while the node runs")
    p.add_argument("file", metavar="FILE", help="the backup file to write")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p = add("restore", cmd_restore, "put a backup FILE in place as the node's database, then migrate it")
    p.add_argument("file", metavar="FILE", help="a file written by `agency-node backup`")
    p.add_argument("--force", action="store_true", help="replace an existing database (stop the node first)")
