"""The network benchmark runs end to end in --quick mode, prints every figure for both scenarios and writes its
plot (no timing is asserted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SECONDS = r"^[\d.]+ / [\d.]+( / [\d.]+)? s$"
FIGURES = {
    "stories published": r"^[1-9]\d*$",
    "inboxes per story (agencies + follower hosts), mean / max": r"^[\d,]+ / [\d,]+$",
    "deliveries answered 2xx (to hosts + to agencies)": r"^[\d,]+ \([\d,]+ \+ [\d,]+\)$",
    "time to 50% of inboxes, median / p95 / max of stories": SECONDS,
    "time to 99% of inboxes, median / p95 / max of stories": SECONDS,
    "time to 100% of inboxes, median / p95 / max of stories": SECONDS,
    "time until every agency has it on its wire, median / p95": SECONDS,
    "publish call, median / p95": r"^\d+ / \d+ ms$",
    "peak delivery queue (rows queued or sending, all nodes)": r"^[\d,]+$",
    "peak inbox backlog (items not yet processed, all nodes)": r"^[\d,]+$",
    "deliveries/s, first publish to last 2xx": r"^[\d,]+$",
    "node CPU per delivery (": r"^[\d.]+ ms$",
    "node CPU per delivery, idle nodes' CPU subtracted": r"^-?[\d.]+ ms$",
    "receiver CPU per delivery (verifying, one process)": r"^[\d.]+ ms$",
    "cores used by the nodes + the receiver, first publish until all reached": r"^[\d.]+ of \d+$",
    "duplicate deliveries (a story twice to one host)": r"^0$",
    "node RSS, mean / max per process": r"^\d+ / \d+ MiB$",
    "to down hosts: rows not delivered / failed attempts / parked (host, node) pairs": r"^[\d,]+ / [\d,]+ / [\d,]+$",
    "load average (1 min) before / after": r"^[\d.]+ / [\d.]+$",
}


def test_bench_network__quick_run_prints_every_figure_for_both_scenarios_and_writes_the_plot(tmp_path):
    """`bench/network.py --quick` exits 0, prints each figure for the healthy network and for the one with 10% of
    its follower hosts down or slow, and writes the JSON results and the PNG beside them."""
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: pip install 'agency-node[bench]'")
    out = tmp_path / "network.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "network.py"), "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells
    assert rows["figure"][1:] == ["healthy", "20 hosts (10%) down or slow"], rows.get("figure")
    for figure, pattern in FIGURES.items():
        matches = [cells for name, cells in rows.items() if name.startswith(figure)]
        assert len(matches) == 1, f"missing figure: {figure}\n{proc.stdout}"
        (cells,) = matches
        for value in cells[1:]:
            assert re.match(pattern, value), cells
    assert "incomplete" not in proc.stdout, proc.stdout
    assert re.search(r"Load average after: [\d.]+ [\d.]+ [\d.]+\.", proc.stdout), proc.stdout
    assert f"Plot: {out.with_suffix('.png')}." in proc.stdout
    png = out.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    results = json.loads(out.read_text())
    assert [s["name"] for s in results["scenarios"]] == ["healthy", "impaired"]
    assert all(story["reached"] == story["inboxes"] for s in results["scenarios"] for story in s["stories"])


def test_bench_network__refuses_an_out_path_that_the_plot_would_overwrite(tmp_path):
    """`--out x.png` would have the PNG written over the JSON results: refused at once with a plain message."""
    out = tmp_path / "network.png"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "network.py"), "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--out names the JSON file" in proc.stderr, proc.stderr
    assert not out.exists() and "network benchmark" not in proc.stdout
