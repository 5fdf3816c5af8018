"""Credentials made for a test: a throw-away CA (trustme), API keys per role, signed tokens.

A plain module (not conftest) so that tests import what they use by name.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import trustme
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from service.settings import ClientSettings, OidcSettings, Settings, TlsSettings

ISSUER = "https://idp.test.example/"
AUDIENCE = "screening-api"
# Client certificate common names the test servers map to roles (SCREENING_MTLS_ROLES).
MTLS_SCREENER = "erp-mtls"


@dataclass
class Pki:
    """A CA, a server certificate for loopback, client certificates; all written to `folder`."""

    folder: Path
    ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ca_file = self.folder / "ca.pem"
        self.ca_file.write_bytes(self.ca.cert_pem.bytes())
        server = self.ca.issue_cert("localhost", "127.0.0.1", "::1")
        self.server_cert = self._write("server.pem", b"".join(blob.bytes() for blob in server.cert_chain_pems))
        self.server_key = self._write("server.key", server.private_key_pem.bytes())

    def _write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def client(self, common_name: str) -> tuple[Path, Path]:
        """A client certificate and key issued by this CA."""
        leaf = self.ca.issue_cert(f"{common_name}.clients.test", common_name=common_name)
        cert = self._write(f"client-{common_name}.pem", b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key = self._write(f"client-{common_name}.key", leaf.private_key_pem.bytes())
        return cert, key

    def server_tls(self, mutual: bool) -> TlsSettings:
        return TlsSettings(self.server_cert, self.server_key, self.ca_file if mutual else None)

    def client_settings(
        self, target: str, api_key: str = "", certificate: tuple[Path, Path] | None = None
    ) -> ClientSettings:
        cert, key = certificate if certificate else (None, None)
        return ClientSettings(
            target=target, api_key=api_key, tls_ca=self.ca_file, tls_client_cert=cert, tls_client_key=key
        )


@dataclass
class TokenIssuer:
    """An identity provider's signing key, its JWKS file, and tokens signed by it (or not)."""

    folder: Path
    kid: str = "test-key-1"

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        self.jwks_file = self.folder / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [jwk]}))

    def settings(self) -> OidcSettings:
        return OidcSettings(jwks=str(self.jwks_file), issuer=ISSUER, audience=AUDIENCE)

    def token(self, subject: str, roles: list[str], *, expires_in: float = 600, audience: str = AUDIENCE,
              wrong_signature: bool = False, **claims: Any) -> str:  # fmt: skip
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": audience,
            "sub": subject,
            "roles": roles,
            "iat": now,
            "exp": int(now + expires_in),
        }
        payload.update(claims)
        signer = self.other_key if wrong_signature else self.key
        return jwt.encode(payload, signer, algorithm="RS256", headers={"kid": self.kid})


def with_auth(settings: Settings, **auth_changes: Any) -> Settings:
    """`settings` with fields of its AuthSettings changed."""
    return dataclasses.replace(settings, auth=dataclasses.replace(settings.auth, **auth_changes))


class AuthedStub:
    """A stub whose every call carries `authorization: Bearer <credential>`."""

    def __init__(self, stub: Any, credential: str) -> None:
        self._stub = stub
        self._metadata = (("authorization", f"Bearer {credential}"),)

    def __getattr__(self, method: str) -> Any:
        call = getattr(self._stub, method)

        def with_credential(*args: Any, **kwargs: Any) -> Any:
            kwargs["metadata"] = (*kwargs.get("metadata", ()), *self._metadata)
            return call(*args, **kwargs)

        return with_credential
