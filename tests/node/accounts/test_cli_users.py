"""`agency-node users ...` as a real process, and the accounts it makes logging in over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.node.test_cli import cli
from tests.nodes import free_port

SUBCOMMANDS = ["add", "list", "disable", "enable", "reset-password", "role"]
PASSWORD = "correct horse battery"


@pytest.fixture
def folder(tmp_path):
    port = free_port()
    res = cli("init", "--handle", "baku", "--name", "Baku News", "--port", str(port), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    with open(tmp_path / "node.toml", "a", encoding="utf-8") as f:  # cheap hashing: a shared 2-core machine
        f.write("\n[accounts]\npassword_time_cost = 1\npassword_memory_kib = 8192\n")
    return tmp_path


def _users(folder) -> dict[str, dict]:
    res = cli("users", "list", "--json", cwd=folder)
    assert res.returncode == 0, res.stderr
    return {u["username"]: u for u in json.loads(res.stdout)}


def test_cli_users__every_subcommand_has_help(tmp_path):
    """`agency-node users SUBCOMMAND --help` works for each subcommand."""
    for name in SUBCOMMANDS:
        res = cli("users", name, "--help", cwd=tmp_path)
        assert res.returncode == 0 and "usage: agency-node users" in res.stdout, name


def test_cli_users__add_list_role_disable_enable(folder):
    """Users are added with a password from stdin, listed, given another role, disabled and enabled; every
    change is in the audit trail as made by the node's CLI."""
    res = cli("users", "add", "aysel", "--role", "translator", "--password-stdin", cwd=folder, input_=PASSWORD + "\n")
    assert res.returncode == 0 and "aysel" in res.stdout, res.stderr
    assert PASSWORD not in res.stdout + res.stderr
    assert _users(folder)["aysel"]["role"] == "translator"
    assert cli("users", "role", "aysel", "editor", cwd=folder).returncode == 0
    assert _users(folder)["aysel"]["role"] == "editor"
    assert cli("users", "disable", "aysel", cwd=folder).returncode == 0
    assert _users(folder)["aysel"]["disabled"] is True
    assert cli("users", "enable", "aysel", cwd=folder).returncode == 0
    assert _users(folder)["aysel"]["disabled"] is False
    table = cli("users", "list", cwd=folder)
    assert "aysel" in table.stdout and "editor" in table.stdout and "password" not in table.stdout.lower()

    import sqlite3
    rows = sqlite3.connect(folder / "baku.sqlite3").execute(
        "SELECT actor, via, action, subject FROM account_audit ORDER BY id").fetchall()
    assert rows == [("node", "cli", a, "aysel") for a in ("user.add", "user.role", "user.disable", "user.enable")]


def test_cli_users__reset_password_changes_the_hash(folder):
    """reset-password replaces the hash (the old password no longer matches)."""
    import sqlite3

    cli("users", "add", "aysel", "--password-stdin", cwd=folder, input_=PASSWORD + "\n")
    db = folder / "baku.sqlite3"
    before = sqlite3.connect(db).execute("SELECT password_hash FROM account_user").fetchone()[0]
    res = cli("users", "reset-password", "aysel", "--password-stdin", cwd=folder, input_="another long one\n")
    assert res.returncode == 0, res.stderr
    after = sqlite3.connect(db).execute("SELECT password_hash FROM account_user").fetchone()[0]
    assert after != before and after.startswith("$argon2id$")


@pytest.mark.parametrize(("args", "input_", "message"), [
    (["users", "add", "aysel", "--password-stdin"], "short\n", "at least 10 characters"),
    (["users", "add", "Bad Name!", "--password-stdin"], PASSWORD + "\n", "a-z, 0-9"),
    (["users", "add", "aysel"], "", "--password-stdin"),  # no terminal to ask on
    (["users", "disable", "nobody"], None, "no user 'nobody'"),
    (["users", "reset-password", "nobody", "--password-stdin"], PASSWORD + "\n", "no user 'nobody'"),
])
def test_cli_users__errors_are_one_plain_line(folder, args, input_, message):
    """A refused command prints one line naming the problem and exits 1, changing nothing."""
    res = cli(*args, cwd=folder, input_=input_)
    assert res.returncode == 1 and message in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert _users(folder) == {}


def test_cli_users__taken_name_and_unknown_role(folder):
    """A taken username is refused; an unknown role is a usage error (exit 2)."""
    cli("users", "add", "aysel", "--password-stdin", cwd=folder, input_=PASSWORD + "\n")
    res = cli("users", "add", "aysel", "--password-stdin", cwd=folder, input_=PASSWORD + "\n")
    assert res.returncode == 1 and "already a user" in res.stderr
    res = cli("users", "role", "aysel", "boss", cwd=folder)
    assert res.returncode == 2 and "invalid choice" in res.stderr


def _on_terminal(folder, *args: str, typed: list[str]) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as stdin, typing each line once its prompt appears (getpass
    flushes what was typed before it asked)."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    from tests.node.test_cli import ROOT

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "node.cli", *args], cwd=folder, stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    for count, line in enumerate(typed, 1):
        while seen.count(b": ") < count and time.monotonic() < deadline:  # "New password: ", "Repeat it: "
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                seen += os.read(proc.stderr.fileno(), 4096)
        os.write(master, (line + "\n").encode())
    out, err = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, (seen + out + err).decode()


def test_cli_users__add_asks_twice_on_a_terminal(folder):
    """On a terminal, add asks for the password twice: two different answers change nothing; the same one
    makes the user."""
    code, text = _on_terminal(folder, "users", "add", "aysel", typed=[PASSWORD, PASSWORD + "x"])
    assert code == 1 and "differ" in text and _users(folder) == {}, text
    code, text = _on_terminal(folder, "users", "add", "aysel", "--role", "viewer", typed=[PASSWORD, PASSWORD])
    assert code == 0 and _users(folder)["aysel"]["role"] == "viewer", text
    assert PASSWORD not in text


def test_cli_audit__changes_on_the_command_line_are_recorded(folder):
    """Publishing and killing a story and deciding nothing (a read) on the command line: the two changes are in
    the audit trail as made by "node" via the CLI; the read is not."""
    import sqlite3

    res = cli("publish", "--headline", "Ferry line reopens", "--body", "Baku to Aktau.", "--language", "en",
              cwd=folder)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    import re
    uuid = re.search(r"/stories/([0-9a-f-]{36})", res.stdout).group(1)
    assert cli("kill", uuid, "--reason", "Wrong ferry.", cwd=folder).returncode == 0
    assert cli("wire", cwd=folder).returncode == 0
    rows = sqlite3.connect(folder / "baku.sqlite3").execute(
        "SELECT actor, via, action, subject FROM account_audit ORDER BY id").fetchall()
    assert rows == [("node", "cli", "story.publish", "Ferry line reopens"), ("node", "cli", "story.kill", uuid)]
