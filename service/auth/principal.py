"""The authenticated caller of one request, and why a credential was refused."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

# The roles of lists/roles.toml. `admin` may call everything.
SCREENER = "screener"
REVIEWER = "reviewer"
REGISTRAR = "registrar"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (SCREENER, REVIEWER, REGISTRAR, AUDITOR, ADMIN)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated identity: what audit records, dispositions and logs name.

    `name` is unique per identity and stable across credentials of the same
    identity (two API keys of one name during a rotation are one principal):
    "key:<key name>", "oidc:<subject>", "cert:<certificate subject>", or
    "anonymous" when authentication is off (loopback only).
    """

    name: str
    roles: frozenset[str]
    # How the caller proved who it is: "api_key", "jwt", "mtls" or "none".
    method: str
    # Seconds since the epoch after which the credential is no longer valid (tokens), else None.
    expires_at: float | None = field(default=None, compare=False)

    def has_any(self, roles: frozenset[str]) -> bool:
        return ADMIN in self.roles or not self.roles.isdisjoint(roles)


# With authentication off every caller is this one principal, allowed every method.
# Four eyes still apply: it can never approve its own dispositions.
ANONYMOUS = Principal("anonymous", frozenset({ADMIN}), "none")


def local_operator() -> Principal:
    """The operator running a CLI command that writes to Redis directly (keys, imports).

    Whoever can reach Redis can change anything, so these commands act as admin;
    what they write still names the operating-system user and host.
    """
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers with arbitrary uids)
        user = "uid-unknown"
    return Principal(f"local:{user}@{socket.gethostname()}", frozenset({ADMIN}), "none")


# Set by the auth interceptor for the duration of one call.
current_principal: ContextVar[Principal] = ContextVar("current_principal", default=ANONYMOUS)


class AuthError(Exception):
    """A credential was missing, malformed or not valid: UNAUTHENTICATED.

    `reason` is a short fixed token for counting and logs ("expired",
    "wrong_audience", ...); `message` says what was wrong and what to do, and
    never contains the credential itself.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)
