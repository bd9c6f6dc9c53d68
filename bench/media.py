"""Media benchmark: uploads into the stock, the node's memory during a large streamed upload, and GET latency
while uploads run, of one node process on SQLite, on loopback.

    .venv/bin/python bench/media.py            # about 1 to 2 minutes
    .venv/bin/python bench/media.py --quick    # the same phases with small files: a few seconds

Throughput is printed with this machine's raw disk write speed (500 MiB written and fsynced in the media folder,
measured in the same run) and the ratio to it; GET latency under uploads with the idle node's latency measured in
the same run. bench/README.md says what each figure is.

The node runs as `agency-node run` (its own process, whose /proc VmRSS is read); the GET prober runs in a
process of its own (`bench/media.py --probe URL`), so neither shares the uploading client's event loop.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    # Run as `python bench/media.py`: this file's directory would shadow the `federation` package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any, AsyncIterator  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import aiohttp  # noqa: E402

from bench.federation import AP_JSON, HANDLE, TOKEN, NodeProcess, _log, _mark, proc_kib  # noqa: E402

MiB = 1024 * 1024
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass(frozen=True)
class Sizes:
    disk_mib: int = 500
    jpeg_mib: float = 5.0
    uploads: int = 20
    video_mib: int = 500
    latency_seconds: float = 8.0


FULL = Sizes()
QUICK = Sizes(disk_mib=16, jpeg_mib=1.0, uploads=4, video_mib=32, latency_seconds=1.5)
TARGETS = {"memory_mib": 32.0, "p99_ms": 50.0}


# --- what is uploaded ------------------------------------------------------------------------------------------

def _segment(marker: int, data: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(data) + 2).to_bytes(2, "big") + data


def _padded(jpeg: bytes, size: int) -> bytes:
    """The JPEG grown to `size` bytes with comment segments right after its start marker (decoders skip them)."""
    pad, missing = [], size - len(jpeg)
    while missing > 4:
        n = min(65533, missing - 4)
        pad.append(_segment(0xFE, os.urandom(n)))
        missing -= n + 4
    return jpeg[:2] + b"".join(pad) + jpeg[2:]


def jpeg_template(size: int) -> tuple[bytes, str]:
    """About `size` bytes of JPEG, and how it was made: a real photo-sized image with Pillow, else random bytes in a
    JPEG wrapper (the node then has nothing to decode: no derivatives are measured)."""
    try:
        from PIL import Image
    except ImportError:
        jfif = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        return _padded(b"\xff\xd8" + jfif + b"\xff\xd9", size), "random bytes in a JPEG wrapper (Pillow missing)"
    width, height = 2400, 1600
    for _ in range(5):
        # Noise compresses like a busy photo does (badly); then padded to the exact size.
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        if out.tell() <= size:
            return _padded(out.getvalue(), size), f"Pillow JPEG {width}x{height}, noise, padded to size"
        scale = (size / out.tell()) ** 0.5 * 0.95
        width, height = int(width * scale), int(height * scale)
    raise SystemExit("bench: could not make a JPEG small enough")


def unique(template: bytes, i: int) -> bytes:
    """The template with a comment segment of its own: new bytes, so each upload is really stored."""
    return template[:2] + _segment(0xFE, f"bench upload {i} ".encode() + os.urandom(16)) + template[2:]


def mp4_head(workdir: Path) -> tuple[bytes, str]:
    """The first bytes of the video: a real 2 s MPEG-4 file made by ffmpeg (index first) when ffmpeg is here,
    else a bare `ftyp` box; the rest of the stream is filler (a `free` box after the real file)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        out = workdir / "head.mp4"
        done = subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                               "-t", "2", "-c:v", "mpeg4", "-movflags", "+faststart", str(out)],
                              capture_output=True, timeout=60)
        if done.returncode == 0 and out.is_file():
            return out.read_bytes(), "a real 2 s MP4 from ffmpeg, padded with a `free` box (synthetic filler)"
    ftyp = b"isom" + (0x200).to_bytes(4, "big") + b"isomiso2avc1mp41"
    return (8 + len(ftyp)).to_bytes(4, "big") + b"ftyp" + ftyp, "synthetic: an `ftyp` box then filler"


async def video_stream(head: bytes, total: int) -> AsyncIterator[bytes]:
    """`total` bytes: `head`, then a `free` box of filler, made 1 MiB at a time (never held whole)."""
    yield head + (total - len(head)).to_bytes(4, "big") + b"free"
    remaining, block = total - len(head) - 8, os.urandom(MiB)
    while remaining > 0:
        yield block[:remaining] if remaining < MiB else block
        remaining -= MiB


# --- measurements ---------------------------------------------------------------------------------------------

def disk_write(folder: Path, mib: int) -> float:
    """MiB/s writing `mib` MiB to a new file in `folder` and fsyncing it (the ceiling for storing uploads)."""
    folder.mkdir(parents=True, exist_ok=True)
    path, block = folder / "disk-bench.bin", os.urandom(MiB)
    start = time.perf_counter()
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - start
    path.unlink()
    return mib / elapsed


async def _post(session: aiohttp.ClientSession, url: str, data: Any, **params: str) -> tuple[int, Any]:
    async with session.post(f"{url}/api/media", data=data, params=params,
                            headers={**AUTH, "Content-Type": "application/octet-stream"}) as resp:
        return resp.status, await resp.json(content_type=None)


async def upload_rate(url: str, template: bytes, count: int, first: int = 0) -> tuple[float, float]:
    """(uploads/s, MiB/s) for `count` uploads of new bytes one after the other."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        start = time.perf_counter()
        for i in range(first, first + count):
            status, doc = await _post(session, url, unique(template, i), alt="Bench photo", credit="Bench")
            if status != 201:
                raise SystemExit(f"bench: upload {i} answered {status}: {doc}")
        elapsed = time.perf_counter() - start
    return count / elapsed, count * len(template) / MiB / elapsed


async def video_memory(node: NodeProcess, head: bytes, total: int) -> dict[str, Any]:
    """Stream a `total`-byte video while sampling the node's RSS every 20 ms."""
    pid = node.proc.pid  # type: ignore[union-attr]
    before, hwm_before = proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM")
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(proc_kib(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1800)) as session:
            status, doc = await _post(session, node.base_url, video_stream(head, total), alt="Bench video")
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
    await asyncio.sleep(0.5)
    after, hwm_after = proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM")
    peak = max(samples + [after])
    # VmHWM catches a peak between samples (it only rises: the warm-up set it before).
    growth_kib = max(peak - before, hwm_after - max(hwm_before, before), after - before, 0)
    outcome = "stored" if status in (200, 201) else f"refused after streaming: {status} {doc.get('title', '')}"
    return {"mib_s": total / MiB / elapsed, "before": before, "peak": peak, "after": after,
            "growth_mib": growth_kib / 1024, "samples": len(samples), "outcome": outcome}


def probe(url: str, seconds: float, pause: float = 0.01) -> dict[str, float]:
    """GET `url` (as ActivityPub JSON, one kept-alive connection) for `seconds`; latency percentiles in ms."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        conn.request("GET", parts.path, headers={"Accept": AP_JSON})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"probe: {resp.status}")
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(pause)  # a reader's pace, not a load generator
    times.sort()
    return {"n": len(times), "p50": statistics.median(times), "p99": times[min(len(times) - 1,
                                                                           int(len(times) * 0.99))]}


def _probe_process(url: str, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--probe", url, "--seconds",
                             str(seconds)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _probe_result(proc: subprocess.Popen) -> dict[str, float]:
    out, err = proc.communicate(timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"bench: the GET prober failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


async def latency_under_uploads(url: str, template: bytes, seconds: float) -> tuple[dict[str, float], int]:
    """GET latency from the prober while two clients upload new JPEGs without pause; and how many they stored."""
    prober = _probe_process(f"{url}/actors/{HANDLE}", seconds)
    stored = 0

    async def uploader(first: int) -> None:
        nonlocal stored
        i = first
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            while prober.poll() is None:
                status, doc = await _post(session, url, unique(template, i))
                if status != 201:
                    raise SystemExit(f"bench: upload answered {status}: {doc}")
                stored, i = stored + 1, i + 2

    await asyncio.gather(uploader(1_000_000), uploader(1_000_001))
    return _probe_result(prober), stored


# --- the report ---------------------------------------------------------------------------------------------------

def _table(rows: list[tuple[str, str, str, str, str]]) -> None:
    head = ("figure", "measured", "baseline (this machine, same run)", "ratio", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/media.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the same phases with small files (a few seconds)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (database, config, media)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)  # the GET prober's own process
    parser.add_argument("--seconds", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.seconds)))
        return 0
    sizes = QUICK if args.quick else FULL
    started, load = time.monotonic(), os.getloadavg()
    print(f"Agency Node media benchmark ({'quick' if args.quick else 'full'}), "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="agency-media-bench-"))
    node = NodeProcess(workdir)
    try:
        _log(f"(d) raw disk: {sizes.disk_mib} MiB written and fsynced in the media folder")
        disks = [disk_write(workdir / "media", sizes.disk_mib)]
        template, made = jpeg_template(int(sizes.jpeg_mib * MiB))
        head, video_kind = mp4_head(workdir)
        node.migrate()
        node.start()
        # Warm-up: the upload path's code and the node's allocations, before memory is read.
        asyncio.run(upload_rate(node.base_url, jpeg_template(64 * 1024)[0], 1, first=-1))
        _log(f"(b) memory: one {sizes.video_mib} MiB video, streamed")
        mem = asyncio.run(video_memory(node, head, sizes.video_mib * MiB))
        _log(f"(a) uploads: {sizes.uploads} x {len(template) / MiB:.1f} MiB JPEG, new bytes each")
        per_s, mib_s = asyncio.run(upload_rate(node.base_url, template, sizes.uploads))
        _log(f"(c) GET latency: idle, then while two clients upload ({sizes.latency_seconds:g} s each)")
        idle = _probe_result(_probe_process(f"{node.base_url}/actors/{HANDLE}", sizes.latency_seconds))
        busy, stored = asyncio.run(latency_under_uploads(node.base_url, template, sizes.latency_seconds))
        # Disk speed moves with other work on the machine: measured again after the uploads, the best one kept.
        _log("(d) raw disk, again")
        disks.append(disk_write(workdir / "media", sizes.disk_mib))
    finally:
        node.stop()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    disk = max(disks)
    jpeg = f"{len(template) / MiB:.1f} MiB JPEG"
    disk_uploads = disk / (len(template) / MiB)
    rows = [
        (f"(d) raw disk write, {sizes.disk_mib} MiB + fsync in the media folder (best of 2: {disks[0]:,.0f} "
         f"before, {disks[1]:,.0f} after)", f"{disk:,.1f} MiB/s", "", "", "the ceiling for (a) and (b)"),
        (f"(a) uploads/s, {jpeg} ({made}), one client, new bytes each", f"{per_s:,.2f}",
         f"{disk_uploads:,.2f} uploads/s raw disk", f"{per_s / disk_uploads:.2f}", "informative"),
        (f"(a) upload MiB/s, {jpeg}", f"{mib_s:,.1f} MiB/s", f"{disk:,.1f} MiB/s raw disk", f"{mib_s / disk:.2f}",
         "informative"),
        (f"(b) {sizes.video_mib} MiB video upload, streamed from a generator ({video_kind}; {mem['outcome']})",
         f"{mem['mib_s']:,.1f} MiB/s", f"{disk:,.1f} MiB/s raw disk", f"{mem['mib_s'] / disk:.2f}", "informative"),
        (f"(b) node RSS growth during the {sizes.video_mib} MiB upload (RSS {mem['before'] / 1024:.0f} -> peak "
         f"{mem['peak'] / 1024:.0f} -> after {mem['after'] / 1024:.0f} MiB, {mem['samples']} samples)",
         f"{mem['growth_mib']:,.1f} MiB", "", "",
         f"< {TARGETS['memory_mib']:.0f} MiB {_mark(mem['growth_mib'] < TARGETS['memory_mib'])}"),
    ]
    for q in ("p50", "p99"):
        target = f"< {TARGETS['p99_ms']:.0f} ms {_mark(busy['p99'] < TARGETS['p99_ms'])}" if q == "p99" else \
            "informative"
        rows.append((f"(c) GET actor {q} while 2 clients upload {jpeg}s ({busy['n']} GETs, {stored} uploads)",
                     f"{busy[q]:,.1f} ms", f"{idle[q]:,.1f} ms idle node ({idle['n']} GETs)",
                     f"{busy[q] / idle[q]:.2f}", target))
    _table(rows)
    load = os.getloadavg()
    print(f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. "
          f"Took {time.monotonic() - started:.0f} s.")
    missed = [r[0] for r in rows if "MISSED" in r[4]]
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
