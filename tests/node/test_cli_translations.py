"""The translation commands of `agency-node`, run as real processes against a real SQLite node."""

from __future__ import annotations

import json

from tests.node.test_cli import cli, initialised  # noqa: F401 - the fixture is used by name

COMMANDS = [("languages",), ("translations",), ("translations", "submit"), ("translations", "approve"),
            ("translations", "edit"), ("translations", "decisions"), ("translations", "request"), ("offers",),
            ("offer",)]


def test_cli_translations__every_command_has_help(tmp_path):
    """Each translation command and action answers --help."""
    for words in COMMANDS:
        res = cli(*words, "--help", cwd=tmp_path)
        assert res.returncode == 0 and "usage: agency-node" in res.stdout, words


def test_cli_translations__submit_review_and_audit(initialised):  # noqa: F811
    """submit -> list (pending) -> approve -> decisions, and bad input is one line with exit 1."""
    folder, _, _ = initialised
    res = cli("publish", "--headline", "Bərə xətti açılır", "--body", "<p>Bərə açılır.</p>", "--language", "az",
              cwd=folder)
    assert res.returncode == 0, res.stderr
    story = res.stdout.split()[1]
    res = cli("translations", "submit", story, "--language", "RU", "--headline", "Паром", "--body-file", "-",
              "--translator", "Ирина", cwd=folder, input_="<p>Паром открывается.</p>")
    assert res.returncode == 0 and "pending_review" in res.stdout, res.stderr
    res = cli("translations", "approve", story, "ru", "--reviewer", "Rashad", cwd=folder)
    assert res.returncode == 0, res.stderr
    res = cli("translations", "decisions", "--json", cwd=folder)
    trail = json.loads(res.stdout)
    assert [(d["language"], d["action"], d["actor"]) for d in trail] == [("ru", "submitted", "Ирина"),
                                                                         ("ru", "approved", "Rashad")]
    res = cli("translations", "submit", story, "--language", "az", "--headline", "x", "--body", "y", cwd=folder)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "original" in res.stderr
    res = cli("offers", "--withdraw", "999", cwd=folder)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "no translation offer 999" in res.stderr
    res = cli("languages", "--locale", "ru", "--json", cwd=folder)
    assert {r["language"]: r["name"] for r in json.loads(res.stdout)} == {"az": "азербайджанский",
                                                                          "en": "английский"}
