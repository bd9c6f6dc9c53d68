"""`agency-node verify` and `agency-node keys`, run as real processes against a real node on loopback."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from pathlib import Path

from tests.node.test_cli import ROOT, cli
from tests.nodes import free_port, running_node


async def _cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AGENCY_NODE_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "node.cli", *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


def _init(folder: Path) -> None:
    res = cli("init", "--handle", "desk", "--port", str(free_port()), "--allow-private", cwd=folder)
    assert res.returncode == 0, res.stderr


async def test_cli_verify__exit_status_tells_the_result(tmp_path):
    """verify: 0 for a good copy or URL, 4 for an altered copy (with the reason), 3 unsigned, 9 unreachable."""
    work = tmp_path / "cli"
    work.mkdir()
    _init(work)
    async with running_node(tmp_path, "alpha") as alpha:
        status, story = await alpha.api("POST", "/api/stories", {"headline": "Verified headline", "language": "en",
                                                                 "body": "<p>Body.</p>"})
        assert status == 201
        _, doc, _ = await alpha.get(f"/stories/{story['id']}")
        (work / "good.json").write_text(json.dumps(doc))
        altered = copy.deepcopy(doc)
        altered["content"] = "<p>Altered body.</p>"
        (work / "altered.json").write_text(json.dumps(altered))
        (work / "unsigned.json").write_text(json.dumps({k: v for k, v in doc.items() if k != "proof"}))

        code, out, err = await _cli("verify", "good.json", cwd=work)
        assert code == 0, (out, err)
        assert "status:  verified" in out and f"origin:  {alpha.actor_id}" in out
        assert "identical to the origin's current version" in out

        code, out, _ = await _cli("verify", "altered.json", cwd=work)
        assert code == 4
        assert "status:  invalid" in out and "altered" in out and "differs from the origin's current version in: content" in out

        code, out, _ = await _cli("verify", "unsigned.json", "--json", cwd=work)
        assert code == 3 and json.loads(out)["status"] == "unsigned"

        code, out, _ = await _cli("verify", story["url"], "--json", cwd=work)
        report = json.loads(out)
        assert code == 0 and report["status"] == "verified" and report["origin_copy"]["matches"] is True

    code, out, err = await _cli("verify", f"http://127.0.0.1:{free_port()}/stories/x", cwd=work)
    assert code == 9 and "cannot fetch" in err and len(err.strip().splitlines()) == 1
    code, _, err = await _cli("verify", "missing.json", cwd=work)
    assert code == 1 and "cannot read missing.json" in err
    (work / "bad.json").write_text("{not json")
    code, _, err = await _cli("verify", "bad.json", cwd=work)
    assert code == 1 and "not JSON" in err


async def test_cli_keys__rotate_keeps_old_key_listed(tmp_path):
    """keys rotate makes a new Multikey and keeps the old one listed with an end date; keys list shows both; the
    fact-check channel's keys are rotated with the agency's."""
    _init(tmp_path)
    with (tmp_path / "node.toml").open("a") as config:
        config.write("\n[factchecks]\nchannel = true\n")
    code, out, err = await _cli("keys", "list", "--json", cwd=tmp_path)
    assert code == 0, err
    [before] = json.loads(out)["assertionMethod"]
    code, out, err = await _cli("keys", "rotate", cwd=tmp_path)
    assert code == 0, err
    assert "rotated the keys" in out and "retired (still listed with an end date): 1" in out
    assert "rotated the keys of channel " in out and "/actors/desk_factchecks: Update(actor) queued for 0" in out
    code, out, _ = await _cli("keys", "list", "--json", cwd=tmp_path)
    listed = json.loads(out)
    keys = listed["assertionMethod"]
    assert len(keys) == 2 and keys[1]["id"] == before["id"] and "expires" in keys[1]
    assert "expires" not in keys[0]
    [channel] = listed["channels"]
    assert channel["actor"].endswith("/actors/desk_factchecks") and len(channel["assertionMethod"]) == 2
    code, out, _ = await _cli("keys", "list", cwd=tmp_path)
    assert code == 0 and out.count("current") == 2 and out.count("expires") == 2
    code, out, _ = await _cli("keys", "--help", cwd=tmp_path)
    assert code == 0 and "rotate" in out
