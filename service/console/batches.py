"""The console's batch page: upload a CSV or JSON Lines file, watch it run, download the results.

The file is read by the same code as `screening batch` (service.batch.files: the same columns, the
same row errors, the same results file) and screened through the same `ScreenBatch` as an API
client, as the signed-in person, in chunks, in the background; the page shows its progress. A
console batch is for a desk's few thousand parties: larger files belong to `screening batch`,
which resumes, spreads over workers and streams without holding the results in a temporary file.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from service.api.gen import screening_pb2 as pb
from service.batch.files import BadInput, InputRow, PartyReader, ResultWriter, count_rows, error_row, result_row
from service.http.call import CallAborted

log = structlog.get_logger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
CHUNK = 100
# Runs one process keeps (their results files included); the oldest goes first.
KEPT_RUNS = 50
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class BatchRun:
    run_id: str
    principal: str
    file_name: str
    total: int
    fmt: str
    directory: tempfile.TemporaryDirectory[str]
    done: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    finished: bool = False
    failure: str = ""
    task: asyncio.Task[None] | None = None

    @property
    def results(self) -> Path:
        return Path(self.directory.name) / f"results.{self.fmt}"

    @property
    def download_name(self) -> str:
        return f"{Path(self.file_name).stem or 'parties'}-results.{self.fmt}"


class BatchRuns:
    def __init__(self) -> None:
        self._runs: OrderedDict[str, BatchRun] = OrderedDict()

    def of(self, principal: str) -> list[BatchRun]:
        return [run for run in reversed(self._runs.values()) if run.principal == principal]

    def get(self, run_id: str, principal: str) -> BatchRun | None:
        """The run, only for the principal who started it."""
        run = self._runs.get(run_id)
        return run if run is not None and run.principal == principal else None

    def start(
        self, door: Any, authorization: str, request: Any, principal: str, file_name: str, data: bytes
    ) -> BatchRun:
        """Check the file (format, header, size), then screen it in the background. Raises BadInput."""
        fmt = FORMATS.get(Path(file_name).suffix.lower())
        if fmt is None:
            raise BadInput(f"{file_name!r}: upload a .csv or .jsonl file")
        directory = tempfile.TemporaryDirectory(prefix="screening-console-batch-")
        source = Path(directory.name) / f"parties.{fmt}"
        source.write_bytes(data)
        try:
            total = count_rows(source, fmt)
            if total > MAX_ROWS:
                raise BadInput(
                    f"{total:,} parties: the console takes up to {MAX_ROWS:,}; use `screening batch` for more"
                )
            with PartyReader(source, fmt):  # a missing column refuses the file before anything is screened
                pass
        except BadInput:
            directory.cleanup()
            raise
        run = BatchRun(secrets.token_urlsafe(12), principal, file_name, total, fmt, directory)
        self._runs[run.run_id] = run
        while len(self._runs) > KEPT_RUNS:
            _, old = self._runs.popitem(last=False)
            if old.task is not None:
                old.task.cancel()
            old.directory.cleanup()
        run.task = asyncio.create_task(self._run(run, source, door, authorization, request))
        return run

    async def _run(self, run: BatchRun, source: Path, door: Any, authorization: str, request: Any) -> None:
        writer = ResultWriter(run.results, run.fmt, append=False)
        try:
            with PartyReader(source, run.fmt) as reader:
                chunk: list[InputRow] = []
                for row in reader:
                    chunk.append(row)
                    if len(chunk) >= CHUNK:
                        await self._screen(run, chunk, writer, door, authorization, request)
                        chunk = []
                if chunk:
                    await self._screen(run, chunk, writer, door, authorization, request)
        except (BadInput, CallAborted) as exc:
            run.failure = exc.details if isinstance(exc, CallAborted) else str(exc)
        except Exception as exc:  # noqa: BLE001 - a run of the console must end with its state said, never vanish
            log.error("console_batch_failed", run=run.run_id, error=type(exc).__name__)
            run.failure = "the server failed while screening this file; the failure is logged"
        finally:
            writer.close()
            run.finished = True

    async def _screen(self, run: BatchRun, rows: list[InputRow], writer: ResultWriter, door: Any, authorization: str,
                      request: Any) -> None:  # fmt: skip
        sendable = [row.request for row in rows if row.request is not None]
        answers: list[pb.ScreenResponse] = []
        if sendable:

            async def messages() -> AsyncIterator[pb.ScreenBatchRequest]:
                yield pb.ScreenBatchRequest(requests=sendable)

            answers = await door.batch(messages(), authorization, request)
        by_row = iter(answers)
        for row in rows:
            out = result_row(row, next(by_row)) if row.request is not None else error_row(row.reference, row.error)
            writer.write(out)
            run.done += 1
            run.decisions[str(out["decision"])] += 1
        writer.flush()
