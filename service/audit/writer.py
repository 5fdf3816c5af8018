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

A record in the stream is not yet safe: Redis may run without an append-only
file, and a Redis crash loses what the exporters had not yet written to the
files. So the writer keeps each record it sent (in memory, a second or two's
worth) until the exporters' consumer group has acknowledged it. When Redis
comes back as a new server (its run id changed), the records it may have lost
are appended to the files directly; readers deduplicate on screening_id, so a
record that had in fact been exported costs a duplicate line, never a loss.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import structlog

from service.audit.record import AuditRecord
from service.audit.trail import AuditTrail, StreamId, append_records, parse_stream_id
from service.metrics import AUDIT_SPILLED

log = structlog.get_logger(__name__)

RETRIES = 3
RETRY_DELAY_S = 0.2
# How long the first record of a batch waits for company; records are write-behind, so
# this delays nothing a caller sees (a hard crash loses at most this much more).
LINGER_S = 0.005
# Records per pipeline. Encoding and sending one costs ~30 us of the event loop's time, all
# in one go: after an outage the queued backlog is sent batch after batch, and with 500 per
# batch calls waited behind 15-20 ms chunks (p99 42 ms, max 113 ms after a Redis pause).
BATCH = 100
# How often the writer asks how far the exporters have got (and whether Redis restarted).
CONFIRM_INTERVAL_S = 1.0
# Records kept while unconfirmed; beyond this (no exporter keeping up) the oldest go to the files.
MAX_RETAINED = 50_000


@dataclass(frozen=True, slots=True)
class _Sent:
    run_id: str | None  # the Redis server that took it, as last seen before the write
    entry: StreamId
    record: AuditRecord


class AuditWriter:
    def __init__(
        self,
        trail: AuditTrail,
        spill_directory: Path,
        max_queued: int = 10_000,
        batch: int = BATCH,
        max_retained: int = MAX_RETAINED,
    ) -> None:
        self._trail = trail
        self._spill_directory = spill_directory
        self._queue: asyncio.Queue[AuditRecord] = asyncio.Queue(max_queued)
        self._batch = batch
        self._max_retained = max_retained
        self._unconfirmed: deque[_Sent] = deque()
        self._run_id: str | None = None
        self._in_flight = False
        self.written = 0
        self.spilled = 0
        self.recovered = 0  # records re-appended to the files after Redis came back as a new server

    @property
    def queued(self) -> int:
        """Records waiting to be sent to Redis."""
        return self._queue.qsize()

    @property
    def unconfirmed(self) -> int:
        """Records in the stream that no exporter has acknowledged yet (kept here until then)."""
        return len(self._unconfirmed)

    async def submit(self, record: AuditRecord) -> None:
        """Queue one record; waits only when the queue is full."""
        await self._queue.put(record)

    async def submit_many(self, records: list[AuditRecord]) -> None:
        """Queue a batch message's records together, so that they go out in one pipeline."""
        for record in records:
            await self._queue.put(record)  # returns without suspending while there is room

    async def run(self, stopping: asyncio.Event) -> None:
        """Send queued records until `stopping` is set, then stop (flush() empties the rest)."""
        confirming = asyncio.create_task(self._confirm_loop(stopping))
        try:
            await self._send_loop(stopping)
        finally:
            confirming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await confirming

    async def _send_loop(self, stopping: asyncio.Event) -> None:
        stopper = asyncio.ensure_future(stopping.wait())
        try:
            while not stopping.is_set():
                getter = asyncio.ensure_future(self._queue.get())
                done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                first = getter.result()
                self._in_flight = True  # taken from the queue, not yet sent: flush() waits for it
                try:
                    if self._queue.qsize() < self._batch - 1:
                        # Linger a moment: under load more records arrive meanwhile and share the
                        # round trip (a pipeline per record costs each call a tenth of a millisecond).
                        await asyncio.sleep(LINGER_S)
                    await self._send([first, *self._take(self._batch - 1)])
                finally:
                    self._in_flight = False
        finally:
            stopper.cancel()

    async def flush(self) -> None:
        """Send everything submitted so far (at shutdown, after in-flight calls have finished).

        Records still unconfirmed stay in the stream for the exporters, unless Redis cannot
        say whether it still holds them (unreachable, or restarted): then they go to the files.
        """
        while not self._queue.empty():
            await self._send(self._take(self._batch))
        while self._in_flight:  # the send loop's own batch, taken before this call
            await asyncio.sleep(0.001)
        if self._unconfirmed and not await self.confirm():
            await self._recover(list(self._unconfirmed), reason="redis_unreachable_at_shutdown")
            self._unconfirmed.clear()

    async def confirm(self) -> bool:
        """Forget the records the exporters have acknowledged; recover those a restarted Redis lost.

        Returns False when Redis could not be asked (nothing is forgotten then).
        """
        try:
            run_id = await self._trail.server_run_id()
            if run_id != self._run_id:
                # Records sent before the writer first knew the server are taken as sent to this one.
                first_seen = self._run_id is None
                lost = [s for s in self._unconfirmed if s.run_id != run_id and not (first_seen and s.run_id is None)]
                self._run_id = run_id
                if lost:
                    self._unconfirmed = deque(sent for sent in self._unconfirmed if sent.run_id == run_id)
                    await self._recover(lost, reason="redis_restarted")
            frontier = await self._trail.exported_through()
        except Exception as exc:  # noqa: BLE001 - Redis away: keep everything, ask again later
            log.debug("audit_confirm_failed", error=str(exc))
            return False
        if frontier is not None:
            # Our own entries are in stream-id order, and the group acknowledges a prefix of them
            # (apart from a pending gap, which `covers` stops at).
            while self._unconfirmed and frontier.covers(self._unconfirmed[0].entry):
                self._unconfirmed.popleft()
        return True

    async def _confirm_loop(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self.confirm()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), CONFIRM_INTERVAL_S)

    async def _recover(self, lost: list[_Sent], reason: str) -> None:
        records = [sent.record for sent in lost]
        await asyncio.to_thread(append_records, self._spill_directory, records)
        self.recovered += len(records)
        AUDIT_SPILLED.inc(len(records))
        log.warning("audit_records_recovered_to_files", records=len(records), reason=reason)

    def _take(self, limit: int) -> list[AuditRecord]:
        records: list[AuditRecord] = []
        while len(records) < limit and not self._queue.empty():
            records.append(self._queue.get_nowait())
        return records

    async def _send(self, records: list[AuditRecord]) -> None:
        if not records:
            return
        if self._run_id is None:
            with contextlib.suppress(Exception):  # the confirm loop will learn it
                self._run_id = await self._trail.server_run_id()
        for attempt in range(1, RETRIES + 1):
            run_id = self._run_id
            try:
                entry_ids = await self._trail.write_many(records)
            except Exception as exc:  # noqa: BLE001 - Redis down or failing: retry, then spill
                log.warning("audit_write_failed", attempt=attempt, records=len(records), error=str(exc))
                await asyncio.sleep(RETRY_DELAY_S * attempt)
                continue
            self.written += len(records)
            sent = zip(entry_ids, records, strict=True)
            self._unconfirmed.extend(_Sent(run_id, parse_stream_id(entry_id), record) for entry_id, record in sent)
            if len(self._unconfirmed) > self._max_retained:
                # No exporter is keeping up: the stream is trimmed at its own bound, so keep these safe here.
                excess = [self._unconfirmed.popleft() for _ in range(len(self._unconfirmed) - self._max_retained)]
                await self._recover(excess, reason="exporters_behind")
            return
        await asyncio.to_thread(append_records, self._spill_directory, records)
        self.spilled += len(records)
        AUDIT_SPILLED.inc(len(records))
        log.error("audit_records_spilled_to_files", records=len(records), directory=str(self._spill_directory))
