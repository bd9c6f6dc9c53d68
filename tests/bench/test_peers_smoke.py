"""The side-by-side benchmark with Fedify runs end to end in --quick mode and prints every figure (no timing is
asserted), or says why Fedify cannot run here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _rows(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


PEER_FIGURES = [
    "(a) fan-out deliveries/s vs Fedify without a queue",
    "(a) fan-out deliveries/s vs Fedify with a 16-worker queue",
    "(a) fan-out CPU per delivery",
    "(b) inbox: pre-signed Creates accepted/s",
    "(b) inbox: processed/s",
    "(b) inbox: accepted/s vs Fedify with a 16-worker queue",
    "(b) inbox CPU per activity",
]


def test_bench_peers__quick_run_prints_both_sides_and_ratios_or_skips_with_a_reason():
    """`bench/peers.py --quick` exits 0 and prints, for fan-out and inbox, our figure, Fedify's from the same run,
    the ratio and the target; where Fedify cannot be installed it says why instead."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "peers.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if "skipped: Fedify cannot run here: " in proc.stdout:
        return  # no npm, no registry, or another platform: the bench said so (and printed the load average)
    rows = _rows(proc.stdout)
    for figure in PEER_FIGURES:
        matches = [cells for name, cells in rows.items() if name.startswith(figure)]
        assert len(matches) == 1, f"missing figure: {figure}\n{proc.stdout}"
        (cells,) = matches
        assert re.match(r"^[\d,.]+( \([\d,]+\))?$", cells[1]), cells
        assert re.match(r"^[\d,.]+( (/ [\d,.]+|\([\d,]+\)))?$", cells[2]), cells
        assert re.match(r"^\d+\.\d\d$", cells[3]), cells
        assert cells[4] == "informative" or cells[4].endswith(("met", "MISSED")), cells
    assert re.search(r"@fedify/fedify [\d.]+ on Node v2[2-9]\.", proc.stdout), proc.stdout
    assert "Load average after" in proc.stdout


def test_bench_peers__without_node_22_or_npm_fedify_is_unavailable_with_a_reason(tmp_path, monkeypatch):
    """Where neither a Node 22 nor npm can be found, provisioning refuses with a reason (the bench prints it as
    `skipped: ...`) and installs nothing."""
    from bench import _fedify

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(_fedify, "HOME", tmp_path / "fedify")
    try:
        _fedify.provision(lambda _msg: None)
    except _fedify.Unavailable as exc:
        assert "npm is not installed" in str(exc) and "22" in str(exc)
    else:
        raise AssertionError("provisioned without Node or npm")
    assert not (tmp_path / "fedify" / "node22").exists()
