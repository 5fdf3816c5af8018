"""`screening tls init DIR`: a private CA, a server certificate and client certificates, to try TLS and mTLS.

Why a command: a first TLS set-up mostly fails on details (a server certificate without the
address the client dials in its SANs, a client certificate without the clientAuth usage, a
CA without basic constraints, a key the whole machine can read), and each failure surfaces
as an opaque handshake error. This writes one consistent set and says which variables take
which file. It is for trying TLS and for tests: the CA key lies next to what it signed, so a
production deployment takes its certificates from the organisation's own CA instead.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_DAYS = 365
MAX_DAYS = 3650
# Certificates start a few minutes in the past: a peer whose clock is slightly behind still accepts them.
BACKDATE = timedelta(minutes=5)
KEY_MODE = 0o600
CERT_MODE = 0o644
# A client name becomes a file name (client-NAME.pem) and the certificate's common name (at most 64 characters).
_CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A DNS name (labels of letters, digits and hyphens), optionally a leading wildcard label.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")


class TlsInitError(ValueError):
    """The command cannot do what it was asked; the message names the option or file."""


@dataclass(frozen=True)
class Written:
    """One file written, and what it is (for the summary)."""

    path: Path
    what: str


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tls = commands.add_parser("tls", help="certificates for trying TLS and mutual TLS")
    tls_commands = tls.add_subparsers(dest="tls_command", required=True)
    init = tls_commands.add_parser(
        "init",
        help="write a private CA, a server certificate and client certificates into DIR",
        description="Write a private CA (ca.pem, ca.key), a server certificate (server.pem, server.key) and one client "
        "certificate per --client (client-NAME.pem, client-NAME.key) into DIR, and print the environment variables "
        "that use them. Keys are written with mode 0600 and never replaced without --force. For trials and tests: "
        "in production, use certificates of your organisation's CA.",
    )
    init.add_argument("dir", type=Path, metavar="DIR", help="where to write the files (created if missing, mode 0700)")
    init.add_argument("--host", action="append", default=[], metavar="NAME",
                      help="a host name or IP address clients dial, put in the server certificate; repeatable "
                           f"(default: {', '.join(DEFAULT_HOSTS)})")  # fmt: skip
    init.add_argument("--client", action="append", default=[], metavar="NAME",
                      help="a client certificate with common name NAME (map it to roles with SCREENING_MTLS_ROLES); "
                           "repeatable")  # fmt: skip
    init.add_argument("--days", type=int, default=DEFAULT_DAYS,
                      help=f"validity of every certificate, 1 to {MAX_DAYS} (default {DEFAULT_DAYS})")  # fmt: skip
    init.add_argument("--force", action="store_true",
                      help="replace the files in DIR (a new CA: certificates of the old one stop working)")  # fmt: skip
    tls.set_defaults(func=cmd_tls)


def cmd_tls(args: argparse.Namespace) -> int:
    """`screening tls init`: 0 when written, 2 when refused (the message says why and what to do)."""
    try:
        written = init_tls(args.dir, args.host or DEFAULT_HOSTS, args.client, args.days, args.force)
    except TlsInitError as exc:
        print(f"screening tls init: {exc}", file=sys.stderr)
        return 2
    print(summary(written, args.dir, args.client))
    return 0


def init_tls(
    directory: Path, hosts: Sequence[str], clients: Sequence[str], days: int = DEFAULT_DAYS, force: bool = False
) -> list[Written]:
    """Write the CA, the server certificate for `hosts` and a certificate per client name into `directory`.

    Everything is checked before anything is written, so a refusal leaves the directory as it was.
    Raises TlsInitError naming the option or the existing file.
    """
    if not 1 <= days <= MAX_DAYS:
        raise TlsInitError(f"--days {days}: give a number of days from 1 to {MAX_DAYS}")
    names = [_subject_alternative_name(host) for host in dict.fromkeys(h.strip() for h in hosts)]
    clients = list(dict.fromkeys(clients))
    for client in clients:
        if not _CLIENT_NAME.fullmatch(client):
            raise TlsInitError(
                f"--client {client[:80]!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or "
                "digit (it names the files client-NAME.pem and client-NAME.key)"
            )
    targets = ["ca.pem", "ca.key", "server.pem", "server.key"]
    targets += [f"client-{client}.{ext}" for client in clients for ext in ("pem", "key")]
    if directory.exists() and not directory.is_dir():
        raise TlsInitError(f"{directory} exists and is not a directory: choose another DIR")
    if not force:
        for target in targets:
            if (directory / target).exists():
                raise TlsInitError(
                    f"{directory / target} exists: pass --force to replace it and the rest of the set, "
                    "or choose another DIR"
                )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    now = datetime.now(UTC)
    not_before, not_after = now - BACKDATE, now + timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "crossover-screening (tls init)"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"screening tls init CA {now:%Y-%m-%d %H:%M:%S}"),
    ])  # fmt: skip
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), not_before, not_after, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    written = [
        _write_cert(directory / "ca.pem", ca_cert, f"CA certificate, valid until {not_after:%Y-%m-%d}"),
        _write_key(directory / "ca.key", ca_key, "CA private key, needed by neither server nor clients"),
    ]
    issuer = _Issuer(ca_name, ca_key, not_before, not_after)
    hosts_text = ", ".join(str(name.value) for name in names)
    server_cert, server_key = issuer.sign(str(names[0].value), ExtendedKeyUsageOID.SERVER_AUTH, names)
    written += [
        _write_cert(directory / "server.pem", server_cert, f"server certificate for {hosts_text}"),
        _write_key(directory / "server.key", server_key, "server private key"),
    ]
    for client in clients:
        client_cert, client_key = issuer.sign(client, ExtendedKeyUsageOID.CLIENT_AUTH, [])
        written += [
            _write_cert(directory / f"client-{client}.pem", client_cert, f"client certificate, CN={client}"),
            _write_key(directory / f"client-{client}.key", client_key, f"client private key of {client}"),
        ]
    return written


def summary(written: Sequence[Written], directory: Path, clients: Sequence[str]) -> str:
    """What was written, and the environment variables for the server and for clients."""
    base = directory.resolve()

    def env(variable: str, name: str, indent: str = "  ") -> str:
        return f"{indent}export {variable}={shlex.quote(str(base / name))}"

    lines = [f"wrote {item.path.resolve()}  ({item.what})" for item in written]
    clients = list(dict.fromkeys(clients))
    lines += ["", "Server, TLS:", env("SCREENING_TLS_CERT", "server.pem"), env("SCREENING_TLS_KEY", "server.key")]
    lines += ["Server, mutual TLS (client certificates signed by this CA required):"]
    lines += [env("SCREENING_TLS_CLIENT_CA", "ca.pem")]
    if clients:
        # A client certificate is an identity only once its common name is mapped to roles (service/auth).
        roles = ";".join(f"{client}=screener" for client in clients)
        lines.append(f"  export SCREENING_MTLS_ROLES={shlex.quote(roles)}   (common name -> roles; adjust them)")
    lines += ["Clients (--target a host name or address of the server certificate):", env("SCREENING_TLS_CA", "ca.pem")]
    for client in clients:
        lines.append(f"  as {client}:")
        lines += [env("SCREENING_TLS_CLIENT_CERT", f"client-{client}.pem", "    ")]
        lines += [env("SCREENING_TLS_CLIENT_KEY", f"client-{client}.key", "    ")]
    return "\n".join(lines)


# ---------------------------------------------------------------- certificates


def _subject_alternative_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        example = "e.g. screening.internal or 10.0.0.5"
        raise TlsInitError(f"--host {host[:80]!r}: give a DNS name or an IP address the clients dial ({example})")
    return x509.DNSName(host.lower())


@dataclass(frozen=True)
class _Issuer:
    """The CA, signing server and client (leaf) certificates."""

    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    not_before: datetime
    not_after: datetime

    def sign(
        self, common_name: str, usage: x509.ObjectIdentifier, alternative_names: list[x509.GeneralName]
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        builder = (
            _builder(subject, self.name, key.public_key(), self.not_before, self.not_after, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if alternative_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    # ECDSA keys sign (the TLS handshake, or certificates for the CA); they never encipher keys.
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    not_after: datetime,
    issuer_key: ec.EllipticCurvePublicKey,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False)
    )


# ---------------------------------------------------------------- files


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey, what: str) -> Written:
    # Unencrypted PKCS#8: what gRPC and the settings read; the file mode is the protection.
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write(path, pem, KEY_MODE)
    return Written(path, f"{what}, mode 0600")


def _write_cert(path: Path, cert: x509.Certificate, what: str) -> Written:
    _write(path, cert.public_bytes(serialization.Encoding.PEM), CERT_MODE)
    return Written(path, what)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write through a new file of the final mode, renamed over the target: a key is never readable by others, not
    even for a moment, and a replaced file of a looser mode does not pass its mode on."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
