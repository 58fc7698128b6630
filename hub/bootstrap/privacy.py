"""Settings in, a ledger out: the one way entry points build the ledger.

``bootstrap`` (the running hub) and the CLI both call :func:`build_ledger`, so
every process that reads or writes events seals and opens personal fields the
same way, with the same key store (:func:`hub.adapters.crypto.keyring.open_keyring`).
"""

from __future__ import annotations

from hub.adapters.crypto.keyring import open_keyring
from hub.adapters.store.ledger import Ledger
from hub.adapters.store.selection import store_environment
from hub.settings import HubSettings


def build_ledger(settings: HubSettings) -> Ledger:
    """The ledger of ``settings``' event store, sealing personal fields with its keyring."""
    keyring = open_keyring(settings)
    try:
        env = store_environment(settings.store, settings.data,
                                lock_timeout_s=settings.store_lock_timeout_s)
        return Ledger(env, keyring=keyring,
                      commit_window_s=settings.group_commit_window_ms / 1000)
    except BaseException:
        keyring.close()
        raise
