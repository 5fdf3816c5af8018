"""Write-behind for audit records: off the request path, never dropped.

A request hands its record to the writer and answers at once; a background task
sends the queued records to the Redis Stream in pipelined batches (one round
trip for many records under load). If Redis stays unreachable, the batch is
appended straight to the exported files instead. On shutdown the server stops
taking calls, then flushes the queue before it closes Redis. The queue is
bounded: when it is full, requests wait for room (backpressure) rather than
lose records. What a hard crash (kill -9) can lose is the queue of the last
few milliseconds; the stream write on the request path would cost every
request a Redis round trip instead (`screening bench --audit` measures both).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from service.audit.record import AuditRecord
from service.audit.trail import AuditTrail, append_records

log = structlog.get_logger(__name__)

RETRIES = 3
RETRY_DELAY_S = 0.2


class AuditWriter:
    def __init__(self, trail: AuditTrail, spill_directory: Path, max_queued: int = 10_000, batch: int = 500) -> None:
        self._trail = trail
        self._spill_directory = spill_directory
        self._queue: asyncio.Queue[AuditRecord] = asyncio.Queue(max_queued)
        self._batch = batch
        self.written = 0
        self.spilled = 0

    async def submit(self, record: AuditRecord) -> None:
        """Queue one record; waits only when the queue is full."""
        await self._queue.put(record)

    async def submit_many(self, records: list[AuditRecord]) -> None:
        """Queue a batch message's records together, so that they go out in one pipeline."""
        for record in records:
            await self._queue.put(record)  # returns without suspending while there is room

    async def run(self, stopping: asyncio.Event) -> None:
        """Send queued records until `stopping` is set, then stop (flush() empties the rest)."""
        while not stopping.is_set():
            getter = asyncio.ensure_future(self._queue.get())
            stopper = asyncio.ensure_future(stopping.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter not in done:
                getter.cancel()
                break
            await self._send([getter.result(), *self._take(self._batch - 1)])

    async def flush(self) -> None:
        """Send everything queued now (at shutdown, after in-flight calls have finished)."""
        while not self._queue.empty():
            await self._send(self._take(self._batch))

    def _take(self, limit: int) -> list[AuditRecord]:
        records = []
        while len(records) < limit and not self._queue.empty():
            records.append(self._queue.get_nowait())
        return records

    async def _send(self, records: list[AuditRecord]) -> None:
        if not records:
            return
        for attempt in range(1, RETRIES + 1):
            try:
                await self._trail.write_many(records)
                self.written += len(records)
                return
            except Exception as exc:  # noqa: BLE001 - Redis down or failing: retry, then spill
                log.warning("audit_write_failed", attempt=attempt, records=len(records), error=str(exc))
                await asyncio.sleep(RETRY_DELAY_S * attempt)
        await asyncio.to_thread(append_records, self._spill_directory, records)
        self.spilled += len(records)
        log.error("audit_records_spilled_to_files", records=len(records), directory=str(self._spill_directory))
