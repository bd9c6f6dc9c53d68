"""Video and audio uploads through the editor API on a real loopback node: probed for duration and size, a poster
rendition with its BlurHash, cut-off files refused with nothing kept, and kept without those fields when ffprobe is
missing or too slow."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from node.media import probe as probing
from tests.node.media.test_stock_api import _upload_raw, stored_files
from tests.nodes import running_node

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="needs Debian's ffmpeg package (ffmpeg and ffprobe on PATH) to make and "
                                         "probe the test video")


def _video(folder: Path) -> bytes:
    """Two seconds of ffmpeg's test pattern, 320 x 240, H.264 (or MPEG-4) in MP4."""
    out = folder / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc=duration=2:size=320x240:rate=25", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out.read_bytes()


def _sound(folder: Path) -> bytes:
    out = folder / "tone.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=2", str(out)], check=True)
    return out.read_bytes()


@needs_ffmpeg
async def test_video_upload__duration_size_and_a_poster_rendition_with_blurhash(tmp_path):
    """A real video gets its duration, display size, a poster.jpg served like the file, and a BlurHash."""
    video = _video(tmp_path)
    async with running_node(tmp_path, "baku") as baku:
        status, item = await _upload_raw(baku, video, "video/mp4", filename="clip.mp4", alt="Test pattern")
        assert status == 201, item
        assert item["kind"] == "video" and item["id"] == hashlib.sha256(video).hexdigest()  # never changed
        assert item["duration"] == pytest.approx(2.0, abs=0.1)
        assert (item["width"], item["height"]) == (320, 240) and len(item["blurhash"]) == 28
        poster = item["renditions"]["poster.jpg"]
        assert (poster["media_type"], poster["width"], poster["height"]) == ("image/jpeg", 320, 240)
        async with baku.session.get(poster["url"]) as resp:
            data = await resp.read()
            assert resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert len(data) == poster["size"] and Image.open(io.BytesIO(data)).size == (320, 240)


@needs_ffmpeg
async def test_video_upload__a_truncated_video_is_422_and_nothing_is_kept(tmp_path):
    """The same video cut short is refused with ffprobe's reason; the stored upload is removed, no row."""
    video = _video(tmp_path)
    async with running_node(tmp_path, "baku") as baku:
        status, problem = await _upload_raw(baku, video[: len(video) * 2 // 3], "video/mp4")
        assert status == 422, problem
        assert problem["title"] == "Unreadable video" and problem["detail"]
        assert stored_files(Path(baku.config.media["dir"])) == []
        _, listed = await baku.api("GET", "/api/media")
        assert listed["media"] == []


@needs_ffmpeg
async def test_video_upload__audio_gets_its_duration_and_no_poster(tmp_path):
    """A WAV file: two seconds, no size, no renditions."""
    async with running_node(tmp_path, "baku") as baku:
        status, item = await _upload_raw(baku, _sound(tmp_path), "audio/wav")
        assert status == 201, item
        assert item["kind"] == "audio" and item["duration"] == pytest.approx(2.0, abs=0.1)
        assert item["width"] is None and item["renditions"] == {}


@needs_ffmpeg
@pytest.mark.parametrize("failure", ["no ffprobe", "timeout"])
async def test_video_upload__without_ffprobe_or_in_time_the_file_is_kept_without_the_fields(tmp_path, monkeypatch,
                                                                                            failure):
    """No ffprobe on the machine, or probing that takes too long: stored, without duration, size or poster."""
    if failure == "no ffprobe":
        monkeypatch.setattr(probing, "_tools", lambda: probing._Tools(None, None))
    else:
        async def slow(path, kind, *, timeout=60.0):
            raise probing.ProbeTimeout(timeout)
        monkeypatch.setattr(probing, "probe", slow)
    video = _video(tmp_path)
    async with running_node(tmp_path, "baku") as baku:
        status, item = await _upload_raw(baku, video, "video/mp4")
        assert status == 201, item
        assert item["duration"] is None and item["width"] is None and item["renditions"] == {}
        assert [p.name for p in stored_files(Path(baku.config.media["dir"]))] == [item["id"]]
