"""Security as an operator meets it: real `screening serve` processes, the CLI, a shared Redis.

The bind rules at start-up, a fresh start with authentication required (the first
admin key, a screener key from `screening keys create`, what each may do), and
the fair-share limits holding across two server processes that share Redis.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from tests.cli_support import SCREENING, cli_env, free_port, run_cli, wait_serving
from tests.conftest import SERVER_REDIS_URL


class Served:
    def __init__(self, port: int) -> None:
        self.port = port
        self.stderr = ""  # what the server wrote, once it has stopped


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[Served]:
    """A `screening serve` on a free loopback port until the block ends (then SIGTERM, stderr kept)."""
    served = Served(free_port())
    process = subprocess.Popen(
        [*SCREENING, "serve", "--port", str(served.port), "--http-port", "0", *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_serving(served.port, process)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            _, served.stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, served.stderr = process.communicate()


def test_a_public_bind_without_tls_is_refused_with_how_to_fix_it(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    refused = run_cli(["serve", "--host", "0.0.0.0", "--port", str(free_port()), "--http-port", "0"], env, timeout=60)
    assert refused.returncode == 2
    assert "without TLS" in refused.stderr and "SCREENING_TLS_CERT" in refused.stderr and "--insecure" in refused.stderr
    off = run_cli(
        ["serve", "--host", "0.0.0.0", "--port", str(free_port()), "--http-port", "0", "--insecure"],
        {**env, "SCREENING_AUTH": "off"},
    )
    assert off.returncode == 2 and "SCREENING_AUTH=off is allowed only on a loopback address" in off.stderr


def test_insecure_is_allowed_but_said_at_every_start(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    with serving(env, "--host", "0.0.0.0", "--insecure") as served:
        pass
    events = [json.loads(line) for line in served.stderr.splitlines() if line.startswith("{")]
    warnings = [e for e in events if e["event"] == "insecure_transport"]
    assert warnings and warnings[0]["level"] == "warning" and "WITHOUT TLS" in warnings[0]["detail"]
    # A non-loopback bind means authentication is required: the first admin key was written.
    assert any(e["event"] == "first_admin_key_created" for e in events)


def test_a_fresh_start_with_authentication_required(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix, SCREENING_AUTH="required")
    admin_file = tmp_path / "data" / "admin.key"
    with serving(env, "--host", "127.0.0.1") as served:
        target = ["--target", f"127.0.0.1:{served.port}"]
        assert admin_file.is_file() and oct(admin_file.stat().st_mode & 0o777) == "0o600"

        anonymous = run_cli(["check", "Nicolas MADURO MOROS", *target], env)
        assert anonymous.returncode == 4 and "UNAUTHENTICATED" in anonymous.stderr

        created = run_cli(["keys", "create", "--name", "erp", "--role", "screener"], env)
        assert created.returncode == 0, created.stderr
        key_file = tmp_path / "erp.key"
        key_file.write_text(created.stdout.strip().splitlines()[-1])

        checked = run_cli(["check", "Nicolas MADURO MOROS", *target, "--key-file", str(key_file), "--json"], env)
        assert checked.returncode == 0, checked.stderr
        assert json.loads(checked.stdout)["decision"] == "DECISION_BLOCK"

        review = ["dispositions", "approve", "--reference", "BP-1", "ofac_sdn", "22790", *target]
        denied = run_cli([*review, "--key-file", str(key_file)], env)
        assert denied.returncode == 4 and "PERMISSION_DENIED" in denied.stderr and "reviewer" in denied.stderr
        as_admin = run_cli([*review, "--key-file", str(admin_file)], env)
        assert (
            as_admin.returncode == 2 and "NOT_FOUND" in as_admin.stderr
        )  # allowed; there is simply nothing to approve

        listed = run_cli(["keys", "list", "--json"], env)
        names = {key["name"] for key in json.loads(listed.stdout)}
        assert names == {"bootstrap-admin", "erp"}
        assert key_file.read_text() not in listed.stdout


def test_rate_limit_and_stream_cap_hold_across_two_server_processes(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(
        tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix, SCREENING_AUTH="required",
        SCREENING_RATE_LIMITS="screener=5/m,reviewer=100/s", SCREENING_MAX_STREAMS="2", LOG_LEVEL="warning",
    )  # fmt: skip
    screener = run_cli(["keys", "create", "--name", "erp", "--role", "screener"], env).stdout.strip().splitlines()[-1]
    reviewer = run_cli(["keys", "create", "--name", "alice", "--role", "reviewer"], env).stdout.strip().splitlines()[-1]
    with (
        serving({**env, "SCREENING_DATA_DIR": str(tmp_path / "a")}) as one,
        serving({**env, "SCREENING_DATA_DIR": str(tmp_path / "b")}) as two,
    ):
        channels = [grpc.insecure_channel(f"127.0.0.1:{served.port}") for served in (one, two)]
        try:
            stubs = [pb_grpc.ScreeningServiceStub(channel) for channel in channels]
            as_erp = (("authorization", f"Bearer {screener}"),)
            request = pb.ScreenRequest(party=pb.Party(name="Johanna Pemberton-Whitcombe"))
            for call in range(5):  # the window's five calls, alternating between the two processes
                stubs[call % 2].Screen(request, metadata=as_erp, timeout=10)
            for stub in stubs:  # the sixth is refused whichever process takes it
                with pytest.raises(grpc.RpcError) as limited:
                    stub.Screen(request, metadata=as_erp, timeout=10)
                assert limited.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                trailers = dict(limited.value.trailing_metadata() or ())
                assert 1 <= int(trailers["retry-after"]) <= 12 and int(trailers["retry-after-ms"]) > 0

            as_alice = (("authorization", f"Bearer {reviewer}"),)
            watching = [
                stubs[n].WatchAlerts(pb.WatchAlertsRequest(after_id="$"), metadata=as_alice, timeout=30) for n in (0, 1)
            ]
            for call in watching:  # both streams are open (their headers arrived) before the third is tried
                call.initial_metadata()
            third = stubs[0].WatchAlerts(pb.WatchAlertsRequest(after_id="$"), metadata=as_alice, timeout=30)
            with pytest.raises(grpc.RpcError) as capped:
                next(third)
            assert (
                capped.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                and "SCREENING_MAX_STREAMS" in capped.value.details()
            )
            watching[1].cancel()  # closing one frees its slot, on the other process too
            for _ in range(50):
                fourth = stubs[0].WatchAlerts(pb.WatchAlertsRequest(after_id="$"), metadata=as_alice, timeout=1)
                try:
                    next(fourth)
                except grpc.RpcError as exc:
                    if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                        break  # admitted: it waited for alerts until its deadline
                    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            else:
                raise AssertionError("the slot of the closed stream was never freed")
            watching[0].cancel()
        finally:
            for channel in channels:
                channel.close()
