"""Provider secrets in both key stores: sealed under the KEK, replaced when stored again.

Run on the SQLite and the PostgreSQL key store (the ``key_store`` fixture, tests/conftest.py).
"""

from __future__ import annotations

import os

import pytest

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.crypto.keystore import KeyStore
from hub.adapters.providers.secrets import ProviderSecrets
from translation.errors import ProviderConfigError

NAME = "provider:north/tax/basic"


def test_a_secret_stored_again_replaces_the_first(key_store: KeyStore) -> None:
    """Rotation of a provider's password: the second value is the one opened."""
    secrets = ProviderSecrets(SubjectKeyring(key_store, os.urandom(32)))
    secrets.store(NAME, "first")
    secrets.store(NAME, "second")
    assert secrets.open(NAME, field="auth.secret", where="t") == "second"
    assert b"second" not in (key_store.get_secret(NAME) or b"")


def test_a_secret_does_not_open_under_another_kek(key_store: KeyStore) -> None:
    """Sealed means sealed: another key-encryption key cannot read it."""
    ProviderSecrets(SubjectKeyring(key_store, os.urandom(32))).store(NAME, "value")
    with pytest.raises(Exception, match="key-encryption key does not open"):
        ProviderSecrets(SubjectKeyring(key_store, os.urandom(32))).open(
            NAME, field="auth.secret", where="t")


def test_an_unknown_secret_names_the_field_and_the_command(key_store: KeyStore) -> None:
    """Opening a secret never stored: the field and the command that stores it are named."""
    secrets = ProviderSecrets(SubjectKeyring(key_store, os.urandom(32)))
    with pytest.raises(ProviderConfigError) as caught:
        secrets.open("provider:nothing", field="tls.key_secret", where="service x")
    assert caught.value.field == "tls.key_secret"
    assert "interop-hub provider-secret set provider:nothing" in caught.value.message
