"""Settings in, a keyring and a ledger out: the one way entry points build the ledger.

``bootstrap`` (the running hub) and the CLI both call :func:`build_ledger`, so
every process that reads or writes events seals and opens personal fields the
same way, with the same key store.
"""

from __future__ import annotations

from hub.adapters.crypto.kek import create_kek_file, parse_kek, read_kek_file
from hub.adapters.crypto.keystore import KeyStore, open_key_store
from hub.adapters.store.selection import store_environment
from hub.service_layer.exchanges.ledger import Ledger
from hub.service_layer.privacy.errors import KeyEncryptionKeyError
from hub.service_layer.privacy.keyring import SubjectKeyring
from hub.settings import HubSettings


def open_keyring(settings: HubSettings) -> SubjectKeyring:
    """The region's keyring: its key store, opened under the key-encryption key."""
    store = open_key_store(settings.key_store, settings.store, settings.data)
    try:
        keyring = SubjectKeyring(store, _key_encryption_key(settings, store))
        keyring.check()
    except BaseException:
        store.close()
        raise
    return keyring


def build_ledger(settings: HubSettings) -> Ledger:
    """The ledger of ``settings``' event store, sealing personal fields with its keyring."""
    keyring = open_keyring(settings)
    try:
        return Ledger(store_environment(settings.store, settings.data), keyring=keyring)
    except BaseException:
        keyring.close()
        raise


def _key_encryption_key(settings: HubSettings, store: KeyStore) -> bytes:
    if settings.kek is not None:
        return parse_kek(settings.kek.get_secret_value(), "HUB_KEK")
    path = settings.kek_file or settings.data / "keys" / "kek"
    if path.exists():
        return read_kek_file(path)
    if not store.is_empty():
        raise KeyEncryptionKeyError(
            f"the key-encryption key {path} is missing but the key store holds keys: "
            "restore the file (or set HUB_KEK); a new key would leave every stored key unreadable"
        )
    return create_kek_file(path)
