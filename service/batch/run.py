"""Run a batch: parties from a file -> `ScreenBatch` stream(s) (or in-process) -> results file.

Remote: `streams` bidirectional streams (default 1), each on its own channel and TCP
connection, so that a server running several worker processes on one port
(SO_REUSEPORT) can hand each connection to a different process: one stream is
served by one process. Rows go out in messages of `chunk` requests (gRPC's cost
per message is larger than a screening's); the server answers each message in
order, so a message is sent on a stream only while no more than `max_in_flight`
requests would then be unanswered on it: memory stays flat however long the file
is, and the server is never flooded. Messages go to the streams in turn (a stream
whose window is full is passed over until it has room, so a slower server process
gets fewer rows). Rows that cannot be sent (a repeated party_reference ...) are
answered locally at once; `OrderedOutput` writes everything in input order
regardless, holding answers that arrive ahead of an earlier row; input is read
only while it holds fewer than `2 * streams * max_in_flight` rows.

Resume: the output only ever holds the results of the input's first N rows, in
order, so `--resume` checks that the written party_references are those of the first
N rows (the same file) and carries on from row N+1.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tqdm import tqdm

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.servicer import WORKER_HEADER, WORKERS_HEADER
from service.batch.files import (
    ERROR_DECISION,
    BadInput,
    InputRow,
    PartyReader,
    ResultWriter,
    count_rows,
    drop_partial_line,
    error_row,
    file_format,
    result_row,
    written_references,
)
from service.command_words import EXIT_BAD_INPUT, EXIT_DENIED, EXIT_UNAVAILABLE
from service.engine.loader import ListLoader
from service.grpc_door.client import bearer_metadata, open_aio_channel
from service.settings import ClientSettings

# Enough to keep the server busy across network round trips, small enough that
# the unanswered requests cost nothing to hold.
MAX_IN_FLIGHT = 256
# Requests per ScreenBatch message: gRPC's cost per message is larger than a screening's,
# so 64 make it negligible, while a message is still answered within a tenth of a second.
CHUNK = 64
MAX_STREAMS = 16
# Connections tried per server process to give each of them a stream (see _spread_streams).
SPREAD_TRIES = 8
HEADERS_WAIT_S = 1.0
LOG_EVERY_S = 10.0
# A response carries matches, reasons and the summary paragraph: allow more than gRPC's 4 MiB default.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DECISIONS = ("CLEAR", "REVIEW", "HOLD", "BLOCK")


class BatchError(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        self.exit_code = exit_code
        super().__init__(message)


@dataclass(frozen=True)
class BatchOptions:
    input: Path
    output: Path
    input_format: str | None = None  # csv | jsonl; None: from the extension
    output_format: str | None = None
    direction: str = "export"  # for rows whose direction column is blank
    resume: bool = False
    overwrite: bool = False
    progress: bool = True
    max_in_flight: int = MAX_IN_FLIGHT  # per stream
    chunk: int = CHUNK  # requests per ScreenBatch message
    streams: int = 1  # concurrent ScreenBatch streams, each on its own connection (remote only)
    # Seconds to wait for the server to answer at all, and at most between two answers.
    timeout: float = 10.0
    json_summary: bool = False
    log_every_s: float = LOG_EVERY_S


@dataclass(frozen=True)
class LocalEngine:
    """In-process screening, as `screening check --local` does it (no audit record)."""

    loader: ListLoader
    known_lists: Collection[str]


LocalFactory = Callable[[], AbstractAsyncContextManager[LocalEngine]]


@dataclass
class BatchSummary:
    output: Path
    screened: int = 0  # rows written by this run, ERROR rows included
    skipped: int = 0  # rows an earlier run had written (--resume)
    decisions: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    cp1252_lines: int = 0

    @property
    def errors(self) -> int:
        return self.decisions[ERROR_DECISION]

    @property
    def rate(self) -> float:
        return self.screened / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def line(self) -> str:
        counts = ", ".join(f"{kind} {self.decisions[kind]}" for kind in (*DECISIONS, ERROR_DECISION))
        text = f"screened {self.screened} parties in {self.elapsed_s:.1f} s ({self.rate:.0f}/s): {counts}"
        text += f" -> {self.output}"
        if self.skipped:
            text += f" (after {self.skipped} written by an earlier run)"
        if self.errors:
            text += f"; {self.errors} ERROR row(s): see their error column"
        return text

    def as_json(self) -> str:
        return json.dumps({
            "screened": self.screened, "skipped": self.skipped,
            "decisions": {kind: self.decisions[kind] for kind in (*DECISIONS, ERROR_DECISION)},
            "errors": self.errors, "elapsed_s": round(self.elapsed_s, 3), "rate_per_s": round(self.rate, 1),
            "output": str(self.output),
        })  # fmt: skip


# ----------------------------------------------------------------- progress


class Progress:
    """A tqdm bar on a terminal; without one (CI, cron, nohup) a line every `every_s` seconds."""

    def __init__(
        self, total: int, done: int, enabled: bool, every_s: float, stream: TextIO | None = None,
        label: str = "batch", unit: str = "party", units: str = "parties",
    ) -> None:  # fmt: skip
        self._total, self._done, self._start_done = total, done, done
        self._stream = stream = stream or sys.stderr  # looked up now: the process's stderr may have been replaced
        self._label, self._units = label, units
        self._every_s = every_s
        self._start = time.monotonic()
        self._next_log = self._start + every_s
        terminal = stream.isatty()
        self._log = enabled and not terminal
        self._bar = None
        if enabled and terminal:
            self._bar = tqdm(total=total, initial=done, unit=unit, file=stream, dynamic_ncols=True, desc=label)

    def update(self, count: int = 1) -> None:
        self._done += count
        if self._bar is not None:
            self._bar.update(count)
        elif self._log and (now := time.monotonic()) >= self._next_log:
            self._next_log = now + self._every_s
            rate = (self._done - self._start_done) / (now - self._start)
            left = max(self._total - self._done, 0)
            eta = f", ETA {left / rate:.0f} s" if rate > 0 else ""
            print(
                f"{self._label}: {self._done}/{self._total} {self._units}, {rate:.0f}/s{eta}",
                file=self._stream,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# ----------------------------------------------------------------- ordered output


class _Slot:
    __slots__ = ("result", "row")

    def __init__(self, row: InputRow, result: dict[str, object] | None) -> None:
        self.row = row
        self.result = result


class OrderedOutput:
    """Writes results in input order: local ERROR rows are ready at once, answers come later.

    The slots are the reorder buffer: one per row read and not yet written, in input
    order; an answer fills its row's slot and every filled slot at the head is written.
    Each stream has its own queue of unanswered slots, in the order sent on it.
    """

    def __init__(self, writer: ResultWriter, summary: BatchSummary, progress: Progress, streams: int = 1) -> None:
        self._writer = writer
        self._summary = summary
        self._progress = progress
        self._slots: deque[_Slot] = deque()  # input order, oldest unwritten first
        # Per stream: sent, not yet answered, in send order.
        self._awaiting: list[deque[_Slot]] = [deque() for _ in range(streams)]

    @property
    def awaiting(self) -> int:
        return sum(len(queue) for queue in self._awaiting)

    def awaiting_on(self, stream: int) -> int:
        return len(self._awaiting[stream])

    @property
    def buffered(self) -> int:
        """Rows read and not yet written (unanswered, or answered behind an unanswered one)."""
        return len(self._slots)

    def ready(self, row: InputRow) -> None:
        self._slots.append(_Slot(row, error_row(row.reference, row.error)))
        self._drain()

    def expect(self, row: InputRow, stream: int = 0) -> None:
        slot = _Slot(row, None)
        self._slots.append(slot)
        self._awaiting[stream].append(slot)

    def answer(self, response: pb.ScreenResponse, stream: int = 0) -> None:
        self.answer_many([response], stream)

    def answer_many(self, responses: Iterable[pb.ScreenResponse], stream: int = 0) -> None:
        """The answers of one message, in the order their requests were sent on `stream`."""
        awaiting = self._awaiting[stream]
        for response in responses:
            if not awaiting:
                raise BatchError(EXIT_UNAVAILABLE, f"the server answered {response.request_id!r}, which was not asked")
            slot = awaiting.popleft()
            # The contract says "in order"; a server that breaks it must not get results filed under the wrong party.
            if response.request_id != slot.row.reference:
                raise BatchError(EXIT_UNAVAILABLE, f"the server answered {response.request_id!r} where "
                                 f"{slot.row.reference!r} was next")  # fmt: skip
            slot.result = result_row(slot.row, response)
        self._drain()

    def _drain(self) -> None:
        written = 0
        while self._slots and self._slots[0].result is not None:
            result = self._slots.popleft().result
            assert result is not None
            self._writer.write(result)
            self._summary.decisions[str(result["decision"])] += 1
            written += 1
        if written:
            # Flushed per answer (a message's worth of rows): an interruption loses at most
            # the rows being written, and --resume drops a cut-off last line.
            self._writer.flush()
            self._summary.screened += written
            self._progress.update(written)


# ----------------------------------------------------------------- plan


@dataclass(frozen=True)
class _Plan:
    input_format: str
    output_format: str
    total: int  # parties in the input (approximately: lines), for the progress bar
    written: list[str]  # party_references an earlier run wrote (--resume)
    append: bool


def _plan(options: BatchOptions) -> _Plan:
    """Everything that can be refused before a list is loaded or a server is called."""
    input_format = file_format(options.input, options.input_format, "--format")
    output_format = file_format(options.output, options.output_format, "--output-format")
    if not options.input.is_file():
        raise BadInput(f"{options.input}: no such file")
    if options.max_in_flight < 1:
        raise BadInput("--max-in-flight must be at least 1")
    if not 1 <= options.streams <= MAX_STREAMS:
        raise BadInput(f"--streams must be between 1 and {MAX_STREAMS}")
    if options.resume and options.overwrite:
        raise BadInput("--resume and --overwrite exclude each other")
    if options.output.exists() and options.output.resolve() == options.input.resolve():
        raise BadInput("--output must not be the input file")
    written: list[str] = []
    append = False
    if options.output.exists():
        if options.resume:
            dropped = drop_partial_line(options.output)
            if dropped:
                print(f"note: dropped an incomplete last line ({dropped} bytes) of {options.output}", file=sys.stderr)
            written = written_references(options.output, output_format)
            append = True
        elif not options.overwrite:
            raise BadInput(f"{options.output} exists; use --resume or --overwrite")
    return _Plan(input_format, output_format, count_rows(options.input, input_format), written, append)


def _skip_written(rows: Iterable[InputRow], written: list[str], options: BatchOptions) -> Iterator[InputRow]:
    """Resume: check that the output's rows are the input's first rows, skip those, yield the rest."""
    done = 0
    for row in rows:
        if done < len(written):
            if row.reference != written[done]:
                raise BadInput(f"{options.output} does not continue {options.input}: its row {done + 1} is party "
                               f"{written[done][:64]!r}, input line {row.line} is {row.reference[:64]!r}; "
                               "use --overwrite to start again")  # fmt: skip
            done += 1
            continue
        yield row
    if done < len(written):
        raise BadInput(f"{options.output} holds {len(written)} results but {options.input} only {done} parties; "
                       "use --overwrite to start again")  # fmt: skip


# ----------------------------------------------------------------- screening


def _rpc_error(exc: grpc.aio.AioRpcError) -> BatchError:
    """A failed call as the command's error: exit 4 when the server refused who we are, else 3."""
    refused = exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    return BatchError(EXIT_DENIED if refused else EXIT_UNAVAILABLE, f"{exc.code().name}: {exc.details()}")


async def _wait_serving(channel: grpc.aio.Channel, target: str, timeout: float) -> None:
    """Fail before the output file is touched when there is no server or it has no lists yet."""
    try:
        await asyncio.wait_for(channel.channel_ready(), timeout)
    except TimeoutError:
        raise BatchError(EXIT_UNAVAILABLE, f"UNAVAILABLE: no server at {target} (waited {timeout:g} s)") from None
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)  # type: ignore[attr-defined]  # typeshed's HealthStub declares no methods
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return  # a server without the health service: ScreenBatch itself will tell
        raise BatchError(EXIT_UNAVAILABLE, f"{exc.code().name}: {exc.details()}") from None
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        raise BatchError(EXIT_UNAVAILABLE, f"UNAVAILABLE: the server at {target} is not serving (no list loaded yet?)")


@dataclass(eq=False)
class _Stream:
    """One ScreenBatch call and when it last made progress (for the no-answer deadline)."""

    index: int
    call: grpc.aio.StreamStreamCall[pb.ScreenBatchRequest, pb.ScreenBatchResponse]
    # Last answer, or when the stream went from idle to busy: an idle stream is owed nothing.
    since: float = field(default_factory=time.monotonic)


async def _feed(
    streams: list[_Stream],
    readers: list[asyncio.Task[None]],
    rows: Iterable[InputRow],
    out: OrderedOutput,
    progressed: asyncio.Event,
    options: BatchOptions,
) -> None:
    """Read rows, send them in messages of `options.chunk` requests on the next stream (in turn)
    with room in its window; then close every stream."""
    max_buffered = 2 * len(streams) * options.max_in_flight
    chunk = min(options.chunk, options.max_in_flight)
    turn = 0
    pending: list[InputRow] = []

    async def send() -> None:
        nonlocal turn, pending
        stream = await _stream_with_room(streams, turn, out, progressed, options.max_in_flight - len(pending))
        turn = stream.index + 1
        if not out.awaiting_on(stream.index):
            stream.since = time.monotonic()
        for row in pending:
            out.expect(row, stream.index)
        # Every pending row has its request (a row without one is written out, never queued): the filter only narrows.
        message = pb.ScreenBatchRequest(requests=[row.request for row in pending if row.request is not None])
        pending = []
        try:
            await stream.call.write(message)
        except asyncio.InvalidStateError:
            await _call_ended(stream, readers, options)

    rows = iter(rows)
    while True:
        # Bounded memory: read on only while the reorder buffer is not too far ahead of the
        # output. An answer to the head row always writes at least one row, so this ends.
        while out.buffered >= max_buffered:
            if pending:
                await send()
                continue
            progressed.clear()
            await progressed.wait()
        row = next(rows, None)  # may raise BadInput (a resume mismatch, a broken CSV)
        if row is None:
            break
        if row.request is None:
            if pending:
                await send()  # the rows before it go first: output follows the order of expect/ready
            out.ready(row)
            continue
        pending.append(row)
        if len(pending) >= chunk:
            await send()
    if pending:
        await send()
    for stream in streams:
        try:
            await stream.call.done_writing()
        except asyncio.InvalidStateError:
            await _call_ended(stream, readers, options)


async def _stream_with_room(
    streams: list[_Stream], turn: int, out: OrderedOutput, progressed: asyncio.Event, max_in_flight: int
) -> _Stream:
    """The first stream from `turn` on with at most `max_in_flight` unanswered; waits while all have more."""
    while True:
        for step in range(len(streams)):
            stream = streams[(turn + step) % len(streams)]
            if out.awaiting_on(stream.index) <= max_in_flight:
                return stream
        progressed.clear()  # every window is full: wait for an answer
        await progressed.wait()


async def _call_ended(stream: _Stream, readers: list[asyncio.Task[None]], options: BatchOptions) -> None:
    """The call has ended while there was more to send: its reader reports why; if it has nothing to say, we do."""
    await asyncio.wait({readers[stream.index]}, timeout=options.timeout)
    raise BatchError(EXIT_UNAVAILABLE, f"the server ended stream {stream.index + 1} before the input was sent")


async def _read(stream: _Stream, out: OrderedOutput, progressed: asyncio.Event) -> None:
    """Take one stream's answers until the server ends it (`_watch` keeps the deadline)."""
    call = stream.call
    while (message := await call.read()) is not grpc.aio.EOF:
        assert isinstance(message, pb.ScreenBatchResponse)
        out.answer_many(message.responses, stream.index)
        stream.since = time.monotonic()
        progressed.set()
    if out.awaiting_on(stream.index):
        raise BatchError(EXIT_UNAVAILABLE, f"the server closed the stream with {out.awaiting_on(stream.index)} "
                         "request(s) unanswered")  # fmt: skip


async def _watch(streams: list[_Stream], out: OrderedOutput, options: BatchOptions) -> None:
    """Fail when a stream with requests outstanding has not answered for `options.timeout` seconds.

    One timer for all streams, rather than a timeout around every read: a read is
    the per-row cost of the client.
    """
    while True:
        now = time.monotonic()
        due = now + options.timeout
        for stream in streams:
            if out.awaiting_on(stream.index):
                if now - stream.since >= options.timeout:
                    raise BatchError(EXIT_UNAVAILABLE, f"DEADLINE_EXCEEDED: no answer for {options.timeout:g} s "
                                     f"with {out.awaiting} request(s) outstanding")  # fmt: skip
                due = min(due, stream.since + options.timeout)
        await asyncio.sleep(max(0.01, due - now))


@dataclass(eq=False)
class _Opened:
    channel: grpc.aio.Channel
    call: grpc.aio.StreamStreamCall[pb.ScreenBatchRequest, pb.ScreenBatchResponse]
    worker: str  # the server process that took the connection ("" when it does not say)
    workers: int  # how many processes serve the port (0 when it does not say)


async def _open_stream(
    target: str, channel_options: list[tuple[str, int]], timeout: float, client: ClientSettings
) -> _Opened:
    """A connection of its own, checked serving, with a ScreenBatch call on it."""
    channel = open_aio_channel(client, target, channel_options)
    try:
        await _wait_serving(channel, target, timeout)
        call = pb_grpc.ScreeningServiceStub(channel).ScreenBatch(metadata=bearer_metadata(client))
        try:
            # This server sends its headers as the call starts; another may only with its first answer.
            headers = dict(
                await asyncio.wait_for(asyncio.shield(call.initial_metadata()), min(timeout, HEADERS_WAIT_S)) or ()
            )
        except TimeoutError:
            headers = {}
    except BaseException:
        await channel.close()
        raise
    count = str(headers.get(WORKERS_HEADER, "0"))
    return _Opened(channel, call, str(headers.get(WORKER_HEADER, "")), int(count) if count.isdigit() else 0)


async def _spread_streams(
    target: str,
    count: int,
    channel_options: list[tuple[str, int]],
    timeout: float,
    opened: list[_Opened],
    client: ClientSettings,
) -> None:
    """Open `count` streams into `opened`, spread over as many of the server's processes as it has.

    The kernel hands each new connection to one of the processes listening on the port
    (SO_REUSEPORT) at random: two connections land on one process as often as not, and
    the other process idles. A ScreenBatch answer's headers name the process and how
    many share the port; while a stream shares its process and another process has
    none, one more connection is tried in its place (at most SPREAD_TRIES per process).
    A server that does not say is taken as it comes.
    """
    for _ in range(count):
        opened.append(await _open_stream(target, channel_options, timeout, client))
    workers = max(stream.workers for stream in opened)
    tries = SPREAD_TRIES * workers
    while tries > 0 and len({stream.worker for stream in opened}) < min(count, workers):
        tries -= 1
        extra = await _open_stream(target, channel_options, timeout, client)
        taken = [stream.worker for stream in opened]
        if extra.worker in taken:
            surplus = extra  # that process already has a stream: try again
        else:
            surplus = next(stream for stream in opened if taken.count(stream.worker) > 1)
            opened[opened.index(surplus)] = extra
        surplus.call.cancel()
        await surplus.channel.close()


async def _screen_remote(
    calls: list[grpc.aio.StreamStreamCall[pb.ScreenBatchRequest, pb.ScreenBatchResponse]],
    rows: Iterable[InputRow],
    out: OrderedOutput,
    options: BatchOptions,
) -> None:
    streams = [_Stream(i, call) for i, call in enumerate(calls)]
    progressed = asyncio.Event()  # an answer arrived: a window has room, the reorder buffer may have shrunk
    readers = [asyncio.create_task(_read(stream, out, progressed)) for stream in streams]
    feeder = asyncio.create_task(_feed(streams, readers, rows, out, progressed, options))
    watchdog = asyncio.create_task(_watch(streams, out, options))
    tasks = [
        *readers,
        feeder,
        watchdog,
    ]  # in this order: when a call fails, its status says why, not the feeder's error
    try:
        working: set[asyncio.Task[None]] = {*readers, feeder}
        while working:
            done, _ = await asyncio.wait({*working, watchdog}, return_when=asyncio.FIRST_COMPLETED)
            working -= done
            for task in tasks:
                if task in done and task.exception() is not None:
                    task.result()
    except grpc.aio.AioRpcError as exc:
        raise _rpc_error(exc) from None
    finally:
        for task in tasks:
            task.cancel()  # no-op for a finished task
        for stream in streams:
            stream.call.cancel()  # no-op once the call has finished
        await asyncio.gather(*tasks, return_exceptions=True)  # nothing left pending or unretrieved
    if out.awaiting:
        raise BatchError(EXIT_UNAVAILABLE, f"the server closed the stream with {out.awaiting} request(s) unanswered")


async def _screen_local(engine: LocalEngine, rows: Iterable[InputRow], out: OrderedOutput) -> None:
    from service.api.screening import screen_request
    from service.api.validation import InvalidArgument
    from service.engine.screener import NotReady

    invalid = grpc.StatusCode.INVALID_ARGUMENT.value[0]
    for count, row in enumerate(rows, start=1):
        if row.request is None:
            out.ready(row)
            continue
        try:
            response = screen_request(row.request, engine.loader.state, engine.known_lists)
        except InvalidArgument as exc:  # answered like the server answers a bad batch item
            error = pb.ItemError(code=invalid, message=str(exc), field=exc.field)
            response = pb.ScreenResponse(request_id=row.reference, error=error)
        except NotReady as exc:
            raise BatchError(EXIT_UNAVAILABLE, f"UNAVAILABLE: {exc}") from None
        out.expect(row)
        out.answer(response)
        if count % 64 == 0:
            await asyncio.sleep(0)  # screening is CPU-bound: let Ctrl-C (task cancellation) through


async def screen_file(
    options: BatchOptions,
    *,
    target: str | None = None,
    local: LocalFactory | None = None,
    client: ClientSettings | None = None,
) -> BatchSummary:
    """Screen every party of `options.input` into `options.output`. Raises BadInput or BatchError.

    `client`: TLS and credential for the server at `target` (default: plaintext, no credential).
    """
    if (target is None) == (local is None):
        raise ValueError("give either target or local")
    started = time.monotonic()
    plan = _plan(options)
    summary = BatchSummary(options.output, skipped=len(plan.written))
    with PartyReader(options.input, plan.input_format, options.direction) as reader:
        if reader.ignored_columns:
            print(f"note: column(s) not screened, ignored: {', '.join(reader.ignored_columns)}", file=sys.stderr)
        rows = _skip_written(reader, plan.written, options)

        async def screen(run: Callable[[OrderedOutput], Awaitable[None]], streams: int = 1) -> None:
            # The output is opened only once screening can start: a refused run leaves an existing file alone.
            writer = ResultWriter(options.output, plan.output_format, append=plan.append)
            progress = Progress(plan.total, len(plan.written), options.progress, options.log_every_s)
            try:
                await run(OrderedOutput(writer, summary, progress, streams))
            except BatchError as exc:
                raise BatchError(exc.exit_code, f"{exc}; {summary.skipped + summary.screened} result(s) are in "
                                 f"{options.output}: run again with --resume to continue") from None  # fmt: skip
            finally:
                progress.close()
                writer.close()

        if local is not None:
            async with local() as engine:
                if engine.loader.state is None:
                    raise BatchError(EXIT_UNAVAILABLE, "UNAVAILABLE: no list is loaded")
                await screen(lambda out: _screen_local(engine, rows, out))
        else:
            assert target is not None
            # A channel per stream, none sharing a connection (subchannels are shared across
            # channels by default): each is a TCP connection of its own that the kernel can
            # hand to another server process on the same port.
            channel_options = [
                ("grpc.max_receive_message_length", MAX_RESPONSE_BYTES),
                ("grpc.use_local_subchannel_pool", 1),
            ]
            opened: list[_Opened] = []
            try:
                await _spread_streams(
                    target, options.streams, channel_options, options.timeout, opened, client or ClientSettings()
                )
                await screen(
                    lambda out: _screen_remote([stream.call for stream in opened], rows, out, options), options.streams
                )
            finally:
                for stream in opened:
                    await stream.channel.close()
        summary.cp1252_lines = reader.cp1252_lines
    summary.elapsed_s = time.monotonic() - started
    return summary


async def run_batch(
    options: BatchOptions,
    *,
    target: str | None = None,
    local: LocalFactory | None = None,
    client: ClientSettings | None = None,
) -> int:
    """`screening batch`: screen, print the summary; the exit code (0, 2 bad input, 3 unavailable, 4 refused)."""
    try:
        summary = await screen_file(options, target=target, local=local, client=client)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if summary.cp1252_lines:
        note = f"{summary.cp1252_lines} input line(s) were not UTF-8 and were read as Windows-1252"
        print(f"note: {note}", file=sys.stderr)
    print(summary.as_json() if options.json_summary else summary.line(), flush=True)
    return 0
