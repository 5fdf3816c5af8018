"""Bearer tokens from an identity provider: a JWT checked against the provider's published keys (JWKS).

PyJWT does all of the JWT work (header and claims parsing, signature, exp/nbf/iat/iss/aud); this
module chooses the key, reads the subject and roles, and turns PyJWT's exceptions into `AuthError`
reasons whose messages say what to fix.

- Algorithm confusion is closed three times over: SCREENING_OIDC_ALGORITHMS can never hold "none"
  or HS* (refused at construction), a token's `alg` must be in it, and every key is bound to one
  algorithm by PyJWT's `PyJWK` (the JWK's `alg`; RS256 for an RSA key without one; an EC key's
  curve decides) which the token's `alg` must equal. Symmetric (`oct`) keys are never loaded, so
  a public key can never be used as an HMAC secret. Header fields naming other keys (`jku`,
  `x5u`, `jwk`) are ignored: keys come from SCREENING_OIDC_JWKS only.
- `verify` is on the request path, so it is synchronous and never does I/O. `load()` reads the
  keys at start; `run()` refreshes them in the background: a URL every `jwks_refresh_s`, a file
  when its mtime changes, and either sooner when a token names a key id we do not know (that is
  how a provider's key rotation shows up) - at most once every 30 s, so that forged key ids
  cannot make us hammer the provider. A refresh that fails keeps the previous keys.
- Verified tokens are cached by sha256 (10,000 entries, the oldest dropped): a hit costs about a
  microsecond where an RSA verification costs tens, and is checked against its expiry again.
  The keys and that cache are one `_KeySet`, replaced whole when the JWKS changes: a key removed
  by the provider stops validating its tokens at once, and a verification racing with the swap
  can only write into the discarded cache.
- No exception message or log line ever holds a token or any part of it; a key id is shown
  truncated, claims are never echoed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import jwt
import structlog
from jwt.algorithms import get_default_algorithms

from service.auth.principal import ROLES, AuthError, Principal
from service.settings import OidcSettings, SettingsError, is_loopback

log = structlog.get_logger(__name__)

VARIABLE = "SCREENING_OIDC_JWKS"
FETCH_TIMEOUT_S = 5.0
# Refreshes asked for by unknown key ids, and any periodic refresh, are at least this far apart.
MIN_REFRESH_INTERVAL_S = 30.0
# A JWKS file is a local stat, so it is checked often; a URL is fetched every jwks_refresh_s.
FILE_POLL_S = 5.0
CACHE_SIZE = 10_000
# Real access tokens are a few kB; gRPC metadata is capped at 8 kB by default anyway.
MAX_TOKEN_CHARS = 16 * 1024
MIN_RSA_BITS = 2048
_KID_SHOWN = 40
_REQUIRED_CLAIMS = ["exp", "iss", "aud"]


class TokenConfigError(SettingsError):
    """SCREENING_OIDC_JWKS (or the accepted algorithms) cannot be used; the message says why and what to do.

    A `SettingsError` (so a `ValueError`): the CLI reports it like any other bad setting.
    """


@dataclass(frozen=True, slots=True)
class _KeySet:
    """The usable keys of one JWKS version, and the tokens verified with them."""

    keys: tuple[jwt.PyJWK, ...] = ()
    by_kid: dict[str, tuple[jwt.PyJWK, ...]] = field(default_factory=dict)
    # Of the JWKS "keys" array: a refresh returning the same keys keeps the cache.
    fingerprint: str = ""
    # sha256(token) -> its principal; insertion-ordered, so the first entry is the oldest.
    # Oldest first; an OrderedDict drops its oldest in O(1), where a dict scans past its deleted keys.
    cache: OrderedDict[bytes, Principal] = field(default_factory=OrderedDict)


class TokenVerifier:
    """Turns an identity provider's bearer token into a `Principal`, or refuses it with an `AuthError`."""

    def __init__(self, settings: OidcSettings, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http
        self._url, self._path = _source(settings.jwks)
        self._where = f"{VARIABLE}={_redact(settings.jwks.strip())}"
        self._algorithms = _check_algorithms(settings.algorithms)
        self._keys = _KeySet()
        # (inode, size, mtime_ns) of the file as last read, or why it could not be read.
        self._file_stamp: tuple[int, int, int] | str | None = None
        self._refresh_wanted = False
        self._last_wanted = -math.inf
        # Set while run() runs: how verify() wakes it up.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    @property
    def key_ids(self) -> tuple[str | None, ...]:
        """The key ids currently accepted (for status output and tests)."""
        return tuple(key.key_id for key in self._keys.keys)

    # ------------------------------------------------------------ keys

    async def load(self) -> None:
        """Read the key set now (at start); TokenConfigError if it cannot be read or holds no usable key."""
        await self._load(only_if_changed=False)

    async def run(self, stopping: asyncio.Event) -> None:
        """Keep the key set fresh until `stopping` is set; failures are logged and the previous keys kept."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        if self._refresh_wanted:
            self._wake.set()
        if self._path is not None:
            period = FILE_POLL_S
        else:
            # A zero or tiny setting must not turn into a fetch loop against the provider.
            period = max(self._settings.jwks_refresh_s, MIN_REFRESH_INTERVAL_S)
        due = time.monotonic() + (period if self._keys.keys else 0.0)
        try:
            while not stopping.is_set():
                await _first_of(stopping, self._wake, max(0.0, due - time.monotonic()))
                if stopping.is_set():
                    break
                self._wake.clear()
                self._refresh_wanted = False
                try:
                    await self._load(only_if_changed=True)
                except TokenConfigError as exc:
                    log.warning("oidc_jwks_refresh_failed", error=str(exc), keys_kept=len(self._keys.keys))
                    due = time.monotonic() + min(period, MIN_REFRESH_INTERVAL_S)
                except Exception:  # a bug here must not end the refreshes for the life of the process
                    log.exception("oidc_jwks_refresh_crashed", keys_kept=len(self._keys.keys))
                    due = time.monotonic() + min(period, MIN_REFRESH_INTERVAL_S)
                else:
                    due = time.monotonic() + period
        finally:
            self._loop = None
            self._wake = None

    async def _load(self, only_if_changed: bool) -> None:
        if self._path is not None:
            stamp = _stamp(self._path)
            if only_if_changed and stamp == self._file_stamp:
                return
            # Remembered even when the read fails below: a broken file is reported once, not every poll.
            self._file_stamp = stamp
            if isinstance(stamp, str):
                raise TokenConfigError(f"{self._where}: cannot read the key set file: {stamp}")
            document = self._read_file(self._path)
        else:
            document = await self._fetch(self._url or "")
        self._install(document)

    def _read_file(self, path: Path) -> Any:
        # A JWKS is a few kB on a local disk: reading it on the event loop costs less than a thread hop.
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TokenConfigError(f"{self._where}: cannot read the key set file: {exc.strerror}") from None
        try:
            return json.loads(data)
        except ValueError as exc:
            problem = _json_problem(exc)
            raise TokenConfigError(f"{self._where}: the file is not JSON ({problem}); it must hold a JWKS") from None

    async def _fetch(self, url: str) -> Any:
        # Redirects are not followed: an https URL must not be able to send us to a plain-http one.
        try:
            if self._http is not None:
                response = await self._http.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=False)
            else:
                async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=False) as client:
                    response = await client.get(url)
        except httpx.HTTPError as exc:
            detail = str(exc) or type(exc).__name__
            raise TokenConfigError(
                f"{self._where}: cannot fetch the key set ({detail}); "
                "check the URL and that this host reaches the identity provider"
            ) from None
        if response.is_redirect:
            raise TokenConfigError(
                f"{self._where}: the identity provider answered HTTP {response.status_code} (a redirect); "
                "set the final URL"
            )
        if response.status_code != 200:
            raise TokenConfigError(
                f"{self._where}: the identity provider answered HTTP {response.status_code}, not 200 with the key set"
            )
        try:
            return response.json()
        except ValueError as exc:
            problem = _json_problem(exc)
            message = f"{self._where}: the answer is not JSON ({problem}); the URL must serve a JWKS"
            raise TokenConfigError(message) from None

    def _install(self, document: Any) -> None:
        """Replace the keys (and so empty the cache) when `document` holds usable keys that differ from ours."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise TokenConfigError(f'{self._where}: not a JWKS: expected a JSON object with a "keys" list')
        try:
            parsed = jwt.PyJWKSet.from_dict(document)
        except jwt.PyJWTError as exc:
            raise TokenConfigError(f"{self._where}: {exc}") from None
        usable: list[jwt.PyJWK] = []
        skipped: list[str] = []
        for key in parsed.keys:
            problem = self._unusable(key)
            if problem is None:
                usable.append(key)
            else:
                skipped.append(f"{_shown(key.key_id)}: {problem}")
        if not usable:
            reasons = "; ".join(skipped) or "none"
            raise TokenConfigError(f"{self._where}: no usable signing key in the key set ({reasons})")
        fingerprint = hashlib.sha256(json.dumps(document["keys"], sort_keys=True, default=str).encode()).hexdigest()
        if fingerprint == self._keys.fingerprint:
            return
        by_kid: dict[str, list[jwt.PyJWK]] = {}
        for key in usable:
            if isinstance(key.key_id, str):
                by_kid.setdefault(key.key_id, []).append(key)
        self._keys = _KeySet(tuple(usable), {kid: tuple(keys) for kid, keys in by_kid.items()}, fingerprint)
        if skipped:
            log.warning("oidc_jwks_keys_skipped", source=self._where, skipped=skipped)
        log.info("oidc_jwks_loaded", source=self._where, keys=[f"{k.key_id} {k.algorithm_name}" for k in usable])

    def _unusable(self, key: jwt.PyJWK) -> str | None:
        """Why a JWK must not verify tokens, or None."""
        if key.key_type == "oct":
            return "a symmetric (oct) key; a public key set must not hold shared secrets, and they are never accepted"
        if key.public_key_use not in (None, "sig"):
            return f"use={key.public_key_use!r}, not for signatures"
        if hasattr(key.key, "private_bytes"):
            return "it holds a private key; the provider must publish public keys only"
        if key.algorithm_name not in self._algorithms:
            return f"{key.algorithm_name} is not in SCREENING_OIDC_ALGORITHMS ({', '.join(self._algorithms)})"
        bits = getattr(key.key, "key_size", None)
        if key.key_type == "RSA" and isinstance(bits, int) and bits < MIN_RSA_BITS:
            return f"a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required"
        return None

    def _want_refresh(self) -> None:
        """Ask run() for a refresh now, unless one was asked for in the last 30 s."""
        now = time.monotonic()
        if self._refresh_wanted or now - self._last_wanted < MIN_REFRESH_INTERVAL_S:
            return
        self._refresh_wanted = True
        self._last_wanted = now
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)  # verify() may run outside the loop's thread
            except RuntimeError:
                pass  # the loop has closed: run() is over, and a later run() sees _refresh_wanted

    # ------------------------------------------------------------ tokens

    def verify(self, token: str, now: float | None = None) -> Principal:
        """The principal a bearer token names, or AuthError saying why it is refused. CPU only, no I/O.

        `now` (seconds since the epoch) can only make the check stricter: PyJWT checks exp and nbf
        against the clock, and a given `now` is checked as well (cache hits are checked against it).
        """
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise AuthError(
                "malformed_token", f"the bearer token is not a JWT (non-ASCII or over {MAX_TOKEN_CHARS} characters)"
            )
        keys = self._keys
        digest = hashlib.sha256(token.encode("ascii")).digest()
        cached = keys.cache.get(digest)
        if cached is not None:
            try:
                self._check_time(cached.expires_at, None, now)
            except AuthError:
                keys.cache.pop(digest, None)
                raise
            return cached
        principal = self._verify(token, keys, now)
        cache = keys.cache
        while len(cache) >= CACHE_SIZE:
            try:
                cache.popitem(last=False)
            except KeyError:
                break  # another thread emptied it meanwhile
        cache[digest] = principal
        return principal

    def _verify(self, token: str, keys: _KeySet, now: float | None) -> Principal:
        settings = self._settings
        if not keys.keys:
            self._want_refresh()
            raise AuthError(
                "jwks_unavailable",
                f"the identity provider's keys ({VARIABLE}) are not loaded yet, so no token can be checked; "
                "retry shortly",
            )
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError):
            raise AuthError(
                "malformed_token",
                "the bearer token is not a JWT (header.claims.signature in base64url); send the provider's token",
            ) from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            shown = _shown(alg) if isinstance(alg, str) else "no algorithm"
            raise AuthError(
                "disallowed_algorithm",
                f"tokens signed with {shown} are not accepted; accepted: {', '.join(self._algorithms)} "
                "(SCREENING_OIDC_ALGORITHMS)",
            )
        key = self._key_for(keys, header.get("kid"), alg)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_s,
                options={"require": _REQUIRED_CLAIMS},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise self._refusal(exc, token, key) from None
        subject = _claim(claims, settings.subject_claim)
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError(
                "missing_claim",
                f"the token has no {settings.subject_claim!r} claim (a non-empty string naming the caller; "
                "SCREENING_OIDC_SUBJECT_CLAIM)",
            )
        expires_at = float(int(claims["exp"]))  # PyJWT has checked that it is an integer date
        not_before = claims.get("nbf")
        self._check_time(expires_at, float(int(not_before)) if not_before is not None else None, now)
        return Principal(
            name=f"oidc:{subject}",
            roles=_roles(_claim(claims, settings.roles_claim)),
            method="jwt",
            expires_at=expires_at,
        )

    def _key_for(self, keys: _KeySet, kid: Any, alg: str) -> jwt.PyJWK:
        """The key to verify a token with, by its `kid`, or the only key of its algorithm when it names none."""
        if kid is None:
            candidates = [key for key in keys.keys if key.algorithm_name == alg]
            if len(candidates) == 1:
                return candidates[0]
            raise AuthError(
                "unknown_signing_key",
                f"the token names no key id (kid) and the identity provider's key set has {len(candidates)} "
                f"{alg} keys, so none can be chosen; the provider must put kid in its tokens",
            )
        found = keys.by_kid.get(kid) if isinstance(kid, str) else None
        if not found:
            self._want_refresh()
            raise AuthError(
                "unknown_signing_key",
                f"no key with id {_shown(kid)} in the identity provider's key set ({VARIABLE}); "
                "if the provider has just rotated its keys, retry in a minute",
            )
        for key in found:
            if key.algorithm_name == alg:
                return key
        raise AuthError(
            "disallowed_algorithm",
            f"key {_shown(kid)} verifies {found[0].algorithm_name} signatures only, and the token says {alg}",
        )

    def _check_time(self, expires_at: float | None, not_before: float | None, now: float | None) -> None:
        current = time.time() if now is None else now
        leeway = self._settings.leeway_s
        if expires_at is not None and expires_at <= current - leeway:
            raise AuthError(
                "expired_token", f"the token expired at {_utc(expires_at)}; get a new one from the identity provider"
            )
        if not_before is not None and not_before > current + leeway:
            raise AuthError("not_yet_valid", f"the token is not valid before {_utc(not_before)}; check the clocks")

    def _refusal(self, exc: Exception, token: str, key: jwt.PyJWK) -> AuthError:
        """The AuthError for a PyJWT failure; PyJWT's own message is never passed on."""
        settings = self._settings
        if isinstance(exc, jwt.ExpiredSignatureError):
            # PyJWT checks the signature before any claim, so the claims read here are the signed ones.
            expired = _unverified_time(token, "exp")
            when = f" at {_utc(expired)}" if expired is not None else ""
            return AuthError("expired_token", f"the token expired{when}; get a new one from the identity provider")
        if isinstance(exc, jwt.ImmatureSignatureError):
            start = _unverified_time(token, "nbf") or _unverified_time(token, "iat")
            when = f" before {_utc(start)}" if start is not None else " yet"
            return AuthError(
                "not_yet_valid",
                f"the token is not valid{when} (nbf/iat in the future beyond {settings.leeway_s:g} s of leeway); "
                "check the clocks of this host and of the identity provider",
            )
        if isinstance(exc, jwt.InvalidAudienceError):
            return AuthError(
                "wrong_audience",
                f"the token is not for this service: its audience (aud) must be {settings.audience!r} "
                "(SCREENING_OIDC_AUDIENCE); ask the identity provider for a token with that audience",
            )
        if isinstance(exc, jwt.InvalidIssuerError):
            return AuthError(
                "wrong_issuer",
                f"the token comes from another issuer: expected iss {settings.issuer!r} (SCREENING_OIDC_ISSUER)",
            )
        if isinstance(exc, jwt.MissingRequiredClaimError):
            return AuthError(
                "missing_claim",
                f"the token has no {exc.claim!r} claim; tokens must carry {', '.join(_REQUIRED_CLAIMS)}",
            )
        if isinstance(exc, jwt.InvalidSignatureError):
            return AuthError(
                "bad_signature",
                f"the token's signature does not verify with key {_shown(key.key_id)}: "
                "it was not issued by the configured identity provider, or it was altered",
            )
        if isinstance(exc, jwt.InvalidAlgorithmError):
            return AuthError("disallowed_algorithm", f"the token's algorithm does not match key {_shown(key.key_id)}")
        if isinstance(exc, jwt.exceptions.InvalidSubjectError):
            return AuthError("missing_claim", "the token's 'sub' claim must be a string")
        return AuthError(
            "malformed_token", "the bearer token's claims are not valid (a date or a claim has the wrong type)"
        )


# ------------------------------------------------------------ helpers


def _source(jwks: str) -> tuple[str | None, Path | None]:
    """(URL, None) or (None, file path); TokenConfigError for a URL whose keys could be swapped in transit."""
    text = jwks.strip()
    if not text:
        raise TokenConfigError(
            f"{VARIABLE} is empty: set the identity provider's JWKS URL (https://...) or a JWKS file"
        )
    if "://" not in text:
        return None, Path(text).expanduser()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return text, None
    if scheme == "http" and parts.hostname:
        if is_loopback(parts.hostname):
            return text, None
        raise TokenConfigError(
            f"{VARIABLE}={_redact(text)}: plain http:// is accepted only for a loopback host, since keys "
            "fetched in clear text could be swapped on the way (and with them every token accepted); use https://"
        )
    raise TokenConfigError(f"{VARIABLE}={_redact(text)}: use an https:// URL or the path of a JWKS file")


def _check_algorithms(algorithms: tuple[str, ...]) -> tuple[str, ...]:
    """The accepted algorithms, refusing "none", HS* (a public key would become an HMAC secret) and unknown names."""
    known = get_default_algorithms()
    accepted = tuple(dict.fromkeys(a.strip() for a in algorithms if a.strip()))
    if not accepted:
        raise TokenConfigError("SCREENING_OIDC_ALGORITHMS is empty: name the provider's algorithms, e.g. RS256,ES256")
    for alg in accepted:
        if alg.lower() == "none" or alg.upper().startswith("HS"):
            raise TokenConfigError(
                f"SCREENING_OIDC_ALGORITHMS: {alg} is refused: "
                "only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted"
            )
        if alg not in known:
            supported = ", ".join(a for a in known if a != "none" and not a.startswith("HS"))
            raise TokenConfigError(f"SCREENING_OIDC_ALGORITHMS: unknown algorithm {alg!r}; use some of {supported}")
    return accepted


def _stamp(path: Path) -> tuple[int, int, int] | str:
    """What changes when the file is rewritten or replaced, or why it cannot be read."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return (st.st_ino, st.st_size, st.st_mtime_ns)


async def _first_of(stopping: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; dots walk nested objects ("realm_access.roles") unless the name itself is a claim.

    The literal name comes first because namespaced claims are URLs ("https://example.com/roles").
    """
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _roles(value: Any) -> frozenset[str]:
    """Our roles in a claim: a list of strings or one space- or comma-separated string; other names are ignored."""
    if isinstance(value, str):
        names = value.replace(",", " ").split()
    elif isinstance(value, (list, tuple)):
        names = [item.strip() for item in value if isinstance(item, str)]
    else:
        names = []
    return frozenset(name for name in names if name in ROLES)


def _unverified_time(token: str, claim: str) -> float | None:
    """A date claim of a token, for an error message only."""
    try:
        value = jwt.decode(token, options={"verify_signature": False}).get(claim)
        return float(int(value)) if value is not None else None
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def _utc(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "an invalid date"


def _shown(text: Any) -> str:
    """A key id or algorithm name fit for a message: quoted, control characters escaped, truncated."""
    if text is None:
        return "(none)"
    value = str(text)
    return repr(value[:_KID_SHOWN]) + ("..." if len(value) > _KID_SHOWN else "")


def _redact(url: str) -> str:
    """A URL without its user:password, if any (it is logged)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _json_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return type(exc).__name__
