"""WebFinger, NodeInfo and host-meta."""

from __future__ import annotations

from aiohttp import web

from federation.vocab import INSTANCE_ACTOR
from node import __version__
from node.stories.models import Story
from node.web.keys import NODE
from node.web.negotiation import ap_response
from node.web.problems import ProblemError
from schemas.nodeinfo import nodeinfo, nodeinfo_links
from schemas.webfinger import jrd, parse_acct


async def webfinger(request: web.Request) -> web.Response:
    """``acct:name@host`` or an actor URL -> the JRD with the actor link (port kept in the host)."""
    node = request.app[NODE]
    resource = request.query.get("resource", "")
    if not resource:
        raise ProblemError(400, "Missing resource", "pass ?resource=acct:name@host")
    host = node.config.host
    names = {node.agency: node.agency, host: INSTANCE_ACTOR}
    names.update({name: name for name in (node.fed.local_actors if node.fed else {})})  # language channels
    username: str | None = None
    if resource.startswith(("http://", "https://")):
        for name in names.values():
            if resource in (node.urls.actor(name),):
                username = name
    else:
        try:
            user, rhost = parse_acct(resource)
        except ValueError as exc:
            raise ProblemError(400, "Invalid resource", str(exc)) from None
        if rhost.lower() == host.lower():
            username = names.get(user)
    if username is None:
        raise ProblemError(404, "Unknown resource", f"no actor {resource} on {host}")
    shown = host if username == INSTANCE_ACTOR else username
    actor_url = node.urls.actor(username)
    doc = jrd(f"acct:{shown}@{host}", actor_url, actor_url if username != INSTANCE_ACTOR else None, [actor_url])
    return ap_response(doc, content_type="application/jrd+json")


async def nodeinfo_index(request: web.Request) -> web.Response:
    return ap_response(nodeinfo_links(request.app[NODE].config.base_url), content_type="application/json")


async def nodeinfo_document(request: web.Request) -> web.Response:
    version = request.match_info["version"]
    if version not in ("2.0", "2.1"):
        raise ProblemError(404, "Unknown NodeInfo version", f"served: 2.0, 2.1, not {version}")
    node = request.app[NODE]
    posts = await Story.filter(state="published").count()
    doc = nodeinfo(version, __version__, users=1, local_posts=posts,
                   metadata={"nodeName": node.config.agency.name, "languages": list(node.config.agency.languages)})
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return ap_response(doc, content_type=f'application/json; profile="{profile}"')


def routes() -> list[web.RouteDef]:
    return [
        web.get("/.well-known/webfinger", webfinger),
        web.get("/.well-known/nodeinfo", nodeinfo_index),
        web.get("/nodeinfo/{version}", nodeinfo_document),
    ]
