"""The editor API's common ground (JSON, under /api/): the gate (who, CSRF, role, audit), JSON bodies in and out,
input validation and use-case errors as problems. Each domain keeps its own routes (`node/stories/routes.py`,
`node/wire/routes.py`, `node/network/routes.py`, `node/identity/routes.py`, `node/translation/routes.py`)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import orjson
from aiohttp import web
from marshmallow import ValidationError

from node.accounts.guard import guard
from node.web.problems import ProblemError

__all__ = ["auth_middleware", "json_response", "load_input", "problem_of", "read_json"]


def json_response(doc: Any, status: int = 200) -> web.Response:
    """A JSON response (orjson)."""
    return web.Response(status=status, body=orjson.dumps(doc), content_type="application/json")


@web.middleware
async def auth_middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Every /api/ route needs the node token, a user's token or a session cookie (with its CSRF token for a
    change), and the role its line in `node/accounts/access.py` names; changes are audited. See
    `node/accounts/guard.py`."""
    return await guard(request, handler)


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, or its problem (415 for another media type, 400 for malformed JSON)."""
    if request.content_type not in ("application/json", "application/ninjs+json"):
        raise ProblemError(415, "Unsupported media type", "send application/json")
    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProblemError(400, "Malformed JSON", "the body is not valid JSON") from None


def load_input(schema: Any, data: Any, **kw: Any) -> dict[str, Any]:
    """`schema.load(data)`, or a 422 problem naming every invalid field."""
    try:
        return schema.load(data, **kw)
    except ValidationError as exc:
        raise ProblemError(422, "Invalid input", "; ".join(f"{k}: {v}" for k, v in exc.messages.items())
                           if isinstance(exc.messages, dict) else str(exc.messages), errors=exc.messages) from None




def problem_of(exc: Exception) -> ProblemError:
    """A use-case's error (it has status, title and detail) as the problem the API answers with."""
    return ProblemError(exc.status, exc.title, exc.detail)  # type: ignore[attr-defined]
