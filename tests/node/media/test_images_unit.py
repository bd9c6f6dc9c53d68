"""The photo steps without a node: lossless cleaning (`node.media.scrub`), reading, measuring and deriving
(`node.media.images`), and the BlurHash encoder, on real files made with Pillow."""

from __future__ import annotations

import io
import random
import warnings

import pytest
from PIL import Image, IptcImagePlugin

from node.media import blurhash, images
from node.media.scrub import scrub, xmp_leaks
from tests.node.media import photos

REMOVED = ["GPS location", "camera owner's name", "camera serial number", "lens serial number"]


def _leaks(data: bytes) -> list[str]:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        found = ["gps"] if exif.get_ifd(0x8825) else []
        found += [hex(t) for t in (0xA430, 0xA431, 0xA435) if t in exif.get_ifd(0x8769)]
        packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
        found += xmp_leaks(packet.encode() if isinstance(packet, str) else packet)  # compressed in a PNG
    return found + [s for s in (photos.SERIAL, photos.LENS_SERIAL, photos.OWNER, "GPSLatitude", "GPSLongitude")
                    if s.encode() in data]


def test_scrub__jpeg_loses_location_and_serials_in_place_and_keeps_pixels_and_captions():
    """EXIF GPS, serials and owner and XMP GPS go; pixels, IPTC, XMP caption and camera model stay."""
    upload = photos.jpeg(xmp=True)
    assert _leaks(upload)  # the fixture really carries them
    cleaned, removed = scrub(upload, "image/jpeg")
    assert removed == REMOVED
    assert _leaks(cleaned) == [] and len(cleaned) == len(upload)  # edited in place, nothing moved
    assert photos.decoded(cleaned) == photos.decoded(upload)
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.getexif()[0x0110] == "Canon EOS R5" and image.getexif().get_ifd(0x8769)[0x829A] == 1 / 250
        assert IptcImagePlugin.getiptcinfo(image)[(2, 120)] == photos.CAPTION.encode()
        assert photos.CAPTION.encode() in image.info["xmp"] and b"photoshop:Credit" in image.info["xmp"]


@pytest.mark.parametrize("make, media_type", [(photos.png_with_exif, "image/png"), (photos.png_with_xmp, "image/png"),
                                              (photos.webp_with_exif, "image/webp")])
def test_scrub__png_and_webp_metadata_chunks_are_cleaned(make, media_type):
    """The eXIf and (compressed) XMP chunks of a PNG and the EXIF and XMP chunks of a WebP lose GPS and serials,
    pixels stay."""
    upload = make()
    cleaned, removed = scrub(upload, media_type)
    assert removed == REMOVED and _leaks(cleaned) == []
    assert photos.decoded(cleaned) == photos.decoded(upload)


def test_scrub__a_file_with_nothing_to_remove_keeps_its_bytes():
    """No EXIF, or EXIF without location and device: the very same bytes come back."""
    out = io.BytesIO()
    model = Image.Exif()
    model[0x0110] = "Canon EOS R5"
    photos.picture().save(out, "JPEG", exif=model)
    for data, media_type in ((out.getvalue(), "image/jpeg"), (photos.bomb_png(10, 10), "image/png")):
        assert scrub(data, media_type) == (data, [])


async def test_images__prepare_reads_caption_credit_orientation_and_makes_clean_derivatives():
    """IPTC caption and credit are read, the size is the upright one, thumb and web fit their boxes."""
    big = photos.picture(2400, 1200)
    prepared = await images.prepare(photos.jpeg(orientation=6, image=big), "image/jpeg", language="az")
    assert (prepared.width, prepared.height) == (1200, 2400)  # orientation 6: a portrait held sideways
    assert prepared.found == {"caption": {"az": photos.CAPTION}, "credit": "Baku News Agency / R. Aliyev",
                              "copyright": photos.COPYRIGHT}
    sizes = {r.name: (r.media_type, r.width, r.height) for r in prepared.renditions}
    assert sizes == {"thumb.webp": ("image/webp", 200, 400), "thumb.jpg": ("image/jpeg", 200, 400),
                     "web.webp": ("image/webp", 800, 1600), "web.jpg": ("image/jpeg", 800, 1600)}
    for rendition in prepared.renditions:
        with Image.open(io.BytesIO(rendition.data)) as image:
            assert image.size == (rendition.width, rendition.height)
            assert not image.getexif() and "xmp" not in image.info and "icc_profile" not in image.info
    assert len(prepared.blurhash) == 28  # 4 x 3 components


async def test_images__prepare_prefers_xmp_and_never_upscales_a_small_photo():
    """XMP gives the caption in two languages and the source type; a small photo's web size is its own."""
    prepared = await images.prepare(photos.jpeg(xmp=True), "image/jpeg", language="en")
    assert prepared.found["caption"] == {"en": photos.CAPTION, "az": "Bərə sübh çağı Bakı limanını tərk edir."}
    assert prepared.found["digital_source_type"].endswith("/digitalCapture")
    assert {(r.width, r.height) for r in prepared.renditions} == {(64, 48)}


async def test_images__clean_false_keeps_a_received_file_byte_for_byte():
    """A partner's file (clean=False) is measured and derived but never changed."""
    upload = photos.jpeg()
    prepared = await images.prepare(upload, "image/jpeg", clean=False)
    assert prepared.data is upload and prepared.removed == []


@pytest.mark.parametrize("width, height", [(30000, 30000), (10000, 10000)])
async def test_images__decompression_bombs_are_refused(width, height):
    """Past Pillow's error limit, and between its warning and error limits (the warning counts as an error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # Pillow's own, between the two limits
        with pytest.raises(images.ImageRefused) as refused:
            await images.prepare(photos.bomb_png(width, height), "image/png")
    assert refused.value.title == "Image has too many pixels"


async def test_images__a_truncated_photo_is_refused():
    """Bytes that begin like a JPEG but stop half-way do not decode: refused with the reason."""
    upload = photos.jpeg()
    with pytest.raises(images.ImageRefused) as refused:
        await images.prepare(upload[: len(upload) // 2], "image/jpeg")
    assert refused.value.title == "Unreadable image" and "cannot be" in refused.value.reason


def test_blurhash__matches_the_reference_encoder():
    """Hashes computed with Wolt's algorithm by the `blurhash` package on PyPI (1.1.5)."""
    w, h = 12, 8
    gradient = [((x * 255) // w, (y * 255) // h, 128) for y in range(h) for x in range(w)]
    assert blurhash.encode(gradient, w, h) == "LoGIcS2@sUt7u^R-jtjIf7fQfQfQ"
    assert blurhash.encode([(200, 30, 30)] * 25, 5, 5) == "LbM^z||wfQ|w|ww{fQw{fQfQfQfQ"


def test_scrub__maker_notes_go_because_they_repeat_the_serial_number():
    """A Canon-style maker note holding the serial number is taken out with the EXIF serial."""
    found = photos.exif()
    found.get_ifd(0x8769)[0x927C] = b"Canon\x00\x00" + photos.SERIAL.encode() + b"\x00" * 8
    out = io.BytesIO()
    photos.picture().save(out, "JPEG", exif=found)
    cleaned, removed = scrub(out.getvalue(), "image/jpeg")
    assert "camera maker notes (they repeat the serial number)" in removed and _leaks(cleaned) == []
    with Image.open(io.BytesIO(cleaned)) as image:
        assert 0x927C not in image.getexif().get_ifd(0x8769)


async def test_images__heic_is_cleaned_and_kept_without_derivatives():
    """Pillow cannot decode HEIC: its EXIF item is still cleaned in place, and it is kept without size."""
    tiff = photos.exif().tobytes()
    tiff = tiff[tiff.index(b"MM\x00*") if b"MM\x00*" in tiff else tiff.index(b"II*\x00"):]
    upload = (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x0cmeta\x00\x00\x00\x00"
              + b"\x00\x00\x00\x06Exif\x00\x00" + tiff + b"\x00" * 64)
    assert photos.SERIAL.encode() in upload
    prepared = await images.prepare(upload, "image/heic")
    assert prepared.removed == REMOVED and len(prepared.data) == len(upload)
    assert photos.SERIAL.encode() not in prepared.data and photos.OWNER.encode() not in prepared.data
    assert (prepared.width, prepared.renditions, prepared.blurhash) == (None, [], "")


def test_scrub__the_second_picture_of_a_phones_mpo_file_is_cleaned_too():
    """MPF files (several JPEGs one after the other) carry EXIF per picture: none keeps GPS or serials."""
    out = io.BytesIO()
    photos.picture().save(out, "MPO", save_all=True, append_images=[photos.picture(32, 24)], exif=photos.exif())
    upload = out.getvalue()
    assert upload.count(photos.SERIAL.encode()) == 2
    cleaned, removed = scrub(upload, "image/jpeg")
    assert removed == REMOVED and photos.SERIAL.encode() not in cleaned and photos.OWNER.encode() not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        for frame in range(image.n_frames):
            image.seek(frame)
            assert image.getexif().get_ifd(0x8825) == {}


def test_scrub__damaged_files_never_make_it_raise():
    """Random bytes changed in the metadata of JPEG, PNG and WebP files, some cut short: scrub answers each."""
    rng = random.Random(7)
    seeds = [(photos.jpeg(xmp=True), "image/jpeg"), (photos.png_with_xmp(), "image/png"),
             (photos.webp_with_exif(), "image/webp")]
    for _ in range(1500):
        data, media_type = rng.choice(seeds)
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(min(len(damaged), 3000))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[:rng.randrange(len(damaged))]
        cleaned, _ = scrub(bytes(damaged), media_type)
        assert isinstance(cleaned, bytes)
