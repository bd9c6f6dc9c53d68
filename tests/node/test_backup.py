"""`agency-node backup` and `restore`: a restored node carries on federating with the same identity."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

from federation.store.models import InboxItem, RemoteActor
from node.cli import main
from node.config import config_from_dict
from tests.nodes import node_config_data, running_node, settle, write_config

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "language": "en"}


async def _cli(*argv: str) -> int:
    """Run the command line in a thread, as its own process would (it starts its own event loops)."""
    return await asyncio.to_thread(main, list(argv))


async def test_backup__restored_node_keeps_identity_and_followers(tmp_path, capsys):
    """Back up a running node with a story and a follower, restore it into a new folder and start it there: its
    actor has the same key, and the follower stores and verifies its next story."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    data = node_config_data(tmp_path / "a", "baku")
    first = write_config(tmp_path / "a" / "node.toml", data)
    backup = tmp_path / "baku-backup.sqlite3"
    async with running_node(tmp_path, "ankara") as ankara:
        async with running_node(tmp_path / "a", "baku", config=config_from_dict(data, environ={})) as baku:
            status, _ = await ankara.api("POST", "/api/following", {"handle": baku.handle})
            assert status == 202
            await settle(ankara, baku)
            assert (await baku.api("POST", "/api/stories", STORY))[0] == 201
            await settle(ankara, baku)
            _, before, _ = await baku.get(f"/actors/{baku.config.agency.handle}")
            assert await _cli("-c", str(first), "backup", str(backup)) == 0  # while the node runs
        out = capsys.readouterr()
        assert "private signing keys" in out.err and "media" in out.out
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600

        moved = {**data, "node": {**data["node"], "database_url": f"sqlite://{tmp_path / 'b' / 'baku.sqlite3'}"},
                 "media": {"dir": str(tmp_path / "b" / "media")}}
        second = write_config(tmp_path / "b" / "node.toml", moved)
        assert await _cli("-c", str(second), "restore", str(backup)) == 0
        async with running_node(tmp_path / "b", "baku", config=config_from_dict(moved, environ={})) as restored:
            _, after, _ = await restored.get(f"/actors/{restored.config.agency.handle}")
            assert after["publicKey"] == before["publicKey"]
            assert after["assertionMethod"] == before["assertionMethod"]
            _, followers = await restored.api("GET", "/api/followers")
            assert [f["actor"] for f in followers["followers"]] == [ankara.actor_id]
            assert (await restored.api("POST", "/api/stories", {**STORY, "headline": "Second sailing"}))[0] == 201
            await settle(ankara, restored)
            _, wire = await ankara.api("GET", "/api/wire")
            assert sorted(s["headline"] for s in wire["stories"]) == ["Caspian ferry line reopens", "Second sailing"]
            rows = await ankara.db(lambda: InboxItem.filter(type="Create").values_list("state", "signature"))
            assert rows == [("processed", "draft-cavage")] * 2
            cached = await ankara.db(lambda: RemoteActor.get(uri=restored.actor_id))
            assert cached.public_key_pem == after["publicKey"]["publicKeyPem"]


async def test_restore__refuses_existing_database_and_foreign_files(tmp_path, capsys):
    """Restore will not replace an existing database without --force, nor take a SQLite file of another schema."""
    data = node_config_data(tmp_path, "baku")
    path = write_config(tmp_path / "node.toml", data)
    async with running_node(tmp_path, "baku", config=config_from_dict(data, environ={})):
        pass
    backup = tmp_path / "b.sqlite3"
    assert await _cli("-c", str(path), "backup", str(backup)) == 0
    assert await _cli("-c", str(path), "backup", str(backup)) == 1  # never overwrites a backup silently
    assert await _cli("-c", str(path), "restore", str(backup)) == 1
    assert "--force" in capsys.readouterr().err
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE notes (id INTEGER)").connection.commit()
    assert await _cli("-c", str(path), "restore", "--force", str(other)) == 1
    assert "not an Agency Node database" in capsys.readouterr().err
    (tmp_path / "junk").write_bytes(b"not a database at all")
    assert await _cli("-c", str(path), "restore", "--force", str(tmp_path / "junk")) == 1
    assert "not a SQLite database" in capsys.readouterr().err
    assert await _cli("-c", str(path), "restore", "--force", str(backup)) == 0


def test_backup__postgres_names_pg_dump_with_password_masked(tmp_path, capsys):
    """On PostgreSQL the command says pg_dump is the tool, prints its command without the password, exits 1."""
    data = node_config_data(tmp_path, "baku", database_url="postgres://agency:s3cret-pw@db.example:5432/agency")
    path = write_config(tmp_path / "node.toml", data)
    assert main(["-c", str(path), "backup", str(tmp_path / "x.dump")]) == 1
    err = capsys.readouterr().err
    assert "pg_dump --format=custom" in err and "agency:***@db.example:5432/agency" in err
    assert "s3cret-pw" not in err and not Path(tmp_path / "x.dump").exists()
