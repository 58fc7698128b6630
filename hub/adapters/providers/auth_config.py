"""A provider's authentication as ``services.toml`` declares it; secrets only by reference.

    [service.tls]                       # HTTPS toward the provider
    ca = "certs/provider-ca.pem"        # pinned: the system store is not used
    cert = "certs/hub.pem"              # optional client certificate ...
    key = "certs/hub-key.pem"           # ... and its key
    key_secret = "provider:north/social-security/key"   # if the key is encrypted

    [service.auth]
    kind = "basic"                      # or "username-token" (WS-Security, SOAP only)
    username = "hub-north"
    secret = "provider:north/social-security/basic"

A password never stands in the file: a field that would hold one (``password``,
``passphrase``...) is refused, naming the field and the command that stores the
secret instead (``interop-hub provider-secret set NAME``). Paths are relative to
the services file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translation.errors import ProviderConfigError

SECRET_PREFIX = "provider:"  # noqa: S105 - the prefix of secret names
AUTH_KINDS = ("basic", "username-token")
_SECRET_NAME = re.compile(r"^provider:[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_CLEAR_FIELDS = ("password", "passphrase", "pass", "key_password", "key_passphrase", "token")
_TLS_FIELDS = ("ca", "cert", "key", "key_secret")
_AUTH_FIELDS = ("kind", "username", "secret")


@dataclass(frozen=True)
class TlsConfig:
    """The provider's TLS: the pinned CA bundle, and the hub's client certificate if any."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    key_secret: str | None = None  # names the sealed passphrase of an encrypted key


@dataclass(frozen=True)
class AuthConfig:
    """A user name the hub presents, and the sealed secret that proves it."""

    kind: str  # basic | username-token
    username: str
    secret: str


@dataclass(frozen=True)
class ProviderAuthConfig:
    """How the hub authenticates to one provider; each part optional."""

    tls: TlsConfig | None = None
    auth: AuthConfig | None = None

    def secret_names(self) -> list[tuple[str, str]]:
        """(field, secret name) of every secret this configuration needs."""
        names = []
        if self.tls is not None and self.tls.key_secret is not None:
            names.append(("tls.key_secret", self.tls.key_secret))
        if self.auth is not None:
            names.append(("auth.secret", self.auth.secret))
        return names


def check_secret_name(name: str, *, field: str = "NAME", where: str = "") -> str:
    """``name`` if it is a provider secret reference (``provider:...``), else the error."""
    if not _SECRET_NAME.match(name):
        raise ProviderConfigError(
            # The value is not echoed: a password pasted here must not reach a log.
            f"{where + ': ' if where else ''}{field}: not a secret reference (provider:<name>); "
            f"name one such as \"provider:north/social-security/basic\" and store its value "
            f"with: interop-hub provider-secret set NAME", field=field)
    return name


def parse_provider_auth(table: dict[str, Any], *, base: Path,
                        where: str) -> ProviderAuthConfig | None:
    """The ``tls`` and ``auth`` tables of one ``[[service]]``, or None when it has neither."""
    for name in _CLEAR_FIELDS:
        if name in table:
            raise _clear(where, name)
    tls, auth = table.get("tls"), table.get("auth")
    if tls is None and auth is None:
        return None
    return ProviderAuthConfig(
        tls=None if tls is None else _tls(_table(tls, "tls", _TLS_FIELDS, where), base, where),
        auth=None if auth is None else _auth(_table(auth, "auth", _AUTH_FIELDS, where), where))


def dump_provider_auth(config: ProviderAuthConfig | None, table: str = "service") -> list[str]:
    """The TOML lines of ``config`` (after a ``[[service]]`` or ``[[subscription]]``'s keys)."""
    if config is None:
        return []
    lines = []
    if config.tls is not None:
        lines.append(f"[{table}.tls]")
        lines += [f'{k} = "{v}"' for k, v in vars(config.tls).items() if v is not None]
    if config.auth is not None:
        lines.append(f"[{table}.auth]")
        lines += [f'{k} = "{v}"' for k, v in vars(config.auth).items()]
    return lines


def _table(value: object, name: str, known: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderConfigError(f"{where}: {name} must be a table ([service.{name}])",
                                  field=name)
    for key in value:
        if key in _CLEAR_FIELDS:
            raise _clear(where, f"{name}.{key}")
        if key not in known:
            raise ProviderConfigError(f"{where}: unknown field {name}.{key}; known: "
                                      f"{', '.join(known)}", field=f"{name}.{key}")
    return value


def _tls(table: dict[str, Any], base: Path, where: str) -> TlsConfig:
    paths = {k: _path(table.get(k), base, f"tls.{k}", where) for k in ("ca", "cert", "key")}
    for key, path in paths.items():
        if path is not None and not path.is_file():
            raise ProviderConfigError(f"{where}: tls.{key}: no such file {path}",
                                      field=f"tls.{key}")
    if (paths["cert"] is None) != (paths["key"] is None):
        missing = "cert" if paths["cert"] is None else "key"
        raise ProviderConfigError(f"{where}: a client certificate needs tls.cert and tls.key; "
                                  f"tls.{missing} is missing", field=f"tls.{missing}")
    key_secret = table.get("key_secret")
    if key_secret is not None:
        key_secret = check_secret_name(str(key_secret), field="tls.key_secret",
                                       where=where)
    return TlsConfig(key_secret=key_secret, **paths)


def _auth(table: dict[str, Any], where: str) -> AuthConfig:
    for key in _AUTH_FIELDS:
        if not isinstance(table.get(key), str) or not table[key]:
            raise ProviderConfigError(f"{where}: auth.{key} is required (a string)",
                                      field=f"auth.{key}")
    if table["kind"] not in AUTH_KINDS:
        raise ProviderConfigError(f"{where}: auth.kind {table['kind']!r} is not one of "
                                  f"{', '.join(AUTH_KINDS)}", field="auth.kind")
    secret = check_secret_name(table["secret"], field="auth.secret", where=where)
    return AuthConfig(kind=table["kind"], username=table["username"], secret=secret)


def _path(value: object, base: Path, field: str, where: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProviderConfigError(f"{where}: {field} must be a path (a string)", field=field)
    path = Path(value)
    return path if path.is_absolute() else (base / path).resolve()


def _clear(where: str, field: str) -> ProviderConfigError:
    return ProviderConfigError(
        f"{where}: {field} would hold a secret in clear, which services files never do; "
        f"store it sealed with `interop-hub provider-secret set provider:<name>` and name "
        f"it here by reference (auth.secret / tls.key_secret = \"provider:<name>\")",
        field=field)
