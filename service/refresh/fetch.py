"""Get a list's files: from a local directory (offline mirror) or the official URLs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog

from service.catalog import FormatSpec, ListSpec
from service.sources.parsed import SourceFile, content_version, describe_file

log = structlog.get_logger(__name__)

DOWNLOAD_TIMEOUT_S = 120.0
DOWNLOAD_ATTEMPTS = 3
# Throttling and server-side trouble are worth another try; other 4xx are final.
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "crossover-screening/0.1 (restricted-party screening service)"


class FetchError(Exception):
    """No format of a list could be fetched completely."""


@dataclass(frozen=True)
class FetchedFiles:
    list_id: str
    format: str
    files: dict[str, bytes]
    origin: str

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
    """The first format whose required files are all in `directory`, or None."""
    if not directory.is_dir():
        raise FetchError(f"{directory}: not a directory")
    for fmt in spec.formats:
        found = {name: _find_case_insensitive(directory, name) for name in fmt.file_names}
        if all(found[name] is not None for name in fmt.required):
            files = {name: path.read_bytes() for name, path in found.items() if path is not None}
            return FetchedFiles(spec.id, fmt.format, files, str(directory.resolve()))
    return None


async def _download_one(client: httpx.AsyncClient, url: str) -> bytes:
    delay = 2.0
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            retryable = not isinstance(exc, httpx.HTTPStatusError) or exc.response.status_code in _RETRYABLE_STATUS
            if attempt == DOWNLOAD_ATTEMPTS or not retryable:
                raise
            log.warning("download_retry", url=url, attempt=attempt, error=str(exc))
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def _download_format(client: httpx.AsyncClient, spec: ListSpec, fmt: FormatSpec) -> FetchedFiles:
    files: dict[str, bytes] = {}
    for name in fmt.file_names:
        try:
            files[name] = await _download_one(client, fmt.files[name])
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            if name in fmt.required:
                raise FetchError(f"{fmt.files[name]}: {exc}") from exc
            log.warning("optional_file_unavailable", list_id=spec.id, file=name, error=str(exc))
    return FetchedFiles(spec.id, fmt.format, files, ", ".join(fmt.files[n] for n in files))


async def download(spec: ListSpec, transport: httpx.AsyncBaseTransport | None = None) -> FetchedFiles:
    """Download the first format that downloads completely from its official URLs."""
    errors = []
    async with httpx.AsyncClient(
        timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True, headers={"User-Agent": USER_AGENT}, transport=transport
    ) as client:
        for fmt in spec.formats:
            try:
                return await _download_format(client, spec, fmt)
            except FetchError as exc:
                errors.append(f"{fmt.format}: {exc}")
    raise FetchError(f"{spec.id}: no format could be downloaded ({'; '.join(errors)})")
