"""Event store selection: SQLite in the data folder by default, PostgreSQL by URL.

This is the one place that turns settings into eventsourcing's environment
variables; lock and pool timeouts are explicit because the library's defaults
wait forever.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from contracts.errors import HubError


class StoreConfigError(HubError):
    """Raised when ``HUB_STORE`` is not a URL the hub can use."""

    code = "store-config"
    status = 500


LOCK_TIMEOUT_S = 10  # how long a SQLite write waits for a lock another program holds


def store_environment(store_url: str | None, data_dir: Path, *,
                      lock_timeout_s: int = LOCK_TIMEOUT_S) -> dict[str, str]:
    """Return eventsourcing settings for the store named by ``store_url`` (None: SQLite).

    ``lock_timeout_s``: on SQLite, how long a write waits for a lock held by another
    program (an operator's ``sqlite3`` shell, a backup tool) before it fails.
    """
    if store_url and urlsplit(store_url).scheme in ("postgresql", "postgres"):
        return postgres_environment(store_url)
    return sqlite_environment(sqlite_path(store_url, data_dir), lock_timeout_s)


def is_sqlite(store_url: str | None) -> bool:
    """Whether ``store_url`` names a SQLite store (None: the data folder's)."""
    return not store_url or urlsplit(store_url).scheme == "sqlite"


def sqlite_path(store_url: str | None, data_dir: Path) -> Path:
    """The SQLite ledger file of ``store_url`` (None: ``ledger.sqlite3`` in the data folder)."""
    if not store_url:
        return data_dir / "ledger.sqlite3"
    parts = urlsplit(store_url)
    if parts.scheme == "sqlite":
        return Path(unquote(parts.path))
    raise StoreConfigError(
        f"HUB_STORE={store_url!r}: unsupported scheme {parts.scheme!r}; "
        "use postgresql://user@host:port/dbname or sqlite:///path/to/file"
    )


def sqlite_environment(path: Path, lock_timeout_s: int = LOCK_TIMEOUT_S) -> dict[str, str]:
    """SQLite file store; WAL journalling lets readers run while the hub writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": str(lock_timeout_s),
    }


def postgres_environment(url: str) -> dict[str, str]:
    """PostgreSQL store from ``postgresql://user[:password]@host[:port]/dbname[?schema=S]``."""
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or not parts.hostname or not parts.username:
        raise StoreConfigError(
            f"HUB_STORE={_redact(url)!r} must name a user, a host and a database, "
            "e.g. postgresql://postgres@127.0.0.1:5432/interop_hub"
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_MAX_WAITING": "10",
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "5",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "y",
    }
    for item in filter(None, parts.query.split("&")):
        key, _, value = item.partition("=")
        if key == "schema":
            env["POSTGRES_SCHEMA"] = value
    return env


def describe_store(store_url: str | None, data_dir: Path) -> str:
    """A human-readable, password-free description of where events are stored."""
    if not store_url:
        return str(data_dir / "ledger.sqlite3")
    return _redact(store_url)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
