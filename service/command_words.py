"""What the commands share: the words a person writes for the contract's enum values (command-line
flags, batch-file columns), the commands' exit statuses, and the settings a command's flags give.

A module of its own so that each command (`cli`, `batch`, `rescreen`, `keys`) imports it and no
command imports another.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from service.api.gen import screening_pb2 as pb
from service.settings import Settings, parse_http_port, parse_metrics_port

PARTY_TYPES = {
    "unknown": pb.PARTY_TYPE_UNSPECIFIED,
    "individual": pb.PARTY_TYPE_INDIVIDUAL,
    "organization": pb.PARTY_TYPE_ORGANIZATION,
    "vessel": pb.PARTY_TYPE_VESSEL,
    "aircraft": pb.PARTY_TYPE_AIRCRAFT,
}
DIRECTIONS = {
    "export": pb.DIRECTION_EXPORT,
    "import": pb.DIRECTION_IMPORT,
    "payment": pb.DIRECTION_PAYMENT,
    "other": pb.DIRECTION_OTHER,
}
# Every command's direction when none is given (check, batch and parties import alike): an
# export, the direction whose rules the crossover lists mostly carry (and the strictest).
DEFAULT_DIRECTION = "export"
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
# The server refused the caller: no or bad credentials (UNAUTHENTICATED), or not the role (PERMISSION_DENIED).
EXIT_DENIED = 4


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The environment's settings, with what the command's flags override (lists folder, address, workers)."""
    settings = Settings.from_env()
    overrides: dict[str, object] = {}
    if getattr(args, "lists_dir", None):
        overrides["lists_dir"] = Path(args.lists_dir)
    for name in ("port", "host", "workers"):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    if getattr(args, "insecure", False):
        overrides["insecure"] = True
    if getattr(args, "metrics_port", None) is not None:
        overrides["metrics_port"] = parse_metrics_port(args.metrics_port, "--metrics-port")
    if getattr(args, "http_port", None) is not None:
        overrides["http_port"] = parse_http_port(args.http_port, "--http-port")
        overrides["http_port_by_default"] = False
    return dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
