"""Media stock input: what an editor says about a file (alt text, caption, credit, rights, source type).

The same names arrive as multipart form fields or, for a raw-body upload, as query parameters: ``language``
(the language of ``alt`` and ``caption``), ``alt``, ``caption``, ``alt.<lang>`` and ``caption.<lang>`` for further
languages, ``credit``, ``copyright``, ``usage_terms`` and ``digital_source_type`` (an IPTC Digital Source Type code
or its URI).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote
from typing import Any, Mapping

from marshmallow import ValidationError

from schemas.languages import normalize_tag

__all__ = ["DIGITAL_SOURCE_TYPE_BASE", "DIGITAL_SOURCE_TYPES", "clean_filename", "media_input"]

DIGITAL_SOURCE_TYPE_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
# IPTC NewsCodes Digital Source Type (the current codes; https://cv.iptc.org/newscodes/digitalsourcetype/).
DIGITAL_SOURCE_TYPES = frozenset({
    "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print", "humanEdits",
    "minorHumanEdits", "compositeCapture", "algorithmicallyEnhanced", "dataDrivenMedia", "digitalArt",
    "virtualRecording", "compositeSynthetic", "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia", "screenCapture", "digitalCreation",
})
_LIMITS = {"alt": 1500, "caption": 5000, "credit": 500, "copyright": 500, "usage_terms": 5000}
_KEYS = frozenset({"language", "alt", "caption", "credit", "copyright", "usage_terms", "digital_source_type"})


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: ["must be text"]})
    value = value.strip()
    if len(value) > _LIMITS.get(field.split(".")[0], 5000):
        raise ValidationError({field: [f"at most {_LIMITS.get(field.split('.')[0], 5000)} characters"]})
    return value


def _language(field: str, tag: str) -> str:
    try:
        return normalize_tag(tag)
    except (ValueError, TypeError) as exc:
        raise ValidationError({field: [str(exc)]}) from None


def media_input(raw: Mapping[str, Any], *, default_language: str, partial: bool = False) -> dict[str, Any]:
    """The stock fields from form or query values; raises ValidationError naming each bad field.

    With ``partial`` (a change to an item) only the fields given are returned, and an empty ``alt.<lang>`` or
    ``caption.<lang>`` stays in its map (it removes that language); ``alt`` and ``caption`` may also be given as
    maps ``{language: text}`` (a JSON body)."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {"alt": {}, "caption": {}, "credit": "", "copyright": "", "usage_terms": "",
                           "digital_source_type": "", "focal_point": None}
    touched: set[str] = set()
    language = default_language
    try:
        if "language" in raw:
            language = _language("language", _text("language", raw["language"]))
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    for key, value in raw.items():
        try:
            base, dot, tag = key.partition(".")
            if dot and base in ("alt", "caption"):
                out[base][_language(key, tag)] = _text(key, value)
                touched.add(base)
            elif key in ("alt", "caption") and isinstance(value, Mapping):
                for tag, text in value.items():
                    out[key][_language(f"{key}.{tag}", str(tag))] = _text(f"{key}.{tag}", text)
                touched.add(key)
            elif key in ("alt", "caption"):
                out[key][language] = _text(key, value)
                touched.add(key)
            elif key in ("credit", "copyright", "usage_terms"):
                out[key] = _text(key, value)
            elif key == "digital_source_type":
                out[key] = _source_type(_text(key, value))
            elif key == "focal_point":
                out[key] = focal_point(value)
            elif key not in _KEYS:
                errors[key] = ["unknown field"]
            touched.add(base if dot else key)
        except ValidationError as exc:
            errors.update(exc.messages)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)
    if partial:
        return {k: v for k, v in out.items() if k in touched}
    out["alt"] = {k: v for k, v in out["alt"].items() if v}
    out["caption"] = {k: v for k, v in out["caption"].items() if v}
    out["language"] = language  # a caption found in the file itself is taken to be in it
    return out


def focal_point(value: Any) -> list[float] | None:
    """A focal point as Mastodon takes it: ``x,y`` (or ``[x, y]``), each from -1 (left, bottom) to 1 (right, top);
    empty or null for none."""
    if value in (None, "", []):
        return None
    parts = value.split(",") if isinstance(value, str) else value
    try:
        x, y = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValidationError({"focal_point": ["two numbers x,y from -1 to 1, e.g. 0.2,-0.5"]}) from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise ValidationError({"focal_point": ["x and y must each be from -1 to 1"]})
    return [round(x, 3), round(y, 3)]


def _source_type(value: str) -> str:
    if not value:
        return ""
    code = value[len(DIGITAL_SOURCE_TYPE_BASE):] if value.startswith(DIGITAL_SOURCE_TYPE_BASE) else value
    if code not in DIGITAL_SOURCE_TYPES:
        raise ValidationError({"digital_source_type": [
            f"{value!r} is not an IPTC Digital Source Type (e.g. digitalCapture, trainedAlgorithmicMedia)"]})
    return DIGITAL_SOURCE_TYPE_BASE + code


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def clean_filename(name: str | None) -> str:
    """The uploader's file name as a harmless label: no folders (``../../etc/passwd`` is ``passwd``), no control
    or quoting characters, at most 200 characters. It never names a path on disk (files are stored by hash)."""
    if not name:
        return ""
    # Clients percent-encode names in multipart headers (aiohttp does, browsers do for quotes): decode first, so
    # that an encoded "../" cannot slip past the split into folders.
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", unquote(name)))[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    return base[:200]
