"""The HTTP/JSON door (service/http) on a real server beside gRPC: same answers, same refusals, same audit.

The server runs with authentication required and API keys in Redis; the HTTP calls go through
a real HTTP client on a loopback port, the gRPC calls through a real gRPC client.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import httpx
import msgspec
import pytest
import redis.asyncio as aioredis
from google.protobuf.json_format import ParseDict
from openapi_spec_validator import validate

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.audit.trail import AuditTrail
from service.auth.keys import ApiKeyStore
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import RunningServer, serve_workers, start_server
from service.http.app import _line
from service.http.openapi import openapi_document
from service.http.problems import HTTP_STATUS
from service.http.routes import ROUTES
from service.rescreen.jobs import AlertRecord, Jobs
from service.settings import Settings, SettingsError, parse_http_port
from tests.auth_support import Pki, with_auth
from tests.conftest import wait_ready
from tests.test_auth_matrix import ALLOWED_OUTCOME, REVIEWER_METHODS, SCREENER_METHODS
from tests.test_dispositions_audit_api import audited

PROBLEM = "application/problem+json"


@dataclass
class Doors:
    running: RunningServer
    http: httpx.AsyncClient
    grpc: pb_grpc.ScreeningServiceStub
    keys: dict[str, str]  # role -> API key secret

    def bearer(self, role: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture
async def doors(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str
) -> AsyncIterator[Doors]:
    store = ApiKeyStore(redis_client, key_prefix)
    keys = {
        role: (await store.create(f"http-{role}", [role], "test")).secret for role in ("screener", "reviewer", "admin")
    }
    server_settings = with_auth(dataclasses.replace(settings, http_port=0), mode="required", rate_limits={})
    running = await start_server(server_settings, test_catalog, load_policy())
    await wait_ready(running)
    assert running.http is not None
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}", timeout=10) as http,
        grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel,
    ):
        yield Doors(running, http, pb_grpc.ScreeningServiceStub(channel), keys)
    await running.stop(0.5)


def _essence(response: pb.ScreenResponse) -> tuple[object, ...]:
    """What a screening decides, without what differs call to call (ids, times, latency)."""
    return (
        response.decision,
        [(m.list_id, m.entry_id, round(m.score, 4), m.explanation.text) for m in response.matches],
        [(r.code, r.rule_id, r.list_id, r.entry_id, r.decision, r.text) for r in response.reasons],
        [(v.list_id, v.version) for v in response.list_versions],
    )


async def test_screen_over_http_answers_as_grpc_does(doors: Doors) -> None:
    body = {
        "party": {"name": "Nicolas MADURO MOROS", "addresses": [{"country": "VE"}]},
        "context": {"direction": "DIRECTION_EXPORT", "destination_country": "VE"},
    }
    answer = await doors.http.post("/v1/screen", json=body, headers=doors.bearer("screener"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    over_http = ParseDict(answer.json(), pb.ScreenResponse())
    metadata = tuple(doors.bearer("screener").items())
    over_grpc = await doors.grpc.Screen(ParseDict(body, pb.ScreenRequest()), metadata=metadata)
    assert over_http.decision == pb.DECISION_BLOCK
    assert _essence(over_http) == _essence(over_grpc)
    assert over_http.screening_id != over_grpc.screening_id
    # camelCase names (protobuf's JSON names) are read too: one contract, both spellings.
    camel = await doors.http.post(
        "/v1/screen", json={"party": {"name": "Nicolas MADURO MOROS", "alternativeNames": ["N. Maduro"]}},
        headers=doors.bearer("screener"),
    )  # fmt: skip
    assert camel.status_code == 200 and camel.json()["decision"] == "DECISION_BLOCK"


async def test_every_route_admits_whom_grpc_admits(doors: Doors) -> None:
    """The roles of lists/roles.toml on every route: 401 without a credential, 403 without the role."""
    requests = {
        "Screen": {"party": {"name": "Johanna Pemberton-Whitcombe"}},
        "RecordDisposition": {
            "party_reference": "HTTP-1",
            "list_id": "ofac_sdn",
            "entry_id": "999999",
            "reason": "r",
            "kind": "DISPOSITION_KIND_FALSE_POSITIVE",
        },
        "RevokeDisposition": {"party_reference": "HTTP-1", "list_id": "ofac_sdn", "entry_id": "306", "reason": "r"},
        "ApproveDisposition": {"party_reference": "HTTP-1", "list_id": "ofac_sdn", "entry_id": "306"},
        "RejectDisposition": {"party_reference": "HTTP-1", "list_id": "ofac_sdn", "entry_id": "306", "note": "no"},
        "RegisterParties": {},
        "RemoveParties": {"party_references": ["HTTP-NONE"]},
    }
    for route in ROUTES:
        if route.shape != "unary":
            continue
        path = (
            route.path.replace("{party_reference}", "HTTP-NONE")
            .replace("{job_id}", "no-such-job")
            .replace("{list_id}", "ofac_sdn")
            .replace("{screening_id}", "1b4e28ba-2fa1-41d2-883f-0016d3cca427")
        )
        if route.rpc == "GetListChanges":
            path += "?version=no-such-version"

        async def call(headers: dict[str, str], route: object = route, path: str = path) -> httpx.Response:
            if route.verb == "GET":  # type: ignore[attr-defined]
                return await doors.http.get(path, headers=headers)
            return await doors.http.post(path, json=requests.get(route.rpc, {}), headers=headers)  # type: ignore[attr-defined]

        anonymous = await call({})
        assert anonymous.status_code == 401, (route.rpc, anonymous.text)
        assert anonymous.headers["content-type"] == PROBLEM
        assert anonymous.json()["code"] == "UNAUTHENTICATED"
        screener = await call(doors.bearer("screener"))
        if route.rpc in SCREENER_METHODS:
            assert screener.status_code == HTTP_STATUS.get(ALLOWED_OUTCOME[route.rpc], 200), (route.rpc, screener.text)
        else:
            assert screener.status_code == 403, (route.rpc, screener.text)
            assert "needs the role" in screener.json()["detail"]
        admin = await call(doors.bearer("admin"))
        expected = ALLOWED_OUTCOME[route.rpc]
        assert admin.status_code == HTTP_STATUS.get(expected, 200), (route.rpc, admin.text)
    assert "WatchAlerts" in REVIEWER_METHODS and "WatchAlerts" not in SCREENER_METHODS
    refused = await doors.http.get("/v1/alerts", headers=doors.bearer("screener"))
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("{bad", "request", "not valid JSON"),
        ("[]", "request", "expected an object"),
        ('{"party": {"nme": "x"}}', "party.nme", "unknown field"),
        ('{"party": []}', "party", "expected an object, got an array"),
        ('{"party": {"name": 5}}', "party.name", "expected a string, got a number"),
        (
            '{"party": {"name": "x", "addresses": [{"country": "DE"}, {"country": 3}]}}',
            "party.addresses[1].country",
            "expected a string",
        ),
        ('{"party": {"name": "x", "type": "PARTY_TYPE_DRAGON"}}', "party.type", "is not a PartyType"),
        ('{"party": {"name": "x"}, "options": {"max_matches": "many"}}', "options.max_matches", "expected an integer"),
        ('{"party": {"name": "x", "addresses": [{"country": "XX"}]}}', "party.addresses[0].country", "ISO 3166-1"),
        (
            '{"party": {"name": "x"}, "context": {"items": [{"hs_code": "12"}]}}',
            "context.items[0].hs_code",
            "6 to 10 digits",
        ),
        ('{"party": {"name": "   "}}', "party.name", "is required"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field(doors: Doors, body: str, field: str, words: str) -> None:
    answer = await doors.http.post(
        "/v1/screen", content=body, headers={**doors.bearer("screener"), "content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert (problem["status"], problem["code"], problem["field"]) == (400, "INVALID_ARGUMENT", field)
    assert words in problem["detail"]


async def test_query_parameters_are_checked_like_fields(doors: Doors) -> None:
    reviewer = doors.bearer("reviewer")
    ok = await doors.http.get(
        "/v1/lists", params=[("list_ids", "ofac_sdn"), ("list_ids", "ofac_sdn")], headers=reviewer
    )
    assert ok.status_code == 200 and [s["list_id"] for s in ok.json()["lists"]] == ["ofac_sdn"]
    unknown = await doors.http.get("/v1/lists", params={"lists": "ofac_sdn"}, headers=reviewer)
    assert (unknown.status_code, unknown.json()["field"]) == (400, "lists")
    wrong = await doors.http.get("/v1/lists", params={"list_ids": "no_such_list"}, headers=reviewer)
    assert (wrong.status_code, wrong.json()["field"]) == (400, "list_ids[0]")
    flag = await doors.http.get("/v1/dispositions", params={"include_revoked": "perhaps"}, headers=reviewer)
    assert (flag.status_code, flag.json()["field"]) == (400, "include_revoked")


async def test_http_screenings_are_audited_with_principal_and_peer(
    doors: Doors, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    answer = await doors.http.post("/v1/screen", json={"party": {"name": "Jane Roe"}}, headers=doors.bearer("screener"))
    assert answer.status_code == 200
    record = await audited(AuditTrail(redis_client, key_prefix), answer.json()["screening_id"])
    assert record.caller == "key:http-screener"
    assert record.peer.startswith("ipv4:127.0.0.1:")
    assert record.decision == "CLEAR"


async def test_screen_batch_streams_json_lines_in_order(doors: Doors) -> None:
    lines = [
        {"request_id": "a", "party": {"name": "Nicolas MADURO MOROS"}},
        {"request_id": "b", "party": {"name": "Acme GmbH", "addresses": [{"country": "XX"}]}},
        {"request_id": "c", "party": {"name": "Jane Roe"}},
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    answer = await doors.http.post("/v1/screen:batch", content=body, headers=doors.bearer("screener"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/x-ndjson")
    out = [json.loads(line) for line in answer.text.splitlines()]
    assert [o["request_id"] for o in out] == ["a", "b", "c"]
    assert out[0]["decision"] == "DECISION_BLOCK" and out[2]["decision"] == "DECISION_CLEAR"
    assert out[1]["error"]["field"] == "party.addresses[0].country"
    broken = await doors.http.post(
        "/v1/screen:batch", content='{"party": {"name": "A"}}\n{oops\n', headers=doors.bearer("screener")
    )
    assert (broken.status_code, broken.json()["field"]) == (400, "line 2")


async def test_alerts_arrive_as_server_sent_events(doors: Doors, redis_client: aioredis.Redis, key_prefix: str) -> None:
    jobs = Jobs(redis_client, key_prefix)
    record = AlertRecord(
        job_id="job-1", reference="ERP-7", decision="BLOCK", previous_decision="CLEAR",
        entries=(("ofac_sdn", "22790", "MADURO MOROS, Nicolas", 0.97, "added", "BLOCK"),),
        text="ERP-7 now matches ofac_sdn entry 22790", raised_at=datetime.now(UTC),
    )  # fmt: skip
    first_id = (await redis_client.xadd(jobs.alerts_key, {"alert": msgspec.json.encode(record)})).decode()
    events: list[tuple[str, dict[str, object]]] = []
    async with doors.http.stream(
        "GET", "/v1/alerts", params={"after_id": "0"}, headers=doors.bearer("reviewer")
    ) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        event_id = ""
        async with asyncio.timeout(10):
            async for line in stream.aiter_lines():
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: "):
                    events.append((event_id, json.loads(line[6:])))
                    break
    assert events[0][0] == first_id
    assert events[0][1]["party_reference"] == "ERP-7" and events[0][1]["decision"] == "DECISION_BLOCK"
    too_far = await doors.http.get("/v1/alerts", params={"after_id": "not-an-id"}, headers=doors.bearer("reviewer"))
    assert (too_far.status_code, too_far.json()["field"]) == (400, "after_id")


async def test_openapi_document_describes_every_route_and_validates(doors: Doors) -> None:
    served = await doors.http.get("/openapi.json")
    assert served.status_code == 200
    document = served.json()
    validate(document)  # raises when not a valid OpenAPI 3 document
    assert document == json.loads(json.dumps(openapi_document()))
    for route in ROUTES:
        operation = document["paths"][route.path][route.verb.lower()]
        assert operation["operationId"] == route.rpc
    party = document["components"]["schemas"]["Party"]["properties"]
    assert party["addresses"] == {"type": "array", "items": {"$ref": "#/components/schemas/Address"}}
    page = await doors.http.get("/docs")
    assert page.status_code == 200 and all(route.path in page.text for route in ROUTES)


async def test_the_http_door_speaks_the_grpc_ports_tls(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    """With a certificate configured both doors speak TLS; with a client CA both require a client certificate."""
    pki = Pki(tmp_path / "pki")
    secret = (await ApiKeyStore(redis_client, key_prefix).create("tls-screener", ["screener"], "test")).secret
    server_settings = with_auth(
        dataclasses.replace(settings, http_port=0, tls=pki.server_tls(mutual=True)), mode="required", rate_limits={}
    )
    running = await start_server(server_settings, test_catalog, load_policy())
    try:
        await wait_ready(running)
        assert running.http is not None
        url = f"https://localhost:{running.http.port}/v1/screen"
        body = {"party": {"name": "Nicolas MADURO MOROS"}}
        headers = {"authorization": f"Bearer {secret}"}
        certificate, key = pki.client("http-client")
        context = ssl.create_default_context(cafile=str(pki.ca_file))
        context.load_cert_chain(str(certificate), str(key))
        async with httpx.AsyncClient(verify=context, timeout=10) as client:
            answer = await client.post(url, json=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["decision"] == "DECISION_BLOCK"
        without_certificate = ssl.create_default_context(cafile=str(pki.ca_file))
        async with httpx.AsyncClient(verify=without_certificate, timeout=10) as client:
            with pytest.raises(httpx.HTTPError):
                await client.post(url, json=body, headers=headers)
        async with httpx.AsyncClient(timeout=10) as client:  # plain HTTP to the TLS port
            with pytest.raises(httpx.HTTPError):
                await client.post(url.replace("https", "http"), json=body, headers=headers)
    finally:
        await running.stop(0.5)


@pytest.mark.parametrize(("text", "port"), [("", 8080), ("0", 0), ("18080", 18080), (" OFF ", None)])
def test_http_port_setting(text: str, port: int | None) -> None:
    assert parse_http_port(text, "SCREENING_HTTP_PORT") == port


@pytest.mark.parametrize("text", ["http", "-1", "70000", "80.5"])
def test_http_port_setting_refuses_what_is_no_port(text: str) -> None:
    with pytest.raises(SettingsError, match="SCREENING_HTTP_PORT=.*port number .* or off"):
        parse_http_port(text, "SCREENING_HTTP_PORT")


def test_workers_need_a_fixed_http_port(settings: Settings) -> None:
    with pytest.raises(ValueError, match="fixed HTTP port"):
        serve_workers(dataclasses.replace(settings, workers=2, port=50999, http_port=0))


async def test_unknown_routes_and_verbs_are_problems_too(doors: Doors) -> None:
    missing = await doors.http.get("/v1/nothing-here", headers=doors.bearer("screener"))
    assert (missing.status_code, missing.headers["content-type"], missing.json()["code"]) == (404, PROBLEM, "NOT_FOUND")
    wrong_verb = await doors.http.get("/v1/screen", headers=doors.bearer("screener"))
    assert (wrong_verb.status_code, wrong_verb.json()["status"]) == (405, 405)
    too_big = await doors.http.post(
        "/v1/screen", content=b"{" + b" " * (5 * 1024 * 1024) + b"}", headers=doors.bearer("screener")
    )
    assert (too_big.status_code, too_big.json()["field"]) == (413, "request")
    assert "limit" in too_big.json()["detail"]


async def test_the_http_port_answers_without_waiting_for_acks(doors: Doors) -> None:
    """Nagle's algorithm off on the listening socket (accepted ones inherit it): with it on, each answer on a
    keep-alive connection waited ~40 ms for the client's delayed ACK of its first segment."""
    listening = [sock for server in doors.running.http.server.servers for sock in server.sockets]  # type: ignore[union-attr]
    assert listening
    for sock in listening:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


async def test_health_over_http_needs_no_credential_and_follows_the_grpc_health(doors: Doors) -> None:
    answer = await doors.http.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "SERVING"})
    doors.running.stopping.set()  # what a SIGTERM does first: load balancers stop sending
    try:
        draining = await doors.http.get("/healthz")
        assert (draining.status_code, draining.json()) == (503, {"status": "NOT_SERVING"})
    finally:
        doors.running.stopping.clear()


async def test_a_taken_default_http_port_leaves_grpc_serving_but_an_asked_for_one_fails(
    settings: Settings, test_catalog: Catalog
) -> None:
    """Two servers on one host, the second on another gRPC port and the default HTTP one: it serves gRPC only."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        defaulted = dataclasses.replace(settings, http_port=port, http_port_by_default=True)
        running = await start_server(defaulted, test_catalog, load_policy())
        try:
            await wait_ready(running)
            assert running.http is None
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                answer = await pb_grpc.ScreeningServiceStub(channel).Screen(
                    pb.ScreenRequest(party=pb.Party(name="Jane Roe"))
                )
            assert answer.decision == pb.DECISION_CLEAR
        finally:
            await running.stop(0.5)
        with pytest.raises(OSError, match="cannot bind the HTTP port"):
            await start_server(dataclasses.replace(settings, http_port=port), test_catalog, load_policy())


def test_only_an_unset_http_port_is_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCREENING_HTTP_PORT", raising=False)
    assert Settings.from_env().http_port_by_default
    monkeypatch.setenv("SCREENING_HTTP_PORT", "8080")
    assert not Settings.from_env().http_port_by_default


def test_a_json_lines_answer_is_one_line_for_every_line_reader() -> None:
    """U+2028, U+2029 and U+0085 are legal raw in a JSON string, but str.splitlines (and older JavaScript)
    break lines there: the door escapes them, so a request_id holding one cannot split an answer."""
    line = _line({"request_id": "a\u2028b\u2029c\x85d", "name": "Ж"}).decode()
    assert line.endswith("\n") and len(line.splitlines()) == 1
    assert json.loads(line) == {"request_id": "a\u2028b\u2029c\x85d", "name": "Ж"}
