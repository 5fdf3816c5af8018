"""Downloading lists over real HTTP and publishing them into a real Redis.

A ThreadingHTTPServer on a loopback port serves the fixture files; each test
scripts per-path responses (status codes, bodies, redirects) to exercise
optional files, retries and the fall-back from one format to the next. The
only thing patched is the retry back-off sleep inside service.refresh.fetch,
so retry tests don't wait 2 s + 4 s; its arguments are recorded and asserted.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from service.catalog import Catalog, load_catalog
from service.refresh import fetch
from service.refresh.fetch import read_directory
from service.refresh.publisher import Outcome, parse_fetched
from service.refresh.runner import refresh_lists
from service.store.snapshots import SnapshotStore
from tests.conftest import FIXTURES

LIST_ID = "ofac_sdn"
CSV_DIR = FIXTURES / "ofac_sdn"
XML_DIR = FIXTURES / "ofac_sdn_xml"
CSV_FILES = ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"]  # catalogue order: required, then optional
PLACEHOLDER_BASE = "http://127.0.0.1:9"

Response = tuple[int, bytes] | tuple[int, bytes, dict[str, str]]


class Origin:
    """A scripted HTTP origin.

    `files` maps a path to bytes served with 200 every time. `scripts` maps a
    path to a list of responses consumed in order; the last one repeats. Paths
    in neither answer 404. Every request's path and User-Agent is recorded.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.scripts: dict[str, list[Response]] = {}
        self.requests: list[tuple[str, str]] = []
        self.base_url = ""
        self._lock = threading.Lock()

    def serve_fixtures(self) -> None:
        for name in CSV_FILES:
            self.files[f"/{name}"] = (CSV_DIR / name).read_bytes()
        self.files["/SDN.XML"] = (XML_DIR / "SDN.XML").read_bytes()

    def script(self, path: str, *responses: Response) -> None:
        self.scripts[path] = list(responses)

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def hits(self, path: str) -> int:
        return sum(1 for requested, _ in self.requests if requested == path)

    def respond(self, path: str, user_agent: str) -> Response:
        with self._lock:
            self.requests.append((path, user_agent))
            script = self.scripts.get(path)
            if script:
                return script.pop(0) if len(script) > 1 else script[0]
            if path in self.files:
                return (200, self.files[path])
            return (404, b"not found")


@pytest.fixture
def origin() -> Iterator[Origin]:
    state = Origin()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            response = state.respond(self.path, self.headers.get("User-Agent", ""))
            status, body = response[0], response[1]
            headers = response[2] if len(response) > 2 else {}  # type: ignore[misc]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fixture-origin", daemon=True
    )
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; loopback requests must go straight to the origin."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make fetch's retry back-off instant and record the delays it asked for."""
    recorded: list[float] = []

    async def no_wait(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(fetch, "asyncio", types.SimpleNamespace(sleep=no_wait))
    return recorded


@pytest.fixture
def catalog(origin: Origin, tmp_path: Path) -> Catalog:
    text = (FIXTURES / "sources.toml").read_text()
    assert text.count(PLACEHOLDER_BASE) == 5
    path = tmp_path / "sources.toml"
    path.write_text(text.replace(PLACEHOLDER_BASE, origin.base_url))
    return load_catalog(path)


def fixture_version(directory: Path, catalog: Catalog) -> str:
    fetched = read_directory(catalog.get(LIST_ID), directory)
    assert fetched is not None
    return fetched.version


async def keys_under(redis_client: aioredis.Redis, key_prefix: str) -> list[bytes]:
    return [key async for key in redis_client.scan_iter(match=f"{key_prefix}*")]


# ---------------------------------------------------------------- tests


async def test_refresh_downloads_and_publishes_the_csv_set(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()

    [result] = await refresh_lists(store, catalog)

    assert result.list_id == LIST_ID
    assert result.outcome is Outcome.PUBLISHED, result.message
    assert result.entry_count == 7
    # The same bytes as the fixture directory give the same content version.
    assert result.version == fixture_version(CSV_DIR, catalog)
    meta = await store.current(LIST_ID)
    assert meta is not None
    assert (meta.version, meta.entry_count, meta.format) == (result.version, 7, "ofac_legacy_csv")
    assert meta.origin == ", ".join(origin.url(name) for name in CSV_FILES)
    assert sorted(f.name for f in meta.files) == sorted(CSV_FILES)
    assert origin.url("sdn.csv") in result.message
    fetched_at = meta.fetched_at
    assert abs((datetime.now(UTC) - fetched_at).total_seconds()) < 60

    entries = await store.load_entries(LIST_ID, meta.version)
    from_dir = read_directory(catalog.get(LIST_ID), CSV_DIR)
    assert from_dir is not None
    assert entries == list(parse_fetched(from_dir).entries)

    # Each file fetched once, the XML fall-back never touched, no retries.
    assert sorted(path for path, _ in origin.requests) == sorted(f"/{name}" for name in CSV_FILES)
    assert sleeps == []
    assert {agent for _, agent in origin.requests} == {fetch.USER_AGENT}
    assert (await store.status(LIST_ID)).last_error == ""


async def test_second_refresh_with_the_same_files_is_unchanged(
    store: SnapshotStore, catalog: Catalog, origin: Origin
) -> None:
    origin.serve_fixtures()
    [first] = await refresh_lists(store, catalog)
    [second] = await refresh_lists(store, catalog)
    assert first.outcome is Outcome.PUBLISHED
    assert second.outcome is Outcome.UNCHANGED
    assert second.version == first.version
    assert await store.versions(LIST_ID) == [first.version]


async def test_alt_csv_404_on_a_web_mirror_is_rejected_unless_forced(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()
    [good] = await refresh_lists(store, catalog, source_dir=origin.base_url)
    origin.script("/alt.csv", (404, b"gone"))
    origin.script("/SDN.XML", (404, b"gone"))  # a mirror of the CSV set only

    [result] = await refresh_lists(store, catalog, source_dir=origin.base_url)

    # alt.csv is required: without it "NATIONAL BANK OF CUBA" (an a.k.a. of entry 306) would go.
    assert result.outcome is Outcome.REJECTED, result.message
    assert result.message.startswith(
        f"alt.csv: a required file of the ofac_legacy_csv set is missing ({origin.url('alt.csv')}: HTTPStatusError: "
        "Client error '404 Not Found'"
    )
    assert "rerun with --force" in result.message
    assert result.version == good.version
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good.version
    assert (await store.status(LIST_ID)).last_error == result.message.split(" (from ")[0]
    # A 404 is final: not retried.
    assert origin.hits("/alt.csv") == 2 and sleeps == []

    [forced] = await refresh_lists(store, catalog, source_dir=origin.base_url, force=True)

    assert forced.outcome is Outcome.PUBLISHED, forced.message
    assert forced.entry_count == 7
    assert forced.version != fixture_version(CSV_DIR, catalog)  # the file set differs
    meta = await store.current(LIST_ID)
    assert meta is not None and meta.version == forced.version
    assert sorted(f.name for f in meta.files) == ["add.csv", "sdn.csv", "sdn_comments.csv"]
    assert meta.origin == ", ".join(origin.url(n) for n in ["sdn.csv", "add.csv", "sdn_comments.csv"])
    assert origin.url("alt.csv") not in meta.origin
    assert any(note.startswith("alt.csv: a required file") and "(--force)" in note for note in meta.notes)
    entries = {e.entry_id: e for e in await store.load_entries(LIST_ID, meta.version)}
    names_306 = [n.value for n in entries["306"].names]
    assert names_306[0] == "BANCO NACIONAL DE CUBA"
    assert "NATIONAL BANK OF CUBA" not in names_306  # that a.k.a. only comes from alt.csv
    assert entries["306"].addresses  # add.csv was still used
    assert sleeps == []


async def test_alt_csv_404_falls_back_to_the_complete_xml_edition(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()
    origin.script("/alt.csv", (404, b"gone"))

    [first] = await refresh_lists(store, catalog)

    # Nothing serves yet: the complete XML edition is taken, and why the CSV set was not is noted.
    assert first.outcome is Outcome.PUBLISHED, first.message
    meta = await store.current(LIST_ID)
    assert meta is not None and (meta.format, meta.entry_count) == ("ofac_sdn_xml", 3)
    assert any(
        note.startswith(f"ofac_legacy_csv not taken: {origin.url('alt.csv')}: HTTPStatusError") for note in meta.notes
    ), meta.notes
    assert origin.hits("/alt.csv") == 1 and sleeps == []


async def test_alt_csv_404_while_the_csv_set_serves_is_rejected_naming_it(
    store: SnapshotStore, catalog: Catalog, origin: Origin
) -> None:
    origin.serve_fixtures()
    [good] = await refresh_lists(store, catalog)
    origin.script("/alt.csv", (404, b"gone"))

    [result] = await refresh_lists(store, catalog)

    # The XML edition would change the format (and shrink the fixture list): rejected, and the reason
    # the CSV set was passed over is part of the message.
    assert result.outcome is Outcome.REJECTED, result.message
    assert "--force" in result.message
    assert f"ofac_legacy_csv not taken: {origin.url('alt.csv')}: HTTPStatusError: Client error '404" in result.message
    assert (await store.current(LIST_ID)).version == good.version  # type: ignore[union-attr]


async def test_optional_comments_file_404_is_rejected_once_a_version_had_it(
    store: SnapshotStore, catalog: Catalog, origin: Origin
) -> None:
    origin.serve_fixtures()
    [good] = await refresh_lists(store, catalog)
    origin.script("/sdn_comments.csv", (404, b"gone"))

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.REJECTED, result.message
    assert result.message.startswith(
        f"sdn_comments.csv: the serving version was built with it, this update lacks it ({origin.url('sdn_comments.csv')}"
    )
    assert (await store.current(LIST_ID)).version == good.version  # type: ignore[union-attr]
    [forced] = await refresh_lists(store, catalog, force=True)
    assert forced.outcome is Outcome.PUBLISHED and forced.entry_count == 7


async def test_required_file_is_retried_after_server_errors(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()
    sdn = origin.files["/sdn.csv"]
    origin.script("/sdn.csv", (500, b"oops"), (500, b"oops again"), (200, sdn))

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.PUBLISHED, result.message
    assert result.entry_count == 7
    assert result.version == fixture_version(CSV_DIR, catalog)
    meta = await store.current(LIST_ID)
    assert meta is not None and meta.format == "ofac_legacy_csv"
    assert origin.hits("/sdn.csv") == 3
    assert origin.hits("/SDN.XML") == 0
    assert sleeps == [2.0, 4.0]  # exponential back-off between the attempts


async def test_server_errors_on_every_attempt_fall_back_to_the_next_format(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()
    origin.script("/sdn.csv", (503, b"unavailable"))

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.PUBLISHED, result.message
    assert result.entry_count == 3
    assert origin.hits("/sdn.csv") == fetch.DOWNLOAD_ATTEMPTS == 3
    assert sleeps == [2.0, 4.0]
    meta = await store.current(LIST_ID)
    assert meta is not None and meta.format == "ofac_sdn_xml"


async def test_csv_404_falls_back_to_the_xml_format(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()
    del origin.files["/sdn.csv"]

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.PUBLISHED, result.message
    assert result.entry_count == 3
    assert result.version == fixture_version(XML_DIR, catalog)
    meta = await store.current(LIST_ID)
    assert meta is not None
    assert (meta.format, meta.entry_count) == ("ofac_sdn_xml", 3)
    assert meta.origin == origin.url("SDN.XML")
    assert [f.name for f in meta.files] == ["SDN.XML"]
    assert meta.published_at == datetime(2023, 12, 28, tzinfo=UTC)
    entries = await store.load_entries(LIST_ID, meta.version)
    assert "MADURO MOROS, Nicolas" in {e.primary_name for e in entries}
    # The required file failed first, so the CSV format's optional files were never fetched.
    assert [path for path, _ in origin.requests] == ["/sdn.csv", "/SDN.XML"]
    assert sleeps == []


async def test_redirects_are_followed(store: SnapshotStore, catalog: Catalog, origin: Origin) -> None:
    origin.serve_fixtures()
    origin.files["/mirror/sdn.csv"] = origin.files.pop("/sdn.csv")
    origin.script("/sdn.csv", (302, b"", {"Location": f"{origin.base_url}/mirror/sdn.csv"}))

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.PUBLISHED, result.message
    assert result.version == fixture_version(CSV_DIR, catalog)
    assert origin.hits("/mirror/sdn.csv") == 1


async def test_all_formats_failing_keeps_the_previous_version(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    origin.serve_fixtures()
    [good] = await refresh_lists(store, catalog)
    assert good.outcome is Outcome.PUBLISHED
    origin.script("/sdn.csv", (404, b"gone"))
    origin.script("/SDN.XML", (500, b"broken"))

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.FAILED
    assert result.version == good.version
    assert result.entry_count == 0
    assert "no format could be downloaded" in result.message
    status = await store.status(LIST_ID)
    assert status.last_error == result.message
    assert "ofac_legacy_csv" in status.last_error and "ofac_sdn_xml" in status.last_error
    assert origin.url("sdn.csv") in status.last_error and "404" in status.last_error
    assert origin.url("SDN.XML") in status.last_error and "500" in status.last_error
    assert status.last_success_at is not None and status.last_attempt_at is not None
    assert status.last_attempt_at > status.last_success_at
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good.version and current.entry_count == 7
    assert await store.versions(LIST_ID) == [good.version]
    assert origin.hits("/SDN.XML") == 3  # 5xx retried
    assert sleeps == [2.0, 4.0]


async def test_all_formats_failing_with_nothing_stored(
    store: SnapshotStore, catalog: Catalog, origin: Origin, sleeps: list[float]
) -> None:
    # The origin serves nothing at all.
    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.FAILED
    assert result.version == ""
    assert await store.current(LIST_ID) is None
    assert await store.versions(LIST_ID) == []
    assert "404" in (await store.status(LIST_ID)).last_error


async def test_unreachable_origin_fails_after_retries(
    store: SnapshotStore, test_catalog: Catalog, sleeps: list[float]
) -> None:
    # tests/fixtures/sources.toml points at port 9 (discard), where nothing listens.
    [result] = await refresh_lists(store, test_catalog)

    assert result.outcome is Outcome.FAILED
    assert await store.current(LIST_ID) is None
    assert f"{PLACEHOLDER_BASE}/sdn.csv" in result.message
    assert f"{PLACEHOLDER_BASE}/SDN.XML" in result.message
    # Connection errors are retried: two back-offs per format.
    assert sleeps == [2.0, 4.0, 2.0, 4.0]


async def test_truncated_download_is_rejected_and_previous_version_kept(
    store: SnapshotStore, catalog: Catalog, origin: Origin
) -> None:
    origin.serve_fixtures()
    [good] = await refresh_lists(store, catalog)
    rows = origin.files["/sdn.csv"].split(b"\r\n")
    origin.files["/sdn.csv"] = b"\r\n".join(rows[:2]) + b"\r\n\x1a"

    [result] = await refresh_lists(store, catalog)

    assert result.outcome is Outcome.REJECTED
    assert result.version == good.version
    assert "below the floor of 3" in result.message
    assert origin.url("sdn.csv") in result.message  # "(from <urls>)"
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good.version
    assert await store.versions(LIST_ID) == [good.version]
    assert "floor" in (await store.status(LIST_ID)).last_error


async def test_empty_source_dir_is_skipped_and_nothing_stored(
    store: SnapshotStore,
    catalog: Catalog,
    origin: Origin,
    tmp_path: Path,
    redis_client: aioredis.Redis,
    key_prefix: str,
) -> None:
    origin.serve_fixtures()
    empty = tmp_path / "empty"
    empty.mkdir()

    [result] = await refresh_lists(store, catalog, source_dir=empty)

    assert result.outcome is Outcome.SKIPPED
    assert result.version == ""
    assert str(empty) in result.message
    assert await store.current(LIST_ID) is None
    assert await store.versions(LIST_ID) == []
    assert await keys_under(redis_client, key_prefix) == []  # not even a status record or a stale lock
    assert origin.requests == []  # an offline mirror never touches the network


async def test_source_dir_publishes_and_only_if_missing_keeps_it(
    store: SnapshotStore, catalog: Catalog, origin: Origin, tmp_path: Path
) -> None:
    [from_dir] = await refresh_lists(store, catalog, source_dir=CSV_DIR)
    assert from_dir.outcome is Outcome.PUBLISHED
    assert from_dir.entry_count == 7
    meta = await store.current(LIST_ID)
    assert meta is not None and meta.origin == str(CSV_DIR.resolve())

    [again] = await refresh_lists(store, catalog, source_dir=XML_DIR, only_if_missing=True)
    assert again.outcome is Outcome.UNCHANGED
    assert again.version == from_dir.version
    assert (await store.current(LIST_ID)).version == from_dir.version  # type: ignore[union-attr]

    [missing] = await refresh_lists(store, catalog, source_dir=tmp_path / "does-not-exist")
    assert missing.outcome is Outcome.FAILED
    assert "not a directory" in missing.message
    assert (await store.current(LIST_ID)).version == from_dir.version  # type: ignore[union-attr]
    assert origin.requests == []
