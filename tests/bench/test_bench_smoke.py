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
    "(a) fan-out: node CPU per delivery",
    "(b) inbox: signed Creates accepted, verified and stored/s, pre-signed",
    "(b) inbox: signed Creates accepted, verified and stored/s, the sender signing live",
    "(b) inbox: processed into wire stories/s, first POST to empty backlog, pre-signed",
    "(b) inbox: processed into wire stories/s, first POST to empty backlog, the sender signing live",
    "(c) GET actor/s",
    "(c) GET story object/s",
    "(d) node RSS growth per 1,000 queued delivery rows",
    "(e) big fan-out: publish call",
    "(e) big fan-out: deliveries/s",
    "(e) big fan-out: node RSS growth",
]
WITH_CEILING = [f for f in FIGURES if f[:3] in ("(a)", "(b)", "(c)")]
# The inbox worker's figures: a duration or a CPU time per activity, each with its target.
INBOX_WORKER = {
    "(b) inbox: backlog back to zero after the last POST, pre-signed": r"^\d+\.\d\d s$",
    "(b) inbox: backlog back to zero after the last POST, the sender signing live": r"^\d+\.\d\d s$",
    "(b) inbox: node CPU per activity, accepted and processed (worker included), pre-signed": r"^\d+\.\d\d ms$",
    "(b) inbox: node CPU per activity, accepted and processed (worker included), the sender signing live":
        r"^\d+\.\d\d ms$",
}
_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?( KiB| MiB| ms)?$")


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
    for figure, pattern in INBOX_WORKER.items():
        (cells,) = [c for n, c in rows.items() if n.startswith(figure)]
        assert re.match(pattern, cells[1]), cells
        assert cells[4].endswith(("met", "MISSED")), cells
    assert re.search(r"GET load generator: (wrk|aiohttp client)\.", proc.stdout), proc.stdout


MEDIA_FIGURES = {
    "(d) raw disk write": r"^[\d,]+\.\d MiB/s$",
    "(b) 32 MiB video upload, streamed from a generator": r"^[\d,]+\.\d MiB/s$",
    "(b) node RSS growth during the 32 MiB upload": r"^-?[\d,]+\.\d MiB$",
    "(a) uploads/s": r"^[\d,]+\.\d\d$",
    "(a) upload MiB/s": r"^[\d,]+\.\d MiB/s$",
    "(c) GET actor p50 while 2 clients upload": r"^[\d,]+\.\d ms$",
    "(c) GET actor p99 while 2 clients upload": r"^[\d,]+\.\d ms$",
}


def test_bench__media_quick_run_prints_every_figure_with_baseline_ratio_and_target():
    """`bench/media.py --quick` exits 0 and prints each figure with its unit, and, but for the disk itself and the
    memory bound, the baseline measured in the same run, the ratio to it and a target."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "media.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("| ("):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    for figure, pattern in MEDIA_FIGURES.items():
        matches = [cells for name, cells in rows.items() if name.startswith(figure)]
        assert len(matches) == 1, f"missing figure: {figure}\n{proc.stdout}"
        (cells,) = matches
        assert re.match(pattern, cells[1]), cells
        assert cells[4], cells  # a target (or "informative")
        if not figure.startswith(("(d)", "(b) node RSS")):
            assert re.match(r"^[\d,]+\.\d+ ", cells[2]), cells  # the baseline, measured in the same run
            assert re.match(r"^\d+\.\d\d$", cells[3]), cells  # the ratio
    assert rows[next(n for n in rows if n.startswith("(b) node RSS"))][4].endswith(("met", "MISSED"))
    assert rows[next(n for n in rows if n.startswith("(c) GET actor p99"))][4].startswith("< 50 ms")


DESK_FIGURES = {
    "(a) wire page render p50": r"^[\d,]+\.\d ms$",
    "(a) wire page render p99": r"^[\d,]+\.\d ms$",
    "(a) wire page with a full-text search p50": r"^[\d,]+\.\d ms$",
    "(a) wire page with a full-text search p99": r"^[\d,]+\.\d ms$",
    "(b) inbox 202 -> event, 20 desks, p50": r"^[\d,]+\.\d ms$",
    "(b) inbox 202 -> event, 20 desks, p99": r"^[\d,]+\.\d ms$",
    "(b) inbox 202 -> event on every desk": r"^[\d,]+\.\d ms$",
}


def test_bench__desk_quick_run_prints_every_figure_with_its_target():
    """`bench/desk.py --quick` exits 0 and prints the wire page's p50/p99 and the live fan-out's p50/p99/max, the
    p99 and the max with their targets; it asserts no timing."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "desk.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("| ("):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    for figure, pattern in DESK_FIGURES.items():
        matches = [cells for name, cells in rows.items() if name.startswith(figure)]
        assert len(matches) == 1, f"missing figure: {figure}\n{proc.stdout}"
        assert re.match(pattern, matches[0][1]), matches[0]
    targets = [cells[4] for name, cells in rows.items() if name.startswith(("(a) wire page render p99", "(b) inbox 202 -> event on every desk"))]
    assert len(targets) == 2 and all(t.endswith(("met", "MISSED")) for t in targets), targets


def test_bench__inbox_worker_prints_cpu_per_activity_split_by_thread():
    """`bench/inbox_worker.py -n 150` turns every stored Create into a wire story (it exits non-zero otherwise)
    and prints the rate and the CPU per activity, all threads, event loop and SQLite thread."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "inbox_worker.py"), "-n", "150"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"inbox worker, 50 stored Creates -> wire stories", proc.stdout), proc.stdout
    for label in ("CPU per activity, all threads:", "CPU per activity, event loop:",
                  "CPU per activity, other threads:"):
        assert re.search(re.escape(label) + r"\s+\d+\.\d{3} ms", proc.stdout), proc.stdout
    assert re.search(r"processed/s .*: [\d,]+$", proc.stdout, re.M), proc.stdout
