"""Where the region's subject key store is, for a backup: inside what is copied anyway, or a
PostgreSQL database of its own that is dumped beside the event store.

``HUB_KEY_STORE`` unset keeps the keys beside the event store: ``DIR/keys/subject-keys.sqlite3``
(copied with the folder) or schema ``hub_privacy`` of the event store's database (in its
dump). Named, it may be:

- a PostgreSQL database other than the event store's: ``pg_dump`` of its ``hub_privacy``
  schema is a member of its own, restored into an empty database named by ``HUB_KEY_STORE``
  on restore. It is dumped *after* the event store: a key is made before the first event
  sealed under it, so every event in the ledger's dump finds its key; a subject forgotten
  between the two dumps stays forgotten;
- the event store's own database, or a SQLite file inside the data folder: copied anyway;
- a SQLite file outside the data folder (also the default beside a ``sqlite:///`` event store
  kept elsewhere): refused, naming the setting, since the backup would lack the keys and
  every personal field in it would be unreadable.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from hub.adapters.backup import postgres_dump
from hub.adapters.backup.errors import BackupError, RestoreTargetError
from hub.adapters.store.selection import postgres_environment

KEY_SCHEMA = "hub_privacy"


def separate_key_database(key_store: str | None, store: str | None, data: Path) -> str | None:
    """The URL of a key store database to dump beside the event store, or None when the
    keys are copied with the event store or the folder; BackupError when they would not be
    copied at all."""
    if key_store and _is_postgres(key_store):
        if store and _is_postgres(store) and same_database(key_store, store):
            return None
        return key_store
    sqlite = _sqlite_key_file(key_store, store, data)
    if sqlite is not None and data.resolve() not in sqlite.resolve().parents:
        setting = "HUB_KEY_STORE" if key_store else "HUB_STORE (the keys beside it)"
        raise BackupError(
            f"{setting}: the subject key store {sqlite} is outside the data folder {data}, "
            "so a backup would lack the keys and every personal field in it would be "
            "unreadable; keep it in the data folder (unset HUB_KEY_STORE) or in PostgreSQL")
    return None


def check_key_target(key_store: str | None, store: str | None, holds_keys: bool) -> None:
    """RestoreTargetError unless ``HUB_KEY_STORE`` fits the backup: an empty database of its
    own when the backup holds a separate key store, else unset (or the event store's)."""
    if holds_keys:
        if not key_store or not _is_postgres(key_store):
            raise RestoreTargetError(
                "this backup holds a separate PostgreSQL key store: set HUB_KEY_STORE to an "
                "empty database (createdb) to restore it into")
        if store and _is_postgres(store) and same_database(key_store, store):
            raise RestoreTargetError(
                "HUB_KEY_STORE names the same database as HUB_STORE, but this backup's key "
                "store had a database of its own: name another empty database")
        postgres_dump.ensure_empty(key_store)
    elif key_store and _is_postgres(key_store) and not (
            store and _is_postgres(store) and same_database(key_store, store)):
        raise RestoreTargetError(
            "HUB_KEY_STORE is set, but this backup's subject keys were kept beside its event "
            "store: unset HUB_KEY_STORE so the restored region finds them")


def same_database(one: str, other: str) -> bool:
    """True when two PostgreSQL URLs name one database (host, port and name)."""
    a, b = postgres_environment(one), postgres_environment(other)
    keys = ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME")
    return all(a[k] == b[k] for k in keys)


def _sqlite_key_file(key_store: str | None, store: str | None, data: Path) -> Path | None:
    # The same choice as the hub's key store selection, for the SQLite cases.
    if key_store:  # another scheme is refused by the hub itself
        scheme = urlsplit(key_store).scheme
        return Path(unquote(urlsplit(key_store).path)) if scheme == "sqlite" else None
    if store and urlsplit(store).scheme == "sqlite":
        return Path(unquote(urlsplit(store).path)).parent / "keys" / "subject-keys.sqlite3"
    return None


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgresql", "postgres")
