"""The committed generated modules must be exactly what protos/ generates."""

from __future__ import annotations

from pathlib import Path

from service.api.codegen import GENERATED_DIR, generate


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    fresh = generate(tmp_path)
    assert fresh, "protoc produced nothing"
    for path in fresh:
        committed = GENERATED_DIR / path.name
        assert committed.exists(), f"{committed} is missing: run python -m service.api.codegen"
        assert committed.read_text() == path.read_text(), (
            f"{committed.name} is stale: run `python -m service.api.codegen` and commit the result"
        )
