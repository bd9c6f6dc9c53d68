"""The federation benchmark runs end to end in --quick mode and prints every figure (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIGURES = [
    "RSA-2048 signatures/s, one core",
    "RSA-2048 signatures/s, 2-thread pool",
    "(a) fan-out: deliveries/s",
    "(b) inbox: signed Creates accepted, verified and stored/s, pre-signed",
    "(b) inbox: signed Creates accepted, verified and stored/s, the sender signing live",
    "(c) GET actor/s",
    "(c) GET story object/s",
    "(d) node RSS growth per 1,000 queued delivery rows",
]
WITH_CEILING = [f for f in FIGURES if f[:3] in ("(a)", "(b)", "(c)")]
_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?( KiB)?$")


def test_bench__quick_run_prints_every_figure_with_its_ceiling_and_ratio():
    """`bench/federation.py --quick` exits 0 and prints each figure, its ceiling, its ratio and the generator."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "federation.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("| "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    for figure in FIGURES:
        matches = [cells for name, cells in rows.items() if name.startswith(figure)]
        assert matches, f"missing figure: {figure}\n{proc.stdout}"
        assert _NUMBER.match(matches[0][1]), matches[0]
    for figure in WITH_CEILING:
        (cells,) = [c for n, c in rows.items() if n.startswith(figure)]
        assert re.match(r"^[\d,]+ ", cells[2]), cells  # the ceiling, measured in the same run
        assert re.match(r"^\d+\.\d\d$", cells[3]), cells  # the ratio
        assert cells[4].endswith(("met", "MISSED")), cells
    assert re.search(r"GET load generator: (wrk|aiohttp client)\.", proc.stdout), proc.stdout
