"""JSON <-> the contract's messages, with a refusal that names the field.

protobuf's JSON mapping is the one contract both doors share (names as in the .proto, or their
lowerCamelCase JSON names; enums by name or number; 64-bit integers also as strings). Before
handing a document to `json_format.ParseDict`, it is walked against the message descriptor, so
that an unknown field, a wrong type or a bad enum value is refused as
`party.addresses[0].country: expected a string, got a number`, where json_format would say
"Failed to parse addresses field" (no index) or, for `"party": []`, nothing at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from service.http.call import CallAborted

M = TypeVar("M", bound=Message)

_INTEGERS = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}  # fmt: skip
_FLOATS = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
_FLOAT_WORDS = {"NaN", "Infinity", "-Infinity"}
# Nesting deeper than this is refused (a party's owners and an item's inputs are the deepest: about 6).
MAX_DEPTH = 32


def invalid(field: str, message: str) -> CallAborted:
    return CallAborted(grpc.StatusCode.INVALID_ARGUMENT, f"{field}: {message}", field)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


@cache  # one entry per message type of the contract: built once, not per request
def _fields(descriptor: Descriptor) -> dict[str, FieldDescriptor]:
    """The message's fields by their .proto name and by their JSON (lowerCamelCase) name."""
    found: dict[str, FieldDescriptor] = {}
    for field in descriptor.fields:
        found[field.name] = field
        found[field.json_name] = field
    return found


def check_document(document: Any, descriptor: Descriptor, path: str = "", depth: int = 0) -> None:
    """Raise CallAborted(INVALID_ARGUMENT) naming the first field of `document` that `descriptor` does not take."""
    where = path or "request"
    if depth > MAX_DEPTH:
        raise invalid(where, f"nested more than {MAX_DEPTH} levels deep")
    if not isinstance(document, Mapping):
        raise invalid(where, f"expected an object, got {_kind(document)}")
    fields = _fields(descriptor)
    for key, value in document.items():
        field = fields.get(key)
        name = f"{path}.{key}" if path else str(key)
        if field is None:
            known = ", ".join(f.name for f in descriptor.fields)
            raise invalid(name, f"unknown field (known: {known})")
        if value is None:
            continue  # JSON null: the field's default
        if field.is_repeated and not _is_map(field):
            if not isinstance(value, list):
                raise invalid(name, f"expected an array, got {_kind(value)}")
            for index, element in enumerate(value):
                _check_value(element, field, f"{name}[{index}]", depth)
        else:
            _check_value(value, field, name, depth)


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _check_value(value: Any, field: FieldDescriptor, name: str, depth: int) -> None:
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        message = field.message_type
        assert message is not None  # a message field names its message
        if message.full_name.startswith("google.protobuf."):
            return  # well-known types have JSON forms of their own: json_format checks them
        check_document(value, message, name, depth + 1)
    elif kind in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        if not isinstance(value, str):
            raise invalid(name, f"expected a string, got {_kind(value)}")
    elif kind == FieldDescriptor.TYPE_BOOL:
        if not isinstance(value, bool):
            raise invalid(name, f"expected true or false, got {_kind(value)}")
    elif kind in _INTEGERS:
        if isinstance(value, bool) or not (
            isinstance(value, int)
            or (isinstance(value, float) and value.is_integer())
            or (isinstance(value, str) and value.strip().lstrip("-").isdigit())
        ):
            raise invalid(name, f"expected an integer, got {_kind(value)}")
    elif kind in _FLOATS:
        if isinstance(value, bool) or not (
            (isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)))
            or value in _FLOAT_WORDS
        ):
            raise invalid(name, f"expected a number, got {_kind(value)}")
    elif kind == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        assert enum is not None  # an enum field names its enum
        if isinstance(value, str):
            if value not in enum.values_by_name:
                raise invalid(name, f"{value[:40]!r} is not a {enum.name} (one of {', '.join(enum.values_by_name)})")
        elif isinstance(value, bool) or not isinstance(value, int):
            raise invalid(name, f"expected a {enum.name} name, got {_kind(value)}")


def _descriptor(message_type: type[Message]) -> Descriptor:
    descriptor = message_type.DESCRIPTOR
    # protobuf's stubs also allow upb's own descriptor class: at run time that is a Descriptor (its metaclass says so).
    assert isinstance(descriptor, Descriptor)
    return descriptor


def parse_message(document: Any, message_type: type[M]) -> M:
    """The message `document` (decoded JSON) holds, or CallAborted(INVALID_ARGUMENT) naming the field."""
    check_document(document, _descriptor(message_type))
    message = message_type()
    try:
        json_format.ParseDict(document, message)
    except json_format.ParseError as exc:  # a case check_document let through: still the client's error
        raise invalid("request", str(exc).split("\n", 1)[0][:300]) from None
    return message


def message_from_query(params: Mapping[str, list[str]], message_type: type[M]) -> M:
    """A GET request's message from its query string: `?list_ids=a&list_ids=b&include_revoked=true`."""
    fields = _fields(_descriptor(message_type))
    document: dict[str, Any] = {}
    for key, values in params.items():
        field = fields.get(key)
        if field is None:
            known = ", ".join(f.name for f in message_type.DESCRIPTOR.fields)
            raise invalid(key, f"unknown query parameter (known: {known})")
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            raise invalid(key, "is a message: send it in a POST body")
        converted = [_from_text(value, field, key) for value in values]
        if field.is_repeated:
            document[key] = converted
        elif len(converted) > 1:
            raise invalid(key, f"given {len(converted)} times; it takes one value")
        else:
            document[key] = converted[0]
    return parse_message(document, message_type)


def _from_text(value: str, field: FieldDescriptor, name: str) -> Any:
    if field.type == FieldDescriptor.TYPE_BOOL:
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise invalid(name, f"expected true or false, got {value[:20]!r}")
    return value  # strings as they are; numbers and enums as their JSON text forms


def to_document(message: Message) -> dict[str, Any]:
    """The message as JSON, field names as in the .proto (as the CLI's --json writes them)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)
