"""From a call's credentials to a Principal: API keys, identity-provider tokens, client certificates.

One place decides what a credential means, whatever the transport (the gRPC
interceptor today, the HTTP door later):

- `authorization: Bearer scr_...` is an API key (service.auth.keys);
- any other bearer credential is a token of the configured identity provider
  (service.auth.tokens), or refused when none is configured;
- with no bearer credential, a client certificate whose common name is mapped to
  roles (SCREENING_MTLS_ROLES) is the identity;
- nothing at all is `None`: the caller decides whether anonymous is allowed.

A bearer credential wins over the certificate: a gateway holding one client
certificate can still act for several principals.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.auth.keys import ApiKeyTable
from service.auth.principal import AuthError, Principal
from service.auth.tokens import TokenVerifier

API_KEY_PREFIX = "scr_"
# A bearer credential longer than this is not one we issued or verify (JWTs are a few KB at most).
MAX_CREDENTIAL_CHARS = 16_384


class Authenticator:
    def __init__(
        self,
        keys: ApiKeyTable | None,
        tokens: TokenVerifier | None = None,
        mtls_roles: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self._keys = keys
        self._tokens = tokens
        self._mtls_roles = dict(mtls_roles or {})

    async def authenticate(self, authorization: str | None, certificate_name: str | None = None) -> Principal | None:
        """The principal behind a call's `authorization` value and client-certificate common name.

        Returns None when the call carries no credential at all; raises AuthError
        (reason, message without the credential) when it carries a bad one.
        """
        if authorization is not None:
            return await self._bearer(authorization)
        if certificate_name is not None:
            roles = self._mtls_roles.get(certificate_name)
            if roles is None:
                raise AuthError(
                    "unmapped_certificate",
                    f"client certificate CN={certificate_name[:64]!r} is not mapped to a role (SCREENING_MTLS_ROLES) "
                    "and no 'authorization: Bearer' credential was sent",
                )
            return Principal(f"cert:{certificate_name}", roles, "mtls")
        return None

    async def _bearer(self, authorization: str) -> Principal:
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthError("malformed_header", "the authorization metadata must be 'Bearer <API key or token>'")
        if len(credential) > MAX_CREDENTIAL_CHARS:
            raise AuthError(
                "malformed_token", f"the bearer credential is longer than {MAX_CREDENTIAL_CHARS} characters"
            )
        if credential.startswith(API_KEY_PREFIX):
            if self._keys is None:
                raise AuthError("unknown_key", "API keys are not available on this server")
            return await self._keys.authenticate(credential)
        if self._tokens is None:
            raise AuthError(
                "unknown_credential",
                "the bearer credential is not an API key (those start with 'scr_') and no identity provider is "
                "configured (SCREENING_OIDC_JWKS)",
            )
        return self._tokens.verify(credential)
