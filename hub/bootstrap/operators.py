"""The region's operator accounts, built the same way by the CLI and by the running console."""

from __future__ import annotations

from hub.adapters.store.ledger import Ledger
from hub.service_layer.operators import OperatorDirectory
from hub.service_layer.operators.secrets import OperatorSecrets
from hub.settings import HubSettings

CONSOLE_SECRET = "operator-console"  # noqa: S105 - the name of a stored secret, not a secret
"""The key-store secret the console's keys derive from (hub.service_layer.operators.secrets)."""


def operator_directory(settings: HubSettings, ledger: Ledger) -> OperatorDirectory:
    """The region's operator accounts over ``ledger``.

    The console's keys derive from a region secret kept in the key store, wrapped by the
    KEK, so ``interop-hub keys rotate-kek`` re-wraps it and TOTP secrets and sessions
    survive a KEK rotation.
    """
    secrets = OperatorSecrets(ledger.keyring.secret(CONSOLE_SECRET))
    return OperatorDirectory(ledger, secrets, issuer=f"interop-hub {settings.region}")
