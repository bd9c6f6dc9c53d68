"""The life-of-a-story commands run as real processes: publish with metadata, correct, revisions, kill, import."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.node.test_cli import cli, initialised  # noqa: F401 (the fixture)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjs"


def test_cli_lifecycle__every_command_has_help(tmp_path):
    """`--help` works for the commands this feature adds."""
    for name in ("correct", "kill", "revisions", "import"):
        res = cli(name, "--help", cwd=tmp_path)
        assert res.returncode == 0 and "usage: agency-node" in res.stdout, name


def test_cli_lifecycle__publish_correct_revisions_kill(initialised):  # noqa: F811
    """A story published with urgency and subjects is corrected (two revisions) and then killed with a reason."""
    folder, _, _ = initialised
    res = cli("publish", "--headline", "Ferry line reopens", "--body", "<p>On 12 May.</p>", "--language", "az",
              "--urgency", "2", "--subject", "medtop:04000000", cwd=folder)
    assert res.returncode == 0, res.stderr
    url = res.stdout.split()[1]
    res = cli("correct", url, "--body", "<p>On 13 May.</p>", "--note", "az=The date was wrong.", cwd=folder)
    assert res.returncode == 0 and "revision 2 (2 revisions stored)" in res.stdout, res.stderr
    revs = json.loads(cli("revisions", url, "--json", cwd=folder).stdout)
    assert [(r["revision"], r["correction"]) for r in revs] == [(1, False), (2, True)]
    assert revs[1]["correctionNoteMap"] == {"az": "The date was wrong."}

    res = cli("correct", url, "--note", "en=Wrong language", cwd=folder)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "az" in res.stderr
    res = cli("kill", url, "--reason", "Operator withdrew the announcement.", cwd=folder)
    assert res.returncode == 0 and f"killed {url.rsplit('/', 1)[-1]}" in res.stdout, res.stderr
    res = cli("kill", url, "--reason", "again", cwd=folder)
    assert res.returncode == 1 and "already killed" in res.stderr
    (story,) = json.loads(cli("deliveries", "--json", cwd=folder).stdout)
    assert story["state"] == "deleted" and story["kill_reason"] == "Operator withdrew the announcement."
    assert story["urgency"] == 2 and story["subjects"][0]["code"] == "medtop:04000000"


def test_cli_lifecycle__import_ninjs_files(initialised):  # noqa: F811
    """IPTC's example imports from 3.x and 2.x files; a file failing the schema stores nothing and says why."""
    folder, _, _ = initialised
    res = cli("import", str(FIXTURES / "dpa_text-3.0.json"), cwd=folder)
    assert res.returncode == 0 and res.stdout.startswith("published http://127.0.0.1:"), res.stderr
    # The same item (same uri) as ninjs 2.x: recognised as the story already imported, nothing changed.
    res = cli("import", str(FIXTURES / "dpa_text-2.0.json"), cwd=folder)
    assert res.returncode == 0 and res.stdout.startswith("unchanged http://127.0.0.1:"), res.stderr
    bad = folder / "bad.json"
    bad.write_text(json.dumps({"uri": "urn:x:1", "urgency": 0, "headlines": [{"value": "h"}],
                               "bodies": [{"value": "b"}]}))
    res = cli("import", str(bad), cwd=folder)
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "not valid ninjs 3.x: urgency: 0 is less than the minimum of 1" in res.stderr
    (folder / "notjson.json").write_text("{")
    res = cli("import", str(folder / "notjson.json"), cwd=folder)
    assert res.returncode == 1 and "is not JSON" in res.stderr
    with sqlite3.connect(folder / "baku.sqlite3") as db:
        rows = db.execute("SELECT headline, language, urgency FROM story ORDER BY id").fetchall()
    assert rows == [("Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?", "de", 4)]
