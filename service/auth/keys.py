"""API keys: created, rotated and revoked by an admin, checked in memory on every call.

A key is `scr_` followed by 43 URL-safe characters (32 random bytes). Only the
SHA-256 of the key (hex) is stored: a key carries 256 random bits, so a fast
hash is as safe as a slow password hash here, and it lets the request path find
a key with one dictionary lookup. The first 8 hex digits of that hash are the
key id, shown in listings, logs and error messages: it names a key without
revealing it.

Layout (all keys under `prefix`):

    {prefix}auth:keys             hash: sha256 hex -> JSON ApiKey (never deleted: revoked and expired keys stay)
    {prefix}auth:keys:last-used   hash: sha256 hex -> ISO time of the last use seen by any process
    {prefix}auth:keys:generation  integer, INCR'd by every change to auth:keys
    {prefix}auth:keys:log         stream: one entry per change (create/rotate/revoke), MAXLEN ~ 100000

Every change (create, rotate, revoke) reads the key hash under WATCH and writes
the hash, the generation and the log entry in one MULTI/EXEC: two admins
rotating the same name at once cannot both leave a valid key behind unnoticed,
and the log never disagrees with the hash.

`ApiKeyStore` is the administration side (the `screening keys` command, the
server's first-start bootstrap). `ApiKeyTable` is the request path: every
server process holds all keys in memory, polls the generation every
`refresh_s` and reloads when it moved, so a revocation anywhere takes effect
everywhere within about `refresh_s`. A key it does not know yet is looked up
in Redis once (a key created a moment ago works at once); misses are
remembered briefly so that garbage keys cannot hammer Redis. Last-use times are
kept in memory and flushed every 30 s, so a call never waits for a write.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import os
import random
import re
import secrets
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError, WatchError
from redis.typing import EncodableT, FieldT

from service.auth.principal import ADMIN, ROLES, AuthError, Principal
from service.store.keyspace import AUTH, KeySpace

log = structlog.get_logger(__name__)

KEY_PREFIX = "scr_"
KEY_ID_LENGTH = 8
# "scr_" + token_urlsafe(32): 32 bytes are 43 base64url characters without padding.
KEY_LENGTH = len(KEY_PREFIX) + 43
_KEY_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
MAX_ACTOR_LENGTH = 256
BOOTSTRAP_NAME = "bootstrap-admin"
DEFAULT_GRACE = timedelta(hours=24)
LOG_MAXLEN = 100_000
# Optimistic-transaction attempts before giving up; each round lets at least one writer through.
MAX_ATTEMPTS = 100

# Request path: how long a miss may wait for Redis, how long a miss is remembered, how many.
LOOKUP_TIMEOUT_S = 0.25
MISS_TTL_S = 2.0
MAX_MISSES = 10_000
FLUSH_EVERY_S = 30.0
# A refresh that hangs (Redis unreachable without a reset) must not stall the loop for ever.
REFRESH_TIMEOUT_S = 5.0

# Keeps the later of two last-use times: several processes flush the same key, in any order.
# ISO times written by _iso() all have one width and zone, so string order is time order.
_KEEP_LATEST = """
for i = 1, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if (not old) or old < ARGV[i + 1] then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 0
"""

VALID, EXPIRING, EXPIRED, REVOKED = "valid", "expiring", "expired", "revoked"


class ApiKey(msgspec.Struct, frozen=True):
    """One key's record; the key itself is not in it (only its hash, as the field name)."""

    key_id: str
    name: str
    roles: tuple[str, ...]  # sorted
    created_at: datetime  # UTC
    created_by: str
    # Set when the key was rotated out: it keeps working until then (the grace period).
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str = ""

    def state_at(self, now: datetime) -> str:
        """ "valid", "expiring" (rotated out, still in its grace period), "expired" or "revoked"."""
        if self.revoked_at is not None:
            return REVOKED
        if self.expires_at is not None:
            return EXPIRED if self.expires_at <= now else EXPIRING
        return VALID

    def usable(self, now: datetime) -> bool:
        return self.state_at(now) in (VALID, EXPIRING)


class KeyInfo(ApiKey, frozen=True, kw_only=True):
    """A key as listed: its record, when it was last used (None: never, or not flushed yet), its state."""

    last_used_at: datetime | None = None
    state: str = VALID

    @classmethod
    def of(cls, key: ApiKey, last_used_at: datetime | None, now: datetime) -> KeyInfo:
        return cls(**msgspec.structs.asdict(key), last_used_at=last_used_at, state=key.state_at(now))


class CreatedKey(msgspec.Struct, frozen=True):
    """What create() returns: the key itself (shown once, stored nowhere) and its record."""

    secret: str
    key: ApiKey
    # With rotate=True: the keys of the same name rotated out, with their new expires_at.
    rotated: tuple[ApiKey, ...] = ()

    def __repr__(self) -> str:
        # Never let a debug print or a traceback's locals show the key.
        return f"CreatedKey(key_id={self.key.key_id!r}, name={self.key.name!r}, secret='***')"


class ApiKeyError(ValueError):
    """Invalid input or an impossible change; `argument` names the input at fault ("" if none)."""

    def __init__(self, message: str, argument: str = "") -> None:
        super().__init__(f"{argument}: {message}" if argument else message)
        self.argument = argument
        self.detail = message


class ApiKeyConflictError(RuntimeError):
    """Too many concurrent changes: the optimistic transaction kept losing."""


_DECODER = msgspec.json.Decoder(ApiKey)
# A key log entry's fields, typed as redis-py's XADD takes them.
_LogEntry = dict[FieldT, EncodableT]
# What a change computes from every current key: the records to write and the log entries.
_Change = Callable[[dict[str, ApiKey]], tuple[dict[str, ApiKey], list[_LogEntry]]]


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def key_id_of(digest: str) -> str:
    return digest[:KEY_ID_LENGTH]


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class _Keys:
    """The Redis key names of one prefix; one cluster slot for all (a change writes them in one MULTI)."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        space = KeySpace(client, prefix)
        self.keys = space.key("auth:keys", AUTH)
        self.last_used = space.key("auth:keys:last-used", AUTH)
        self.generation = space.key("auth:keys:generation", AUTH)
        self.log = space.key("auth:keys:log", AUTH)


# ---------------------------------------------------------------- administration


class ApiKeyStore:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._redis = client
        self._k = _Keys(client, prefix)

    async def create(
        self,
        name: str,
        roles: Iterable[str],
        created_by: str,
        *,
        rotate: bool = False,
        grace: timedelta = DEFAULT_GRACE,
        now: datetime | None = None,
    ) -> CreatedKey:
        """A new key for `name`; with `rotate`, the name's valid keys expire after `grace`.

        Old and new key both work during the grace period, so clients switch
        over without downtime; both authenticate as the same principal.
        """
        _check_name(name)
        role_list = _check_roles(roles)
        _check_actor("created_by", created_by)
        if grace < timedelta(0):
            raise ApiKeyError(f"must not be negative, got {grace}; use 0s to stop the old key(s) at once", "grace")
        at = _utc(now)
        secret = new_secret()
        digest = key_hash(secret)
        key = ApiKey(key_id_of(digest), name, role_list, at, created_by)

        def change(existing: dict[str, ApiKey]) -> tuple[dict[str, ApiKey], builtins.list[_LogEntry]]:
            current = {d: k for d, k in existing.items() if k.name == name and k.usable(at)}
            if current and not rotate:
                ids = ", ".join(k.key_id for k in current.values())
                raise ApiKeyError(
                    f"{name!r} already has a valid key (id {ids}): use --rotate (rotate=True) to replace it "
                    "with a grace period, or revoke it first",
                    "name",
                )
            until = at + grace
            rotated = {
                d: msgspec.structs.replace(k, expires_at=min(k.expires_at, until) if k.expires_at else until)
                for d, k in current.items()
            }
            entry = _log_entry("rotate" if rotated else "create", key, created_by, at)
            if rotated:
                entry["replaces"] = ",".join(k.key_id for k in rotated.values())
            return {**rotated, digest: key}, [entry]

        written = await self._change(change)
        rotated = tuple(k for d, k in written.items() if d != digest)
        return CreatedKey(secret, key, tuple(sorted(rotated, key=lambda k: k.created_at)))

    async def revoke(self, name: str, revoked_by: str, key_id: str | None = None, now: datetime | None = None) -> int:
        """Revoke every valid key of `name` (or only the one with `key_id`); returns how many."""
        _check_name(name)
        _check_actor("revoked_by", revoked_by)
        wanted = None if key_id is None else key_id.strip().lower()
        if wanted is not None and not re.fullmatch(r"[0-9a-f]{8}", wanted):
            raise ApiKeyError(f"{key_id!r} is not a key id: the 8 hex digits `screening keys list` shows", "key_id")
        at = _utc(now)

        def change(existing: dict[str, ApiKey]) -> tuple[dict[str, ApiKey], builtins.list[_LogEntry]]:
            targets = {
                d: msgspec.structs.replace(k, revoked_at=at, revoked_by=revoked_by)
                for d, k in existing.items()
                if k.name == name and k.usable(at) and (wanted is None or k.key_id == wanted)
            }
            if not targets:
                message = _nothing_to_revoke(existing.values(), name, wanted, at)
                raise ApiKeyError(message, "key_id" if wanted else "name")
            return targets, [_log_entry("revoke", k, revoked_by, at) for k in targets.values()]

        return len(await self._change(change))

    async def list(self, include_revoked: bool = False, now: datetime | None = None) -> builtins.list[KeyInfo]:
        """Every key (revoked ones only if asked), with last use and state, by name then creation time."""
        at = _utc(now)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._k.keys)
            pipe.hgetall(self._k.last_used)
            raw_keys, raw_used = await pipe.execute()
        keys = _decode_all(raw_keys)
        used = {_text(d): _parse_time(_text(v)) for d, v in raw_used.items()}
        infos = [KeyInfo.of(k, used.get(d), at) for d, k in keys.items()]
        if not include_revoked:
            infos = [i for i in infos if i.state != REVOKED]
        infos.sort(key=lambda i: (i.name, i.created_at, i.key_id))
        return infos

    async def bootstrap_admin(self, path: Path, created_by: str) -> Path | None:
        """On a Redis without any key, create an admin key and write it to `path` (mode 0600).

        Several server processes may start at once: the key hash is WATCHed and
        the key is created only if the hash is still empty at EXEC, so exactly
        one process wins and writes the file; the others return None. (WATCH
        rather than a lock key: a process killed while holding a lock would
        block the bootstrap until the lock expired.) The temporary file is made
        before Redis is touched, so an unwritable directory fails without
        leaving a key nobody has.
        """
        _check_actor("created_by", created_by)
        if await self._redis.exists(self._k.keys):
            return None
        tmp = await asyncio.to_thread(_temp_file_beside, path)
        leftover: Path | None = tmp  # removed on the way out unless it became the key file
        try:
            secret = new_secret()
            digest = key_hash(secret)
            at = datetime.now(UTC)
            key = ApiKey(key_id_of(digest), BOOTSTRAP_NAME, (ADMIN,), at, created_by)

            def change(existing: dict[str, ApiKey]) -> tuple[dict[str, ApiKey], builtins.list[_LogEntry]]:
                if existing:
                    raise _AlreadyBootstrapped
                return {digest: key}, [_log_entry("create", key, created_by, at)]

            try:
                await self._change(change)
            except _AlreadyBootstrapped:
                return None
            try:
                await asyncio.to_thread(_finish_file, tmp, path, secret)
            except OSError:
                # Nobody can have the key now: remove it, so that the next start bootstraps again.
                await self._undo_bootstrap(digest, key, created_by)
                raise
            leftover = None
            log.info("api_key_bootstrapped", name=BOOTSTRAP_NAME, key_id=key.key_id, path=str(path))
            return path
        finally:
            if leftover is not None:
                leftover.unlink(missing_ok=True)

    async def _undo_bootstrap(self, digest: str, key: ApiKey, by: str) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self._k.keys, digest)
                pipe.incr(self._k.generation)
                entry = _log_entry("revoke", key, by, datetime.now(UTC))
                entry["note"] = "bootstrap key file could not be written; key removed"
                pipe.xadd(self._k.log, entry, maxlen=LOG_MAXLEN, approximate=True)
                await pipe.execute()
        except RedisError as exc:
            log.warning("api_key_bootstrap_undo_failed", key_id=key.key_id, error=_describe(exc))

    async def _change(self, change: _Change) -> dict[str, ApiKey]:
        """Read all keys under WATCH, let `change` compute the records to write, write them with the
        generation and log entries if nobody changed the hash meanwhile; retry otherwise."""
        for attempt in range(MAX_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self._k.keys)
                    existing = _decode_all(await pipe.hgetall(self._k.keys))
                    writes, entries = change(existing)
                    pipe.multi()
                    pipe.hset(self._k.keys, mapping={d: msgspec.json.encode(k) for d, k in writes.items()})
                    pipe.incr(self._k.generation)
                    for entry in entries:
                        pipe.xadd(self._k.log, entry, maxlen=LOG_MAXLEN, approximate=True)
                    await pipe.execute()
                    return writes
                except WatchError:
                    # Lost the race; a short jittered pause keeps processes from colliding in lockstep.
                    await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * (attempt + 1))))
        raise ApiKeyConflictError(f"API key change lost {MAX_ATTEMPTS} concurrent-write races; try again")


# ---------------------------------------------------------------- request path


class ApiKeyTable:
    """All keys in memory, kept current by follow(); authenticate() is the per-call check."""

    def __init__(self, client: aioredis.Redis, prefix: str, refresh_s: float = 1.0) -> None:
        self._redis = client
        self._k = _Keys(client, prefix)
        self._refresh_s = refresh_s
        self._keys: dict[str, tuple[ApiKey, Principal]] = {}
        self._generation: int | None = None
        # sha256 -> latest use not yet flushed; bounded by the number of usable keys.
        self._last_used: dict[str, datetime] = {}
        # sha256 -> monotonic time until which it is known unknown; insertion order is expiry order.
        # Oldest first; an OrderedDict drops its oldest in O(1), where a dict scans past its deleted keys.
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._keep_latest = client.register_script(_KEEP_LATEST)

    def __len__(self) -> int:
        return len(self._keys)

    async def load(self) -> None:
        """Load every key; the generation is read in the same transaction, so no change is missed."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._k.generation)
            pipe.hgetall(self._k.keys)
            generation, raw = await pipe.execute()
        self._keys = {d: (k, _principal(k)) for d, k in _decode_all(raw).items()}
        self._generation = int(generation or 0)

    async def refresh(self) -> bool:
        """Reload if the generation moved since the last load; returns whether it did."""
        generation = int(await self._redis.get(self._k.generation) or 0)
        if generation == self._generation:
            return False
        await self.load()
        return True

    async def follow(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set: refresh every `refresh_s`, flush last-use times every 30 s (and at the end).

        A Redis failure is logged and the table already in memory keeps serving.
        """
        next_flush = time.monotonic() + FLUSH_EVERY_S
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), self._refresh_s)
                break
            except TimeoutError:
                pass
            try:
                await asyncio.wait_for(self.refresh(), REFRESH_TIMEOUT_S)
                if time.monotonic() >= next_flush:
                    next_flush = time.monotonic() + FLUSH_EVERY_S
                    await asyncio.wait_for(self.flush_last_used(), REFRESH_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 - the loop must survive; the table in memory keeps serving
                log.warning("api_keys_refresh_failed", error=_describe(exc))
        try:
            await asyncio.wait_for(self.flush_last_used(), REFRESH_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - stopping anyway; only last-use times are lost
            log.warning("api_keys_last_used_flush_failed", error=_describe(exc))

    async def authenticate(self, secret: str, now: datetime | None = None) -> Principal:
        """The principal of an API key, or AuthError ("unknown_key", "revoked_key", "expired_key").

        A known key is checked without any I/O. The messages name the key by
        its id (and name, once found), never by the key itself.
        """
        digest = key_hash(secret)
        found = self._keys.get(digest)
        if found is None:
            found = await self._lookup(digest, secret)
        key, principal = found
        at = datetime.now(UTC) if now is None else now
        if key.revoked_at is not None:
            raise AuthError(
                "revoked_key",
                f"API key {key.name!r} (id {key.key_id}) was revoked at {_show(key.revoked_at)}: "
                "ask an admin for a new one",
            )
        if key.expires_at is not None and key.expires_at <= at:
            raise AuthError(
                "expired_key",
                f"API key {key.name!r} (id {key.key_id}) expired at {_show(key.expires_at)}: "
                "it was rotated out; use its replacement",
            )
        self._last_used[digest] = at
        return principal

    async def _lookup(self, digest: str, secret: str) -> tuple[ApiKey, Principal]:
        """A key not in memory: maybe created since the last load. One bounded Redis read, misses remembered."""
        unknown = AuthError(
            "unknown_key",
            f"unknown API key (id {key_id_of(digest)}): ask an admin for one (`screening keys create`)",
        )
        # Not of our format: no need to ask Redis.
        if len(secret) != KEY_LENGTH or not secret.startswith(KEY_PREFIX) or not _KEY_CHARS.fullmatch(secret):
            raise unknown
        clock = time.monotonic()
        if self._misses.get(digest, 0.0) > clock:
            raise unknown
        try:
            raw = await asyncio.wait_for(self._redis.hget(self._k.keys, digest), LOOKUP_TIMEOUT_S)
            key = _DECODER.decode(raw) if raw else None
        except (RedisError, OSError, TimeoutError, msgspec.DecodeError) as exc:
            # Refusing is the safe answer; the warning says why (a key id is not a secret).
            log.warning("api_key_lookup_failed", key_id=key_id_of(digest), error=_describe(exc))
            key = None
        if key is None:
            self._remember_miss(digest, clock)
            raise unknown
        found = (key, _principal(key))
        self._keys[digest] = found
        return found

    def _remember_miss(self, digest: str, clock: float) -> None:
        misses = self._misses
        misses.pop(digest, None)
        # Oldest first: drop expired entries, and the oldest live ones when full.
        while misses:
            oldest, until = next(iter(misses.items()))
            if until > clock and len(misses) < MAX_MISSES:
                break
            del misses[oldest]
        misses[digest] = clock + MISS_TTL_S

    async def flush_last_used(self) -> None:
        """Write the last-use times seen since the last flush (one script call; later times win)."""
        if not self._last_used:
            return
        pending, self._last_used = self._last_used, {}
        args: builtins.list[str] = []
        for digest, at in pending.items():
            args += [digest, _iso(at)]
        try:
            await self._keep_latest(keys=[self._k.last_used], args=args)
        except BaseException:
            # Keep them for the next flush; uses recorded meanwhile are later, so they win.
            for digest, at in pending.items():
                self._last_used.setdefault(digest, at)
            raise


# ---------------------------------------------------------------- helpers


class _AlreadyBootstrapped(Exception):
    pass


def _principal(key: ApiKey) -> Principal:
    # Same name for every key of one name: a rotation does not change who the caller is.
    return Principal(name=f"key:{key.name}", roles=frozenset(key.roles), method="api_key")


def _decode_all(raw: dict[bytes | str, bytes | str]) -> dict[str, ApiKey]:
    keys: dict[str, ApiKey] = {}
    for field, value in raw.items():
        digest = _text(field)
        try:
            keys[digest] = _DECODER.decode(value)
        except msgspec.DecodeError as exc:
            # One damaged record must not lock every caller out; it is skipped (and is no valid key).
            log.warning("api_key_record_invalid", key_id=key_id_of(digest), error=str(exc))
    return keys


def _log_entry(action: str, key: ApiKey, by: str, at: datetime) -> _LogEntry:
    return {"action": action, "name": key.name, "key_id": key.key_id, "by": by, "at": _iso(at)}


def _nothing_to_revoke(keys: Iterable[ApiKey], name: str, key_id: str | None, now: datetime) -> str:
    same = sorted((k for k in keys if k.name == name), key=lambda k: k.created_at)
    if not same:
        return f"no key named {name!r}; `screening keys list` shows the names"
    described = ", ".join(f"{k.key_id} ({k.state_at(now)})" for k in same)
    wanted = f"no valid key {key_id} of {name!r}" if key_id else f"no valid key of {name!r}"
    return f"{wanted} to revoke; its keys: {described}"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ApiKeyError(f"{name!r} is not valid: use 1-64 letters, digits, '.', '_', '@' or '-'", "name")


def _check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    if isinstance(roles, str):
        raise ApiKeyError(f"pass a list of role names, not the string {roles!r}", "roles")
    wanted = set(roles)
    if not wanted:
        raise ApiKeyError(f"at least one is needed; roles: {', '.join(ROLES)}", "roles")
    unknown = sorted(str(r) for r in wanted if r not in ROLES)
    if unknown:
        raise ApiKeyError(f"unknown role(s) {', '.join(map(repr, unknown))}; roles: {', '.join(ROLES)}", "roles")
    return tuple(sorted(wanted))


def _check_actor(argument: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ACTOR_LENGTH:
        raise ApiKeyError(f"must be a non-empty string of at most {MAX_ACTOR_LENGTH} characters", argument)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    # A naive time is ambiguous in an audit record; refuse it rather than guess the zone.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ApiKeyError("must be timezone-aware", "now")
    return now.astimezone(UTC)


def _iso(at: datetime) -> str:
    # Fixed width and zone, so that string order is time order (see _KEEP_LATEST).
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _show(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _temp_file_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600 from the start: the key is never readable by others.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def _finish_file(tmp: Path, path: Path, secret: str) -> None:
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
