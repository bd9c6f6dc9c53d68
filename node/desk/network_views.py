"""The desk's Network screen: who follows us (approve or reject pending requests), whom we follow (follow an agency
by its handle, unfollow), the operator's trust policy (mode, partners, listed domains), from the use-cases behind
the editor API (node/network/routes.py) and the policy the node runs with (node/network/trust.py)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from node.desk.render import locale_of, redirect, render
from node.network import following as follow_uc
from node.network import queries as network_queries
from node.web.keys import NODE

__all__ = ["routes"]


async def network(request: web.Request, *, error: str = "", status: int = 200,
                  handle: str = "") -> web.Response:
    """Followers (pending first), following, partners and listed domains."""
    node = request.app[NODE]
    fed = node.fed
    followers = await network_queries.followers(node.agency)
    following = await network_queries.following(node.agency)
    for row in (*followers, *following):
        row["partner"] = fed.trust.is_partner(row["actor"], handle=row["handle"])
        row["since_at"] = datetime.fromisoformat(row["since"].replace("Z", "+00:00")) if row["since"] else None
    trust = fed.trust
    return render(request, "network.html", {
        "pending": [f for f in followers if f["state"] == "pending"],
        "followers": [f for f in followers if f["state"] != "pending"],
        "following": following, "mode": trust.mode, "domains": list(trust.domains),
        "partners": list(trust.partners), "manual": node.config.agency.manually_approves_followers,
        "our_handle": f"{node.agency}@{node.config.host}", "error": error, "handle": handle}, status=status)


def _refused(exc: follow_uc.FollowError) -> str:
    return f"{exc.title}: {exc.detail}"


async def follow(request: web.Request) -> web.StreamResponse:
    """Follow an agency by its handle (@name@host, looked up with WebFinger) or its actor URL."""
    loc = locale_of(request)
    node = request.app[NODE]
    handle = str((await request.post()).get("handle", "")).strip()
    if len(handle) < 3 or len(handle) > 512:
        return await network(request, error=loc.gettext("Give the agency's handle, such as @news@agency.example."),
                             status=422, handle=handle)
    try:
        row = await follow_uc.follow(node.fed, node.agency, handle)
    except follow_uc.FollowError as exc:
        return await network(request, error=_refused(exc), status=exc.status, handle=handle)
    await row.fetch_related("actor")
    raise redirect("/desk/network", loc.gettext(
        "Follow request sent to %(handle)s; it shows as following once they accept.", handle=row.actor.handle))


async def unfollow(request: web.Request) -> web.StreamResponse:
    """Stop following an agency (it gets an Undo)."""
    loc = locale_of(request)
    node = request.app[NODE]
    actor = str((await request.post()).get("actor", ""))
    try:
        remote = await follow_uc.unfollow(node.fed, node.agency, actor)
    except follow_uc.FollowError as exc:
        return await network(request, error=_refused(exc), status=exc.status)
    raise redirect("/desk/network", loc.gettext("You no longer follow %(handle)s.", handle=remote.handle))


async def decide_follower(request: web.Request) -> web.StreamResponse:
    """Approve a follow request (they get our stories from now on) or reject it (they are told)."""
    loc = locale_of(request)
    node = request.app[NODE]
    fid = request.match_info["id"]
    if not fid.isdigit():
        raise web.HTTPNotFound()
    approve = request.match_info["decision"] == "approve"
    try:
        row = await follow_uc.decide(node.fed, node.agency, int(fid), approve)
    except follow_uc.FollowError as exc:
        return await network(request, error=_refused(exc), status=exc.status)
    message = (loc.gettext("%(handle)s now follows us.", handle=row.actor.handle) if approve
               else loc.gettext("The follow request of %(handle)s was rejected.", handle=row.actor.handle))
    raise redirect("/desk/network", message)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/network", network),
        web.post("/desk/network/follow", follow),
        web.post("/desk/network/unfollow", unfollow),
        web.post(r"/desk/network/followers/{id}/{decision:approve|reject}", decide_follower),
    ]
