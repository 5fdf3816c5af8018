"""requirements.lock pins, with hashes, every runtime dependency pyproject.toml declares, at a version it allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPOSITORY = Path(__file__).resolve().parents[1]


def pinned() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    text = (REPOSITORY / "requirements.lock").read_text()
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = re.match(r"([A-Za-z0-9._-]+)==([^\s\\;]+)", block)
        if head:
            found[canonicalize_name(head.group(1))] = (head.group(2), block.count("--hash=sha256:"))
    return found


def test_every_dependency_is_pinned_with_hashes_at_an_allowed_version() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    locked = pinned()
    assert len(locked) > len(project["dependencies"])  # their own dependencies are pinned too
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock: regenerate it (README, 'Dependencies')"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (line, version)
        assert hashes >= 1, name
    assert all(hashes >= 1 for _, hashes in locked.values())
