"""The refresher against a real HTTP origin on loopback that behaves like a publisher.

The origin serves the fixture files with ETag and Last-Modified, answers
conditional requests with 304, and can be told to fail in the ways publishers
do: 500s, stalls past the client timeout, truncated bodies, HTML error pages.
After every failure the last good version must still be the one serving.
"""

from __future__ import annotations

import hashlib
import threading
import time
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from service.catalog import Catalog, load_catalog
from service.refresh import fetch
from service.refresh.publisher import Outcome
from service.refresh.runner import refresh_lists
from service.store.snapshots import SnapshotStore
from tests.conftest import FIXTURES

LIST_ID = "ofac_sdn"
CSV_FILES = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
LAST_MODIFIED = "Thu, 28 Dec 2023 15:00:00 GMT"


class Publisher:
    def __init__(self) -> None:
        self.files = {f"/{name}": (FIXTURES / "ofac_sdn" / name).read_bytes() for name in CSV_FILES}
        self.files["/SDN.XML"] = (FIXTURES / "ofac_sdn_xml" / "SDN.XML").read_bytes()
        # path -> "500" | "stall" | "truncate" | "html"; applies to every request of that path.
        self.failures: dict[str, str] = {}
        self.log: list[tuple[str, int]] = []
        self.base_url = ""

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'

    def hits(self, path: str, status: int | None = None) -> int:
        return sum(1 for p, s in self.log if p == path and (status is None or s == status))


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    state = Publisher()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path
            failure = state.failures.get(path)
            if path not in state.files:
                return self._send(path, 404, b"not found")
            body = state.files[path]
            if failure == "500":
                return self._send(path, 500, b"Internal Server Error")
            if failure == "stall":
                time.sleep(1.5)  # the test client's timeout is 0.5 s
                return self._send(path, 200, body)
            if failure == "html":
                return self._send(path, 200, b"<!DOCTYPE html><html><body>Service Unavailable</body></html>")
            if failure == "truncate":
                state.log.append((path, 200))
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])  # then the connection closes
                self.close_connection = True
                return None
            if self.headers.get("If-None-Match") == state.etag(path):
                return self._send(path, 304, b"")
            return self._send(path, 200, body, {"ETag": state.etag(path), "Last-Modified": LAST_MODIFIED})

        def _send(self, path: str, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            state.log.append((path, status))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(delay: float) -> None:
        return None

    monkeypatch.setattr(fetch, "asyncio", types.SimpleNamespace(sleep=no_wait))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def catalog(publisher: Publisher, tmp_path: Path) -> Catalog:
    path = tmp_path / "sources.toml"
    path.write_text((FIXTURES / "sources.toml").read_text().replace("http://127.0.0.1:9", publisher.base_url))
    return load_catalog(path)


async def refresh(store: SnapshotStore, catalog: Catalog) -> tuple[Outcome, str, str]:
    [result] = await refresh_lists(store, catalog, [LIST_ID], download_timeout_s=0.5)
    return result.outcome, result.version, result.message


async def test_conditional_requests_get_304_and_publish_nothing(
    store: SnapshotStore, catalog: Catalog, publisher: Publisher
) -> None:
    first = await refresh(store, catalog)
    assert first[0] is Outcome.PUBLISHED
    second = await refresh(store, catalog)
    assert second[0] is Outcome.UNCHANGED and second[1] == first[1]
    assert "HTTP 304" in second[2]
    assert all(publisher.hits(f"/{name}", 304) == 1 for name in CSV_FILES)
    assert (await store.status(LIST_ID)).last_success_at is not None


async def test_one_changed_file_refetches_the_unchanged_ones_and_publishes(
    store: SnapshotStore, catalog: Catalog, publisher: Publisher
) -> None:
    first = await refresh(store, catalog)
    publisher.files["/alt.csv"] = publisher.files["/alt.csv"].replace(b"AERO-CARIBBEAN", b"AERO CARIBE")
    outcome, version, _ = await refresh(store, catalog)
    assert outcome is Outcome.PUBLISHED and version != first[1]
    # sdn.csv answered 304, then was fetched again in full to build the new version.
    assert publisher.hits("/sdn.csv", 304) == 1 and publisher.hits("/sdn.csv", 200) == 2
    diff = await store.diff(LIST_ID, version)
    assert diff is not None and diff.changed == ("36",)


async def test_validators_are_only_trusted_for_the_version_they_describe(
    store: SnapshotStore, catalog: Catalog, publisher: Publisher
) -> None:
    await refresh(store, catalog)
    # Someone publishes another version from a local mirror: the saved ETags no longer describe it.
    await refresh_lists(store, catalog, [LIST_ID], source_dir=FIXTURES / "ofac_sdn_xml", force=True)
    # (forced: going back from the XML edition to the CSV set is a format change)
    [result] = await refresh_lists(store, catalog, [LIST_ID], force=True, download_timeout_s=0.5)
    outcome, version = result.outcome, result.version
    assert publisher.hits("/sdn.csv", 304) == 0
    assert outcome is Outcome.PUBLISHED and (await store.current(LIST_ID)).format == "ofac_legacy_csv"  # type: ignore[union-attr]
    assert version == (await store.current(LIST_ID)).version  # type: ignore[union-attr]


@pytest.mark.parametrize("failure", ["500", "stall", "truncate", "html"])
async def test_every_failure_keeps_the_last_good_version_serving(
    store: SnapshotStore, catalog: Catalog, publisher: Publisher, failure: str
) -> None:
    good = await refresh(store, catalog)
    # The publisher now has a new edition, but every way of getting it fails.
    publisher.files["/sdn.csv"] = publisher.files["/sdn.csv"].replace(b"BANCO NACIONAL DE CUBA", b"BANCO NACIONAL CUBA")
    publisher.failures["/sdn.csv"] = failure
    publisher.failures["/SDN.XML"] = failure

    outcome, _, message = await refresh(store, catalog)

    assert outcome in (Outcome.FAILED, Outcome.REJECTED)
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good[1]
    status = await store.status(LIST_ID)
    assert status.last_error and status.last_error in message
    expected = {
        "500": "500 Internal Server Error",
        "stall": "ReadTimeout",
        "truncate": "RemoteProtocolError",
        "html": "received an HTML page",
    }[failure]
    assert expected in message
    if failure != "html":  # transient failures are retried before giving up
        assert publisher.hits("/sdn.csv") >= 1 + fetch.DOWNLOAD_ATTEMPTS - 1


async def test_a_mirror_base_url_is_read_like_a_directory(
    store: SnapshotStore, catalog: Catalog, publisher: Publisher
) -> None:
    [result] = await refresh_lists(store, catalog, [LIST_ID], source_dir=publisher.base_url)
    assert result.outcome is Outcome.PUBLISHED and result.entry_count == 7
    assert f"{publisher.base_url}/sdn.csv" in (await store.current(LIST_ID)).origin  # type: ignore[union-attr]
