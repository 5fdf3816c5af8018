"""The console's sign-in through an identity provider (OIDC code flow with PKCE), end to end over HTTP.

A real server with authentication required and the provider's JWKS configured; a real provider
on another loopback port (tests/oidc_provider.py) that checks PKCE, codes, client and redirect
URI as a real one does. The browser is an HTTP client that keeps the console's cookies and
follows the redirects by hand, so each hop is asserted.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from service.catalog import Catalog
from service.console import sessions
from service.console.routes import OIDC_STATE_COOKIE, SESSION_COOKIE
from service.grpc_door.server import RunningServer
from service.settings import ConsoleSignInSettings, OidcSettings, Settings, SettingsError
from tests.oidc_provider import CLIENT_ID, Provider, console_with_provider


@dataclass
class Desk:
    running: RunningServer
    provider: Provider
    console: httpx.AsyncClient  # the browser's view of the console: it keeps the console's cookies
    idp: httpx.AsyncClient


@pytest.fixture
async def desk(settings: Settings, test_catalog: Catalog, tmp_path: Path) -> AsyncIterator[Desk]:
    async with console_with_provider(settings, test_catalog, tmp_path) as (running, provider):
        assert running.http is not None
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}", timeout=10) as console,
            httpx.AsyncClient(base_url=provider.url, timeout=10) as idp,
        ):
            yield Desk(running, provider, console, idp)


async def _to_provider(desk: Desk) -> tuple[str, dict[str, list[str]]]:
    """Press "Sign in with ..." : (the provider's authorization URL, its query)."""
    page = await desk.console.get("/sign-in")
    assert 'id="sign-in-oidc" href="/sign-in/oidc">Sign in with Test IdP<' in page.text
    started = await desk.console.get("/sign-in/oidc")
    assert started.status_code == 303
    location = started.headers["location"]
    assert location.startswith(f"{desk.provider.url}/authorize?")
    cookie = started.headers["set-cookie"]
    assert OIDC_STATE_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    return location, parse_qs(urlsplit(location).query)


async def _back_from_provider(desk: Desk, location: str) -> str:
    """The provider's redirect back to the console: the callback path and query."""
    answer = await desk.idp.get(location)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/sign-in/oidc/callback"
    return f"{back.path}?{back.query}"


async def test_a_reviewer_signs_in_through_the_provider_and_acts_as_herself(desk: Desk) -> None:
    location, query = await _to_provider(desk)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["openid"]
    assert query["redirect_uri"] == [f"http://127.0.0.1:{desk.running.http.port}/sign-in/oidc/callback"]  # type: ignore[union-attr]
    callback = await _back_from_provider(desk, location)
    signed_in = await desk.console.get(callback)
    assert signed_in.status_code == 200 and "signed in as <strong>oidc:alice</strong>" in signed_in.text
    assert '<meta http-equiv="refresh" content="0; url=/check">' in signed_in.text
    assert SESSION_COOKIE in desk.console.cookies
    # The provider got the verifier, the redirect URI and the client secret (HTTP Basic), never in the URL.
    [exchange] = desk.provider.token_requests
    assert len(exchange["code_verifier"]) >= 43 and "client_secret" not in exchange

    check = await desk.console.get("/check")
    assert "Signed in as <strong>oidc:alice</strong> (reviewer)" in check.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', check.text).group(1)  # type: ignore[union-attr]
    answer = await desk.console.post("/check", data={"csrf": csrf, "name": "Nicolas MADURO MOROS"})
    assert 'id="decision">BLOCK<' in answer.text
    review = await desk.console.get("/review")  # a reviewer's page: the provider's roles claim applies
    assert review.status_code == 200

    # The same callback again: its state cookie is gone, and were it kept, the state is good once.
    again = await desk.console.get(callback)
    assert again.status_code == 400 and "not started in this browser" in again.text
    desk.console.cookies.set(OIDC_STATE_COOKIE, query["state"][0], path="/sign-in/oidc")
    replayed = await desk.console.get(callback)
    assert replayed.status_code == 400 and "expired or was already used" in replayed.text


async def test_a_callback_from_another_browser_is_refused(desk: Desk) -> None:
    location, _ = await _to_provider(desk)
    callback = await _back_from_provider(desk, location)
    async with httpx.AsyncClient(base_url=str(desk.console.base_url), timeout=10) as elsewhere:
        # An attacker's code and state, planted in a victim's browser: no state cookie there.
        planted = await elsewhere.get(callback)
    assert planted.status_code == 400 and "not started in this browser" in planted.text
    assert SESSION_COOKIE not in planted.cookies


async def test_the_providers_refusals_and_tokens_this_service_does_not_accept(desk: Desk) -> None:
    desk.provider.deny = True
    location, _ = await _to_provider(desk)
    denied = await desk.console.get(await _back_from_provider(desk, location))
    assert denied.status_code == 400 and "refused the sign-in (access_denied)" in denied.text

    desk.provider.deny = False
    desk.provider.audience = "another-api"  # a token meant for another service
    location, _ = await _to_provider(desk)
    foreign = await desk.console.get(await _back_from_provider(desk, location))
    assert foreign.status_code == 400 and "not accepted by this service" in foreign.text

    desk.provider.audience = "screening-api"
    location, _ = await _to_provider(desk)
    callback = await _back_from_provider(desk, location)
    desk.provider.codes.clear()  # the provider no longer honours the code (expired at its end)
    refused = await desk.console.get(callback)
    assert refused.status_code == 400 and "refused the sign-in (invalid_grant)" in refused.text
    assert (await desk.console.get("/check")).status_code == 303  # none of these signed anyone in


def test_a_session_ends_when_its_token_expires() -> None:
    now = [1000.0]
    store = sessions.SessionStore(clock=lambda: now[0])
    session_id, _ = store.create("Bearer t", "oidc:alice", frozenset({"reviewer"}), expires_at=time.time() + 120)
    key_id, _ = store.create("Bearer k", "key:erp", frozenset({"screener"}))
    now[0] += 60
    assert store.get(session_id) is not None
    now[0] += 61  # past the token's expiry, well within the idle limit
    assert store.get(session_id) is None and store.get(key_id) is not None


def test_the_settings_refuse_a_code_flow_they_cannot_run_safely(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_CONSOLE_OIDC_CLIENT_ID", "console")
    with pytest.raises(SettingsError, match="needs SCREENING_OIDC_JWKS"):
        ConsoleSignInSettings.from_env(None)
    idp = OidcSettings(jwks="/tmp/jwks.json", issuer="https://idp.example/", audience="screening-api")
    with pytest.raises(SettingsError, match="SCREENING_CONSOLE_OIDC_AUTHORIZATION_URL"):
        ConsoleSignInSettings.from_env(idp)
    monkeypatch.setenv("SCREENING_CONSOLE_OIDC_AUTHORIZATION_URL", "http://idp.example/authorize")
    monkeypatch.setenv("SCREENING_CONSOLE_OIDC_TOKEN_URL", "https://idp.example/token")
    with pytest.raises(SettingsError, match="not an https:// URL"):
        ConsoleSignInSettings.from_env(idp)
    monkeypatch.setenv("SCREENING_CONSOLE_OIDC_AUTHORIZATION_URL", "https://idp.example/authorize")
    found = ConsoleSignInSettings.from_env(idp)
    assert found is not None and (found.client_id, found.client_secret, found.scopes) == ("console", "", "openid")
