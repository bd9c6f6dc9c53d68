"""`agency-node factchecks` and `agency-node check` as real processes: publish, list, check, correct, withdraw, and
bad input as one plain line with a non-zero exit."""

from __future__ import annotations

import json

from tests.node.test_cli import cli, initialised  # noqa: F401 (fixture)

CLAIM = "The Caspian Sea level rose by three metres in one year and flooded the port of Baku"


def test_factchecks_cli__publish_check_correct_withdraw(initialised):  # noqa: F811
    """A fact-check published from flags is found by `check` (URL and text), corrected and withdrawn; one without a
    claim is refused in one line."""
    folder, _, _ = initialised
    res = cli("factchecks", "publish", "--claim", CLAIM, "--claim-language", "en", "--claim-url",
              "https://rumours.example/p/1", "--verdict", "false", "--explanation", "The level fell by 30 cm.",
              "--json", cwd=folder)
    assert res.returncode == 0, res.stderr
    fc = json.loads(res.stdout)
    assert fc["verdict"] == "false" and fc["claim"]["urls"] == ["https://rumours.example/p/1"]
    res = cli("check", "http://www.rumours.example/p/1?utm_campaign=x", cwd=folder)
    assert res.returncode == 0 and res.stdout.startswith("False") and "by us" in res.stdout
    res = cli("check", "--json", "Someone", "wrote", "that", "the", "Caspian", "sea", "level", "rose", "by", "three",
              "metres", "in", "one", "year", "and", "flooded", "the", "port", "of", "Baku", cwd=folder)
    assert res.returncode == 0 and json.loads(res.stdout)["matches"][0]["match"]["how"] == "text"
    res = cli("check", "Ferry line reopens on Monday", cwd=folder)
    assert res.returncode == 2 and "no fact-check" in res.stdout
    res = cli("factchecks", "correct", fc["id"], "--verdict", "misleading", "--correction-note", "Storm.", "--json",
              cwd=folder)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["verdict"] == "misleading" and json.loads(res.stdout)["version"] == 2
    res = cli("factchecks", "withdraw", fc["url"], "--reason", "duplicate", cwd=folder)
    assert res.returncode == 0 and "withdrawn" in res.stdout
    res = cli("factchecks", "withdraw", fc["id"], cwd=folder)
    assert res.returncode == 1 and "already withdrawn" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = cli("factchecks", "publish", "--verdict", "false", "--explanation", "x", cwd=folder)
    assert res.returncode == 1 and "claim" in res.stderr  # no claim: refused, nothing published

