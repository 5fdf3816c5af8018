"""`screening tls init`: the files it writes, and a real gRPC server and clients using them for mutual TLS.

Run through an argparse parser built with `add_arguments`, as the CLI does, and checked with a
plain `grpc.aio` server offering only the standard health service: what is under test is the
certificates, not the screening server's TLS settings.
"""

from __future__ import annotations

import argparse
import ipaddress
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from service.tls_init import KEY_MODE, add_arguments


def run(*arguments: str) -> int:
    parser = argparse.ArgumentParser(prog="screening")
    add_arguments(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["tls", "init", *arguments])
    return args.func(args)


def certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def usages(cert: x509.Certificate) -> x509.ExtendedKeyUsage:
    return cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def tls_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    directory = tmp_path / "tls"
    assert run(str(directory), "--client", "erp-prod", "--client", "batch") == 0
    capsys.readouterr()
    return directory


# ---------------------------------------------------------------- files


def test_writes_the_set_with_private_keys_readable_by_the_owner_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "tls"
    assert run(str(directory), "--client", "erp-prod", "--days", "30") == 0
    files = {"ca.pem", "ca.key", "server.pem", "server.key", "client-erp-prod.pem", "client-erp-prod.key"}
    assert {path.name for path in directory.iterdir()} == files
    for name in files:
        if name.endswith(".key"):
            assert mode(directory / name) == KEY_MODE == 0o600, name
            key = load_pem_private_key((directory / name).read_bytes(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
        else:
            assert mode(directory / name) & 0o022 == 0, name  # nobody else may replace a certificate
    assert mode(directory) == 0o700

    out = capsys.readouterr().out
    base = directory.resolve()
    for name in files:
        assert f"wrote {base / name}" in out
    for line in (f"export SCREENING_TLS_CERT={base / 'server.pem'}", f"export SCREENING_TLS_KEY={base / 'server.key'}",
                 f"export SCREENING_TLS_CLIENT_CA={base / 'ca.pem'}", f"export SCREENING_TLS_CA={base / 'ca.pem'}",
                 f"export SCREENING_TLS_CLIENT_CERT={base / 'client-erp-prod.pem'}",
                 f"export SCREENING_TLS_CLIENT_KEY={base / 'client-erp-prod.key'}",
                 "export SCREENING_MTLS_ROLES=erp-prod=screener"):  # fmt: skip
        assert line in out, line

    server = certificate(directory / "server.pem")
    lifetime = server.not_valid_after_utc - server.not_valid_before_utc
    assert 30 * 86400 <= lifetime.total_seconds() <= 30 * 86400 + 3600


def test_certificates_have_the_constraints_and_usages_tls_checks(tls_dir: Path) -> None:
    ca = certificate(tls_dir / "ca.pem")
    server = certificate(tls_dir / "server.pem")
    client = certificate(tls_dir / "client-erp-prod.pem")

    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).critical
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    for leaf in (server, client):
        leaf.verify_directly_issued_by(ca)
        assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)
        assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        assert not leaf.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
        assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)

    assert list(usages(server)) == [ExtendedKeyUsageOID.SERVER_AUTH]
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]

    assert list(usages(client)) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "erp-prod"
    assert certificate(tls_dir / "client-batch.pem").subject.rfc4514_string() == "CN=batch"


def test_hosts_given_replace_the_defaults(tmp_path: Path) -> None:
    assert run(str(tmp_path / "tls"), "--host", "screening.internal", "--host", "10.0.0.5", "--host", "[fd00::5]") == 0
    server = certificate(tmp_path / "tls" / "server.pem")
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["screening.internal"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(a) for a in ("10.0.0.5", "fd00::5")]
    assert server.subject.rfc4514_string() == "CN=screening.internal"


def test_existing_files_are_kept_unless_forced(tls_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {path.name: path.read_bytes() for path in tls_dir.iterdir()}
    assert run(str(tls_dir)) == 2
    error = capsys.readouterr().err
    assert f"{tls_dir / 'ca.pem'} exists: pass --force" in error
    # A new client name alone is refused too: its certificate would need the CA replaced.
    assert run(str(tls_dir), "--client", "newcomer") == 2
    assert {path.name: path.read_bytes() for path in tls_dir.iterdir()} == before

    # A key left readable by others is replaced by one that is not.
    (tls_dir / "server.key").chmod(0o644)
    assert run(str(tls_dir), "--force", "--client", "erp-prod") == 0
    assert (tls_dir / "server.key").read_bytes() != before["server.key"]
    assert (tls_dir / "ca.pem").read_bytes() != before["ca.pem"]
    assert mode(tls_dir / "server.key") == 0o600
    assert not [path.name for path in tls_dir.iterdir() if path.name.startswith(".")]  # no temporary files left


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--client", "../escape"], "--client '../escape': use 1 to 64 letters, digits"),
        (["--client", "x" * 65], "use 1 to 64 letters"),
        (["--client", "erp\n"], "--client 'erp\\n': use 1 to 64 letters"),
        (["--host", "not a host"], "--host 'not a host': give a DNS name or an IP address"),
        (["--days", "0"], "--days 0: give a number of days from 1 to 3650"),
    ],
)
def test_bad_options_are_refused_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert run(str(tmp_path / "tls"), *arguments) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "tls").exists()


# ---------------------------------------------------------------- mutual TLS over gRPC


@pytest.fixture
async def mtls_port(tls_dir: Path) -> AsyncIterator[int]:
    """A gRPC server with only the health service, requiring client certificates signed by the CA."""
    credentials = grpc.ssl_server_credentials(
        [((tls_dir / "server.key").read_bytes(), (tls_dir / "server.pem").read_bytes())],
        root_certificates=(tls_dir / "ca.pem").read_bytes(),
        require_client_auth=True,
    )
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    try:
        yield port
    finally:
        await server.stop(None)


async def check(port: int, credentials: grpc.ChannelCredentials, target_host: str = "127.0.0.1") -> int:
    async with grpc.aio.secure_channel(f"{target_host}:{port}", credentials) as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        return response.status


async def test_a_client_with_its_certificate_is_served(tls_dir: Path, mtls_port: int) -> None:
    ca = (tls_dir / "ca.pem").read_bytes()
    for client in ("erp-prod", "batch"):
        key, cert = (tls_dir / f"client-{client}.key").read_bytes(), (tls_dir / f"client-{client}.pem").read_bytes()
        # 127.0.0.1 is checked against the certificate's IP addresses, localhost against its DNS names.
        for host in ("127.0.0.1", "localhost"):
            credentials = grpc.ssl_channel_credentials(ca, key, cert)
            assert await check(mtls_port, credentials, host) == health_pb2.HealthCheckResponse.SERVING


async def test_a_client_without_a_certificate_of_the_ca_cannot_call(
    tls_dir: Path, mtls_port: int, tmp_path: Path
) -> None:
    ca = (tls_dir / "ca.pem").read_bytes()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await check(mtls_port, grpc.ssl_channel_credentials(ca))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE

    # A client certificate of another CA (another `tls init`) is refused too.
    other = tmp_path / "other"
    assert run(str(other), "--client", "stranger") == 0
    key, cert = (other / "client-stranger.key").read_bytes(), (other / "client-stranger.pem").read_bytes()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await check(mtls_port, grpc.ssl_channel_credentials(ca, key, cert))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_client_trusting_another_ca_refuses_the_server(tls_dir: Path, mtls_port: int, tmp_path: Path) -> None:
    assert run(str(tmp_path / "other")) == 0
    key, cert = (tls_dir / "client-erp-prod.key").read_bytes(), (tls_dir / "client-erp-prod.pem").read_bytes()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await check(mtls_port, grpc.ssl_channel_credentials((tmp_path / "other" / "ca.pem").read_bytes(), key, cert))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
