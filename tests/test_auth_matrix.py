"""Every RPC, called by every kind of caller, on a real server over mutual TLS: the exact status codes.

The server runs with TLS (a throw-away CA from trustme), client certificates
required, authentication required, API keys in Redis and an identity provider's
JWKS. Each caller is a real client with its own certificate; what differs is the
credential it sends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.auth.keys import ApiKeyStore
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.client import bearer_metadata, open_aio_channel
from service.grpc_door.server import SERVICE_METHODS, RunningServer, start_server
from service.settings import Settings
from tests.auth_support import MTLS_SCREENER, Pki, TokenIssuer, with_auth
from tests.conftest import wait_ready

OK = grpc.StatusCode.OK
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED

# Who may call what, as the issue states it (lists/roles.toml must agree).
SCREENER_METHODS = {"Screen", "ScreenBatch", "GetListStatus", "GetListChanges"}
AUDITOR_METHODS = {"GetScreening", "ReplayScreening", "GetListStatus", "GetListChanges"}
REVIEWER_METHODS = SCREENER_METHODS | AUDITOR_METHODS | {
    "GetParty", "WatchAlerts", "ListAlerts", "ListReviews", "ListDispositions", "RecordDisposition", "RevokeDisposition",
    "ApproveDisposition", "RejectDisposition",
}  # fmt: skip
REGISTRAR_METHODS = {"RegisterParties", "RemoveParties", "GetJob"}
ALL_METHODS = set(SERVICE_METHODS)

# What each method answers a caller allowed to call it (requests chosen to change nothing).
ALLOWED_OUTCOME = {
    "Screen": OK,
    "ScreenBatch": OK,
    "GetListStatus": OK,
    "RecordDisposition": grpc.StatusCode.NOT_FOUND,  # no such entry
    "RevokeDisposition": grpc.StatusCode.NOT_FOUND,  # nothing to revoke
    "ApproveDisposition": grpc.StatusCode.NOT_FOUND,
    "RejectDisposition": grpc.StatusCode.NOT_FOUND,
    "ListDispositions": OK,
    "RegisterParties": OK,
    "RemoveParties": OK,
    "GetParty": grpc.StatusCode.NOT_FOUND,
    "WatchAlerts": grpc.StatusCode.DEADLINE_EXCEEDED,  # allowed, and no alert comes within the deadline
    "GetJob": grpc.StatusCode.NOT_FOUND,
    "ListAlerts": OK,
    "ListReviews": OK,
    "GetListChanges": grpc.StatusCode.NOT_FOUND,  # no such version
    "GetScreening": grpc.StatusCode.NOT_FOUND,  # no such screening
    "ReplayScreening": grpc.StatusCode.NOT_FOUND,
}


@dataclass(frozen=True)
class Caller:
    name: str
    credential: str  # "" for none
    allowed: frozenset[str]  # methods it may call; empty for callers that are not authenticated at all
    authenticated: bool = True
    certificate: str = "matrix-client"  # its client certificate's common name


@dataclass
class MatrixServer:
    running: RunningServer
    pki: Pki
    callers: list[Caller]


@pytest.fixture
async def matrix_server(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> AsyncIterator[MatrixServer]:
    pki = Pki(tmp_path / "pki")
    issuer = TokenIssuer(tmp_path)
    keys = ApiKeyStore(redis_client, key_prefix)
    secrets = {}
    for role in ("screener", "reviewer", "registrar", "auditor", "admin"):
        secrets[role] = (await keys.create(f"matrix-{role}", [role], "test")).secret
    revoked = (await keys.create("matrix-revoked", ["admin"], "test")).secret
    await keys.revoke("matrix-revoked", "test")
    server_settings = with_auth(
        dataclasses.replace(settings, tls=pki.server_tls(mutual=True)),
        mode="required", oidc=issuer.settings(), rate_limits={}, mtls_roles={MTLS_SCREENER: frozenset({"screener"})},
    )  # fmt: skip
    callers = [
        Caller("anonymous", "", frozenset(), authenticated=False),
        *(
            Caller(f"{role} key", secret, frozenset(methods))
            for role, secret, methods in (
                ("screener", secrets["screener"], SCREENER_METHODS),
                ("reviewer", secrets["reviewer"], REVIEWER_METHODS),
                ("registrar", secrets["registrar"], REGISTRAR_METHODS),
                ("auditor", secrets["auditor"], AUDITOR_METHODS),
                ("admin", secrets["admin"], ALL_METHODS),
            )
        ),
        Caller(
            "screener+registrar token",
            issuer.token("svc-batch", ["screener", "registrar"]),
            frozenset(SCREENER_METHODS | REGISTRAR_METHODS),
        ),
        Caller(
            "reviewer token (unknown roles ignored)",
            issuer.token("alice", ["reviewer", "unknown"]),
            frozenset(REVIEWER_METHODS),
        ),
        Caller("token without a known role", issuer.token("mallory", ["superuser"]), frozenset()),
        Caller("screener client certificate", "", frozenset(SCREENER_METHODS), certificate=MTLS_SCREENER),
        Caller("expired token", issuer.token("alice", ["admin"], expires_in=-3600), frozenset(), authenticated=False),
        Caller(
            "token for another audience",
            issuer.token("alice", ["admin"], audience="another-api"),
            frozenset(),
            authenticated=False,
        ),
        Caller(
            "wrongly signed token",
            issuer.token("alice", ["admin"], wrong_signature=True),
            frozenset(),
            authenticated=False,
        ),
        Caller("revoked key", revoked, frozenset(), authenticated=False),
        Caller("unknown key", "scr_" + "x" * 43, frozenset(), authenticated=False),
    ]
    running = await start_server(server_settings, test_catalog, load_policy())
    await wait_ready(running)
    yield MatrixServer(running, pki, callers)
    await running.stop(0.5)


def request_for(method: str) -> object:
    """A request each method accepts and that changes nothing."""
    party = pb.Party(name="Johanna Pemberton-Whitcombe")
    return {
        "Screen": pb.ScreenRequest(party=party),
        "ScreenBatch": pb.ScreenBatchRequest(requests=[pb.ScreenRequest(party=party)]),
        "GetListStatus": pb.GetListStatusRequest(),
        "RecordDisposition": pb.RecordDispositionRequest(
            party_reference="MATRIX-1",
            list_id="ofac_sdn",
            entry_id="999999",
            reason="matrix",
            kind=pb.DISPOSITION_KIND_FALSE_POSITIVE,
        ),
        "RevokeDisposition": pb.RevokeDispositionRequest(
            party_reference="MATRIX-1", list_id="ofac_sdn", entry_id="306", reason="matrix"
        ),
        "ApproveDisposition": pb.ReviewDispositionRequest(
            party_reference="MATRIX-1", list_id="ofac_sdn", entry_id="306"
        ),
        "RejectDisposition": pb.ReviewDispositionRequest(
            party_reference="MATRIX-1", list_id="ofac_sdn", entry_id="306", note="no"
        ),
        "ListDispositions": pb.ListDispositionsRequest(),
        "RegisterParties": pb.RegisterPartiesRequest(),
        "RemoveParties": pb.RemovePartiesRequest(party_references=["MATRIX-NONE"]),
        "GetParty": pb.GetPartyRequest(party_reference="MATRIX-NONE"),
        "WatchAlerts": pb.WatchAlertsRequest(after_id="$"),
        "ListAlerts": pb.ListAlertsRequest(open_only=True),
        "ListReviews": pb.ListReviewsRequest(open_only=True, decision=pb.DECISION_REVIEW),
        "GetListChanges": pb.GetListChangesRequest(list_id="ofac_sdn", version="no-such-version"),
        "GetScreening": pb.GetScreeningRequest(screening_id="1b4e28ba-2fa1-41d2-883f-0016d3cca427"),
        "ReplayScreening": pb.ReplayScreeningRequest(screening_id="1b4e28ba-2fa1-41d2-883f-0016d3cca427"),
        "GetJob": pb.GetJobRequest(job_id="no-such-job"),
    }[method]


async def call(
    stub: pb_grpc.ScreeningServiceStub, method: str, metadata: tuple[tuple[str, str], ...]
) -> grpc.StatusCode:
    """Call `method` once; the status it ended with."""
    request = request_for(method)
    try:
        if method == "ScreenBatch":
            async for _ in stub.ScreenBatch(iter([request]), metadata=metadata, timeout=10):
                pass
        elif method == "WatchAlerts":
            async for _ in stub.WatchAlerts(request, metadata=metadata, timeout=1.0):
                pass
        else:
            await getattr(stub, method)(request, metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return OK


async def test_the_matrix_covers_every_rpc_of_the_contract() -> None:
    assert set(ALLOWED_OUTCOME) == ALL_METHODS


async def test_every_rpc_as_every_caller_gets_the_exact_status(matrix_server: MatrixServer) -> None:
    target = f"127.0.0.1:{matrix_server.running.port}"
    failures = []
    for caller in matrix_server.callers:
        certificate = matrix_server.pki.client(caller.certificate)
        client = matrix_server.pki.client_settings(target, caller.credential, certificate)
        async with open_aio_channel(client) as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            for method in sorted(ALL_METHODS):
                if not caller.authenticated:
                    expected = UNAUTHENTICATED
                elif method in caller.allowed:
                    expected = ALLOWED_OUTCOME[method]
                else:
                    expected = DENIED
                got = await call(stub, method, bearer_metadata(client))
                if got != expected:
                    failures.append(f"{caller.name} {method}: expected {expected.name}, got {got.name}")
    assert not failures, "\n".join(failures)
    refusals = matrix_server.running.auth.refusals if matrix_server.running.auth else {}
    reasons = {reason for reason, _ in refusals}
    assert {"expired_token", "wrong_audience", "bad_signature", "revoked_key", "unknown_key", "missing_role"} <= reasons


async def test_refusals_say_what_is_wrong_without_echoing_the_credential(matrix_server: MatrixServer) -> None:
    target = f"127.0.0.1:{matrix_server.running.port}"
    certificate = matrix_server.pki.client("matrix-client")
    by_name = {caller.name: caller for caller in matrix_server.callers}
    expectations = {
        "anonymous": "no 'authorization: Bearer' credential was sent",
        "expired token": "expired",
        "token for another audience": "audience",
        "wrongly signed token": "signature",
        "revoked key": "revoked",
        "screener key": "needs the role reviewer",
    }
    for name, phrase in expectations.items():
        caller = by_name[name]
        client = matrix_server.pki.client_settings(target, caller.credential, certificate)
        async with open_aio_channel(client) as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.RecordDisposition(
                    request_for("RecordDisposition"), metadata=bearer_metadata(client), timeout=10
                )
        assert phrase in refused.value.details(), (name, refused.value.details())
        if caller.credential:
            assert caller.credential not in refused.value.details()
            assert caller.credential[-20:] not in refused.value.details()


async def test_health_needs_no_credential_but_tls_still_applies(matrix_server: MatrixServer) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    target = f"127.0.0.1:{matrix_server.running.port}"
    client = matrix_server.pki.client_settings(target, "", matrix_server.pki.client("monitor"))
    async with open_aio_channel(client) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_mutual_tls_refuses_a_client_without_a_certificate_from_the_ca(
    matrix_server: MatrixServer, tmp_path: Path
) -> None:
    target = f"127.0.0.1:{matrix_server.running.port}"
    admin = next(caller for caller in matrix_server.callers if caller.name == "admin key")
    stranger = Pki(tmp_path / "stranger")  # another CA: its client certificate is not trusted
    for certificate in (None, stranger.client("intruder")):
        client = matrix_server.pki.client_settings(target, admin.credential, certificate)
        async with open_aio_channel(client) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await pb_grpc.ScreeningServiceStub(channel).GetListStatus(
                    pb.GetListStatusRequest(), metadata=bearer_metadata(client), timeout=5
                )
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    # A plaintext client cannot talk to the TLS port at all.
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await pb_grpc.ScreeningServiceStub(channel).GetListStatus(pb.GetListStatusRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
