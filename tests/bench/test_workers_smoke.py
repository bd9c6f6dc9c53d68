"""The several-processes benchmark on PostgreSQL runs end to end in --quick mode and prints every figure (no timing
is asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nodes import POSTGRES_ENV

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATIONS = ["`run`, workers in the web process", "`run --no-workers` + 1 `worker`",
                  "`run --no-workers` + 2 `worker`", "`run --no-workers` + 4 `worker`"]
FIGURES = {  # each figure's name, and the shape of its value
    "publish call to first delivery": r"\d+ / \d+",
    "deliveries/s end to end": r"[\d,]+",
    "CPU per delivery": r"\d+\.\d+",
    "claim cost per delivery": r"\d+\.\d+ / \d+\.\d+ / \d+\.\d+",
    "inboxes served twice": r"0 / \d+",  # the first number must be 0: no inbox got one activity twice
}


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV),
                    reason=f"bench/workers.py runs on PostgreSQL only: set {POSTGRES_ENV} (set by .ci/run)")
def test_bench_workers__quick_run_prints_every_figure():
    """`bench/workers.py --quick` exits 0 and prints every figure for `run` and for 1, 2 and 4 worker processes."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "workers.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1]
    for configuration in CONFIGURATIONS:
        for figure, shape in FIGURES.items():
            value = next((v for name, v in rows.items() if name.startswith(f"{configuration}: {figure}")), None)
            assert value is not None and re.fullmatch(shape, value), (configuration, figure, proc.stdout)
    assert "load average before" in proc.stdout and "load average after" in proc.stdout
