"""Get a list's files: from a local directory (offline mirror) or the official URLs.

A format is taken when all its `required` files are there (formats in catalogue
order). When no format is complete, the first one whose primary file (its first
required file) is there comes back as an incomplete set, with what is missing and
why: the publisher rejects it unless forced, naming the files (a mirror without
alt.csv must not publish an SDN without aliases). An optional file that cannot be
had is left out and recorded the same way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Self

import httpx
import msgspec
import structlog

from service.catalog import FormatSpec, ListSpec
from service.refresh.links import NoLink, discover_link
from service.sources.parsed import SourceFile, content_version, describe_file

log = structlog.get_logger(__name__)

DOWNLOAD_TIMEOUT_S = 120.0
DOWNLOAD_ATTEMPTS = 3
# Throttling and server-side trouble are worth another try; other 4xx are final.
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "crossover-screening/0.1 (restricted-party screening service)"


class FetchError(Exception):
    """No format of a list could be fetched completely."""


class HttpValidator(msgspec.Struct, frozen=True):
    """What a server said about a file, for the next conditional request."""

    etag: str = ""
    last_modified: str = ""

    @property
    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class FetchedFiles:
    list_id: str
    format: str
    files: dict[str, bytes]
    origin: str
    options: dict[str, list[str]] = field(default_factory=dict)
    # HTTP validators per URL, kept for the next conditional request.
    validators: dict[str, HttpValidator] = field(default_factory=dict)
    # Files of the format that could not be had, and why ("not in DIR", "URL: HTTP 404 ...").
    unavailable: dict[str, str] = field(default_factory=dict)
    # The required ones among them: an incomplete set, rejected unless forced.
    missing_required: tuple[str, ...] = ()
    # Why formats preferred to this one were not taken.
    passed_over: tuple[str, ...] = ()

    @property
    def described(self) -> tuple[SourceFile, ...]:
        return tuple(describe_file(name, data) for name, data in sorted(self.files.items()))

    @property
    def version(self) -> str:
        return content_version(self.format, self.described)


def _find_case_insensitive(directory: Path, name: str) -> Path | None:
    exact = directory / name
    if exact.is_file():
        return exact
    wanted = name.lower()
    for candidate in directory.iterdir():
        if candidate.name.lower() == wanted and candidate.is_file():
            return candidate
    return None


def read_directory(spec: ListSpec, directory: Path) -> FetchedFiles | None:
    """The first complete format in `directory`, else the first incomplete one, or None (no primary file)."""
    if not directory.is_dir():
        raise FetchError(f"{directory}: not a directory")
    incomplete: FetchedFiles | None = None
    passed_over: list[str] = []
    for fmt in spec.formats:
        found = {name: _find_case_insensitive(directory, name) for name in fmt.file_names}
        if found[fmt.required[0]] is None:
            continue
        files = {name: path.read_bytes() for name, path in found.items() if path is not None}
        unavailable = {name: f"not in {directory}" for name, path in found.items() if path is None}
        missing = tuple(name for name in fmt.required if found[name] is None)
        fetched = FetchedFiles(
            spec.id, fmt.format, files, str(directory.resolve()), fmt.options,
            unavailable=unavailable, missing_required=missing, passed_over=tuple(passed_over),
        )  # fmt: skip
        if not missing:
            return fetched
        passed_over.append(f"{fmt.format} not taken: {', '.join(missing)} not in {directory}")
        incomplete = incomplete or fetched
    return incomplete


@dataclass(frozen=True)
class NotModified:
    """Every file of the serving format answered 304: nothing to parse or publish."""

    list_id: str
    format: str
    origin: str


class DownloadSession:
    """One HTTP client for one refresh run.

    Bodies are kept for the run, so lists cut from the same publisher file
    (the trade.gov CSL feeds six lists) download it once.
    """

    def __init__(
        self, timeout_s: float = DOWNLOAD_TIMEOUT_S, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout_s, follow_redirects=True, headers={"User-Agent": USER_AGENT}, transport=transport
        )
        self._bodies: dict[str, tuple[bytes, HttpValidator]] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def get(self, url: str, conditions: HttpValidator | None = None) -> tuple[bytes, HttpValidator] | None:
        """The body and its validators, or None for 304 Not Modified; retries with back-off."""
        if url in self._bodies:
            return self._bodies[url]
        delay = 2.0
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                response = await self._client.get(url, headers=conditions.headers if conditions else None)
                if response.status_code == 304 and conditions is not None:
                    return None
                response.raise_for_status()
                validator = HttpValidator(response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
                self._bodies[url] = (response.content, validator)
                return self._bodies[url]
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                retryable = not isinstance(exc, httpx.HTTPStatusError) or exc.response.status_code in _RETRYABLE_STATUS
                if attempt == DOWNLOAD_ATTEMPTS or not retryable:
                    raise
                log.warning("download_retry", url=url, attempt=attempt, error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def _urls(fmt: FormatSpec, base_url: str | None) -> dict[str, str]:
    """Official URLs, or the same file names under a mirror's base URL."""
    if base_url:
        return {name: f"{base_url.rstrip('/')}/{name}" for name in fmt.file_names}
    return {name: fmt.files[name] for name in fmt.file_names}


async def _follow_link(session: DownloadSession, page_url: str, pattern: str) -> str:
    """The URL of the file the page links (always fetched afresh: the link is what changes)."""
    answer = await session.get(page_url)
    assert answer is not None  # unconditional
    return discover_link(answer[0], page_url, pattern)


def _failure(url: str, exc: Exception) -> str:
    # httpx adds a second line pointing at MDN's page for the status code: noise in a list status.
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    return f"{url}: {type(exc).__name__}: {first_line}"


async def _download_format(
    session: DownloadSession,
    spec: ListSpec,
    fmt: FormatSpec,
    base_url: str | None,
    validators: dict[str, HttpValidator],
) -> FetchedFiles | NotModified:
    """The format's files; FetchError when its primary file cannot be had, an incomplete set when another can't."""
    urls = _urls(fmt, base_url)
    local_only = [name for name in fmt.required if not urls[name]]
    if local_only:
        raise FetchError(f"{', '.join(local_only)} has no download URL (read from a local mirror only)")
    primary = fmt.required[0]
    files: dict[str, bytes] = {}
    fresh: dict[str, HttpValidator] = {}
    unchanged: list[str] = []
    unavailable: dict[str, str] = {}
    for name, url in urls.items():  # the primary file first: without it nothing else is fetched
        if not url:
            continue
        try:
            if name in fmt.links and not base_url:
                url = urls[name] = await _follow_link(session, url, fmt.links[name])
            answer = await session.get(url, validators.get(url))
            if answer is None:
                unchanged.append(name)
                continue
            files[name], fresh[url] = answer
        except (httpx.TransportError, httpx.HTTPStatusError, NoLink) as exc:
            if name == primary:
                raise FetchError(_failure(url, exc)) from exc
            unavailable[name] = _failure(url, exc)
            log.warning("file_unavailable", list_id=spec.id, file=name, required=name in fmt.required, error=str(exc))
    origin = ", ".join(urls[n] for n in (*files, *unchanged))
    if unchanged and not files and not unavailable:
        return NotModified(spec.id, fmt.format, origin)
    for name in unchanged:
        # Some files changed (or vanished), some did not: a version is built from
        # all of them, so fetch the unchanged ones again, unconditionally.
        answer = await session.get(urls[name])
        assert answer is not None
        files[name], fresh[urls[name]] = answer
    missing = tuple(name for name in fmt.required if name in unavailable)
    return FetchedFiles(spec.id, fmt.format, files, origin, fmt.options, fresh, unavailable, missing)


async def download(
    spec: ListSpec,
    session: DownloadSession,
    base_url: str | None = None,
    validators: dict[str, HttpValidator] | None = None,
) -> FetchedFiles | NotModified:
    """Download the first format that downloads completely (official URLs or a mirror).

    With `validators` from the serving version's download, requests are
    conditional and an all-304 answer returns NotModified. When no format is
    complete, the first one whose primary file downloaded comes back incomplete.
    """
    errors: list[str] = []
    passed_over: list[str] = []
    incomplete: FetchedFiles | None = None
    for fmt in spec.formats:
        try:
            result = await _download_format(session, spec, fmt, base_url, validators or {})
        except FetchError as exc:
            errors.append(f"{fmt.format}: {exc}")
            passed_over.append(f"{fmt.format} not taken: {exc}")
            continue
        if isinstance(result, NotModified):
            return result
        result = replace(result, passed_over=tuple(passed_over))
        if not result.missing_required:
            return result
        reasons = "; ".join(result.unavailable[name] for name in result.missing_required)
        passed_over.append(f"{fmt.format} not taken: {reasons}")
        errors.append(f"{fmt.format}: {reasons}")
        incomplete = incomplete or result
    if incomplete is not None:
        return incomplete
    raise FetchError(f"{spec.id}: no format could be downloaded ({'; '.join(errors)})")
