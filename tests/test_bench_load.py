"""`screening bench --load` (service/benchmarks/load.py): a short smoke run of the harness itself.

Against the fixture lists (tests/fixtures, via the test catalogue), with a private
redis-server and `screening serve --workers 2` started and stopped by the harness:
one no-fault run at 50 calls/s for 2 s (the sweep, one rate) and a redis-stop run
with 2 s of SIGSTOP. Checks the report's structure, that its counts add up, that it
prints, and that no process it started is left. About 20 s; needs the redis-server
binary (skipped without it). What the figures say is for people to judge, not asserted.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import psutil
import pytest

from service.benchmarks.load import (
    SCENARIOS,
    LoadOptions,
    LoadSetupError,
    add_load_arguments,
    bench_load,
    print_load,
)
from service.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = pytest.mark.timeout(90)


def _gone(pid: int, *markers: str) -> bool:
    """Whether `pid` is no longer the process we started (gone, or a zombie, or reused by another command)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return True
    return not any(marker in command for marker in markers)


@pytest.fixture
def fixture_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test catalogue (a floor of 3 entries) for this process and the servers and clients it starts."""
    monkeypatch.setenv("SCREENING_CATALOG", str(FIXTURES / "sources.toml"))
    for name in ("REDIS_URL", "REDIS_URL_FILE", "LISTS_DIR", "AUDIT_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_options_from_the_command_line_match_the_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_load_arguments(parser)
    assert LoadOptions.from_args(parser.parse_args([])) == LoadOptions()
    options = LoadOptions.from_args(parser.parse_args(["--load-scenarios", "swap,redis-kill", "--load-rate", "250",
                                                       "--load-sweep-rates", "100,200", "--load-no-baseline"]))  # fmt: skip
    assert options.scenarios == ("swap", "redis-kill")
    assert options.rate == 250 and options.sweep_rates == (100.0, 200.0) and not options.baseline
    with pytest.raises(ValueError, match="unknown redis-pause"):
        LoadOptions.from_args(parser.parse_args(["--load-scenarios", "redis-pause"]))
    assert set(SCENARIOS) == {"sweep", "swap", "redis-stop", "redis-kill", "idle-streams"}


def test_missing_lists_are_a_clear_error(tmp_path: Path) -> None:
    options = LoadOptions(scenarios=("sweep",), lists_dir=tmp_path / "nowhere")
    with pytest.raises(LoadSetupError, match="--load-lists-dir"):
        bench_load(Settings.from_env(), "test:load:", options)
    options = LoadOptions(scenarios=("swap",), swap_dirs=(FIXTURES / "ofac_sdn",))
    with pytest.raises(LoadSetupError, match="--load-swap-dirs"):
        bench_load(Settings.from_env(), "test:load:", options)


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server binary (the harness runs a private one)"
)
def test_smoke_run_adds_up_and_leaves_nothing_behind(
    fixture_catalogue: None, capsys: pytest.CaptureFixture[str]
) -> None:
    options = LoadOptions(
        scenarios=("sweep", "redis-stop"), lists_dir=FIXTURES / "ofac_sdn", sweep_rates=(50.0,), sweep_seconds=2.0,
        rate=50.0, seconds=3.5, fault_at=0.5, fault_seconds=2.0, baseline=False, names=300, connections=4,
        warmup_seconds=0.5, idle_seconds=0.2,
    )  # fmt: skip
    report = bench_load(Settings.from_env(), "test:load:", options)

    assert report.problems == []
    assert report.names is not None and report.names.count > 0
    assert report.names.listed + report.names.made_up == report.names.count
    assert report.names.listed > 0

    [sweep] = report.sweep
    assert sweep.sent == 100  # 50 calls/s for 2 s, every one sent
    assert sweep.ok + sweep.failed == sweep.sent
    assert sweep.ok == sweep.sent  # no fault, fixture lists: nothing may fail
    assert sum(sweep.decisions.values()) == sweep.ok
    assert 0 < sweep.p50_s <= sweep.p90_s <= sweep.p99_s <= sweep.max_s < options.deadline_s
    assert sweep.send_rate == pytest.approx(50, rel=0.1)
    assert sweep.server_cpu_s > 0 and sweep.client_cpu_s > 0

    fault = report.faults["redis-stop"]
    run = fault.run
    assert run.sent == 175
    assert run.ok + run.failed == run.sent
    assert run.listed_errors + run.unlisted_errors == run.failed
    assert [p.label for p in fault.phases] == ["before", "during", "after"]
    assert sum(p.sent for p in fault.phases) == run.sent
    assert sum(sum(p.errors.values()) for p in fault.phases) == run.failed
    assert fault.fault_end_s - fault.fault_start_s == pytest.approx(2.0, abs=0.5)
    assert fault.audit is not None
    assert fault.audit.total == run.ok  # every successful screening has an id to look for
    assert 0 <= fault.audit.found <= fault.audit.total
    assert fault.audit.found <= fault.audit.in_stream + fault.audit.in_files

    assert [s.group for s in report.servers] == ["sweep", "redis-stop"]
    for server in report.servers:
        assert server.entries > 0 and server.startup_s > 0
        assert sum(server.placement.values()) == options.connections
        assert len(server.placement) == options.workers  # the connections reached every worker
        assert server.exit_code is not None and server.stop_s is not None
        assert len(server.pids) == 1 + options.workers and server.redis_pids

    print_load(report)
    printed = capsys.readouterr().out
    for heading in ("load sweep", "load redis-stop", "audit:", "load wall time"):
        assert heading in printed

    # Nothing the harness started is left: servers and their workers, the private redis-servers, the clients.
    for server in report.servers:
        for pid in server.pids:
            assert _gone(pid, "service.cli"), f"server process {pid} left running"
        for pid in server.redis_pids:
            assert _gone(pid, "redis-server"), f"private redis-server {pid} left running"
    for pid in report.client_pids:
        assert _gone(pid, "bench_load"), f"client process {pid} left running"
