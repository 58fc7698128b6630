"""The keyring: subject references and data keys, unwrapped from the key store on demand.

Each data subject has an AES-256 data key of their own, and one per retention
scope ``(subject, purpose, expiry bucket)`` their data was sealed in (why that
granularity: :mod:`hub.domain.retention`); each identified by a random key id
(``kid``). A key is created the first time data of its scope is written, and
destroyed by :meth:`SubjectKeyring.forget` (all of a subject's keys) or, once its
bucket is over, by :meth:`SubjectKeyring.destroy` (the retention enforcer,
:mod:`hub.service_layer.privacy.retention`). Should the same person come back
after being forgotten, they get new keys with new ids: what was written before
stays erased, what is written after is readable again.

Unwrapped keys are kept for at most :data:`KEY_CACHE_S` after they were read
from the store, per scope, so the several uses of one exchange (its request
sealed, unsealed for delivery, the answer sealed — all in one scope) cost one
store read instead of three. Forgetting (and expiry) keep their guarantee with a
stated bound:

- **in this process** :meth:`SubjectKeyring.forget` drops the cached key before
  it returns: the next use reads the store, finds no key, and reads erased;
- **in another process** (``interop-hub subject forget`` beside a running hub,
  another hub worker) the key is not used more than :data:`KEY_CACHE_S` after
  the forget: whatever this process read before the key was destroyed expires
  by then. Within that bound a delivery may still open the request, and a new
  write about the subject may be sealed under the destroyed key (it reads
  erased, as if written just before the forget).

At most :data:`KEY_CACHE_SIZE` keys are held; expired keys are dropped as new
ones are read, so no key outlives its bound by more than the next read.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contracts.base import Contract
from hub.adapters.crypto.errors import KeyEncryptionKeyError, SubjectError
from hub.adapters.crypto.kek import key_encryption_key
from hub.adapters.crypto.keystore import (
    ExpiringKey,
    KeyStore,
    ScheduledExpiry,
    StoredKey,
    WrappedRow,
)
from hub.adapters.crypto.keystore_selection import open_key_store
from hub.adapters.crypto.subjects import is_subject_ref, subject_identifier, subject_ref
from hub.domain.retention import KeyScope
from hub.settings import HubSettings
from hub.work import WORK

DATA_KEY_BYTES = 32
REF_HMAC_ROW = "subject-ref"
_NONCE_BYTES = 12
KEY_CACHE_S = 0.5
"""How long an unwrapped subject key is used after its store read: the bound on a
forget made by another process."""
KEY_CACHE_SIZE = 4096


@dataclass(frozen=True)
class KeyInfo:
    """What may be said about a subject's key without revealing it."""

    subject: str
    kid: str
    created_at: dt.datetime


class SubjectKeyring:
    """Derives subject references and hands out subject keys; shared between threads."""

    def __init__(
        self, store: KeyStore, kek: bytes, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self._kek = AESGCM(kek)
        self._secret: bytes | None = None
        self._lock = threading.Lock()
        self._clock = clock
        # slot -> (read at, kid, key); insertion order is read order (oldest first). A slot
        # is a retention scope, or KeyScope(subject, "", "") for the subject's own key.
        self._keys: dict[KeyScope, tuple[float, str, bytes]] = {}
        self._keys_lock = threading.Lock()
        self._forgets = 0  # a read that began before a forget must not cache what it read

    def check(self) -> None:
        """Open (or create) the region secret now: a wrong KEK fails here, not mid-exchange."""
        self._ref_secret()

    def secret(self, name: str) -> bytes:
        """The region secret called ``name`` (32 random bytes, made on first use, KEK-wrapped).

        Other parts' long-lived secrets (e.g. the credential verifier key,
        :mod:`hub.service_layer.security.tokens`) live here so a KEK rotation re-wraps them too.
        """
        if name == REF_HMAC_ROW:
            raise KeyEncryptionKeyError(f"the secret {name!r} is the keyring's own")
        WORK.add("key_reads")
        wrapped = self.store.get_secret(name)
        if wrapped is None:
            wrapped = self.store.add_secret(name, self._wrap(os.urandom(32), _secret_label(name)))
        return self._unwrap(wrapped, _secret_label(name))

    def seal_secret(self, name: str, value: bytes) -> None:
        """Store ``value`` as the secret ``name``, wrapped under the KEK, replacing any before.

        For secrets an operator supplies (a provider's password); a KEK rotation
        re-wraps them with the rest.
        """
        if name == REF_HMAC_ROW:
            raise KeyEncryptionKeyError(f"the secret {name!r} is the keyring's own")
        self.store.put_secret(name, self._wrap(value, _secret_label(name)))

    def sealed_secret(self, name: str) -> bytes | None:
        """The secret ``name`` stored with :meth:`seal_secret`, unwrapped; None if absent."""
        wrapped = self.store.get_secret(name)
        return None if wrapped is None else self._unwrap(wrapped, _secret_label(name))

    def rewrap(self, new_kek: bytes) -> int:
        """Re-wrap every key and secret of the store under ``new_kek`` (one transaction).

        Each value is opened under the current KEK first, so a wrong current KEK
        changes nothing. From then on this keyring wraps under ``new_kek``.
        """
        fresh = AESGCM(new_kek)

        def transform(row: WrappedRow) -> bytes:
            label = (_secret_label(row.name) if row.kind == "secret"
                     else _key_label(KeyScope(row.name, row.purpose, row.bucket), row.kid))
            value = self._unwrap(row.wrapped, label)
            nonce = os.urandom(_NONCE_BYTES)
            return nonce + fresh.encrypt(nonce, value, label)

        with self._lock:
            count = self.store.rewrap(transform)
            self._kek = fresh
        return count

    def ref_for(self, national_id: str) -> str:
        """The subject reference of a national id in this region."""
        return subject_ref(self._ref_secret(), national_id)

    def resolve(self, subject: str) -> str:
        """A subject reference from what an operator typed: a reference or a national id."""
        subject = subject.strip()
        if not subject:
            raise SubjectError("name a subject: a national id or a subject reference (ds-…)")
        return subject if is_subject_ref(subject) else self.ref_for(subject)

    def ref_of(self, contract: Contract) -> str:
        """The subject reference of a contract instance; "" if it declares no data subject."""
        identifier = subject_identifier(contract)
        return "" if identifier is None else self.ref_for(identifier)

    def encryption_key(self, subject: str, scope: KeyScope | None = None) -> tuple[str, bytes]:
        """The key id and key of the subject's ``scope`` (of this subject; None: the subject's
        own key), creating them on first use."""
        slot = scope or KeyScope(subject, "", "")
        cached = self._cached(slot)
        if cached is not None:
            return cached
        WORK.add("key_reads")
        forgets, read_at = self._forgets, self._clock()
        stored = self._stored(slot)
        if stored is None:
            kid = "k-" + os.urandom(8).hex()
            key = AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)
            row = StoredKey(subject, kid, self._wrap(key, _key_label(slot, kid)),
                            dt.datetime.now(dt.UTC), slot.purpose, slot.bucket)
            # Another worker may create the same key at the same moment: keep theirs.
            stored = (self.store.add_key(row) if not slot.bucket
                      else self.store.add_data_key(row, slot.expires_at))
        return self._remember(slot, stored, forgets, read_at)

    def decryption_key(self, subject: str, kid: str, scope: KeyScope | None = None) -> bytes | None:
        """The key ``kid`` of the subject's ``scope`` (None: their own key), or None if it was
        destroyed."""
        slot = scope or KeyScope(subject, "", "")
        cached = self._cached(slot)
        if cached is not None and cached[0] == kid:
            return cached[1]
        WORK.add("key_reads")
        forgets, read_at = self._forgets, self._clock()
        stored = self._stored(slot)
        if stored is None or stored.kid != kid:
            return None
        return self._remember(slot, stored, forgets, read_at)[1]

    def describe(self, subject: str) -> KeyInfo | None:
        """The subject's own key id and creation time, if they have one."""
        stored = self.store.get_key(subject)
        return None if stored is None else KeyInfo(subject, stored.kid, stored.created_at)

    def key_ids(self, subject: str) -> list[str]:
        """The ids of every key the subject has: their own and every retention scope's."""
        return self.store.key_ids(subject)

    def forget(self, subject: str) -> list[str]:
        """Destroy ALL the subject's keys (their own and every scope's); return the ids of the
        keys destroyed (none if none).

        The cached keys are dropped before and after the store's delete, so no use in
        this process that starts after the delete can find them.
        """
        self._drop(lambda slot: slot.subject == subject)
        try:
            return self.store.delete_key(subject)
        finally:
            self._drop(lambda slot: slot.subject == subject)

    def expired(self, now: dt.datetime, limit: int) -> list[ExpiringKey]:
        """Up to ``limit`` scope keys whose bucket is over at ``now``, the earliest first (the
        key store's expiry index: no event is read)."""
        return self.store.expired_keys(now, limit)

    def destroy(self, keys: Sequence[ExpiringKey]) -> list[str]:
        """Destroy these scope keys (cache first, as :meth:`forget`); the ids destroyed."""
        slots = {key.scope for key in keys}
        self._drop(slots.__contains__)
        try:
            return self.store.delete_data_keys([key.kid for key in keys])
        finally:
            self._drop(slots.__contains__)

    def schedule(self, limit: int) -> list[ScheduledExpiry]:
        """The scope keys still held, by (purpose, bucket), the earliest expiry first."""
        return self.store.schedule(limit)

    def close(self) -> None:
        with self._keys_lock:
            self._keys.clear()
        self.store.close()

    def _stored(self, slot: KeyScope) -> StoredKey | None:
        if not slot.bucket:
            return self.store.get_key(slot.subject)
        return self.store.get_data_key(slot)

    def _cached(self, slot: KeyScope) -> tuple[str, bytes] | None:
        """The slot's (kid, key) if read from the store less than KEY_CACHE_S ago."""
        entry = self._keys.get(slot)
        if entry is None or self._clock() - entry[0] >= KEY_CACHE_S:
            return None
        return entry[1], entry[2]

    def _remember(
        self, slot: KeyScope, stored: StoredKey, forgets: int, read_at: float
    ) -> tuple[str, bytes]:
        """Unwrap a key just read from the store and keep it for KEY_CACHE_S from ``read_at``.

        ``read_at`` is taken before the store read, so a key destroyed by another
        process after that read is not used more than KEY_CACHE_S after the destroy.

        Not kept when this process forgot anyone since the read began (``forgets``
        counts them): the key read may be the one just destroyed.
        """
        scope = KeyScope(stored.subject, stored.purpose, stored.bucket)
        key = self._unwrap(stored.wrapped, _key_label(scope, stored.kid))
        with self._keys_lock:
            if forgets != self._forgets:
                return stored.kid, key
            self._keys.pop(slot, None)  # re-inserted last: the dict stays in read order
            self._keys[slot] = (read_at, stored.kid, key)
            self._expire(self._clock())
        return stored.kid, key

    def _expire(self, now: float) -> None:
        """Drop expired keys (the oldest come first) and any beyond KEY_CACHE_SIZE."""
        while self._keys:
            oldest = next(iter(self._keys))
            if now - self._keys[oldest][0] < KEY_CACHE_S and len(self._keys) <= KEY_CACHE_SIZE:
                return
            del self._keys[oldest]

    def _drop(self, which: Callable[[KeyScope], bool]) -> None:
        with self._keys_lock:
            self._forgets += 1
            for slot in [slot for slot in self._keys if which(slot)]:
                del self._keys[slot]

    def _ref_secret(self) -> bytes:
        with self._lock:
            if self._secret is None:
                wrapped = self.store.get_secret(REF_HMAC_ROW)
                if wrapped is None:
                    fresh = self._wrap(os.urandom(32), _secret_label(REF_HMAC_ROW))
                    wrapped = self.store.add_secret(REF_HMAC_ROW, fresh)
                self._secret = self._unwrap(wrapped, _secret_label(REF_HMAC_ROW))
            return self._secret

    def _wrap(self, key: bytes, label: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._kek.encrypt(nonce, key, label)

    def _unwrap(self, wrapped: bytes, label: bytes) -> bytes:
        try:
            return self._kek.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], label)
        except InvalidTag:
            raise KeyEncryptionKeyError(
                "the key-encryption key does not open the key store "
                "(HUB_KEK or the kek file is not the one the keys were made with, "
                "or a key row was moved to another subject or retention scope)"
            ) from None


def open_keyring(settings: HubSettings) -> SubjectKeyring:
    """The region's keyring: its key store, opened under the key-encryption key (checked now)."""
    kek = key_encryption_key(settings)
    store = open_key_store(settings.key_store, settings.store, settings.data)
    try:
        keyring = SubjectKeyring(store, kek)
        keyring.check()
    except BaseException:
        store.close()
        raise
    return keyring


def _key_label(slot: KeyScope, kid: str) -> bytes:
    # Binds a wrapped key to its row: a wrapped key moved to another subject (or scope: a
    # later bucket, to outlive its retention) fails to open.
    if not slot.bucket:
        return f"interop-hub/subject-key/v1\x00{slot.subject}\x00{kid}".encode()
    return (f"interop-hub/data-key/v1\x00{slot.subject}\x00{slot.purpose}\x00{slot.bucket}"
            f"\x00{kid}").encode()


def _secret_label(name: str) -> bytes:
    return f"interop-hub/secret/v1\x00{name}".encode()
