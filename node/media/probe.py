"""Duration, display size, codecs and a poster frame of a video or audio file, found with ffprobe and ffmpeg.

Both tools are optional (Debian's ``ffmpeg`` package): without ffprobe `probe` answers None and the stock keeps
the file without those fields; without ffmpeg (ffprobe alone) there is no poster. They run as asyncio
subprocesses (the event loop never waits on them), with no shell, stdin closed, the file given as an absolute
``file:`` URL (a name beginning with ``-`` is never read as an option, and no other protocol is opened), only the
demuxers of the formats `node.media.sniff` takes allowed, and one deadline for the whole probe: a process still
running then is killed and `ProbeTimeout` raised. A timeout says nothing about the file (a loaded machine, a huge
file), so it is not a refusal; the caller decides (storing the file without the fields is safe).

A file ffprobe cannot open, with no audio or video stream, or without the stream its kind needs (the kind comes
from the container's first bytes, so an MP4 holding only sound is not a video) is refused with `ProbeRefused`.

Truncation (an upload or copy that stopped early), measured with ffmpeg 5.1:

* MP4/MOV with the index (``moov``) at the end, cut anywhere before it: ffprobe fails ("moov atom not found");
  refused.
* MP4/MOV with the index first (``faststart``, phone and web exports), media data cut: ffprobe succeeds and still
  reports the full duration, and ``format.size`` is only the bytes present, so neither tells. `probe` therefore
  demuxes (never decodes) the last second of packets, which the index locates directly: the demuxer reports
  "partial file" and the last packets end before the promised duration; refused, even when only the last few
  bytes are missing. WebM/Matroska is read the same way ("File ended prematurely"); so are MP3 files with a
  Xing/Info header and FLAC, whose headers promise a length the packets no longer reach.
* Not caught: formats whose length is read from the bytes present (WAV, Ogg, MP3 without a Xing header, raw
  AAC) look like a complete shorter recording; an MP4 cut inside a trailing ``moov`` after everything ffprobe
  needs (only trailing metadata lost, the media plays whole) and a WebM cut inside its trailing cues are caught
  only when the tail read notices. Damage in the middle of a file is not looked for (that needs a full decode).

Reading the tail costs one more ffprobe run (0.05 to 0.15 s here, a 100 MiB file included): the read starts at
the last keyframe before the final second, so a file with long groups of pictures reads more, but only demuxes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ProbeRefused", "ProbeTimeout", "Probed", "available", "probe"]

log = logging.getLogger("agency_node.media")

KINDS = ("video", "audio")
POSTER_BOX = 1600       # the poster fits in POSTER_BOX x POSTER_BOX, never upscaled
POSTER_AT = 1.0         # seconds in; a shorter video gives its first frame
TAIL_SECONDS = 1.0      # how much of the end is demuxed to look for truncation
TAIL_SLACK = 0.2        # seconds the last packet may end before the promised duration (rounding, priming)
# The demuxers of the formats `node.media.sniff` takes (by their ffmpeg names); ffprobe's own probing may not pick
# another one (a playlist or concat script would make it open other files). Extend with the sniff table.
DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,mp3,wav,flac,aac"
# What the demuxers print when bytes the header promised are not there (mov, matroska).
_TRUNCATION_MESSAGES = ("partial file", "ended prematurely")
_LOG_PREFIX = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\] ")


@dataclass(frozen=True)
class Probed:
    """What ffprobe found: seconds, the display size (after rotation and pixel aspect) and a JPEG poster."""

    duration: float | None   # seconds
    width: int | None        # video only, as displayed (a portrait phone video is taller than wide)
    height: int | None
    poster: bytes | None     # JPEG, fits POSTER_BOX, no metadata; None for audio or when it cannot be made
    codecs: tuple[str, ...]  # of the audio and video streams, in stream order, e.g. ("h264", "aac")


class ProbeRefused(Exception):
    """Not a readable video or audio file; ``reason`` says why in words for the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProbeTimeout(TimeoutError):
    """ffprobe or ffmpeg did not finish within the probe's time; they were killed. Not a verdict on the file."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"probing took longer than {seconds:g} s")
        self.seconds = seconds


@dataclass(frozen=True)
class _Tools:
    ffprobe: str | None
    ffmpeg: str | None


@functools.cache
def _tools() -> _Tools:
    return _Tools(shutil.which("ffprobe"), shutil.which("ffmpeg"))


def available() -> bool:
    """Whether ffprobe is on PATH (looked up once per process)."""
    return _tools().ffprobe is not None


async def probe(path: Path, kind: str, *, timeout: float = 60.0) -> Probed | None:
    """Probe a stored video or audio file; None when ffprobe is not installed.

    Raises `ProbeRefused` for a file that is not a readable, complete file of that kind, and `ProbeTimeout` when
    the tools take longer than ``timeout`` seconds in all."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    tools = _tools()
    if tools.ffprobe is None:
        return None
    run = _Runner(Path(path), timeout)
    info = await run.ffprobe(tools.ffprobe, "-show_format", "-show_streams")
    fmt = info.get("format") or {}
    streams = [s for s in info.get("streams") or [] if _is_media(s)]
    if not streams:
        raise ProbeRefused("the file holds no video or audio stream")
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if kind == "video" and video is None:
        raise ProbeRefused("a video file must hold a video stream; this one has only sound (upload it as audio)")
    if kind == "audio" and not any(s.get("codec_type") == "audio" for s in streams):
        raise ProbeRefused("an audio file must hold an audio stream; this one has none")
    duration = _duration(fmt, streams)
    if duration is not None:
        await _check_tail(run, tools.ffprobe, fmt, streams, duration)
    width = height = poster = None
    if kind == "video" and video is not None:
        width, height = _display_size(video)
        if tools.ffmpeg is not None:
            poster = await _poster(run, tools.ffmpeg, video, duration)
    codecs = tuple(str(s.get("codec_name") or "unknown") for s in streams)
    return Probed(duration=duration, width=width, height=height, poster=poster, codecs=codecs)


class _Runner:
    """Runs the tools on one file under one deadline."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path.resolve()
        # The file protocol takes the rest literally: no option, no other protocol, whatever the name.
        self.url = f"file:{self.path}"
        self.timeout = timeout
        self.deadline = asyncio.get_running_loop().time() + timeout

    async def run(self, *argv: str) -> tuple[int, bytes, bytes]:
        remaining = self.deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise ProbeTimeout(self.timeout)
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), remaining)
        except TimeoutError:
            raise ProbeTimeout(self.timeout) from None
        finally:
            if proc.returncode is None:  # timed out or cancelled: never leave the process behind
                proc.kill()
                await proc.wait()
        return proc.returncode, out, err

    async def ffprobe(self, ffprobe: str, *args: str, refuse: str = "the file cannot be read") -> dict[str, Any]:
        rc, out, err = await self.run(ffprobe, "-v", "error", "-format_whitelist", DEMUXERS,
                                      "-protocol_whitelist", "file", "-print_format", "json", *args, self.url)
        if rc != 0:
            said = self.message(err)
            if "not on whitelist" in said:  # a playlist, a concat script, an image sequence...
                said = "it is not a video or audio format the stock takes"
            raise ProbeRefused(f"{refuse}: {said or f'ffprobe exited with {rc}'}")
        try:
            found = json.loads(out)
        except ValueError:
            raise ProbeRefused(f"{refuse}: ffprobe gave no readable answer") from None
        found["_stderr"] = err
        return found

    def message(self, stderr: bytes) -> str:
        """ffmpeg's error lines, without log prefixes or the server's path, for the uploader."""
        lines: list[str] = []
        for line in stderr.decode("utf-8", "replace").splitlines():
            line = _LOG_PREFIX.sub("", line.strip()).replace(self.url, "the file").replace(str(self.path), "the file")
            line = line.removeprefix("the file: ")
            if line and line not in lines:
                lines.append(line)
        return "; ".join(lines[:3])[:300]


def _is_media(stream: dict[str, Any]) -> bool:
    # Cover art in an MP3 or M4A is a one-frame "video" stream marked as an attached picture.
    return (stream.get("codec_type") in KINDS
            and not (stream.get("disposition") or {}).get("attached_pic"))


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float | None:
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [d for d in (_float(s.get("duration")) for s in streams) if d is not None]
        duration = max(durations) if durations else None
    return duration if duration is not None and duration > 0 else None


def _rotation(stream: dict[str, Any]) -> float:
    for side in stream.get("side_data_list") or []:
        if (rotation := _float(side.get("rotation"))) is not None:
            return rotation
    return _float((stream.get("tags") or {}).get("rotate")) or 0.0  # ffprobe before 5.0


def _display_size(video: dict[str, Any]) -> tuple[int | None, int | None]:
    width, height = video.get("width"), video.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
        return None, None
    num, _, den = str(video.get("sample_aspect_ratio") or "").partition(":")
    if num.isdigit() and den.isdigit() and int(num) > 0 and int(den) > 0:
        width = max(1, round(width * int(num) / int(den)))  # non-square pixels (anamorphic video)
    if round(_rotation(video)) % 180 == 90:  # the display matrix of a phone held upright
        width, height = height, width
    return width, height


async def _check_tail(run: _Runner, ffprobe: str, fmt: dict[str, Any], streams: list[dict[str, Any]],
                      duration: float) -> None:
    """Refuse a file whose last second of packets is not all there (see the module docstring)."""
    start = _float(fmt.get("start_time")) or 0.0
    tail = await run.ffprobe(ffprobe, "-read_intervals", f"{max(0.0, start + duration - TAIL_SECONDS):.3f}%",
                             "-show_entries", "packet=stream_index,pts_time,dts_time,duration_time",
                             refuse="the file is damaged")
    said = run.message(tail["_stderr"])
    if any(m in said for m in _TRUNCATION_MESSAGES):
        raise ProbeRefused(f"the file is incomplete (cut short?): {said}")
    ends: dict[int, float] = {}
    for packet in tail.get("packets") or []:
        at = _float(packet.get("pts_time"))
        at = _float(packet.get("dts_time")) if at is None else at
        if at is not None and isinstance(packet.get("stream_index"), int):
            end = at + (_float(packet.get("duration_time")) or 0.0)
            ends[packet["stream_index"]] = max(end, ends.get(packet["stream_index"], end))
    # A stream with its own duration must reach it; the others (Matroska gives none) together reach the file's.
    promised = start + duration
    without_own = []
    for stream in streams:
        own = _float(stream.get("duration"))
        if own is None:
            without_own.append(stream)
            continue
        expected = (_float(stream.get("start_time")) or 0.0) + own
        _reached(ends.get(stream.get("index"), float("-inf")), expected, stream.get("codec_type"))
    if without_own:
        _reached(max(ends.get(s.get("index"), float("-inf")) for s in without_own), promised, "media")


def _reached(end: float, expected: float, what: Any) -> None:
    if end < expected - TAIL_SLACK:
        got = f"ends at {end:.1f} s" if end > float("-inf") else "has no data near its end"
        raise ProbeRefused(f"the file is incomplete (cut short?): its {what} should last {expected:.1f} s but {got}")


async def _poster(run: _Runner, ffmpeg: str, video: dict[str, Any], duration: float | None) -> bytes | None:
    """One frame as a JPEG, or None when ffmpeg cannot make one (the probe itself stands)."""
    # ffmpeg applies the display matrix itself (autorotate); square the pixels, then fit the box, never upscale.
    scale = (f"scale=iw*sar:ih,setsar=1,scale=w='min({POSTER_BOX},iw)':h='min({POSTER_BOX},ih)'"
             ":force_original_aspect_ratio=decrease")
    offsets = [POSTER_AT, 0.0] if duration is None or duration > POSTER_AT else [0.0]
    err = b""
    for offset in offsets:
        rc, out, err = await run.run(
            ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-format_whitelist", DEMUXERS,
            "-protocol_whitelist", "file", "-ss", f"{offset:g}", "-i", run.url,
            "-map", f"0:{video.get('index', 0)}", "-frames:v", "1", "-vf", scale,
            # No metadata at all, and bitexact so the encoder writes no "Lavc" comment either.
            "-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-c:v", "mjpeg", "-q:v", "3", "-f", "image2pipe", "pipe:1")
        if rc == 0 and out.startswith(b"\xff\xd8"):
            return out
    log.info("media.no_poster", extra={"file": run.path.name, "error": run.message(err)})
    return None
