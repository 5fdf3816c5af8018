"""A small typed client for the screening service's gRPC API.

Three things an integrator needs and would otherwise write again:
- `screen`: one party (and its transaction), with the credential and a deadline on every call;
- `screen_many`: any number of requests over one ScreenBatch stream, answers in request order,
  with back-pressure: at most `window` messages of `chunk` requests are in flight, and the input
  iterable is read only as answers come back (a million-row file is never held in memory);
- `follow_alerts`: re-screening alerts as they are raised, reconnecting after a dropped stream
  (a server restart, a rolling deploy) from the last alert it yielded, so none is missed or repeated.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import grpc

from screening_client.gen import screening_pb2 as pb
from screening_client.gen import screening_pb2_grpc as pb_grpc

# Stream failures after which following alerts reconnects (the server or the network went away).
RECONNECT_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})


class ScreeningClient:
    """One channel to one service; use it as a context manager, or call `close()`.

    `credential`: an API key or an identity-provider token, sent as `authorization: Bearer ...`.
    `ca_file`: speak TLS, trusting this CA; `client_certificate`: (certificate, key) PEM files for mutual TLS.
    """

    def __init__(
        self,
        target: str = "localhost:50051",
        *,
        credential: str | None = None,
        ca_file: str | Path | None = None,
        client_certificate: tuple[str | Path, str | Path] | None = None,
        timeout: float = 10.0,
        options: Sequence[tuple[str, int | str]] = (),
    ) -> None:
        if ca_file is not None:
            key = cert = None
            if client_certificate is not None:
                cert, key = (Path(part).read_bytes() for part in client_certificate)
            credentials = grpc.ssl_channel_credentials(
                Path(ca_file).read_bytes(), private_key=key, certificate_chain=cert
            )
            self._channel = grpc.secure_channel(target, credentials, options=list(options))
        else:
            self._channel = grpc.insecure_channel(target, options=list(options))
        self._stub = pb_grpc.ScreeningServiceStub(self._channel)
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {credential}"),) if credential else ()
        self.timeout = timeout

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    # ------------------------------------------------------------ one party

    def screen(
        self,
        party: pb.Party | str,
        *,
        context: pb.TransactionContext | None = None,
        request_id: str = "",
        timeout: float | None = None,
    ) -> pb.ScreenResponse:
        """Screen one party (a Party, or just a name). Raises grpc.RpcError with the service's status."""
        request = pb.ScreenRequest(
            request_id=request_id, party=party if isinstance(party, pb.Party) else pb.Party(name=party)
        )
        if context is not None:
            request.context.CopyFrom(context)
        return self._stub.Screen(request, metadata=self._metadata, timeout=timeout or self.timeout)

    # ------------------------------------------------------------ many parties

    def screen_many(
        self, requests: Iterable[pb.ScreenRequest], *, chunk: int = 64, window: int = 4, timeout: float | None = None
    ) -> Iterator[pb.ScreenResponse]:
        """One answer per request, in order. An item the service refuses comes back with `error` set.

        `chunk` requests go in one message (64 is a good size: gRPC's cost per message is larger than a
        screening's); at most `window` messages are in flight. `timeout` bounds the whole stream (none
        by default: a batch takes as long as it takes).
        """
        if chunk < 1 or window < 1:
            raise ValueError("chunk and window must be at least 1")
        slots = threading.Semaphore(window)
        sizes: deque[int] = deque()  # requests of each message sent and not yet fully answered
        lock = threading.Lock()
        stop = threading.Event()

        def messages() -> Iterator[pb.ScreenBatchRequest]:
            batch: list[pb.ScreenRequest] = []
            for request in requests:
                batch.append(request)
                if len(batch) == chunk:
                    if not _acquire(slots, stop):
                        return
                    with lock:
                        sizes.append(len(batch))
                    yield pb.ScreenBatchRequest(requests=batch)
                    batch = []
            if batch and _acquire(slots, stop):
                with lock:
                    sizes.append(len(batch))
                yield pb.ScreenBatchRequest(requests=batch)

        stream = self._stub.ScreenBatch(messages(), metadata=self._metadata, timeout=timeout)
        try:
            for answer in stream:
                for response in answer.responses:
                    yield response
                    with lock:
                        sizes[0] -= 1
                        finished = sizes[0] == 0
                        if finished:
                            sizes.popleft()
                    if finished:
                        slots.release()  # a message fully answered: the next may go
        finally:
            stop.set()
            stream.cancel()

    # ------------------------------------------------------------ alerts

    def follow_alerts(
        self,
        after_id: str = "$",
        *,
        stop: threading.Event | None = None,
        reconnect_delay: float = 0.5,
        max_delay: float = 30.0,
    ) -> Iterator[pb.Alert]:
        """Alerts after `after_id` ("$": only new ones; "0": every one the service keeps; or an alert id).

        A dropped stream is opened again from the last alert yielded, waiting `reconnect_delay`
        seconds, doubled up to `max_delay` while the service stays away. Set `stop` to end. Any other
        error (no credential, no role, an alert id the service no longer keeps) is raised. Until the
        first alert arrives, "$" has no position to resume from: alerts raised while the stream is
        down before then are not seen (start from an alert id you stored to avoid that).
        """
        last = after_id
        delay = reconnect_delay
        while stop is None or not stop.is_set():
            call = self._stub.WatchAlerts(pb.WatchAlertsRequest(after_id=last), metadata=self._metadata)
            watcher = _cancel_when(stop, call)
            try:
                for alert in call:
                    last = alert.alert_id
                    delay = reconnect_delay
                    yield alert
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.CANCELLED and stop is not None and stop.is_set():
                    return
                if exc.code() not in RECONNECT_CODES:
                    raise
            finally:
                if watcher is not None:
                    watcher.set()
                call.cancel()
            if stop is not None and stop.wait(delay):
                return
            if stop is None:
                time.sleep(delay)
            delay = min(max_delay, delay * 2)


def _acquire(slots: threading.Semaphore, stop: threading.Event) -> bool:
    """A slot for one more message, or False once the caller stopped reading the answers."""
    while not slots.acquire(timeout=0.1):
        if stop.is_set():
            return False
    return not stop.is_set()


def _cancel_when(stop: threading.Event | None, call: grpc.Future) -> threading.Event | None:
    """Cancel `call` as soon as `stop` is set (a blocked read would otherwise wait for the next alert)."""
    if stop is None:
        return None
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if stop.is_set():
                call.cancel()
                return

    threading.Thread(target=watch, name="screening-alerts-stop", daemon=True).start()
    return done
