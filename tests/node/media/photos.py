"""Real photos for the media tests, made with Pillow: EXIF with GPS and serial numbers, IPTC in a hand-built APP13
segment (Pillow reads IPTC but does not write it) and an XMP packet."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

SERIAL = "SN-0042-XYZ-7781"
LENS_SERIAL = "LENS-SN-99812"
OWNER = "Rauf Aliyev (owner)"
CAPTION = "Ferry leaves the port of Baku at dawn."
CREDIT = "Baku News Agency"
BYLINE = "R. Aliyev"
COPYRIGHT = "(c) 2026 Baku News Agency"

XMP = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
  xmlns:exifEX="http://cipa.jp/exif/1.0/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
  exif:GPSLatitude="40,22.1N" exifEX:BodySerialNumber="{SERIAL}" photoshop:Credit="{CREDIT}">
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{CAPTION}</rdf:li>
  <rdf:li xml:lang="az">Bərə sübh çağı Bakı limanını tərk edir.</rdf:li></rdf:Alt></dc:description>
 <dc:creator><rdf:Seq><rdf:li>{BYLINE}</rdf:li></rdf:Seq></dc:creator>
 <exif:GPSLongitude>49,52.3E</exif:GPSLongitude>
 <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture</Iptc4xmpExt:DigitalSourceType>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def picture(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    """A picture with some structure (so resizing and blurhash have something to show)."""
    image = Image.new(mode, (width, height))
    image.putdata([((x * 255) // width, (y * 255) // height, 128) + ((200,) if mode == "RGBA" else ())
                   for y in range(height) for x in range(width)])
    return image


def exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera model, GPS, serial numbers and the owner's name."""
    found = Image.Exif()
    found[0x010F], found[0x0110] = "Canon", "Canon EOS R5"
    if orientation != 1:
        found[0x0112] = orientation
    gps = found.get_ifd(0x8825)
    gps.update({1: "N", 2: (40.0, 22.0, 6.0), 3: "E", 4: (49.0, 52.0, 18.0)})
    sub = found.get_ifd(0x8769)
    sub.update({0xA431: SERIAL, 0xA435: LENS_SERIAL, 0xA430: OWNER, 0x829A: 1 / 250})
    return found


def _iim(dataset: int, value: str, record: int = 2) -> bytes:
    data = value.encode()
    return b"\x1c" + bytes([record, dataset]) + struct.pack(">H", len(data)) + data


def app13(caption: str = CAPTION, credit: str = CREDIT, byline: str = BYLINE, rights: str = COPYRIGHT) -> bytes:
    """An APP13 segment holding IPTC IIM in Photoshop's 8BIM 0x0404 block (UTF-8 declared in 1:90)."""
    iptc = (b"\x1c\x01\x5a\x00\x03\x1b%G" + _iim(120, caption) + _iim(110, credit) + _iim(80, byline)
            + _iim(116, rights))
    block = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + (b"\x00" if len(iptc) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + block
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def jpeg(*, orientation: int = 1, iptc: bool = True, xmp: bool = False, image: Image.Image | None = None) -> bytes:
    """A real JPEG with EXIF GPS and serials, optionally IPTC (APP13) and XMP."""
    out = io.BytesIO()
    extra = {"xmp": XMP.encode()} if xmp else {}
    (image or picture()).save(out, "JPEG", exif=exif(orientation), quality=90, **extra)
    data = out.getvalue()
    return data[:2] + app13() + data[2:] if iptc else data


def png_with_exif(image: Image.Image | None = None) -> bytes:
    out = io.BytesIO()
    (image or picture()).save(out, "PNG", exif=exif())
    return out.getvalue()


def png_with_xmp() -> bytes:
    """A PNG with EXIF and a compressed XMP iTXt chunk, the way Photoshop and exiftool write it."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP, zip=True)
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue()


def webp_with_exif() -> bytes:
    out = io.BytesIO()
    picture().save(out, "WEBP", exif=exif(), xmp=XMP.encode(), lossless=True)
    return out.getvalue()


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A small PNG whose header claims a huge picture (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def decoded(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    """Mode, size and pixels as decoded."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.mode, image.size, image.tobytes()
