"""lists/roles.toml: which roles may call which RPC, resolved once into a method table.

The table is keyed by full gRPC method path (`/screening.v1.ScreeningService/Screen`)
because that is what an interceptor sees; a method the file does not mention is
reachable by `admin` only, so an RPC added to the contract is closed until someone
decides who may call it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import msgspec

from service.auth.principal import ADMIN, ROLES, Principal
from service.config_files import LISTS_DIR, ConfigFileError, read_toml


class RoleSpec(msgspec.Struct, forbid_unknown_fields=True):
    description: str = ""
    methods: list[str] = []
    includes: list[str] = []
    all_methods: bool = False


class RolesFile(msgspec.Struct, forbid_unknown_fields=True):
    roles: dict[str, RoleSpec]


@dataclass(frozen=True)
class RoleTable:
    """Full method path -> the roles that may call it (admin implied everywhere)."""

    service: str
    allowed: dict[str, frozenset[str]]
    path: Path

    def roles_for(self, method: str) -> frozenset[str]:
        """The roles that may call `method` (a full path); admin alone for an unlisted one."""
        return self.allowed.get(method, frozenset({ADMIN}))

    def permits(self, principal: Principal, method: str) -> bool:
        return principal.has_any(self.roles_for(method))

    def describe(self, method: str) -> str:
        """'reviewer' or 'reviewer or admin': the roles a refusal names."""
        roles = sorted(self.roles_for(method) - {ADMIN}) or [ADMIN]
        return " or ".join(roles)


def default_roles_path() -> Path:
    return Path(os.environ.get("SCREENING_ROLES", LISTS_DIR / "roles.toml"))


def load_roles(service_name: str, methods: tuple[str, ...], path: Path | None = None) -> RoleTable:
    """Read and check the file against the contract's `methods` (short names) of `service_name`."""
    path = path or default_roles_path()
    spec, _ = read_toml(path, RolesFile)
    unknown_roles = set(spec.roles) - set(ROLES)
    if unknown_roles:
        raise ConfigFileError(f"{path}: roles.{min(unknown_roles)}: unknown role; roles are {', '.join(ROLES)}")
    direct: dict[str, set[str]] = {}
    for role, role_spec in spec.roles.items():
        for position, method in enumerate(role_spec.methods):
            if method not in methods:
                raise ConfigFileError(
                    f"{path}: roles.{role}.methods[{position}]: {method!r} is not a method of {service_name} "
                    f"({', '.join(methods)})"
                )
            direct.setdefault(method, set()).add(role)
        for position, included in enumerate(role_spec.includes):
            if included not in spec.roles or included == role:
                raise ConfigFileError(
                    f"{path}: roles.{role}.includes[{position}]: {included!r} is not another role of this file"
                )
    # `includes`: a role inherits the methods of the roles it includes (transitively).
    changed = True
    while changed:
        changed = False
        for role, role_spec in spec.roles.items():
            for included in role_spec.includes:
                for method, holders in direct.items():
                    if included in holders and role not in holders:
                        holders.add(role)
                        changed = True
    if ADMIN in spec.roles and not spec.roles[ADMIN].all_methods:
        raise ConfigFileError(f"{path}: roles.admin.all_methods: must be true (admin may call every method)")
    for role, role_spec in spec.roles.items():
        if role_spec.all_methods and role != ADMIN:
            raise ConfigFileError(f"{path}: roles.{role}.all_methods: only admin may hold every method")
    allowed = {f"/{service_name}/{method}": frozenset(holders | {ADMIN}) for method, holders in direct.items()}
    return RoleTable(service_name, allowed, path)
