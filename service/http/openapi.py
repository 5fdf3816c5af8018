"""The OpenAPI 3 document of the HTTP door, generated from the contract (protos/) and the route table.

Schemas follow protobuf's JSON mapping as the door speaks it: field names as in the .proto,
enums by name, 64-bit integers as strings, Timestamp as RFC 3339 text, Duration as "1.5s".
Nothing is written by hand, so the document cannot drift from what the server parses.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from service.http.problems import PROBLEM_TYPE
from service.http.routes import ROUTES, SERVICE, Route

OPENAPI_VERSION = "3.0.3"
API_VERSION = "v1"

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
}
for _kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32):
    _SCALARS[_kind] = {"type": "integer", "format": "int32"}
for _kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
    _SCALARS[_kind] = {"type": "integer", "format": "int32", "minimum": 0}
for _kind in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64,
              FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):  # fmt: skip
    # protobuf's JSON mapping writes 64-bit integers as strings (JavaScript numbers lose precision).
    _SCALARS[_kind] = {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$", "example": "1.5s"},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem document: why the call was refused, with the request field at fault if any",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "the gRPC status code by name, as the gRPC door answers"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the request field at fault, e.g. party.addresses[0].country"},
    },
}


def _schema_name(descriptor: Descriptor | EnumDescriptor) -> str:
    return descriptor.full_name.removeprefix(f"{SERVICE.file.package}.")


def _ref(descriptor: Descriptor | EnumDescriptor) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{_schema_name(descriptor)}"}


def _value_schema(field: FieldDescriptor, schemas: dict[str, Any]) -> dict[str, Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        message = field.message_type
        assert message is not None  # a message field names its message
        if message.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[message.full_name])
        _add_message(message, schemas)
        return _ref(message)
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        assert enum is not None  # an enum field names its enum
        _add_enum(enum, schemas)
        return _ref(enum)
    return dict(_SCALARS[field.type])


def _field_schema(field: FieldDescriptor, schemas: dict[str, Any]) -> dict[str, Any]:
    message = field.message_type
    if message is not None and message.GetOptions().map_entry:
        return {"type": "object", "additionalProperties": _value_schema(message.fields_by_name["value"], schemas)}
    value = _value_schema(field, schemas)
    return {"type": "array", "items": value} if field.is_repeated else value


def _add_enum(enum: EnumDescriptor, schemas: dict[str, Any]) -> None:
    name = _schema_name(enum)
    if name not in schemas:
        schemas[name] = {"type": "string", "enum": [value.name for value in enum.values]}


def _add_message(message: Descriptor, schemas: dict[str, Any]) -> None:
    name = _schema_name(message)
    if name in schemas:
        return
    schemas[name] = {"type": "object"}  # placed first: a message may refer to itself
    properties = {field.name: _field_schema(field, schemas) for field in message.fields}
    schemas[name] = {"type": "object", "properties": properties, "additionalProperties": False}


def _parameters(route: Route, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    descriptor = route.request_descriptor
    parameters = []
    for field in descriptor.fields:
        in_path = "{" + field.name + "}" in route.path
        parameter: dict[str, Any] = {
            "name": field.name,
            "in": "path" if in_path else "query",
            "required": in_path,
            "schema": _field_schema(field, schemas),
        }
        if field.is_repeated:
            parameter["explode"] = True
        parameters.append(parameter)
    return parameters


def _operation(route: Route, schemas: dict[str, Any]) -> dict[str, Any]:
    request = route.request_descriptor
    response = route.response_descriptor
    _add_message(request, schemas)
    _add_message(response, schemas)
    operation: dict[str, Any] = {
        "operationId": route.rpc,
        "summary": route.summary,
        "description": f"gRPC method {route.full_method}: the same message, roles and audit.",
        "responses": {
            "default": {
                "description": "refused",
                "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        },
    }
    if route.shape == "ndjson":
        screen = SERVICE.methods_by_name["Screen"]
        _add_message(screen.input_type, schemas)
        _add_message(screen.output_type, schemas)
        operation["requestBody"] = {
            "required": True,
            "description": "JSON Lines: one ScreenRequest per line",
            "content": {"application/x-ndjson": {"schema": _ref(screen.input_type)}},
        }
        operation["responses"]["200"] = {
            "description": "JSON Lines: one ScreenResponse per request, in order, streamed as they are screened",
            "content": {"application/x-ndjson": {"schema": _ref(screen.output_type)}},
        }
        return operation
    if route.verb == "GET":
        operation["parameters"] = _parameters(route, schemas)
    else:
        in_path = [parameter for parameter in _parameters(route, schemas) if parameter["in"] == "path"]
        if in_path:
            operation["parameters"] = in_path
        # A field the path carries may be left out of the body, which may then be left out entirely.
        body = {"schema": _ref(request)}
        operation["requestBody"] = {"required": not in_path, "content": {"application/json": body}}
    if route.shape == "sse":
        operation["responses"]["200"] = {
            "description": f"Server-Sent Events: one `alert` event per {response.name} (its JSON as data, its "
            "alert_id as the event id)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    else:
        operation["responses"]["200"] = {
            "description": response.name,
            "content": {"application/json": {"schema": _ref(response)}},
        }
    return operation


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The whole document (built once per process)."""
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.verb.lower()] = _operation(route, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Sanctions and export-control screening",
            "version": API_VERSION,
            "description": "The HTTP/JSON door of the screening service: the operations and messages of the gRPC "
            "service (protos/screening/v1/screening.proto) in protobuf's JSON mapping.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API key or an identity-provider token",
                }
            },
        },
    }


def reference_page() -> str:
    """The document rendered as one HTML page: every route with its fields (no script, no outside assets)."""
    document = openapi_document()
    schemas = document["components"]["schemas"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Screening API reference</title>",
        (
            "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
            "code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;"
            "padding:.2em .6em;text-align:left;vertical-align:top}h2{margin-top:2rem}</style></head><body>"
        ),
        f"<h1>{html.escape(document['info']['title'])} &middot; HTTP API {html.escape(API_VERSION)}</h1>",
        (
            f"<p>{html.escape(document['info']['description'])} "
            "Machine-readable: <a href='/openapi.json'>/openapi.json</a>. "
            "Send <code>Authorization: Bearer &lt;API key or token&gt;</code>. Refusals are "
            f"<code>{PROBLEM_TYPE}</code> documents naming the field at fault.</p>"
        ),
    ]
    for route in ROUTES:
        operation = document["paths"][route.path][route.verb.lower()]
        parts.append(f"<h2 id='{route.rpc}'><code>{route.verb} {html.escape(route.path)}</code></h2>")
        parts.append(f"<p>{html.escape(route.summary)}. {html.escape(operation['description'])}</p>")
        message = _schema_name(route.request_descriptor)
        parts.append(f"<p>Request: <a href='#schema-{message}'>{message}</a> &middot; response: "
                     f"<a href='#schema-{_schema_name(route.response_descriptor)}'>"
                     f"{_schema_name(route.response_descriptor)}</a></p>")  # fmt: skip
    parts.append("<h2>Messages</h2>")
    for name, schema in schemas.items():
        parts.append(f"<h3 id='schema-{html.escape(name)}'>{html.escape(name)}</h3>")
        if "enum" in schema:
            parts.append(
                "<p>One of " + ", ".join(f"<code>{html.escape(value)}</code>" for value in schema["enum"]) + "</p>"
            )
            continue
        rows = "".join(
            f"<tr><td><code>{html.escape(field)}</code></td><td>{_describe(spec)}</td></tr>"
            for field, spec in schema.get("properties", {}).items()
        )
        parts.append(f"<table><tr><th>field</th><th>type</th></tr>{rows}</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _describe(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        return f"<a href='#schema-{html.escape(name)}'>{html.escape(name)}</a>"
    if spec.get("type") == "array":
        return "array of " + _describe(spec["items"])
    if spec.get("type") == "object" and "additionalProperties" in spec:
        return "map of " + _describe(spec["additionalProperties"])
    return html.escape(spec.get("format") or spec.get("type", "object"))
