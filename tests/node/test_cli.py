"""The `agency-node` command line, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from node.cli import build_parser
from tests.nodes import free_port

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["init", "migrate", "run", "worker", "publish", "follow", "unfollow", "followers", "following", "wire",
            "deliveries", "demo", "verify", "keys"]


def cli(*args: str, cwd: Path, input_: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AGENCY_NODE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "node.cli", *args], cwd=cwd, capture_output=True, text=True,
                          input=input_, timeout=timeout, env=env)


@pytest.fixture
def initialised(tmp_path):
    port = free_port()
    res = cli("init", "--handle", "baku", "--name", "Baku News", "--languages", "az,en", "--port", str(port),
              cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return tmp_path, port, res.stdout


def test_cli__every_command_has_help(tmp_path):
    """`agency-node COMMAND --help` works for every command the issue names."""
    names = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert set(COMMANDS) <= names
    for name in COMMANDS:
        res = cli(name, "--help", cwd=tmp_path)
        assert res.returncode == 0 and "usage: agency-node" in res.stdout, name


def test_cli__init_writes_config_keys_and_token(initialised):
    """init writes a loadable config with only the token's hash, migrates, and prints the token once."""
    folder, _, out = initialised
    token = out.strip().rsplit(" ", 1)[-1]
    text = (folder / "node.toml").read_text()
    assert token not in text and "token_sha256" in text
    assert (folder / "baku.sqlite3").exists()
    res = cli("init", "--handle", "baku", cwd=folder)
    assert res.returncode == 1 and "already exists" in res.stderr
    assert cli("migrate", cwd=folder).stdout.strip().endswith("schema already current")


def test_cli__publish_and_deliveries(initialised):
    """publish stores a story (Markdown rendered, sanitized) and deliveries lists it."""
    folder, _, _ = initialised
    res = cli("publish", "--headline", "Ferry line reopens", "--body-file", "-", "--markdown", "--language", "az",
              "--tag", "Caspian", cwd=folder, input_="**Baku** to Aktau <script>x</script>")
    assert res.returncode == 0, res.stderr
    assert "published http://127.0.0.1:" in res.stdout
    res = cli("deliveries", "--json", cwd=folder)
    (story,) = json.loads(res.stdout)
    assert story["headline"] == "Ferry line reopens" and "<strong>Baku</strong>" in story["body_html"]
    assert "<script>" not in story["body_html"]


def test_cli__bad_input_is_one_line_and_nonzero(initialised):
    """Bad language, unknown handle format, missing config: one plain line on stderr, exit 1."""
    folder, _, _ = initialised
    res = cli("publish", "--headline", "x", "--body", "y", "--language", "qq-zz", cwd=folder)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "language" in res.stderr
    res = cli("follow", "not a handle", cwd=folder)
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    res = cli("-c", "missing.toml", "wire", cwd=folder)
    assert res.returncode == 1 and "no such config file" in res.stderr
    (folder / "bad.toml").write_text('[node]\nbase_url = "ftp://x"\n[agency]\nhandle = "Bad Handle"\nname = "x"\n')
    res = cli("-c", "bad.toml", "wire", cwd=folder)
    assert res.returncode == 1 and "agency.handle" in res.stderr and "node.base_url" in res.stderr


def test_cli__commands_refuse_unmigrated_database(tmp_path, initialised):
    """A command on a database that was never migrated says to run migrate."""
    folder, _, _ = initialised
    (folder / "baku.sqlite3").unlink()
    res = cli("wire", cwd=folder)
    assert res.returncode == 1 and "agency-node migrate" in res.stderr


def test_cli__run_serves_the_actor(initialised):
    """`agency-node run` serves WebFinger and the actor document over HTTP."""
    folder, port, _ = initialised
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "node.cli", "run"], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/actors/baku",
                                             headers={"Accept": "application/activity+json"})
                with urllib.request.urlopen(req, timeout=2) as resp:
                    doc = json.loads(resp.read())
                    ctype = resp.headers["Content-Type"]
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "node did not start"
                time.sleep(0.1)
        assert doc["type"] == "Organization" and doc["preferredUsername"] == "baku"
        assert ctype.startswith("application/activity+json")
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli__run_on_a_port_in_use_is_one_line_and_nonzero(initialised):
    """A second `run` on a port already taken says so in one line and exits 1, instead of a traceback."""
    import socket

    folder, port, _ = initialised
    with socket.create_server(("127.0.0.1", port)):
        res = cli("run", cwd=folder, timeout=30)
    assert res.returncode == 1, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in res.stderr
    assert "listen_port" in res.stderr


def test_cli__demo_runs_three_federating_nodes(tmp_path):
    """`agency-node demo` starts three nodes, federates them, and every node shows both other stories verified."""
    res = cli("demo", "--dir", str(tmp_path / "demo"), cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "all six follows accepted" in res.stdout
    # The test extras install the Bergamot engine: Baku's fourth story, in English, reaches both others, and
    # Astana reads it in Portuguese, machine-translated inside its node.
    assert res.stdout.count("draft-cavage verified") == 8
    assert "(machine translation, bergamot)" in res.stdout
    assert "[pt] A linha de ferry" in res.stdout or "[pt] A linha" in res.stdout, res.stdout
