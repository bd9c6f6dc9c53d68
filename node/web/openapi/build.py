"""Small builders for the OpenAPI document: operations, path parameters, problem responses, and JSON Schemas made
from our marshmallow input schemas (so a field added to an input schema shows in the document without a second
edit)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, validate

__all__ = ["PROBLEM", "from_marshmallow", "json_body", "obj", "op", "ref"]

PROBLEM = "application/problem+json"
_SAFE = ("get", "head")
# What each path parameter of our routes holds.
_PARAMS = {
    "uuid": {"type": "string", "format": "uuid", "description": "a local story's id"},
    "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "a media item's SHA-256"},
    "id": {"type": "string", "description": "the row's id"},
    "language": {"type": "string", "description": "a BCP 47 language tag"},
    "decision": {"type": "string", "description": "what is decided (approve, reject, accept, decline...)"},
    "username": {"type": "string", "description": "a desk user's name"},
}


def ref(name: str) -> dict[str, str]:
    """A reference to a schema under components."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """An object schema with these properties (more may be present: responses grow over time)."""
    doc: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        doc["required"] = list(required)
    return doc


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """A JSON request body."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def op(method: str, path: str, tag: str, summary: str, *, body: dict[str, Any] | None = None,
       ok: int = 200, response: dict[str, Any] | None = None, query: dict[str, dict[str, Any]] | None = None,
       errors: tuple[int, ...] = (), public: bool = False, content: dict[str, Any] | None = None,
       also: tuple[int, ...] = ()) -> dict[str, Any]:
    """One operation: its path parameters come from the template, its problems from the method (401 and 403 for
    every guarded call, 422 for bad JSON input) plus `errors`; `also`: other success codes with the same body."""
    params = [{"name": name, "in": "path", "required": True, "schema": dict(_PARAMS.get(name, {"type": "string"}))}
              for name in re.findall(r"{(\w+)}", path)]
    params += [{"name": name, "in": "query", "required": False, "schema": schema}
               for name, schema in (query or {}).items()]
    success: dict[str, Any] = {"description": summary}
    if ok != 204:
        success["content"] = content or {"application/json": {"schema": response or {"type": "object"}}}
    responses: dict[str, Any] = {str(code): success for code in (ok, *also)}
    codes = set(errors) | ({401, 403} if not public else set()) | ({415, 422} if body else set())
    for code in sorted(codes):
        responses[str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
    operation: dict[str, Any] = {"tags": [tag], "summary": summary,
                                 "operationId": _operation_id(method, path), "responses": responses}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    elif method not in _SAFE:
        # A change made with the session cookie must carry the session's CSRF token.
        operation["security"] = [{"bearerToken": []}, {"sessionCookie": [], "csrfHeader": []}]
    return operation


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[{}]", "", path.removeprefix("/api/")).replace("-", "/").replace(".", "/").split("/")
    return method + "".join(w[:1].upper() + w[1:] for w in words if w)


def from_marshmallow(schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    """The JSON Schema of what `schema.load` accepts (fields, types, enums, lengths, ranges, required)."""
    properties, required = {}, []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        properties[key] = _field(field)
        if field.required and not partial:
            required.append(key)
    doc: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        doc["required"] = required
    return doc


def _field(field: fields.Field) -> dict[str, Any]:
    doc: dict[str, Any]
    if isinstance(field, fields.List):
        doc = {"type": "array", "items": _field(field.inner)}
    elif isinstance(field, fields.Nested):
        nested = field.schema
        doc = from_marshmallow(nested)
    elif isinstance(field, fields.Dict):
        doc = {"type": "object"}
        if field.value_field is not None:
            doc["additionalProperties"] = _field(field.value_field)
    elif isinstance(field, (fields.DateTime, fields.AwareDateTime)):
        doc = {"type": "string", "format": "date-time"}
    elif isinstance(field, fields.Boolean):
        doc = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        doc = {"type": "integer"}
    elif isinstance(field, fields.Number):
        doc = {"type": "number"}
    elif isinstance(field, fields.String):
        doc = {"type": "string"}
    else:
        doc = {}
    for rule in _validators(field):
        _apply(doc, rule)
    if field.allow_none and "type" in doc:
        doc["type"] = [doc["type"], "null"]
    return doc


def _validators(field: fields.Field) -> list[Any]:
    found = getattr(field, "validators", None) or []
    return list(found)


def _apply(doc: dict[str, Any], rule: Any) -> None:
    array = doc.get("type") == "array"
    if isinstance(rule, validate.OneOf):
        doc["enum"] = list(rule.choices)
    elif isinstance(rule, validate.Length):
        low, high = ("minItems", "maxItems") if array else ("minLength", "maxLength")
        if rule.min is not None:
            doc[low] = rule.min
        if rule.max is not None:
            doc[high] = rule.max
    elif isinstance(rule, validate.Range):
        if rule.min is not None:
            doc["minimum"] = rule.min
        if rule.max is not None:
            doc["maximum"] = rule.max
    elif isinstance(rule, validate.Regexp):
        doc["pattern"] = rule.regex.pattern
