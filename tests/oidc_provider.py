"""A small identity provider on loopback for the console's code flow: real HTTP, real PKCE checks.

It implements what the console relies on of RFC 6749 and RFC 7636 and refuses what a real
provider refuses: a code used twice, a redirect URI or client other than the one the code was
issued for, a wrong client secret, a verifier whose S256 hash is not the challenge. It signs
in whoever the test says is at the keyboard (`subject`, `roles`), with tokens from a
`TokenIssuer` (tests/auth_support.py), so the service checks them against that issuer's JWKS.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import html
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import RunningServer, start_server
from service.settings import ConsoleSignInSettings, Settings
from tests.auth_support import AUDIENCE, TokenIssuer, with_auth
from tests.conftest import wait_ready

CLIENT_ID = "screening-console"
CLIENT_SECRET = "console-secret-for-tests"


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    subject: str
    roles: list[str]


@dataclass
class Provider:
    issuer: TokenIssuer
    host: str = "127.0.0.1"
    port: int = 0
    # Who signs in next, and what the provider does about it.
    subject: str = "alice"
    roles: list[str] = field(default_factory=lambda: ["reviewer"])
    deny: bool = False  # answer the authorization request with error=access_denied
    # Show a page with an "Allow" link first, as a real provider shows its sign-in page: the
    # redirect back then starts from the provider's site, not from the console's.
    consent_page: bool = False
    audience: str = AUDIENCE  # of the access tokens it issues
    codes: dict[str, _Code] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def console_settings(self, redirect_url: str = "") -> ConsoleSignInSettings:
        return ConsoleSignInSettings(
            client_id=CLIENT_ID, authorization_url=f"{self.url}/authorize", token_url=f"{self.url}/token",
            client_secret=CLIENT_SECRET, redirect_url=redirect_url, provider_name="Test IdP",
        )  # fmt: skip

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("response_type") != "code" or query.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        if query.get("code_challenge_method") != "S256" or len(query.get("code_challenge", "")) != 43:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        redirect_uri = query["redirect_uri"]
        if self.consent_page:
            allow = f"/allow?{urlencode(dict(query))}"
            page = f'<!doctype html><title>Test IdP</title><a id="allow" href="{html.escape(allow)}">Allow</a>'
            return HTMLResponse(page)
        return self._answer(query, redirect_uri)

    async def allow(self, request: Request) -> Response:
        return self._answer(request.query_params, request.query_params["redirect_uri"])

    def _answer(self, query: Any, redirect_uri: str) -> Response:
        if self.deny:
            answer = {"error": "access_denied", "state": query.get("state", "")}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = _Code(CLIENT_ID, redirect_uri, query["code_challenge"], self.subject, list(self.roles))
            answer = {"code": code, "state": query.get("state", "")}
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        self.token_requests.append(form)
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        issued = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if issued is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != issued.challenge:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != issued.redirect_uri or form.get("client_id") != issued.client_id:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        token = self.issuer.token(issued.subject, issued.roles, audience=self.audience)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 600})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/authorize", self.authorize, methods=["GET"]), Route("/allow", self.allow, methods=["GET"]),
            Route("/token", self.token, methods=["POST"]),
        ])  # fmt: skip


@asynccontextmanager
async def running_provider(issuer: TokenIssuer, host: str = "127.0.0.1") -> AsyncIterator[Provider]:
    """The provider served by uvicorn on a free loopback port until the block ends."""
    provider = Provider(issuer, host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    provider.port = sock.getsockname()[1]
    config: Any = uvicorn.Config(provider.app(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield provider
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def console_with_provider(
    settings: Settings, catalog: Catalog, folder: Path, consent_page: bool = False
) -> AsyncIterator[tuple[RunningServer, Provider]]:
    """A provider, and a server (authentication required) whose console signs in through it."""
    issuer = TokenIssuer(folder)
    async with running_provider(issuer) as provider:
        provider.consent_page = consent_page
        server_settings = with_auth(
            dataclasses.replace(settings, http_port=0), mode="required", rate_limits={}, oidc=issuer.settings(),
            console_sign_in=provider.console_settings(),
        )  # fmt: skip
        running = await start_server(server_settings, catalog, load_policy())
        try:
            await wait_ready(running)
            assert running.http is not None
            yield running, provider
        finally:
            await running.stop(0.5)
