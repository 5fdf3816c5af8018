"""The console's sign-in through the identity provider: the OAuth 2.0 authorization code flow with PKCE.

1. `/sign-in/oidc` sends the browser to the provider with a fresh `state` and a PKCE challenge
   (S256). The state is also set in a cookie: only the browser that started a sign-in can end it
   (no "login CSRF", where an attacker's code signs a victim in as the attacker).
2. The provider sends the browser back to `/sign-in/oidc/callback` with a code. The state must
   match the cookie and a sign-in this process started less than ten minutes ago, once.
3. The code, the PKCE verifier and (for a confidential client) the client secret go to the token
   endpoint, server to server; what comes back is an access token.
4. That token is checked as every bearer token is (issuer, audience, signature from the JWKS,
   expiry, roles claim: service/auth/tokens.py), and the session acts with it. The identity is
   the token's, so the console needs no ID token and keeps none.

Pending sign-ins live in this process's memory, like sessions (README, "The console").
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import structlog

from service.settings import ConsoleSignInSettings

log = structlog.get_logger(__name__)

PENDING_SECONDS = 10 * 60
MAX_PENDING = 10_000
TOKEN_TIMEOUT_S = 10.0
CALLBACK_PATH = "/sign-in/oidc/callback"


class SignInFailed(Exception):
    """The sign-in cannot complete; the message is for the person signing in (no secret, no token)."""


@dataclass(frozen=True)
class _Pending:
    verifier: str
    redirect_uri: str
    started: float


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class CodeFlow:
    def __init__(
        self,
        settings: ConsoleSignInSettings,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._http = http
        self._clock = clock
        self._pending: OrderedDict[str, _Pending] = OrderedDict()

    def redirect_uri(self, base_url: str) -> str:
        """Where the provider sends the browser back: the configured URL, else this console's callback."""
        return self.settings.redirect_url or base_url.rstrip("/") + CALLBACK_PATH

    def start(self, redirect_uri: str) -> tuple[str, str]:
        """A new sign-in: (its state, the provider's authorization URL to send the browser to)."""
        self._forget_old()
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)  # 64 characters: within RFC 7636's 43 to 128
        self._pending[state] = _Pending(verifier, redirect_uri, self._clock())
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.scopes,
            "state": state,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        separator = "&" if "?" in self.settings.authorization_url else "?"
        return state, f"{self.settings.authorization_url}{separator}{urlencode(query)}"

    async def finish(self, state: str, browser_state: str, code: str) -> str:
        """The access token for `code`; SignInFailed when the state is not this browser's or the provider refuses."""
        if not state or not secrets.compare_digest(state, browser_state or "-"):
            raise SignInFailed("This sign-in was not started in this browser (or it expired): please start again.")
        self._forget_old()
        pending = self._pending.pop(state, None)
        if pending is None:
            raise SignInFailed("This sign-in expired or was already used: please start again.")
        if not code:
            raise SignInFailed("The identity provider sent no authorization code: please start again.")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.verifier,
            "client_id": self.settings.client_id,
        }
        auth = (self.settings.client_id, self.settings.client_secret) if self.settings.client_secret else None
        answer = await self._post(form, auth)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        token_type = str(answer.get("token_type", "bearer")) if isinstance(answer, dict) else ""
        if not isinstance(token, str) or not token or token_type.lower() != "bearer":
            raise SignInFailed("The identity provider's answer holds no bearer access token.")
        return token

    async def _post(self, form: dict[str, str], auth: tuple[str, str] | None) -> Any:
        # Redirects are not followed: the code and the verifier go to the configured endpoint only.
        # request("POST", ...) is what post() calls; its annotation also admits auth=None (no auth), post's does not.
        try:
            if self._http is not None:
                response = await self._http.request(
                    "POST",
                    self.settings.token_url,
                    data=form,
                    auth=auth,
                    timeout=TOKEN_TIMEOUT_S,
                    follow_redirects=False,
                )
            else:
                async with httpx.AsyncClient(timeout=TOKEN_TIMEOUT_S, follow_redirects=False) as client:
                    response = await client.request("POST", self.settings.token_url, data=form, auth=auth)
        except httpx.HTTPError as exc:
            log.warning("console_oidc_token_unreachable", error=type(exc).__name__)
            raise SignInFailed("The identity provider cannot be reached: please try again shortly.") from None
        if response.status_code != 200:
            error = ""
            try:
                error = str(response.json().get("error", ""))[:64]
            except ValueError:
                pass
            log.warning("console_oidc_token_refused", status=response.status_code, error=error)
            detail = f" ({error})" if error.replace("_", "").isalnum() else ""
            raise SignInFailed(f"The identity provider refused the sign-in{detail}: please start again.")
        try:
            return response.json()
        except ValueError:
            raise SignInFailed("The identity provider's answer is not JSON.") from None

    def _forget_old(self) -> None:
        limit = self._clock() - PENDING_SECONDS
        while self._pending:
            state, pending = next(iter(self._pending.items()))
            if pending.started >= limit:
                break
            del self._pending[state]
