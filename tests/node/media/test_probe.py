"""Video and audio probing with ffprobe/ffmpeg on real files made by ffmpeg: duration, display size, codecs, the
poster frame, and the files it refuses (cut short, without the stream their kind needs, not media at all)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from node.media import probe as probing
from node.media.probe import ProbeRefused, ProbeTimeout, probe

HAVE_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
needs_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="needs Debian's ffmpeg package (ffmpeg and ffprobe on "
                                                           "PATH); .ci/run installs it when it runs as root")


@functools.cache
def encoders() -> str:
    return subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], check=False, capture_output=True, text=True).stdout


def needs_encoder(name: str):
    if not HAVE_FFMPEG:
        return needs_ffmpeg
    return pytest.mark.skipif(f" {name} " not in encoders(), reason=f"this ffmpeg has no {name} encoder")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *args], check=True)


def picture(size: str = "320x240", seconds: float = 2) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size={size}:rate=25", "-t", str(seconds)]


SOUND = ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "2"]


def jpeg(data: bytes) -> tuple[int, int, list[int]]:
    """Width, height and the markers before the image data of a baseline or progressive JPEG."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    at, markers, size = 2, [], (0, 0)
    while data[at] == 0xFF and data[at + 1] != 0xDA:
        marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        markers.append(marker)
        if marker in (0xC0, 0xC1, 0xC2):
            size = (int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(data[at + 5:at + 7], "big"))
        at += 2 + length
    return size[0], size[1], markers


def assert_clean_poster(poster: bytes | None, width: int, height: int) -> None:
    assert poster is not None
    w, h, markers = jpeg(poster)
    assert (w, h) == (width, height)
    assert 0xE1 not in markers and 0xFE not in markers  # no EXIF/XMP (APP1), no comment


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    """The shared clips, made once per test module."""
    folder = tmp_path_factory.mktemp("probe")
    if not HAVE_FFMPEG:
        return folder
    ffmpeg(*picture(), *SOUND, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(folder / "clip.mp4"))
    ffmpeg(*picture(), *SOUND, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart",
           str(folder / "faststart.mp4"))
    return folder


def cut(source: Path, target: Path, keep: float) -> Path:
    """The first part of ``source``: a fraction of it (a float) or all but ``keep`` bytes (an int)."""
    data = source.read_bytes()
    target.write_bytes(data[:int(len(data) * keep) if isinstance(keep, float) else len(data) - keep])
    return target


@needs_ffmpeg
async def test_probe__mp4_with_h264_and_aac(media):
    """Duration, size and codecs of a 2 s MP4, and a clean JPEG poster of the same size."""
    found = await probe(media / "clip.mp4", "video")
    assert found.duration == pytest.approx(2.0, abs=0.05)
    assert (found.width, found.height) == (320, 240)
    assert found.codecs == ("h264", "aac")
    assert_clean_poster(found.poster, 320, 240)


@pytest.mark.parametrize(("encoder", "audio", "codecs"), [
    pytest.param("libvpx-vp9", "libopus", ("vp9", "opus"), marks=needs_encoder("libvpx-vp9")),
    pytest.param("libvpx", "libvorbis", ("vp8", "vorbis"), marks=needs_encoder("libvpx")),
])
async def test_probe__webm(tmp_path, encoder, audio, codecs):
    """WebM with VP9/Opus and VP8/Vorbis (Matroska gives no per-stream durations)."""
    path = tmp_path / "clip.webm"
    ffmpeg(*picture(), *SOUND, "-c:v", encoder, "-b:v", "200k", "-c:a", audio, str(path))
    found = await probe(path, "video")
    assert found.duration == pytest.approx(2.0, abs=0.05)
    assert (found.width, found.height, found.codecs) == (320, 240, codecs)
    assert_clean_poster(found.poster, 320, 240)


@pytest.mark.parametrize(("name", "encoder", "codec"), [
    pytest.param("sound.m4a", "aac", "aac", marks=needs_encoder("aac")),
    pytest.param("sound.mp3", "libmp3lame", "mp3", marks=needs_encoder("libmp3lame")),
    pytest.param("sound.ogg", "libvorbis", "vorbis", marks=needs_encoder("libvorbis")),
    pytest.param("sound.wav", "pcm_s16le", "pcm_s16le", marks=needs_ffmpeg),
    pytest.param("sound.flac", "flac", "flac", marks=needs_ffmpeg),
])
async def test_probe__audio_has_a_duration_and_no_picture(tmp_path, name, encoder, codec):
    """Audio-only files: duration and codec, no size, no poster."""
    path = tmp_path / name
    ffmpeg(*SOUND, "-c:a", encoder, str(path))
    found = await probe(path, "audio")
    assert found.duration == pytest.approx(2.0, abs=0.06)  # an MP3 rounds up to whole frames
    assert (found.width, found.height, found.poster, found.codecs) == (None, None, None, (codec,))


@needs_encoder("libmp3lame")
async def test_probe__cover_art_in_an_mp3_is_not_a_video_stream(tmp_path, media):
    """An attached picture is not counted as video: no codec, no size, no poster."""
    ffmpeg(*SOUND, "-c:a", "libmp3lame", str(tmp_path / "plain.mp3"))
    ffmpeg(*picture(seconds=0.04), "-frames:v", "1", str(tmp_path / "cover.jpg"))
    path = tmp_path / "with-cover.mp3"
    ffmpeg("-i", str(tmp_path / "plain.mp3"), "-i", str(tmp_path / "cover.jpg"), "-map", "0", "-map", "1",
           "-c", "copy", "-disposition:v", "attached_pic", "-id3v2_version", "3", str(path))
    found = await probe(path, "audio")
    assert (found.codecs, found.width, found.poster) == (("mp3",), None, None)


def rotated(source: Path, target: Path, degrees: int) -> Path:
    # ffmpeg 6+ sets the display matrix with -display_rotation; 5.x (Debian 12) with the rotate tag.
    try:
        ffmpeg("-display_rotation", str(degrees), "-i", str(source), "-c", "copy", str(target))
    except subprocess.CalledProcessError:
        ffmpeg("-i", str(source), "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}", str(target))
    return target


@needs_ffmpeg
@pytest.mark.parametrize("degrees", [90, 270, 180])
async def test_probe__a_phone_video_held_upright_is_taller_than_wide(tmp_path, media, degrees):
    """The display matrix turns the stored 320x240 into 240x320 (not for 180 degrees), poster included."""
    found = await probe(rotated(media / "clip.mp4", tmp_path / "phone.mp4", degrees), "video")
    size = (320, 240) if degrees == 180 else (240, 320)
    assert (found.width, found.height) == size
    assert_clean_poster(found.poster, *size)


@needs_ffmpeg
async def test_probe__non_square_pixels_give_the_display_width(tmp_path):
    """A 320x240 picture with 2:1 pixels is shown 640x240; so is its poster."""
    path = tmp_path / "wide.mp4"
    ffmpeg(*picture(), "-vf", "setsar=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    found = await probe(path, "video")
    assert (found.width, found.height) == (640, 240)
    assert_clean_poster(found.poster, 640, 240)


@needs_ffmpeg
async def test_probe__a_large_short_video_gets_a_first_frame_poster_fitted_to_1600(tmp_path):
    """Shorter than a second: the first frame; 2000x1000 is scaled to 1600x800, the item keeps 2000x1000."""
    path = tmp_path / "big.mp4"
    ffmpeg(*picture("2000x1000", 0.4), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    found = await probe(path, "video")
    assert found.duration == pytest.approx(0.4, abs=0.05)
    assert (found.width, found.height) == (2000, 1000)
    assert_clean_poster(found.poster, 1600, 800)


@needs_ffmpeg
async def test_probe__a_name_starting_with_a_dash_is_a_file_not_an_option(media, tmp_path, monkeypatch):
    """`-i.mp4` (relative, in the working folder) and a name with spaces and non-ASCII letters are probed."""
    shutil.copy(media / "clip.mp4", tmp_path / "-i.mp4")
    shutil.copy(media / "clip.mp4", tmp_path / "Bakı xəbər | 1.mp4")
    monkeypatch.chdir(tmp_path)
    assert (await probe(Path("-i.mp4"), "video")).width == 320
    assert (await probe(Path("Bakı xəbər | 1.mp4"), "video")).width == 320


@needs_ffmpeg
@pytest.mark.parametrize("keep", [0.6, 300])
async def test_probe__mp4_cut_before_its_index_at_the_end_is_refused(media, tmp_path, keep):
    """Index (moov) at the end, the file cut before or inside it: ffprobe cannot open it."""
    with pytest.raises(ProbeRefused) as refused:
        await probe(cut(media / "clip.mp4", tmp_path / "cut.mp4", keep), "video")
    assert refused.value.reason.startswith("the file cannot be read")
    assert str(tmp_path) not in refused.value.reason


@needs_ffmpeg
@pytest.mark.parametrize("keep", [0.6, 0.95, 20])
async def test_probe__mp4_with_its_index_first_and_the_data_cut_is_refused(media, tmp_path, keep):
    """Index first (faststart): ffprobe opens it and claims 2 s; the tail read finds the data missing, even when
    only the last 20 bytes are gone."""
    with pytest.raises(ProbeRefused) as refused:
        await probe(cut(media / "faststart.mp4", tmp_path / "cut.mp4", keep), "video")
    assert refused.value.reason.startswith("the file is incomplete")
    assert str(tmp_path) not in refused.value.reason


@needs_encoder("libvpx")
@pytest.mark.parametrize("keep", [0.6, 20])
async def test_probe__webm_cut_short_is_refused(tmp_path, keep):
    """A WebM cut in its clusters or its trailing cues."""
    path = tmp_path / "clip.webm"
    ffmpeg(*picture(), *SOUND, "-c:v", "libvpx", "-b:v", "200k", "-c:a", "libvorbis", str(path))
    with pytest.raises(ProbeRefused, match="incomplete"):
        await probe(cut(path, tmp_path / "cut.webm", keep), "video")


@needs_ffmpeg
async def test_probe__flac_cut_short_is_refused(tmp_path):
    """FLAC's header promises 2 s; the packets end near 1.2 s."""
    path = tmp_path / "sound.flac"
    ffmpeg(*SOUND, str(path))
    with pytest.raises(ProbeRefused, match="should last 2.0 s"):
        await probe(cut(path, tmp_path / "cut.flac", 0.6), "audio")


@needs_ffmpeg
async def test_probe__a_video_container_with_only_sound_is_not_a_video(tmp_path):
    """An MP4 holding only AAC is refused as video (and taken as audio)."""
    path = tmp_path / "sound.mp4"
    ffmpeg(*SOUND, "-c:a", "aac", str(path))
    with pytest.raises(ProbeRefused, match="video stream"):
        await probe(path, "video")
    assert (await probe(path, "audio")).codecs == ("aac",)


@needs_ffmpeg
async def test_probe__audio_must_have_an_audio_stream(tmp_path):
    """A silent video is refused as audio."""
    path = tmp_path / "silent.mp4"
    ffmpeg(*picture(), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    with pytest.raises(ProbeRefused, match="audio stream"):
        await probe(path, "audio")


@needs_ffmpeg
async def test_probe__a_file_with_no_audio_or_video_stream_is_refused(tmp_path):
    """A Matroska file holding only subtitles."""
    (tmp_path / "words.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nSalam\n")
    path = tmp_path / "words.mkv"
    ffmpeg("-i", str(tmp_path / "words.srt"), str(path))
    with pytest.raises(ProbeRefused, match="no video or audio stream"):
        await probe(path, "video")


@needs_ffmpeg
@pytest.mark.parametrize("body", [
    b"\x00\x00\x00\x18ftypisom" + os.urandom(4000),
    b"ffconcat version 1.0\nfile /etc/hostname\n",  # would make ffprobe open another file
    b"#EXTM3U\n#EXTINF:2,\nfile:/etc/hostname\n",
])
async def test_probe__what_is_not_media_is_refused_and_nothing_else_is_opened(tmp_path, body):
    """Random bytes behind an MP4 header, a concat script and a playlist: refused with a reason."""
    path = tmp_path / "upload.mp4"
    path.write_bytes(body)
    with pytest.raises(ProbeRefused) as refused:
        await probe(path, "video")
    assert refused.value.reason and str(tmp_path) not in refused.value.reason


@pytest.fixture
def empty_path(tmp_path, monkeypatch):
    """PATH with one empty folder, and the tool lookup forgotten before and after."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    probing._tools.cache_clear()
    yield bin_dir
    probing._tools.cache_clear()


async def test_probe__without_ffprobe_it_is_not_available_and_answers_none(empty_path, tmp_path):
    """No ffprobe on PATH: `available()` is False and `probe` gives None (the file is stored without fields)."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom")
    assert probing.available() is False
    assert await probe(path, "video") is None


async def test_probe__a_hanging_ffprobe_is_killed_at_the_timeout(empty_path, tmp_path):
    """A stand-in ffprobe that never answers: ProbeTimeout after the timeout, and the process is gone."""
    pid_file = tmp_path / "pid"
    fake = empty_path / "ffprobe"
    fake.write_text(f"#!/bin/sh\necho $$ > '{pid_file}'\nexec {shutil.which('sleep', path=os.defpath)} 30\n")
    fake.chmod(0o755)
    assert probing.available() is True
    started = time.monotonic()
    with pytest.raises(ProbeTimeout):
        await probe(tmp_path / "whatever.mp4", "video", timeout=0.5)
    assert time.monotonic() - started < 5
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_probe__kind_must_be_video_or_audio(tmp_path):
    """Images and documents are not probed here."""
    with pytest.raises(ValueError):
        await probe(tmp_path / "x.jpg", "image")
