"""The proof and translation-overhead benchmarks run in --quick mode and print every figure (no timing is
asserted)."""

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


PROOF_FIGURES = ["sign a story", "verify a story", "sign a Create with its story embedded",
                 "beyond Ed25519, per signature",
                 "beyond Ed25519, per verification", "hash data", "  canonicalise the story: orjson",
                 "  canonicalise the story: rfc8785", "proofValue: base58btc encode", "proofValue: base58btc decode"]


def test_bench_proofs__quick_run_prints_rates_ratios_and_the_breakdown():
    """`bench/proofs.py --quick` exits 0 and prints signing and verifying next to bare Ed25519 with the ratio and
    the target, and the cost of each part beyond Ed25519."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "proofs.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _rows(proc.stdout)
    for figure in PROOF_FIGURES:
        matches = [cells for name, cells in rows.items() if name.startswith(figure.strip())]
        assert matches, f"missing figure: {figure}\n{proc.stdout}"
        assert re.match(r"^-?[\d,]+(\.\d+)?(/s| us)$", matches[0][1]), matches[0]
    for figure in ("sign a story", "verify a story"):
        (cells,) = [c for n, c in rows.items() if n.startswith(figure)]
        assert re.match(r"^[\d,]+/s$", cells[2]) and re.match(r"^\d+\.\d\d$", cells[3]), cells
        assert cells[4].endswith(("met", "MISSED")), cells
    assert "load average before" in proc.stdout and "Load average after" in proc.stdout



TRANSLATION_LINES = [r"publish, median per story +plain +[\d.]+ ms +with jobs +[\d.]+ ms +queueing +-?[\d.]+ ms",
                     r"worker per job +[\d.]+ ms", r"engine per job +[\d.]+ ms", r"node overhead per job +-?[\d.]+ ms",
                     r"of which pure pipeline +[\d.]+ ms", r"Update fan-out per job +[\d.]+ ms",
                     r"per translated story +node +-?[\d.]+ ms +engine +[\d.]+ ms +ratio node/engine [\d.]+ +"
                     r"target <= 1.00 (met|MISSED)"]


def test_bench_translation__quick_run_prints_node_and_engine_time_and_the_ratio():
    """`bench/translation.py --quick --engine stub` exits 0 and prints the node's overhead per job and per story
    next to the engine's time, the ratio and the target, in CPU time with the load average."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "translation.py"), "--quick", "--engine", "stub"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for pattern in TRANSLATION_LINES:
        assert re.search(pattern, proc.stdout), f"missing: {pattern}\n{proc.stdout}"
    assert "load average before" in proc.stdout and "Load average after" in proc.stdout
