"""`screening keys create|list|revoke`: API key administration straight in Redis.

Whoever can reach Redis can change anything, so these commands need no API key
themselves; what they write names the operating-system user and host
(`local_operator()`). `create` prints the new key once, as the last line of
stdout (`... | tail -n 1` hands it to a secret manager); only its hash is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec

from service.auth.principal import ROLES
from service.command_words import EXIT_BAD_INPUT

if TYPE_CHECKING:
    from service.auth.keys import KeyInfo

# The command-line spelling of the argument an ApiKeyError names.
_OPTIONS = {"name": "--name", "roles": "--role", "grace": "--grace", "key_id": "--key-id"}


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="API keys: create (or rotate), list, revoke")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key (shown once) for a client, or rotate its key")
    create.add_argument("--name", required=True,
                        help="the client: 1-64 of A-Z a-z 0-9 . _ @ - (it calls as principal key:NAME)")  # fmt: skip
    create.add_argument("--role", action="append", required=True, metavar="ROLE",
                        help=f"repeat for several: {', '.join(ROLES)}")  # fmt: skip
    create.add_argument("--rotate", action="store_true",
                        help="replace the name's valid key(s): they keep working for --grace, then expire")  # fmt: skip
    create.add_argument(
        "--grace",
        metavar="DURATION",
        help="with --rotate: how long the old key(s) keep working, e.g. 30m, 24h or 0s (default 24h)",
    )
    listing = key_commands.add_parser("list", help="every key: name, id, roles, state, creation, last use, expiry")
    listing.add_argument("--include-revoked", action="store_true", help="revoked keys too")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    revoke = key_commands.add_parser("revoke", help="revoke a name's valid keys now (all servers within seconds)")
    revoke.add_argument("name", help="the key name")
    revoke.add_argument(
        "--key-id", help="only this key (the 8 hex digits `keys list` shows), e.g. the old one after a rotation"
    )
    keys.set_defaults(func=cmd_keys)


def cmd_keys(args: argparse.Namespace) -> int:
    return asyncio.run(_keys(args))


async def _keys(args: argparse.Namespace) -> int:
    from service.auth.keys import DEFAULT_GRACE, ApiKeyError, ApiKeyStore
    from service.auth.principal import local_operator
    from service.config_files import parse_duration
    from service.settings import Settings
    from service.store.connection import connect

    grace = DEFAULT_GRACE
    if args.keys_command == "create" and args.grace is not None:
        if not args.rotate:
            return _bad_input("--grace: only means something with --rotate (how long the old key keeps working)")
        try:
            grace = parse_duration(args.grace)
        except ValueError as exc:
            return _bad_input(f"--grace: {exc}")
    settings = Settings.from_env()
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = ApiKeyStore(connection.client, settings.key_prefix)
        operator = local_operator().name
        if args.keys_command == "create":
            created = await store.create(args.name, args.role, operator, rotate=args.rotate, grace=grace)
            key = created.key
            roles = ", ".join(key.roles)
            print(f"created API key {key.key_id} for {key.name!r} (principal key:{key.name}), roles: {roles}")
            if args.rotate:
                for old in created.rotated:
                    assert old.expires_at is not None
                    print(f"rotated out key {old.key_id}: it stops working at {_show(old.expires_at)}")
                if not created.rotated:
                    print(f"no valid key of {key.name!r} to rotate out")
            print("the key is shown once: store it now (only its hash is kept)")
            print(created.secret)
        elif args.keys_command == "list":
            infos = await store.list(include_revoked=args.include_revoked)
            if args.json:
                print(msgspec.json.format(msgspec.json.encode(infos), indent=2).decode())
            else:
                _print_table(infos)
        else:
            count = await store.revoke(args.name, operator, key_id=args.key_id)
            what = f"key {args.key_id.strip().lower()}" if args.key_id else f"{count} key{'s' if count != 1 else ''}"
            print(f"revoked {what} of {args.name!r}; servers refuse it within seconds")
        return 0
    except ApiKeyError as exc:
        option = _OPTIONS.get(exc.argument, exc.argument)
        return _bad_input(f"{option}: {exc.detail}" if option else exc.detail)
    finally:
        await connection.close()


def _bad_input(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _print_table(infos: list[KeyInfo]) -> None:
    header = ("NAME", "KEY ID", "ROLES", "STATE", "CREATED", "CREATED BY", "LAST USED", "EXPIRES")
    rows = [
        (i.name, i.key_id, ",".join(i.roles), i.state, _show(i.created_at), i.created_by,
         _show(i.last_used_at) if i.last_used_at else "never",
         _show(i.revoked_at) + " (revoked)" if i.revoked_at else _show(i.expires_at) if i.expires_at else "-")
        for i in infos
    ]  # fmt: skip
    if not rows:
        print("no API keys; create one with `screening keys create --name NAME --role ROLE`")
        return
    widths = [max(len(row[c]) for row in (header, *rows)) for c in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _show(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
