"""The deployment files agree with the service: settings they name exist, records are durable."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]


def settings_variables() -> set[str]:
    """Every environment variable the service reads (string literals naming one in its settings code)."""
    text = "".join(path.read_text() for path in (REPOSITORY / "service").rglob("*.py"))
    return set(re.findall(r"\"((?:SCREENING|REDIS|AUDIT|RESCREEN|LOG|LISTS|XDG)_[A-Z0-9_]+)\"", text))


def test_compose_keeps_redis_and_audit_files_on_volumes_and_names_real_settings() -> None:
    compose = yaml.safe_load((REPOSITORY / "docker-compose.yml").read_text())
    services, volumes = compose["services"], set(compose["volumes"])
    redis = services["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--appendfsync everysec" in command
    assert any(mount.split(":")[1] == "/data" and mount.split(":")[0] in volumes for mount in redis["volumes"])

    screening = services["screening"]
    environment = screening["environment"]
    audit_dir = environment["AUDIT_DIR"]
    assert any(mount.split(":")[1] == audit_dir and mount.split(":")[0] in volumes for mount in screening["volumes"])
    known = settings_variables()
    for service in services.values():
        for name in service.get("environment", {}):
            assert name in known, f"docker-compose.yml sets {name}, which the service does not read"
    # Scaling out: each replica takes the next host port of a range, none is fixed.
    assert all("-" in port.split(":")[0] for port in screening["ports"])


def test_every_environment_variable_the_service_reads_is_in_the_readme() -> None:
    read = settings_variables() | set(
        re.findall(
            r"environ\.get\(\"([A-Z][A-Z0-9_]+)\"",
            "".join(p.read_text() for p in (REPOSITORY / "service").rglob("*.py")),
        )
    )
    readme = (REPOSITORY / "README.md").read_text()
    undocumented = sorted(name for name in read if name not in readme)
    assert len(read) > 40 and not undocumented, f"not in the README: {undocumented}"


def test_the_image_points_every_data_file_setting_at_its_copy_of_lists() -> None:
    """Installed from the lock file (not editable), the package has no lists/ beside it: the image must
    name each data file the service reads from there (a missing one fails the first screening)."""
    code = "".join(path.read_text() for path in (REPOSITORY / "service").rglob("*.py"))
    defaults = dict(re.findall(r"environ\.get\(\"(SCREENING_[A-Z_]+)\", LISTS_DIR / \"([a-z_]+\.toml)\"\)", code))
    image_env = dict(re.findall(r"(SCREENING_[A-Z_]+)=(\S+)", (REPOSITORY / "Dockerfile").read_text()))
    assert len(defaults) >= 6
    for variable, file_name in defaults.items():
        assert image_env.get(variable) == f"/app/lists/{file_name}", variable
        assert (REPOSITORY / "lists" / file_name).is_file()
    assert "COPY lists /app/lists" in (REPOSITORY / "Dockerfile").read_text()
