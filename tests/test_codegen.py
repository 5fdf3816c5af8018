"""The committed generated modules must be exactly what protos/ generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.api.codegen import GENERATED_DIRS, generate


@pytest.mark.parametrize("directory", GENERATED_DIRS, ids=lambda d: d.parent.name)
def test_generated_code_is_up_to_date(tmp_path: Path, directory: Path) -> None:
    """In the service and in the client package for integrators (clients/python): the same bytes."""
    fresh = generate(tmp_path)
    assert fresh, "protoc produced nothing"
    for path in fresh:
        committed = directory / path.name
        assert committed.exists(), f"{committed} is missing: run python -m service.api.codegen"
        assert committed.read_text() == path.read_text(), (
            f"{committed.name} is stale: run `python -m service.api.codegen` and commit the result"
        )
