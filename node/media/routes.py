"""The media stock over HTTP: uploads and the stock in the editor API, and the public file URLs.

``POST /api/media`` takes the file as the raw body (fields as query parameters, the name in
``Content-Disposition``) or as ``multipart/form-data`` (a ``file`` part and the fields as form fields); either way
it is streamed to disk, never held whole in memory. ``GET /media/<sha256>`` serves the bytes with their sniffed
type, never as a page: ``nosniff``, a sandboxing CSP, and documents as downloads; ``GET /media/<sha256>/<name>``
serves a derivative made at upload (``thumb.webp``, ``web.jpg``, ``poster.jpg``) the same way.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from aiohttp import BodyPartReader, web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition
from marshmallow import ValidationError

from node.media import search, stock
from node.web.api import json_response, problem_of, read_json
from node.web.keys import NODE
from node.web.problems import ProblemError
from schemas.media import media_input

MEDIA_PATH = "/media/"
READ_CHUNK = 256 * 1024
# A file that never changes under its URL (the URL is its hash).
IMMUTABLE = "public, max-age=31536000, immutable"


def media_url(node: Any, sha256: str) -> str:
    return stock.file_url(node.config.base_url, sha256)


def _fields(raw: dict[str, Any], node: Any, *, partial: bool = False) -> dict[str, Any]:
    try:
        return media_input(raw, default_language=node.config.agency.languages[0], partial=partial)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        raise ProblemError(422, "Invalid input", "; ".join(f"{k}: {' '.join(map(str, v))}"
                                                           for k, v in messages.items()), errors=messages) from None


def _disposition_filename(request: web.Request) -> str | None:
    """The file name a raw upload gives in its ``Content-Disposition`` header, if any."""
    header = request.headers.get("Content-Disposition")
    if not header:
        return None
    _, params = parse_content_disposition(header)
    return content_disposition_filename(params)


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(READ_CHUNK):
        yield chunk


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(READ_CHUNK):
        yield chunk


async def upload(request: web.Request) -> web.Response:
    """Add a file to the stock: 201 with the new item, 200 with the existing one when these bytes are there."""
    node = request.app[NODE]
    limits = stock.limits_of(node.config.media)
    try:
        if request.content_type == "multipart/form-data":
            item, created = await _upload_multipart(request, node, limits)
        else:
            fields = _fields(dict(request.query), node)
            item, created = await stock.add(node.media_store, _body_chunks(request), fields, limits=limits,
                                            filename=_disposition_filename(request),
                                            credentials=node.c2pa_credentials)
    except stock.MediaError as exc:
        raise problem_of(exc) from None
    return json_response(stock.item_json(item, media_url(node, item.sha256)), 201 if created else 200)


async def _upload_multipart(request: web.Request, node: Any, limits: dict[str, int]) -> tuple[Any, bool]:
    """Form fields first, then the ``file`` part (fields after it are refused: they would come too late to
    refuse the file before it is stored)."""
    reader = await request.multipart()
    raw: dict[str, Any] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ProblemError(422, "Invalid input", "nested multipart bodies are not accepted")
        if part.name == "file":
            fields = _fields(raw, node)
            result = await stock.add(node.media_store, _part_chunks(part), fields, limits=limits,
                                     filename=part.filename, credentials=node.c2pa_credentials)
            if await reader.next() is not None:
                raise ProblemError(422, "Invalid input", "send the form fields before the file part")
            return result
        if part.filename:
            raise ProblemError(422, "Invalid input", f"only the part named 'file' may hold a file (got {part.name!r})")
        raw[part.name or ""] = await part.text()
    raise ProblemError(422, "Invalid input", "file: a part named 'file' with the file is required")


async def list_media(request: web.Request) -> web.Response:
    """The stock, own and received, newest first, filtered and searched (`node.media.search` names the
    parameters); ``next_offset`` pages on."""
    node = request.app[NODE]
    try:
        page = await search.search(search.parse_filters(request.query), own=own_names(node))
    except search.FilterError as exc:
        raise ProblemError(422, exc.title, exc.detail, errors={exc.parameter: [exc.message]}) from None
    return json_response({"media": search.page_json(page, lambda sha: media_url(node, sha)),
                          "next_offset": page.next_offset})


def own_names(node: Any) -> tuple[str, ...]:
    return search.own_names(node.agency, node.config.host, node.urls.actor(node.agency))


async def get_media(request: web.Request) -> web.Response:
    node = request.app[NODE]
    item = await _item(request)
    return json_response(stock.item_json(item, media_url(node, item.sha256)))


async def change_media(request: web.Request) -> web.Response:
    """PATCH an item's alt text, captions, credit, rights, source type or focal point (a JSON object)."""
    node = request.app[NODE]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ProblemError(422, "Invalid input", "the body must be a JSON object of the fields to change")
    changes = _fields(body, node, partial=True)
    try:
        item = await stock.change_item(request.match_info["sha256"], changes)
    except stock.MediaError as exc:
        raise problem_of(exc) from None
    return json_response(stock.item_json(item, media_url(node, item.sha256)))


async def _item(request: web.Request) -> Any:
    """The stock item the route's ``sha256`` names, or a 404 problem."""
    try:
        return await stock.get_item(request.match_info["sha256"])
    except stock.MediaError as exc:
        raise problem_of(exc) from None


async def serve(request: web.Request) -> web.StreamResponse:
    """The bytes of a stock item (Range requests, conditional GETs and HEAD handled by aiohttp)."""
    node = request.app[NODE]
    item = await _item(request)
    disposition = "attachment" if item.kind == "document" else "inline"
    name = item.filename or f"{item.sha256[:16]}.{_extension(item.media_type)}"
    return _file(node, item.sha256, item.media_type, f'{disposition}; filename="{name}"')


async def serve_rendition(request: web.Request) -> web.StreamResponse:
    """A derivative made at upload (``thumb.webp``, ``web.jpg``, ``poster.jpg``...), served like the original."""
    node = request.app[NODE]
    item = await _item(request)
    name = request.match_info["rendition"]
    rendition = item.renditions.get(name)
    if rendition is None:
        raise ProblemError(404, "No such rendition", f"media item {item.sha256} has no rendition {name!r}"
                           f" (it has: {', '.join(sorted(item.renditions)) or 'none'})")
    stem = (item.filename.rsplit(".", 1)[0] if item.filename else item.sha256[:16]) or item.sha256[:16]
    return _file(node, rendition["sha256"], rendition["media_type"], f'inline; filename="{stem}-{name}"')


def _file(node: Any, sha256: str, media_type: str, disposition: str) -> web.FileResponse:
    path = node.media_store.path(sha256)
    if not path.is_file():
        raise ProblemError(404, "No such media file", f"the file {sha256} is not in this node's store")
    return web.FileResponse(path, headers={
        "Content-Type": media_type,
        "Content-Disposition": disposition,
        "Cache-Control": IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "cross-origin",
    })


def _extension(media_type: str) -> str:
    return media_type.split("/", 1)[-1].split(";")[0].split("+")[0]


def routes() -> list[web.RouteDef]:
    sha = r"{sha256:[0-9a-f]{64}}"
    return [
        web.post("/api/media", upload),
        web.get("/api/media", list_media),
        web.get(f"/api/media/{sha}", get_media),
        web.patch(f"/api/media/{sha}", change_media),
        web.get(f"{MEDIA_PATH}{sha}", serve),
        web.get(f"{MEDIA_PATH}{sha}/{{rendition:[a-z0-9_-]{{1,40}}\\.[a-z0-9]{{1,8}}}}", serve_rendition),
    ]
