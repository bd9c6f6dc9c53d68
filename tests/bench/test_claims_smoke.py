"""The claim-index benchmark runs end to end in --quick mode and prints every figure (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ["check one story, p50 (ms)", "check one story, p99 (ms)", "index memory, RSS growth (MiB)",
           "reworded claims found (recall)", "false matches on 100 unrelated stories", "claim URLs found"]


def test_bench_claims__quick_run_prints_every_figure():
    """`bench/claims.py --quick` exits 0, prints each figure with a number, and finds the quoted claims."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "claims.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1]
    for figure in FIGURES:
        value = next((v for name, v in rows.items() if name.startswith(figure)), None)
        assert value is not None and value.replace(".", "", 1).isdigit(), (figure, proc.stdout)
    recall = next(v for name, v in rows.items() if name.startswith("reworded claims found"))
    assert float(recall) > 0.8  # a broken fingerprint finds nothing
