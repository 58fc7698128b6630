"""Which subject key store a region uses: SQLite or PostgreSQL, from the settings' URLs.

Apart from the port (:mod:`hub.adapters.crypto.keystore`) so that each back end
imports the port and only this module imports the back ends.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from hub.adapters.crypto.errors import KeyStoreError
from hub.adapters.crypto.keystore import KeyStore, SqliteKeyStore


def open_key_store(key_store_url: str | None, store_url: str | None, data_dir: Path) -> KeyStore:
    """The key store named by ``key_store_url``; unset, beside the event store (``store_url``)."""
    if key_store_url:
        return _named_key_store(key_store_url, _sqlite_path(key_store_url))
    if not store_url:
        return SqliteKeyStore(data_dir / "keys" / "subject-keys.sqlite3")
    # A SQLite event store elsewhere: the keys go in a file of their own beside it.
    beside = _sqlite_path(store_url).parent / "keys" / "subject-keys.sqlite3"
    return _named_key_store(store_url, beside)


def _sqlite_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def _named_key_store(url: str, sqlite_path: Path) -> KeyStore:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SqliteKeyStore(sqlite_path)
    if scheme in ("postgresql", "postgres"):
        from hub.adapters.crypto.keystore_postgres import PostgresKeyStore

        return PostgresKeyStore(url)
    raise KeyStoreError(
        f"key store: unsupported URL scheme {scheme!r}; "
        "use sqlite:///path/to/keys.sqlite3 or postgresql://user@host:port/dbname"
    )
