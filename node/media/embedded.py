"""What a photo says about itself: the caption, credit, copyright and source type a photographer's or agency's
software wrote into it, in IPTC IIM (the Photoshop block of a JPEG) and in XMP.

XMP is preferred where both are present (it is Unicode and may carry several languages); IIM fills the gaps. The
credit line joins IPTC's Credit and By-line the way the stock shows it ("Agency / Photographer").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from schemas.languages import normalize_tag
from schemas.media import DIGITAL_SOURCE_TYPE_BASE, DIGITAL_SOURCE_TYPES

__all__ = ["read"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DC = "http://purl.org/dc/elements/1.1/"
_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
# IPTC IIM datasets (record 2): https://www.iptc.org/std/IIM/4.2/specification/IIMV4.2.pdf
_CAPTION, _CREDIT, _BYLINE, _COPYRIGHT = (2, 120), (2, 110), (2, 80), (2, 116)
_MAX_XMP = 1024 * 1024


def read(image: Any, language: str) -> dict[str, Any]:
    """The fields found in an opened Pillow image: ``caption`` ({language: text}), ``credit``, ``copyright`` and
    ``digital_source_type`` (a full IPTC URI), each only when present. A caption without a language of its own
    (IIM, XMP's x-default) is taken to be in ``language``."""
    iim = _iim(image)
    xmp = _xmp(image)
    found: dict[str, Any] = {}
    caption: dict[str, str] = {}
    for lang, text in xmp.get("description", []):
        tag = language if lang == "x-default" else _tag(lang)
        if text and tag and tag not in caption:
            caption[tag] = text[:5000]
    if not caption and iim.get(_CAPTION):
        caption = {language: iim[_CAPTION][:5000]}
    if caption:
        found["caption"] = caption
    credit = _first(xmp.get("Credit")) or iim.get(_CREDIT, "")
    byline = "; ".join(t for _, t in xmp.get("creator", []) if t) or iim.get(_BYLINE, "")
    line = " / ".join(dict.fromkeys(t for t in (credit, byline) if t))
    if line:
        found["credit"] = line[:500]
    rights = _first(xmp.get("rights"), prefer=language) or iim.get(_COPYRIGHT, "")
    if rights:
        found["copyright"] = rights[:500]
    source = _first(xmp.get("DigitalSourceType"))
    code = source.removeprefix(DIGITAL_SOURCE_TYPE_BASE) if source else ""
    if code in DIGITAL_SOURCE_TYPES:
        found["digital_source_type"] = DIGITAL_SOURCE_TYPE_BASE + code
    return found


def _tag(lang: str) -> str | None:
    try:
        return normalize_tag(lang)
    except ValueError:  # a language the stock does not know: the caption in it is left out
        return None


def _first(values: list[tuple[str, str]] | None, prefer: str = "x-default") -> str:
    if not values:
        return ""
    return next((t for lang, t in values if lang == prefer), None) or values[0][1]


def _iim(image: Any) -> dict[tuple[int, int], str]:
    from PIL import IptcImagePlugin

    try:
        info = IptcImagePlugin.getiptcinfo(image) or {}
    except (SyntaxError, ValueError, OSError, IndexError):  # a damaged block reads as none
        return {}
    utf8 = info.get((1, 90), b"") == b"\x1b%G"
    found = {}
    for key, value in info.items():
        if key[0] != 2:
            continue
        values = value if isinstance(value, list) else [value]
        texts = [_text(v, utf8) for v in values]
        found[key] = "; ".join(t for t in texts if t)
    return found


def _text(value: bytes, utf8: bool) -> str:
    try:
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        # Without the UTF-8 marker older software wrote Latin-1.
        return value.decode("utf-8" if utf8 else "latin-1", "replace").strip()


def _packet(image: Any) -> bytes:
    info = image.info
    packet = info.get("xmp") or info.get("XML:com.adobe.xmp") or b""
    if not packet and hasattr(image, "tag_v2"):  # TIFF keeps it in tag 700
        packet = image.tag_v2.get(700, b"")
    return packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)


def _xmp(image: Any) -> dict[str, list[tuple[str, str]]]:
    """dc:description, dc:creator, dc:rights, photoshop:Credit, Iptc4xmpExt:DigitalSourceType as (lang, text)."""
    packet = _packet(image)
    # No DTD: an XMP packet never needs one, and entity expansion is the way to blow a parser up.
    if not packet or len(packet) > _MAX_XMP or b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        return {}
    start = packet.find(b"<x:xmpmeta")
    end = packet.rfind(b"</x:xmpmeta>")
    try:
        root = ET.fromstring(packet[start:end + 12] if 0 <= start < end else packet)
    except ET.ParseError:
        return {}
    wanted = {(_DC, "description"), (_DC, "creator"), (_DC, "rights"), (_PHOTOSHOP, "Credit"),
              (_IPTC_EXT, "DigitalSourceType")}
    found: dict[str, list[tuple[str, str]]] = {}
    for description in root.iter(f"{{{_RDF}}}Description"):
        for key, value in description.attrib.items():
            ns, _, name = key[1:].partition("}")
            if (ns, name) in wanted:
                found.setdefault(name, []).append(("x-default", value.strip()))
        for child in description:
            ns, _, name = child.tag[1:].partition("}")
            if (ns, name) in wanted:
                found.setdefault(name, []).extend(_values(child))
    return found


def _values(element: ET.Element) -> list[tuple[str, str]]:
    items = list(element.iter(f"{{{_RDF}}}li"))
    if items:
        return [(li.get(_XML_LANG, "x-default"), (li.text or "").strip()) for li in items]
    resource = element.get(f"{{{_RDF}}}resource")
    return [("x-default", (resource if resource is not None else element.text or "").strip())]
