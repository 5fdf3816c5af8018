"""What the commands share: the words a person writes for the contract's enum values (command-line
flags, batch-file columns), how one identifier is written (`TYPE[@CC]=VALUE`), the commands' exit
statuses, and the settings a command's flags give.

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


IDENTIFIER_FORM = "write TYPE=VALUE (or TYPE@COUNTRY=VALUE), e.g. imo=9187629"


def parse_identifier(text: str) -> pb.Identifier:
    """One identifier as a person writes it: `TYPE=VALUE` or `TYPE@CC=VALUE` (CC: the issuing
    country), e.g. imo=9187629, passport@IR=D9016371, wallet:XBT=1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V.

    `check --identifier` and the batch files' `identifiers` column both write it so. Only the form
    is checked here (raising ValueError naming the text); the type, the country and the value are
    the service's to judge, so the command line, a batch file and the API agree on every message.
    """
    head, separator, value = text.partition("=")
    type_name, _, country = head.partition("@")
    if not separator or not type_name.strip() or not value.strip():
        raise ValueError(f"{text[:64]!r}: {IDENTIFIER_FORM}")
    return pb.Identifier(type=type_name.strip(), value=value.strip(), issuing_country=country.strip().upper())


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
