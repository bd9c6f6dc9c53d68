"""Editor API for the network: whom we follow, who follows us, and pending follow requests."""

from __future__ import annotations

from aiohttp import web

from node.network import following as follow_uc
from node.network import queries as network_queries
from node.web.api import json_response, load_input, problem_of, read_json
from node.web.keys import NODE
from node.web.problems import ProblemError
from schemas.editor import FollowInputSchema


async def list_following(request: web.Request) -> web.Response:
    return json_response({"following": await network_queries.following(request.app[NODE].agency)})


async def follow(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(FollowInputSchema(), await read_json(request))
    try:
        row = await follow_uc.follow(node.fed, node.agency, data["handle"])  # type: ignore[arg-type]
    except follow_uc.FollowError as exc:
        raise problem_of(exc) from None
    await row.fetch_related("actor")
    return json_response({"id": row.id, "actor": row.actor.uri, "handle": row.actor.handle, "state": row.state}, 202)


async def unfollow(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(FollowInputSchema(), await read_json(request))
    try:
        remote = await follow_uc.unfollow(node.fed, node.agency, data["handle"])  # type: ignore[arg-type]
    except follow_uc.FollowError as exc:
        raise problem_of(exc) from None
    return json_response({"actor": remote.uri, "state": "unfollowed"})


async def list_followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return json_response({"followers": await network_queries.followers(node.agency, request.query.get("state") or None)})


async def decide_follower(request: web.Request) -> web.Response:
    node = request.app[NODE]
    fid = request.match_info["id"]
    if not fid.isdigit():
        raise ProblemError(404, "No such follower", f"no follower {fid}")
    approve = request.match_info["decision"] == "approve"
    try:
        row = await follow_uc.decide(node.fed, node.agency, int(fid), approve)  # type: ignore[arg-type]
    except follow_uc.FollowError as exc:
        raise problem_of(exc) from None
    return json_response({"id": row.id, "state": "accepted" if approve else "rejected"})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/following", list_following),
        web.post("/api/following", follow),
        web.post("/api/following/unfollow", unfollow),
        web.get("/api/followers", list_followers),
        web.post(r"/api/followers/{id}/{decision:approve|reject}", decide_follower),
    ]
