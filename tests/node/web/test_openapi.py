"""The OpenAPI document: valid OpenAPI 3.1, served publicly, and listing exactly the app's /api/ routes."""

from __future__ import annotations

import jsonschema
from openapi_spec_validator import validate

from node.web.app import create_app
from node.web.openapi import document
from tests.nodes import TOKEN, node_config, running_node

_METHODS = ("get", "post", "put", "patch", "delete")


def _app_routes(tmp_path) -> set[tuple[str, str]]:
    app = create_app(node_config(tmp_path, "baku"), run_workers=False)
    found = set()
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if canonical.startswith("/api/") and route.method != "HEAD":
            found.add((route.method.lower(), canonical))
    return found


def _documented(doc) -> set[tuple[str, str]]:
    return {(method, path) for path, item in doc["paths"].items() for method in item if method in _METHODS}


def test_openapi__document_is_valid_openapi_31():
    """The document passes openapi-spec-validator as OpenAPI 3.1, and problems are application/problem+json."""
    doc = document()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert set(doc["components"]["securitySchemes"]) == {"bearerToken", "sessionCookie", "csrfHeader"}
    assert "application/problem+json" in doc["components"]["responses"]["Problem422"]["content"]


def test_openapi__every_app_route_documented_and_every_documented_route_exists(tmp_path):
    """Method + path template of every /api/ route is in the document, and the document names no other."""
    app_routes, documented = _app_routes(tmp_path), _documented(document())
    assert sorted(app_routes - documented) == []
    assert sorted(documented - app_routes) == []


def test_openapi__request_bodies_follow_the_input_schemas():
    """A story's body schema is made from StoryInputSchema: its required fields and enums are there."""
    body = document()["paths"]["/api/stories"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"headline", "body", "language"}
    assert body["properties"]["body_format"]["enum"] == ["html", "markdown"]
    assert body["properties"]["urgency"]["maximum"] == 9
    patch = document()["paths"]["/api/stories/{uuid}"]["patch"]
    assert "required" not in patch["requestBody"]["content"]["application/json"]["schema"]
    assert patch["security"][1] == {"sessionCookie": [], "csrfHeader": []}


async def test_openapi__served_without_credentials(tmp_path):
    """GET /api/openapi.json answers the document to a client with no token or session."""
    async with running_node(tmp_path, "baku") as baku:
        status, doc = await baku.api("GET", "/api/openapi.json", token=None)
        refused, _ = await baku.api("GET", "/api/stories", token=None)
    assert status == 200 and doc["info"]["title"] == "Agency Node editor API"
    assert ("get", "/api/openapi.json") in _documented(doc)
    assert refused == 401


def _inline(doc, node):
    """`node` with every `#/components/...` reference replaced by what it names."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _inline(doc, target)
        return {k: _inline(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(doc, v) for v in node]
    return node


def _check(doc, method: str, path: str, status: int, body, media_type: str = "application/json") -> None:
    response = _inline(doc, doc["paths"][path][method]["responses"][str(status)])
    jsonschema.validate(body, response["content"][media_type]["schema"])


async def test_openapi__real_answers_match_documented_statuses_and_schemas(tmp_path):
    """Publishing, listing, whoami and a refused input answer with statuses and bodies the document declares."""
    doc = document()
    story = {"headline": "Caspian ferry line reopens", "body": "<p>The line reopens.</p>", "language": "az"}
    async with running_node(tmp_path, "baku") as baku:
        status, created = await baku.api("POST", "/api/stories", story)
        _check(doc, "post", "/api/stories", status, created)
        status, listed = await baku.api("GET", "/api/stories")
        _check(doc, "get", "/api/stories", status, listed)
        status, me = await baku.api("GET", "/api/session")
        _check(doc, "get", "/api/session", status, me)
        async with baku.session.post(baku.base_url + "/api/stories", json={"headline": ""},
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            assert resp.content_type == "application/problem+json"
            _check(doc, "post", "/api/stories", resp.status, await resp.json(content_type=None),
                   "application/problem+json")
    assert resp.status == 422
