"""One key store suite, run against the SQLite and the PostgreSQL key store.

The stores are the ones the hub opens beside its event store
(:func:`hub.adapters.crypto.keystore_selection.open_key_store`). What the hub relies on:
secrets and subject keys are kept as rows (first writer wins for a subject's key,
whoever races), one subject is forgotten without touching the others, a rotation
re-wraps everything or nothing, and only wrapped values ever reach the store.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.crypto.keystore import (
    KeyStore,
    SqliteKeyStore,
    StoredKey,
    WrappedRow,
)
from hub.adapters.crypto.keystore_postgres import SCHEMA
from hub.adapters.crypto.keystore_selection import open_key_store
from hub.domain.retention import KeyScope


def _key(subject: str, kid: str) -> StoredKey:
    return StoredKey(subject, kid, os.urandom(60), dt.datetime.now(dt.UTC))


def _raw_bytes(store_url: str | None, data: Path) -> bytes:
    """Everything the key store holds, as stored: the SQLite file and its WAL, or the
    rows of the PostgreSQL schema."""
    if store_url is None:
        return b"".join(p.read_bytes() for p in (data / "keys").glob("subject-keys.sqlite3*"))
    import psycopg

    with psycopg.connect(store_url) as conn:  # SCHEMA is the store's constant, not input
        secrets = conn.execute(f"SELECT name, wrapped FROM {SCHEMA}.secrets").fetchall()  # noqa: S608
        keys = conn.execute(
            f"SELECT subject, kid, wrapped FROM {SCHEMA}.subject_keys").fetchall()  # noqa: S608
    return b"|".join(str(r[:-1]).encode() + bytes(r[-1]) for r in secrets + keys)


def test_secrets_are_added_once_or_replaced_on_purpose(key_store: KeyStore) -> None:
    """add_secret keeps the first value stored under a name (a region secret made twice
    at once); put_secret replaces it (a rotated provider password)."""
    assert key_store.is_empty()
    assert key_store.get_secret("s") is None
    assert key_store.add_secret("s", b"first") == b"first"
    assert key_store.add_secret("s", b"second") == b"first"
    assert key_store.get_secret("s") == b"first"
    key_store.put_secret("s", b"rotated")
    assert key_store.get_secret("s") == b"rotated"
    assert key_store.get_secret("other") is None
    assert not key_store.is_empty()


def test_a_subjects_first_key_is_the_one_kept(key_store: KeyStore) -> None:
    """Adding a key for a subject who has one returns the stored one, unchanged."""
    first = key_store.add_key(_key("ds-1", "k-1"))
    second = key_store.add_key(_key("ds-1", "k-2"))
    assert second.kid == first.kid == "k-1" and second.wrapped == first.wrapped
    assert key_store.get_key("ds-1") == first
    assert key_store.get_key("ds-2") is None
    assert not key_store.is_empty()


def test_forgetting_deletes_one_subject_only(key_store: KeyStore) -> None:
    """delete_key removes the subject's key (reporting its id) and nothing else; a second
    delete finds nothing."""
    key_store.add_key(_key("ds-1", "k-1"))
    kept = key_store.add_key(_key("ds-2", "k-2"))
    key_store.add_secret("s", b"secret")
    assert key_store.delete_key("ds-1") == ["k-1"]
    assert key_store.delete_key("ds-1") == []
    assert key_store.get_key("ds-1") is None
    assert key_store.get_key("ds-2") == kept
    assert key_store.get_secret("s") == b"secret"


def test_only_wrapped_keys_and_secrets_reach_the_store(
    key_store: KeyStore, store_url: str | None, tmp_path: Path
) -> None:
    """Through the keyring, neither a subject's data key nor a region secret is stored in
    the clear, and what is stored opens under its KEK only."""
    kek = os.urandom(32)
    keyring = SubjectKeyring(key_store, kek)
    kid, key = keyring.encryption_key("ds-1")
    secret = keyring.secret("verifier")
    held = _raw_bytes(store_url, tmp_path / "hub")
    stored = key_store.get_key("ds-1")
    assert stored is not None and stored.kid == kid and stored.wrapped in held
    assert key not in held and secret not in held
    assert SubjectKeyring(key_store, kek).decryption_key("ds-1", kid) == key
    with pytest.raises(Exception, match="key-encryption key does not open"):
        SubjectKeyring(key_store, os.urandom(32)).decryption_key("ds-1", kid)


def test_forgetting_scrubs_the_key_from_the_sqlite_file(tmp_path: Path) -> None:
    """SQLite only (PostgreSQL cannot promise it; there only a wrapped key may linger):
    after deletion the wrapped key's bytes are in neither the file nor its WAL."""
    path = tmp_path / "keys.sqlite3"
    store = SqliteKeyStore(path)
    try:
        doomed = store.add_key(_key("ds-1", "k-1"))
        for n in range(50):
            store.add_key(_key(f"ds-other-{n}", f"k-{n}"))
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("keys.sqlite3*"))
        assert doomed.wrapped in on_disk
        store.delete_key("ds-1")
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("keys.sqlite3*"))
        assert doomed.wrapped not in on_disk
    finally:
        store.close()


def test_concurrent_writers_agree_on_each_subjects_key(
    key_store: KeyStore, store_url: str | None, tmp_path: Path
) -> None:
    """Two hub workers (two key stores over one store), three threads each, create keys for
    the same subjects at the same moment: every caller ends up with the same key per
    subject, and the store holds exactly one per subject."""
    other = open_key_store(None, store_url, tmp_path / "hub")
    try:
        kek = os.urandom(32)
        rings = [SubjectKeyring(store, kek) for store in (key_store, other) for _ in range(3)]
        subjects = [f"ds-{n}" for n in range(20)]
        start = threading.Barrier(len(rings))
        results: dict[int, list[tuple[str, bytes]]] = {}
        failures: list[BaseException] = []

        def create(index: int) -> None:
            try:
                start.wait()
                results[index] = [rings[index].encryption_key(s) for s in subjects]
            except BaseException as exc:  # reported below, with the thread's index
                failures.append(exc)

        _run_threads(create, len(rings))
        assert failures == []
        assert len({tuple(keys) for keys in results.values()}) == 1
        for subject, (kid, _) in zip(subjects, results[0], strict=True):
            assert key_store.get_key(subject) == other.get_key(subject)
            assert key_store.get_key(subject).kid == kid  # type: ignore[union-attr]
    finally:
        other.close()


def test_rewrap_changes_every_row_or_none(key_store: KeyStore) -> None:
    """A KEK rotation re-wraps all secrets and keys in one transaction: a transform that
    fails part-way leaves every row as it was; one that succeeds changes them all."""
    key_store.add_secret("s", b"secret")
    before = {s: key_store.add_key(_key(s, f"k-{s}")) for s in ("ds-1", "ds-2", "ds-3")}
    seen: list[WrappedRow] = []

    def fails_on_the_third(row: WrappedRow) -> bytes:
        seen.append(row)
        if len(seen) == 3:
            raise RuntimeError("the old KEK does not open this row")
        return b"new:" + row.wrapped

    with pytest.raises(RuntimeError):
        key_store.rewrap(fails_on_the_third)
    assert key_store.get_secret("s") == b"secret"
    assert {s: key_store.get_key(s) for s in before} == before
    assert key_store.rewrap(lambda row: b"new:" + row.wrapped) == 4
    assert key_store.get_secret("s") == b"new:secret"
    for subject, key in before.items():
        assert key_store.get_key(subject).wrapped == b"new:" + key.wrapped  # type: ignore[union-attr]


def _run_threads(target: Callable[[int], None], count: int) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_scope_keys_are_found_by_expiry_and_deleted_with_their_subject(
    key_store: KeyStore,
) -> None:
    """Scope keys: first writer wins per scope; the expiry index returns what expired by a
    time, earliest first, bounded; the schedule groups by purpose and bucket; forgetting a
    subject deletes their own key and every scope key of theirs, and no one else's."""
    def scoped(subject: str, kid: str, purpose: str, bucket: str) -> StoredKey:
        key = StoredKey(subject, kid, os.urandom(60), dt.datetime.now(dt.UTC), purpose, bucket)
        return key_store.add_data_key(key, KeyScope(subject, purpose, bucket).expires_at)

    first = scoped("ds-1", "k-a", "p", "2020-01")
    assert scoped("ds-1", "k-other", "p", "2020-01") == first
    scoped("ds-1", "k-b", "q", "2031-12")
    scoped("ds-2", "k-c", "p", "2020-01")
    scoped("ds-2", "k-d", "p", "2019-06")
    key_store.add_key(_key("ds-1", "k-own"))

    at = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    assert [k.kid for k in key_store.expired_keys(at, 10)] == ["k-d", "k-a", "k-c"]
    assert [k.kid for k in key_store.expired_keys(at, 1)] == ["k-d"]
    assert key_store.expired_keys(at, 1)[0].scope == KeyScope("ds-2", "p", "2019-06")
    assert [(s.purpose, s.bucket, s.keys) for s in key_store.schedule(10)] == [
        ("p", "2019-06", 1), ("p", "2020-01", 2), ("q", "2031-12", 1)]
    assert key_store.get_data_key(KeyScope("ds-1", "q", "2031-12")) is not None

    assert key_store.delete_data_keys(["k-d", "k-missing"]) == ["k-d"]
    assert sorted(key_store.key_ids("ds-1")) == ["k-a", "k-b", "k-own"]
    assert sorted(key_store.delete_key("ds-1")) == ["k-a", "k-b", "k-own"]
    assert key_store.key_ids("ds-1") == [] and key_store.get_key("ds-1") is None
    assert [k.kid for k in key_store.expired_keys(at, 10)] == ["k-c"]
