"""Identity-provider bearer tokens (service.auth.tokens): real keys, real JWTs, a real JWKS endpoint.

Keys are generated with `cryptography`, published as JWKS with PyJWT's `to_jwk`, and tokens signed
with `jwt.encode`; the attack tokens (alg "none", HS256 keyed with the public key's PEM) are built
by hand because PyJWT rightly refuses to make them. Every refusal is also checked for leaking the
token into its message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from structlog.testing import capture_logs

from service.auth import tokens as tokens_module
from service.auth.principal import ADMIN, REGISTRAR, REVIEWER, SCREENER, AuthError, Principal
from service.auth.tokens import TokenConfigError, TokenVerifier
from service.settings import OidcSettings

ISSUER = "https://idp.example.test/realms/screening"
AUDIENCE = "screening-api"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def jwk(private_key: PrivateKey, kid: str, alg: str | None = None) -> dict[str, Any]:
    """The public JWK of a key, as a provider publishes it."""
    public = private_key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        data = RSAAlgorithm.to_jwk(public, as_dict=True)
        default_alg = "RS256"
    else:
        data = ECAlgorithm.to_jwk(public, as_dict=True)
        default_alg = "ES256"
    data.update(kid=kid, alg=alg or default_alg, use="sig")
    return data


def jwks(*keys: dict[str, Any]) -> dict[str, Any]:
    return {"keys": list(keys)}


def make_token(
    private_key: PrivateKey,
    kid: str | None = "rsa-1",
    alg: str = "RS256",
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300}
    payload.update(claims)
    for name in drop:
        payload.pop(name)
    return jwt.encode(payload, private_key, algorithm=alg, headers={"kid": kid} if kid is not None else None)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_made(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode('ascii')))}"


def valid_claims() -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": now + 300, "roles": ["admin"]}


def oidc(jwks_source: str, **overrides: Any) -> OidcSettings:
    return OidcSettings(jwks=jwks_source, issuer=ISSUER, audience=AUDIENCE, **overrides)


def write_jwks(path: Path, document: dict[str, Any]) -> None:
    # Write then rename, as a deployment tool would: the watcher never sees half a file.
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(document), encoding="utf-8")
    partial.replace(path)


def refused(verifier: TokenVerifier, token: str, reason: str, now: float | None = None) -> AuthError:
    """The AuthError `verify` raises, checked for its reason and for not leaking the token."""
    with pytest.raises(AuthError) as info:
        verifier.verify(token, now=now)
    error = info.value
    assert error.reason == reason, f"{error.reason}: {error.message}"
    for text in (error.message, str(error), repr(error)):
        for part in (token, *token.split(".")):
            if len(part) >= 8:
                assert part not in text, f"a piece of the token is in the message: {error.message}"
    return error


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """check()'s result once it stops raising AuthError; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AuthError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.02)


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> Path:
    path = tmp_path / "jwks.json"
    write_jwks(path, jwks(jwk(rsa_key, "rsa-1"), jwk(ec_key, "ec-1")))
    return path


@pytest.fixture
async def verifier(jwks_file: Path) -> TokenVerifier:
    loaded = TokenVerifier(oidc(str(jwks_file)))
    await loaded.load()
    return loaded


class JwksServer:
    """What the local identity provider serves, and how often it was asked."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.status = 200
        self.requests = 0
        self.url = ""


@pytest.fixture
def jwks_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> JwksServer:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            body = json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="jwks-server", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    request.addfinalizer(stop)
    # A proxy from the environment must not sit between the verifier and the local server.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    return state


# ------------------------------------------------------------ valid tokens


def test_rs256_token_names_the_subject_and_keeps_known_roles(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = make_token(rsa_key, roles=["screener", "reviewer", "offline_access"])
    principal = verifier.verify(token)
    assert principal.name == "oidc:alice"
    assert principal.roles == frozenset({SCREENER, REVIEWER})
    assert principal.method == "jwt"
    assert principal.expires_at == pytest.approx(time.time() + 300, abs=5)


def test_es256_token_with_space_and_comma_separated_roles(
    verifier: TokenVerifier, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = make_token(ec_key, kid="ec-1", alg="ES256", sub="batch-client", roles="screener registrar,admin  other")
    principal = verifier.verify(token)
    assert principal.name == "oidc:batch-client"
    assert principal.roles == frozenset({SCREENER, REGISTRAR, ADMIN})


async def test_nested_roles_claim(jwks_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(oidc(str(jwks_file), roles_claim="realm_access.roles", subject_claim="preferred_username"))
    await verifier.load()
    token = make_token(rsa_key, preferred_username="bob", realm_access={"roles": ["reviewer", "uma_authorization"]})
    principal = verifier.verify(token)
    assert principal.name == "oidc:bob"
    assert principal.roles == frozenset({REVIEWER})


async def test_namespaced_claim_with_dots_is_read_whole(jwks_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    claim = "https://screening.example.test/roles"
    verifier = TokenVerifier(oidc(str(jwks_file), roles_claim=claim))
    await verifier.load()
    assert verifier.verify(make_token(rsa_key, **{claim: ["registrar"]})).roles == frozenset({REGISTRAR})


def test_token_without_known_roles_is_still_a_principal(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    assert verifier.verify(make_token(rsa_key)).roles == frozenset()
    assert verifier.verify(make_token(rsa_key, roles=["offline_access", 7, None])).roles == frozenset()


def test_audience_list_containing_ours_and_expiry_within_leeway(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = make_token(rsa_key, aud=["account", AUDIENCE], exp=int(time.time()) - 5)
    assert verifier.verify(token).name == "oidc:alice"


def test_token_without_kid_uses_the_only_key_of_its_algorithm(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert verifier.verify(make_token(rsa_key, kid=None)).name == "oidc:alice"


async def test_token_without_kid_is_refused_when_several_keys_could_sign_it(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "jwks.json"
    write_jwks(path, jwks(jwk(rsa_key, "rsa-1"), jwk(other_rsa_key, "rsa-2")))
    verifier = TokenVerifier(oidc(str(path)))
    await verifier.load()
    error = refused(verifier, make_token(rsa_key, kid=None), "unknown_signing_key")
    assert "kid" in error.message


# ------------------------------------------------------------ refusals


def test_expired_token_says_when_it_expired(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    expired = int(time.time()) - 600
    error = refused(verifier, make_token(rsa_key, exp=expired, iat=expired - 300), "expired_token")
    assert time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expired)) in error.message


def test_token_not_yet_valid(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    error = refused(verifier, make_token(rsa_key, nbf=int(time.time()) + 600), "not_yet_valid")
    assert "clock" in error.message


def test_wrong_audience_names_the_expected_one(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    error = refused(verifier, make_token(rsa_key, aud="another-api"), "wrong_audience")
    assert repr(AUDIENCE) in error.message


def test_wrong_issuer_names_the_expected_one(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    error = refused(verifier, make_token(rsa_key, iss="https://evil.example.test"), "wrong_issuer")
    assert repr(ISSUER) in error.message


@pytest.mark.parametrize("claim", ["exp", "iss", "aud"])
def test_required_claim_missing(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, claim: str) -> None:
    error = refused(verifier, make_token(rsa_key, drop=(claim,)), "missing_claim")
    assert repr(claim) in error.message


@pytest.mark.parametrize("subject", [None, "", 42])
def test_subject_must_be_a_non_empty_string(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, subject: Any) -> None:
    token = make_token(rsa_key, drop=("sub",)) if subject is None else make_token(rsa_key, sub=subject)
    error = refused(verifier, token, "missing_claim")
    assert "'sub'" in error.message


def test_signature_by_another_key_under_the_same_kid(verifier: TokenVerifier, other_rsa_key: rsa.RSAPrivateKey) -> None:
    refused(verifier, make_token(other_rsa_key, kid="rsa-1"), "bad_signature")


def test_altered_claims_break_the_signature(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    header, _, signature = make_token(rsa_key, roles=["screener"]).split(".")
    forged_claims = b64url(json.dumps({**valid_claims(), "sub": "alice"}).encode())
    refused(verifier, f"{header}.{forged_claims}.{signature}", "bad_signature")


def test_unknown_kid_is_named_truncated(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    kid = "k" * 30 + "-and-a-very-long-tail-that-must-not-be-shown"
    error = refused(verifier, make_token(rsa_key, kid=kid), "unknown_signing_key")
    assert kid[:40] in error.message
    assert kid not in error.message


def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    token = jwt.encode(valid_claims(), None, algorithm="none", headers={"kid": "rsa-1"})
    refused(verifier, token, "disallowed_algorithm")


def test_hs256_keyed_with_the_public_key_is_refused(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    # The classic alg confusion: the attacker knows the public key and uses its PEM as an HMAC secret.
    pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    token = hand_made(
        {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
        valid_claims(),
        lambda data: hmac.new(pem, data, hashlib.sha256).digest(),
    )
    refused(verifier, token, "disallowed_algorithm")


async def test_token_algorithm_must_match_its_key(
    jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    verifier = TokenVerifier(oidc(str(jwks_file), algorithms=("RS256", "PS256", "ES256")))
    await verifier.load()
    # An RS256 header naming the EC key, and a PS256 token under a key published for RS256.
    refused(verifier, make_token(rsa_key, kid="ec-1"), "disallowed_algorithm")
    refused(verifier, make_token(rsa_key, kid="rsa-1", alg="PS256"), "disallowed_algorithm")


async def test_algorithm_not_accepted_by_the_settings(jwks_file: Path, ec_key: ec.EllipticCurvePrivateKey) -> None:
    verifier = TokenVerifier(oidc(str(jwks_file), algorithms=("RS256",)))
    await verifier.load()  # the EC key is skipped: it can only verify ES256
    error = refused(verifier, make_token(ec_key, kid="ec-1", alg="ES256"), "disallowed_algorithm")
    assert "RS256" in error.message


@pytest.mark.parametrize("algorithms", [("RS256", "HS256"), ("none",), ("RS256", "XX999"), ()])
def test_settings_cannot_accept_symmetric_none_or_unknown_algorithms(
    jwks_file: Path, algorithms: tuple[str, ...]
) -> None:
    with pytest.raises(TokenConfigError, match="SCREENING_OIDC_ALGORITHMS"):
        TokenVerifier(oidc(str(jwks_file), algorithms=algorithms))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        "a.b.c",
        "....",
        "eyJhbGciOiJSUzI1NiJ9.e30",
        "eyJhbGciOiJSUzI1NiJ9.e30.e30.e30",
        "W10.e30.c2ln",  # a header that is a JSON list
        "é.é.é",
        "x" * 20_000,
    ],
)
def test_garbage_is_a_malformed_token(verifier: TokenVerifier, token: str) -> None:
    refused(verifier, token, "malformed_token")


def test_claims_of_the_wrong_type_are_malformed(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    refused(verifier, make_token(rsa_key, exp="tomorrow"), "malformed_token")


def test_no_keys_loaded_yet(jwks_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    error = refused(TokenVerifier(oidc(str(jwks_file))), make_token(rsa_key), "jwks_unavailable")
    assert "SCREENING_OIDC_JWKS" in error.message


# ------------------------------------------------------------ cache


def test_cache_returns_the_same_principal_without_verifying_again(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(rsa_key, roles=["screener"])
    first = verifier.verify(token)

    def no_decode(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a cached token was verified again")

    monkeypatch.setattr(jwt, "decode", no_decode)
    second = verifier.verify(token)
    assert second == first
    assert second.expires_at == first.expires_at


def test_cache_hit_is_checked_against_expiry(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    token = make_token(rsa_key)
    principal = verifier.verify(token)
    assert principal.expires_at is not None
    assert verifier.verify(token, now=principal.expires_at + 10) == principal  # within the 30 s leeway
    refused(verifier, token, "expired_token", now=principal.expires_at + 31)


def test_cache_is_bounded_and_drops_the_oldest(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens_module, "CACHE_SIZE", 3)
    minted = [make_token(rsa_key, sub=f"user-{n}") for n in range(4)]
    for token in minted:
        verifier.verify(token)
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    for token in minted[1:]:
        verifier.verify(token)
    assert decoded == []
    verifier.verify(minted[0])  # the oldest was dropped when the fourth came in
    assert decoded == [minted[0]]


def test_cache_hit_costs_far_less_than_a_verification(verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    token = make_token(rsa_key, roles=["screener"])
    verifier.verify(token)
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        verifier.verify(token)
    per_call = (time.perf_counter() - started) / rounds
    # About a microsecond on a laptop; the bound leaves room for slow, busy CI machines.
    assert per_call < 25e-6, f"a cache hit took {per_call * 1e6:.1f} µs"


async def test_key_removed_from_the_jwks_stops_validating_cached_tokens(
    verifier: TokenVerifier, jwks_file: Path, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = make_token(rsa_key)
    verifier.verify(token)
    write_jwks(jwks_file, jwks(jwk(ec_key, "ec-1")))
    await verifier.load()
    refused(verifier, token, "unknown_signing_key")


async def test_unchanged_jwks_keeps_the_cache(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(rsa_key)
    verifier.verify(token)
    await verifier.load()
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: pytest.fail("the cache was emptied by an unchanged JWKS"))
    verifier.verify(token)


# ------------------------------------------------------------ loading and refreshing


async def test_rotation_is_fetched_after_an_unknown_kid_at_most_once_per_30_s(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    jwks_server.document = jwks(jwk(rsa_key, "rsa-1"))
    verifier = TokenVerifier(oidc(jwks_server.url))
    await verifier.load()
    assert jwks_server.requests == 1
    assert verifier.verify(make_token(rsa_key)).name == "oidc:alice"

    stopping = asyncio.Event()
    task = asyncio.create_task(verifier.run(stopping))
    try:
        jwks_server.document = jwks(jwk(rsa_key, "rsa-1"), jwk(other_rsa_key, "rsa-2"))
        rotated = make_token(other_rsa_key, kid="rsa-2", sub="carol")
        refused(verifier, rotated, "unknown_signing_key")
        principal: Principal = await eventually(lambda: verifier.verify(rotated))
        assert principal.name == "oidc:carol"
        assert jwks_server.requests == 2
        # Forged key ids right after: refused without another fetch.
        for n in range(20):
            refused(verifier, make_token(other_rsa_key, kid=f"forged-{n}"), "unknown_signing_key")
        await asyncio.sleep(0.2)
        assert jwks_server.requests == 2
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=2)


async def test_failed_refresh_keeps_the_previous_keys(jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey) -> None:
    jwks_server.document = jwks(jwk(rsa_key, "rsa-1"))
    async with httpx.AsyncClient(trust_env=False) as http:
        verifier = TokenVerifier(oidc(jwks_server.url), http=http)
        await verifier.load()
        jwks_server.status = 503
        stopping = asyncio.Event()
        with capture_logs() as logs:
            task = asyncio.create_task(verifier.run(stopping))
            try:
                unknown = make_token(rsa_key, kid="rsa-9")
                refused(verifier, unknown, "unknown_signing_key")
                deadline = time.monotonic() + 5
                while not any(entry["event"] == "oidc_jwks_refresh_failed" for entry in logs):
                    assert time.monotonic() < deadline, "the refresh never ran"
                    await asyncio.sleep(0.02)
            finally:
                stopping.set()
                await asyncio.wait_for(task, timeout=2)
    assert jwks_server.requests == 2
    token = make_token(rsa_key)
    assert verifier.verify(token).name == "oidc:alice"
    warning = next(entry for entry in logs if entry["event"] == "oidc_jwks_refresh_failed")
    assert warning["log_level"] == "warning"
    assert "HTTP 503" in warning["error"]
    assert unknown.split(".")[1] not in json.dumps(logs, default=str)


async def test_jwks_file_is_read_again_after_an_unknown_kid(
    verifier: TokenVerifier, jwks_file: Path, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    stopping = asyncio.Event()
    task = asyncio.create_task(verifier.run(stopping))
    try:
        write_jwks(jwks_file, jwks(jwk(rsa_key, "rsa-1"), jwk(other_rsa_key, "rsa-2")))
        rotated = make_token(other_rsa_key, kid="rsa-2")
        refused(verifier, rotated, "unknown_signing_key")
        # Well before the next mtime poll (FILE_POLL_S): the unknown kid made run() look at the file now.
        principal = await eventually(lambda: verifier.verify(rotated), timeout=tokens_module.FILE_POLL_S / 2)
        assert principal.name == "oidc:alice"
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=2)


async def test_jwks_file_is_read_again_when_its_mtime_changes(
    verifier: TokenVerifier,
    jwks_file: Path,
    rsa_key: rsa.RSAPrivateKey,
    other_rsa_key: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens_module, "FILE_POLL_S", 0.05)
    stopping = asyncio.Event()
    task = asyncio.create_task(verifier.run(stopping))
    try:
        write_jwks(jwks_file, jwks(jwk(other_rsa_key, "rsa-2")))
        # No token asks for it: only the poll can find the new file.
        deadline = time.monotonic() + 5
        while verifier.key_ids != ("rsa-2",):
            assert time.monotonic() < deadline, f"the changed file was not read again: {verifier.key_ids}"
            await asyncio.sleep(0.02)
        refused(verifier, make_token(rsa_key), "unknown_signing_key")
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=2)


async def test_run_stops_promptly(verifier: TokenVerifier) -> None:
    stopping = asyncio.Event()
    task = asyncio.create_task(verifier.run(stopping))
    await asyncio.sleep(0.05)
    stopping.set()
    await asyncio.wait_for(task, timeout=1)


async def test_unreachable_url_is_a_config_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = TokenVerifier(oidc(f"http://127.0.0.1:{port}/jwks"))
    with pytest.raises(TokenConfigError, match="SCREENING_OIDC_JWKS=.*cannot fetch the key set"):
        await verifier.load()


async def test_url_answering_an_error_is_a_config_error(jwks_server: JwksServer) -> None:
    jwks_server.status = 500
    with pytest.raises(TokenConfigError, match="SCREENING_OIDC_JWKS=.*HTTP 500"):
        await TokenVerifier(oidc(jwks_server.url)).load()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON"),
        ('["a list"]', "not a JWKS"),
        ('{"keys": []}', "did not contain any keys"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}', "symmetric"),
        ('{"keys": [{"kty": "RSA", "kid": "broken", "n": "AQAB"}]}', "usable"),
    ],
)
async def test_unusable_jwks_file_is_a_config_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TokenConfigError) as info:
        await TokenVerifier(oidc(str(path))).load()
    assert "SCREENING_OIDC_JWKS" in str(info.value)
    assert problem in str(info.value)


async def test_weak_and_private_keys_are_not_loaded(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = RSAAlgorithm.to_jwk(rsa_key, as_dict=True)
    private.update(kid="leaked-private", alg="RS256")
    path = tmp_path / "jwks.json"
    write_jwks(path, jwks(jwk(weak, "weak"), private))
    with pytest.raises(TokenConfigError) as info:
        await TokenVerifier(oidc(str(path))).load()
    assert "1024-bit" in str(info.value)
    assert "private key" in str(info.value)


async def test_missing_jwks_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(TokenConfigError, match="SCREENING_OIDC_JWKS=.*cannot read"):
        await TokenVerifier(oidc(str(tmp_path / "absent.json"))).load()


@pytest.mark.parametrize(
    "url", ["http://idp.example.test/jwks", "http://10.0.0.5/jwks", "http://user:s3cret@idp.example.test/jwks"]
)
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(TokenConfigError) as info:
        TokenVerifier(oidc(url))
    message = str(info.value)
    assert "SCREENING_OIDC_JWKS" in message
    assert "https://" in message
    assert "s3cret" not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/jwks", "http://localhost/jwks", "http://[::1]/jwks"])
def test_plain_http_on_loopback_and_https_are_accepted(url: str) -> None:
    TokenVerifier(oidc(url))
    TokenVerifier(oidc("https://idp.example.test/realms/screening/protocol/openid-connect/certs"))


def test_other_url_schemes_are_refused() -> None:
    with pytest.raises(TokenConfigError, match="https://"):
        TokenVerifier(oidc("ftp://idp.example.test/jwks"))
