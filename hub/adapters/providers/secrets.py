"""Provider secrets sealed under the key-encryption key, and credentials resolved from them.

A secret is stored in the region's key store like every other long-lived secret
(KEK-wrapped, re-wrapped by a KEK rotation) under its reference name
(``provider:...``). The hub unseals each one once, when it starts, and hands
the provider adapters ready credentials (:class:`translation.provider_auth.ProviderAuth`);
a secret stored again takes effect at the hub's next start.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.providers.auth_config import ProviderAuthConfig, check_secret_name
from translation.errors import ProviderConfigError
from translation.provider_auth import ProviderAuth, basic_authorization, client_ssl_context
from translation.wsse import UsernameToken


class ProviderSecrets:
    """Stores and opens provider secrets in the keyring's store."""

    def __init__(self, keyring: SubjectKeyring) -> None:
        self._keyring = keyring

    def store(self, name: str, value: str) -> None:
        """Seal ``value`` as the secret ``name`` (replacing an earlier one)."""
        check_secret_name(name)
        if not value:
            raise ProviderConfigError(f"{name}: the secret is empty", field="value")
        self._keyring.seal_secret(name, value.encode())

    def open(self, name: str, *, field: str, where: str) -> str:
        """The secret ``name``; ProviderConfigError naming ``field`` if none is stored."""
        value = self._keyring.sealed_secret(check_secret_name(name, field=field, where=where))
        if value is None:
            raise ProviderConfigError(
                f"{where}: {field} names the secret {name!r}, which is not stored; store it "
                f"with: interop-hub provider-secret set {name}", field=field)
        return value.decode()

    def resolve(self, config: ProviderAuthConfig, *, where: str) -> ProviderAuth:
        """The credentials an adapter sends: files read, secrets unsealed, context built."""
        ssl_context, headers, token = None, {}, None
        if config.tls is not None:
            tls = config.tls
            passphrase = (None if tls.key_secret is None else self.open(
                tls.key_secret, field="tls.key_secret", where=where).encode())
            ssl_context = client_ssl_context(ca=tls.ca, cert=tls.cert, key=tls.key,
                                             passphrase=passphrase, where=where)
        if config.auth is not None:
            password = self.open(config.auth.secret, field="auth.secret", where=where)
            if config.auth.kind == "basic":
                headers = basic_authorization(config.auth.username, password)
            else:
                token = UsernameToken(config.auth.username, password)
        return ProviderAuth(ssl=ssl_context, headers=headers, username_token=token)

    def resolve_all(self, configs: Iterable[tuple[str, ProviderAuthConfig | None]],
                    ) -> dict[str, ProviderAuth]:
        """Credentials by service id, for the services that declare any."""
        return {service: self.resolve(config, where=f"service {service}")
                for service, config in configs if config is not None}
