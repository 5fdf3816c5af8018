"""Console sign-ins: a random session id in an HttpOnly cookie, the credential kept in this process only.

The console acts as the principal who signed in: each page calls the service with that person's
own credential (an API key or an identity-provider token), so roles, rate limits, four eyes and
audit records are theirs. The credential never goes back to the browser, nor to Redis (API keys
are stored hashed there; a session must not undo that): it lives in this server process's memory
for the session's life. Behind several worker processes, sign-in holds per process; a load
balancer with session affinity keeps a browser on one (README, "The console").
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

# A session ends after this long without a request, and this long after sign-in whatever happens.
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 60 * 60
# Sessions one process keeps; the oldest goes first beyond this.
MAX_SESSIONS = 10_000


@dataclass
class Session:
    authorization: str  # "Bearer <credential>", as a client would send it
    principal: str
    roles: frozenset[str]
    started: float
    seen: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # On the store's clock: when the credential itself stops being valid (a token's expiry); None for keys.
    ends: float | None = None


class SessionStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._clock = clock

    def create(
        self, authorization: str, principal: str, roles: frozenset[str], expires_at: float | None = None
    ) -> tuple[str, Session]:
        """`expires_at`: the credential's expiry (seconds since the epoch), after which the session ends too."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        ends = now + (expires_at - time.time()) if expires_at is not None else None
        session = Session(authorization, principal, roles, started=now, seen=now, ends=ends)
        self._sessions[session_id] = session
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of this id, its idle clock restarted; None when unknown or expired."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._clock()
        expired = session.ends is not None and now >= session.ends
        if expired or now - session.seen > IDLE_SECONDS or now - session.started > ABSOLUTE_SECONDS:
            del self._sessions[session_id]
            return None
        session.seen = now
        self._sessions.move_to_end(session_id)
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)
