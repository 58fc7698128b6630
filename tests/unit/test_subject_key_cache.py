"""Subject keys kept briefly after a store read: one read per exchange, forget still wins."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.adapters.crypto.keyring import KEY_CACHE_S, SubjectKeyring
from hub.adapters.crypto.keystore import SqliteKeyStore, StoredKey
from hub.domain.retention import KeyScope
from hub.work import WORK

SUBJECT = "ds-cache-test"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ForgetDuringRead(SqliteKeyStore):
    """A key store whose next key read is overtaken by a forget, as another thread's would."""

    on_read: Callable[[], None] | None = None

    def get_key(self, subject: str) -> StoredKey | None:
        stored = super().get_key(subject)
        hook, self.on_read = self.on_read, None
        if hook is not None:
            hook()
        return stored


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kek() -> bytes:
    return os.urandom(32)


@pytest.fixture
def keyring(tmp_path: Path, kek: bytes, clock: Clock) -> Iterator[SubjectKeyring]:
    ring = SubjectKeyring(ForgetDuringRead(tmp_path / "keys.sqlite3"), kek, clock=clock)
    yield ring
    ring.close()


def _key_reads() -> int:
    return WORK.snapshot().key_reads


def test_an_exchange_reads_its_subjects_key_once(keyring: SubjectKeyring) -> None:
    """Seal the request, open it for delivery, seal the answer: one store read, not three."""
    before = _key_reads()
    kid, key = keyring.encryption_key(SUBJECT)
    assert keyring.decryption_key(SUBJECT, kid) == key
    assert keyring.encryption_key(SUBJECT) == (kid, key)
    assert _key_reads() - before == 1


def test_a_key_is_read_again_once_its_time_is_up(
    keyring: SubjectKeyring, clock: Clock
) -> None:
    kid, _ = keyring.encryption_key(SUBJECT)
    before = _key_reads()
    clock.now += KEY_CACHE_S
    assert keyring.decryption_key(SUBJECT, kid) is not None
    assert _key_reads() - before == 1


def test_forgetting_in_this_process_wins_at_once(keyring: SubjectKeyring) -> None:
    """No use after the forget finds the destroyed key; the next write gets a new one."""
    kid, _ = keyring.encryption_key(SUBJECT)
    keyring.forget(SUBJECT)
    assert keyring.decryption_key(SUBJECT, kid) is None
    assert keyring.encryption_key(SUBJECT)[0] != kid


def test_a_read_overtaken_by_a_forget_is_not_kept(
    keyring: SubjectKeyring, clock: Clock
) -> None:
    """A key read just as this process destroys it serves that read, and is never kept."""
    kid, _ = keyring.encryption_key(SUBJECT)
    clock.now += KEY_CACHE_S  # expired: the next use reads the store
    store = keyring.store
    assert isinstance(store, ForgetDuringRead)
    store.on_read = lambda: keyring.forget(SUBJECT)  # forgotten while that read is under way
    assert keyring.decryption_key(SUBJECT, kid) is not None  # the read began before the forget
    assert keyring.decryption_key(SUBJECT, kid) is None


def test_forgetting_in_another_process_holds_here_within_the_bound(
    tmp_path: Path, kek: bytes, clock: Clock, keyring: SubjectKeyring
) -> None:
    """Another process (the CLI) destroys the key: this one stops using it KEY_CACHE_S later."""
    kid, _ = keyring.encryption_key(SUBJECT)
    other = SubjectKeyring(SqliteKeyStore(tmp_path / "keys.sqlite3"), kek)
    try:
        assert other.forget(SUBJECT) == [kid]
    finally:
        other.close()
    clock.now += KEY_CACHE_S
    assert keyring.decryption_key(SUBJECT, kid) is None
    assert keyring.encryption_key(SUBJECT)[0] != kid


def test_an_exchange_reads_its_scope_key_once(keyring: SubjectKeyring) -> None:
    """Under a retention scope too: sealed, opened, sealed again for one store read; another
    scope of the same subject is a key of its own."""
    scope = KeyScope(SUBJECT, "tax-assessment", "2031-12")
    before = _key_reads()
    kid, key = keyring.encryption_key(SUBJECT, scope)
    assert keyring.decryption_key(SUBJECT, kid, scope) == key
    assert keyring.encryption_key(SUBJECT, scope) == (kid, key)
    assert _key_reads() - before == 1
    other = keyring.encryption_key(SUBJECT, KeyScope(SUBJECT, "benefit-eligibility", "2031-12"))
    assert other[0] != kid and keyring.encryption_key(SUBJECT)[0] not in (kid, other[0])


def test_destroying_an_expired_key_in_this_process_wins_at_once(keyring: SubjectKeyring) -> None:
    """The enforcer's destroy drops the cached key first: no later use finds it; the subject's
    other keys stay."""
    due = KeyScope(SUBJECT, "tax-assessment", "2020-01")
    kid, _ = keyring.encryption_key(SUBJECT, due)
    own, _ = keyring.encryption_key(SUBJECT)
    expired = keyring.expired(due.expires_at, 10)
    assert [(k.kid, k.scope) for k in expired] == [(kid, due)]
    assert keyring.destroy(expired) == [kid]
    assert keyring.decryption_key(SUBJECT, kid, due) is None
    assert keyring.decryption_key(SUBJECT, own) is not None
    assert keyring.expired(due.expires_at, 10) == []


def test_a_kek_rotation_rewraps_the_scope_keys_too(
    tmp_path: Path, keyring: SubjectKeyring
) -> None:
    """Scope keys are re-wrapped with the rest: a keyring under the new KEK opens them."""
    scope = KeyScope(SUBJECT, "tax-assessment", "2031-12")
    kid, key = keyring.encryption_key(SUBJECT, scope)
    new_kek = os.urandom(32)
    assert keyring.rewrap(new_kek) == 1  # the scope key (no region secret was made here)
    fresh = SubjectKeyring(SqliteKeyStore(tmp_path / "keys.sqlite3"), new_kek)
    try:
        assert fresh.decryption_key(SUBJECT, kid, scope) == key
    finally:
        fresh.close()
