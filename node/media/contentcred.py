"""C2PA Content Credentials on the stock's images: the agency signs its own photos, every image is checked.

`seal` is the one step the stock runs on an image it has just stored: an own image is signed (when the node has a
certificate, `node.media.credentials`) into a new file of the store, then any image, own or a partner's, is read
and given a verdict:

- ``valid-trusted``: the manifest verifies and its signer chains to one of the operator's trust anchors;
- ``valid-untrusted``: it verifies, but nobody this node trusts issued the signer's certificate;
- ``tampered``: the bytes or the claim do not match the signature (the reason gives the C2PA status codes, e.g.
  ``assertion.dataHash.mismatch``);
- ``none``: the image carries no manifest; ``error``: it could not be read (with the reason).

c2pa works offline here: remote manifests and OCSP are never fetched (a received image must not make the node
fetch a URL of its choosing). All c2pa calls are CPU work and run in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Mapping, Sequence

from node import __version__
from node.media.credentials import NO_CREDENTIALS, Credentials
from node.media.storage import MediaStore

__all__ = ["SIGNABLE", "VERDICTS", "Sealed", "Unsigned", "describe", "read_verdict", "seal", "sign_image"]

VERDICTS = ("valid-trusted", "valid-untrusted", "tampered", "none", "error")
# The image types we sign (measured: c2pa 0.38 signs and verifies each). Others are only verified.
SIGNABLE = frozenset({"image/jpeg", "image/png", "image/webp"})
_UNTRUSTED = "signingCredential.untrusted"
_CHUNK = 256 * 1024
# A partner's manifest says what it likes: keep what the item stores of it small.
_MAX_ACTIONS, _MAX_TEXT = 20, 500


@dataclass(frozen=True)
class Sealed:
    """The file the stock keeps (the signed copy when it was signed) and its C2PA verdict (None: not an image)."""

    sha256: str
    size: int | None          # None: unchanged
    verdict: dict[str, Any] | None


def _settings(credentials: Credentials) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "verify": {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False},
        # The stock makes its own derivatives; a thumbnail inside the manifest would only add weight.
        "builder": {"thumbnail": {"enabled": False}},
    }
    if credentials.anchors_pem:
        settings["trust"] = {"trust_anchors": credentials.anchors_pem}
    return settings


def read_verdict(path: Path, media_type: str, credentials: Credentials = NO_CREDENTIALS) -> dict[str, Any]:
    """The C2PA verdict on one image file (blocking: call it in a thread)."""
    import c2pa  # here, not at the top: c2pa loads its native library, which a start-up need not wait for
    checked = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        with c2pa.Context.from_dict(_settings(credentials)) as context, path.open("rb") as f:
            reader = c2pa.Reader.try_create(media_type, f, None, context)
            if reader is None:
                return {"verdict": "none", "checked": checked}
            with reader:
                state, store = reader.get_validation_state(), json.loads(reader.json())
    except (c2pa.C2paError.Signature, c2pa.C2paError.Verify) as exc:
        return {"verdict": "tampered", "reason": _short(f"the claim's signature cannot be checked: {exc}"),
                "checked": checked}
    except (c2pa.C2paError, OSError, ValueError) as exc:
        return {"verdict": "error", "reason": _short(str(exc) or type(exc).__name__), "checked": checked}
    return _verdict_of(state, store) | {"checked": checked}


def _verdict_of(state: str | None, store: Mapping[str, Any]) -> dict[str, Any]:
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "", {})
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = [f for f in results.get("failure", []) if f.get("code") != _UNTRUSTED]
    signature = manifest.get("signature_info") or {}
    out: dict[str, Any] = {"verdict": "error", "signer": _short(signature.get("common_name")),
                           "issuer": _short(signature.get("issuer")),
                           "claim_generator": _short(_generator(manifest)), "authors": _authors(manifest)[:5],
                           "actions": _actions(manifest)[:_MAX_ACTIONS]}
    if state == "Trusted":
        out["verdict"] = "valid-trusted"
    elif state == "Valid":
        out["verdict"] = "valid-untrusted"
    elif state == "Invalid" or failures:
        out["verdict"] = "tampered"
        out["codes"] = [_short(f.get("code")) or "" for f in failures][:_MAX_ACTIONS]
        out["reason"] = _short("; ".join(f"{f.get('code')}: {f.get('explanation', '')}".rstrip(": ")
                                         for f in failures), 2 * _MAX_TEXT)
    else:
        out["reason"] = f"unknown validation state {state!r}"
    return out


def _short(value: Any, limit: int = _MAX_TEXT) -> str | None:
    return str(value)[:limit] if value else None


def _generator(manifest: Mapping[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info") or []
    if info and isinstance(info[0], Mapping) and info[0].get("name"):
        return "/".join(str(info[0][k]) for k in ("name", "version") if info[0].get(k))
    return manifest.get("claim_generator") or None


def _assertions(manifest: Mapping[str, Any], prefix: str) -> list[Mapping[str, Any]]:
    return [a.get("data") or {} for a in manifest.get("assertions") or [] if str(a.get("label", "")).startswith(prefix)]


def _authors(manifest: Mapping[str, Any]) -> list[str]:
    return [str(a.get("name"))[:_MAX_TEXT] for work in _assertions(manifest, "stds.schema-org.CreativeWork")
            for a in work.get("author") or [] if isinstance(a, Mapping) and a.get("name")]


def _actions(manifest: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for data in _assertions(manifest, "c2pa.actions"):
        for action in data.get("actions") or []:
            entry = {"action": str(action.get("action", ""))[:_MAX_TEXT]}
            for key, name in (("digitalSourceType", "digital_source_type"), ("description", "description")):
                if action.get(key):
                    entry[name] = str(action[key])[:_MAX_TEXT]
            out.append(entry)
    return out


class Unsigned(Exception):
    """The image is not signed; the message says why (in words for the editor)."""


def sign_image(source: Path, dest: Path, media_type: str, credentials: Credentials, *, title: str,
               source_type: str, removed: Sequence[str]) -> None:
    """Write a signed copy of `source` to `dest` (blocking). Raises `Unsigned` when there is nothing true to say
    about how the image was made (no digital source type, no earlier manifest), `c2pa.C2paError` on failure."""
    import c2pa  # see read_verdict

    settings = _settings(credentials)
    with c2pa.Context.from_dict(settings) as context, source.open("rb") as f:
        parent = c2pa.Reader.try_create(media_type, f, None, context)
    if parent is not None:
        parent.close()
    actions: list[dict[str, Any]] = []
    if parent is None:
        if not source_type:
            raise Unsigned("no digital source type given, and C2PA must say how the image was made")
        actions.append({"action": "c2pa.created", "digitalSourceType": source_type})
    if removed:
        actions.append({"action": "c2pa.edited", "description": "metadata removed: " + ", ".join(removed)})
    elif parent is not None:
        actions.append({"action": "c2pa.published"})
    manifest = {
        "claim_generator_info": [{"name": "Agency Node", "version": __version__}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": "stds.schema-org.CreativeWork", "data": {
                "@context": "https://schema.org", "@type": "CreativeWork",
                "author": [{"@type": "Organization", "name": credentials.agency}]}},
        ],
    }
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", credentials.chain_pem, credentials.key_pem, None))
    with c2pa.Context.from_dict(settings) as context, c2pa.Builder(manifest, context) as builder:
        if parent is not None:
            # The image already carries a manifest (a camera's, an earlier edit's): it becomes the parent
            # ingredient and the first action c2pa.opened, so its history is kept rather than overwritten.
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
        with source.open("rb") as src, dest.open("wb") as out:
            builder.sign(signer, media_type, src, out)


async def seal(store: MediaStore, sha256: str, media_type: str, credentials: Credentials | None = None, *,
               own: bool, title: str = "", source_type: str = "", removed: Sequence[str] = ()) -> Sealed:
    """Sign an own image (if the node has a certificate) into a new file of the store, then give any image its C2PA
    verdict. A partner's image (``own=False``) is only verified, never re-signed."""
    import c2pa  # see read_verdict

    credentials = credentials or NO_CREDENTIALS
    if not media_type.startswith("image/"):
        return Sealed(sha256, None, None)
    loop = asyncio.get_running_loop()
    size, note = None, None
    if own and credentials.signing and media_type in SIGNABLE:
        fd, name = tempfile.mkstemp(prefix="c2pa-", suffix=".tmp")
        os.close(fd)
        signed = Path(name)
        try:
            await loop.run_in_executor(None, lambda: sign_image(
                store.path(sha256), signed, media_type, credentials, title=title or sha256[:16],
                source_type=source_type, removed=removed))
            stored = await store.put_stream(_file_chunks(signed), lambda head: 1 << 62)
            sha256, size = stored.sha256, stored.size
        except (Unsigned, c2pa.C2paError, OSError) as exc:
            note = str(exc) or type(exc).__name__   # kept on the item: the editor sees why it is not signed
        finally:
            signed.unlink(missing_ok=True)
    elif own and credentials.signing:
        note = f"{media_type} is not signed (C2PA signing here covers JPEG, PNG and WebP)"
    verdict = await loop.run_in_executor(None, read_verdict, store.path(sha256), media_type, credentials)
    verdict["own"] = own
    if own and credentials.signing:
        verdict["signed_here"] = note is None
        if note:
            verdict["not_signed"] = note
    return Sealed(sha256, size, verdict)


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    with path.open("rb") as f:
        while chunk := await loop.run_in_executor(None, f.read, _CHUNK):
            yield chunk


def describe(verdict: Mapping[str, Any] | None) -> str | None:
    """The verdict in words for an editor (None for a file that is not an image)."""
    if verdict is None:
        return None
    kind = verdict.get("verdict")
    signer = verdict.get("signer") or "an unnamed signer"
    by = f"signed by {signer}" + (f" (certificate issued by {verdict['issuer']})" if verdict.get("issuer") else "")
    actions = ", ".join(_action_words(a) for a in verdict.get("actions") or [])
    steps = f"; actions: {actions}" if actions else ""
    text = {
        "valid-trusted": f"C2PA: valid and trusted, {by}{steps}",
        "valid-untrusted": f"C2PA: valid, but the signer is not trusted by this node, {by}{steps}",
        "tampered": f"C2PA: tampered, the image or its claim no longer matches the signature "
                    f"({verdict.get('reason') or 'no reason given'})",
        "none": "C2PA: no manifest",
        "error": f"C2PA: could not be read ({verdict.get('reason') or 'no reason given'})",
    }.get(str(kind), f"C2PA: unknown verdict {kind!r}")
    if verdict.get("not_signed"):
        text += f"; not signed by this node: {verdict['not_signed']}"
    return text


def _action_words(action: Mapping[str, Any]) -> str:
    words = str(action.get("action", "")).removeprefix("c2pa.")
    if action.get("digital_source_type"):
        words += f" ({str(action['digital_source_type']).rstrip('/').rsplit('/', 1)[-1]})"
    elif action.get("description"):
        words += f" ({action['description']})"
    return words
