"""Editor API for the agency's keys."""

from __future__ import annotations

from aiohttp import web

from node.identity import rotation
from node.web.api import json_response
from node.web.keys import NODE


async def rotate_keys(request: web.Request) -> web.Response:
    """Rotate the RSA and Ed25519 keys of the agency and its channels in the running node; each actor's followers
    get its Update(actor)."""
    return json_response(await rotation.rotate_keys(request.app[NODE]), 201)


def routes() -> list[web.RouteDef]:
    return [web.post("/api/keys/rotate", rotate_keys)]
