"""Property-based fuzzing of the HTTP door: every route, descriptor-built and arbitrary JSON, a real server.

Requests come from the gRPC fuzzer's strategies (tests/fuzzing.py: hostile and plausible messages
of each method's input type, written as JSON), with random JSON spliced in at random places
(wrong types, unknown fields, nesting, nulls). Properties of every answer:
- never a 5xx: a crash or an unmapped error would be one;
- a refusal is a problem document whose status is the HTTP status, with the gRPC code by name and
  a message; a 400 from the JSON checks names its field;
- an answer of 200 is JSON the method's response type parses.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from google.protobuf.json_format import MessageToDict, ParseDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.http.routes import ROUTES, Route
from tests.fuzzing import RequestStrategies
from tests.test_http_api import Doors, doors  # noqa: F401 - the fixture

EXAMPLES_PER_ROUTE = 40

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _splice(document: Any, data: st.DataObject) -> Any:
    """`document` with, at one place chosen by `data`, a value replaced or a key added."""
    if isinstance(document, dict) and document and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(document)))
        if data.draw(st.booleans()):
            return {**document, key: _splice(document[key], data)}
        return {**document, key: data.draw(json_values)}
    if isinstance(document, dict):
        return {**document, data.draw(st.text(min_size=1, max_size=12)): data.draw(json_values)}
    if isinstance(document, list) and document:
        index = data.draw(st.integers(0, len(document) - 1))
        return [*document[:index], _splice(document[index], data), *document[index + 1 :]]
    return data.draw(json_values)


def _check(route: Route, answer: httpx.Response, sent: str) -> None:
    where = f"{route.verb} {route.path} with {sent[:300]}"
    assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json", where
        problem = answer.json()
        assert problem["status"] == answer.status_code and problem["code"] and problem["detail"], where
        if answer.status_code == 400 and problem["code"] == "INVALID_ARGUMENT":
            assert problem.get("field"), f"{where}: no field named in {problem}"
        return
    if route.shape == "unary":
        ParseDict(answer.json(), route.response_type())  # raises on anything the response type does not hold
    elif route.shape == "ndjson":
        for line in answer.text.splitlines():
            json.loads(line)


def _fuzz_route(route: Route, base_url: str, bearer: dict[str, str]) -> None:
    strategies = RequestStrategies()
    messages = strategies.message(route.request_type.DESCRIPTOR)

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(message=messages, data=st.data(), splice=st.booleans())
    def one(message: Any, data: st.DataObject, splice: bool) -> None:
        document: Any = MessageToDict(message, preserving_proto_field_name=True)
        if splice:
            document = _splice(document, data)
        with httpx.Client(base_url=base_url, headers=bearer, timeout=10) as client:
            if route.verb == "GET":
                params = (
                    [(str(k), json.dumps(v) if not isinstance(v, str) else v) for k, v in document.items()]
                    if isinstance(document, dict)
                    else []
                )
                path = route.path.replace("{party_reference}", "FUZZ").replace("{job_id}", "fuzz-job")
                if route.shape == "sse":
                    params.append(("after_id", "0"))
                    with client.stream("GET", path, params=params, timeout=3) as answer:
                        if answer.status_code != 200:
                            answer.read()
                            _check(route, answer, repr(params))
                    return
                answer = client.get(path, params=params)
                _check(route, answer, repr(params))
                return
            body = json.dumps(document)
            if route.shape == "ndjson":
                items = document.get("requests", []) if isinstance(document, dict) else []
                body = "".join(json.dumps(item) + "\n" for item in items) if isinstance(items, list) else body
            answer = client.post(route.path, content=body, headers={"content-type": "application/json"})
            _check(route, answer, body)

    one()


async def test_every_route_answers_arbitrary_json_without_crashing(doors: Doors) -> None:  # noqa: F811
    base_url = str(doors.http.base_url)
    for route in ROUTES:
        await asyncio.to_thread(_fuzz_route, route, base_url, doors.bearer("admin"))
    # The server is still whole: a plain screening is answered.
    answer = await doors.http.post("/v1/screen", json={"party": {"name": "Jane Roe"}}, headers=doors.bearer("admin"))
    assert answer.status_code == 200
