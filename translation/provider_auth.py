"""How the hub proves who it is to a provider: TLS trust and client certificate, Basic, WS-Security.

:class:`ProviderAuth` is what a provider adapter is given, already resolved
(files read, secrets unsealed) when the hub starts: an SSL context (a pinned CA
bundle instead of the system store, the hostname checked, optionally the hub's
client certificate), headers sent with every request (HTTP Basic), and a
UsernameToken that SOAP providers put in the header of every call.
:func:`client_ssl_context` builds the context and turns every failure into a
:class:`ProviderConfigError` naming the field.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from translation.errors import ProviderConfigError
from translation.wsse import WSSE_NS, UsernameToken


@dataclass(frozen=True)
class ProviderAuth:
    """The resolved credentials of one provider; the default proves nothing (plain calls)."""

    ssl: ssl.SSLContext | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    username_token: UsernameToken | None = None


NO_AUTH = ProviderAuth()


def is_security_fault(fault: etree._Element, *codes: str) -> bool:
    """True when a Fault code is a WS-Security one (``wsse:FailedAuthentication``...).

    The prefix is resolved against the Fault's namespaces, as QName values must be.
    """
    for code in codes:
        prefix, _, _local = code.strip().rpartition(":")
        if prefix and fault.nsmap.get(prefix) == WSSE_NS:
            return True
    return False


def basic_authorization(username: str, password: str) -> dict[str, str]:
    """The ``Authorization: Basic`` header of RFC 7617 (UTF-8 user-pass)."""
    if ":" in username:
        raise ProviderConfigError("a Basic user name cannot contain ':'", field="auth.username")
    pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}


def client_ssl_context(*, ca: Path | None, cert: Path | None = None, key: Path | None = None,
                       passphrase: bytes | None = None, where: str = "") -> ssl.SSLContext:
    """A TLS client context: only ``ca`` is trusted when given (else the system store).

    The hostname is always checked. ``cert``/``key`` are the hub's client
    certificate; ``passphrase`` opens an encrypted key. Errors name the field
    (``tls.ca``, ``tls.cert``, ``tls.key``); ``where`` prefixes their message.
    """
    where = f"{where}: " if where else ""
    context = ssl.create_default_context(cafile=None) if ca is None else _pinned(ca, where)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if cert is not None or key is not None:
        if cert is None or key is None:
            missing = "cert" if cert is None else "key"
            raise ProviderConfigError(f"{where}a client certificate needs tls.cert and tls.key",
                                      field=f"tls.{missing}")
        _readable(cert, "tls.cert", where)
        _readable(key, "tls.key", where)
        try:
            context.load_cert_chain(cert, key, password=passphrase)
        except (ssl.SSLError, ValueError, OSError) as exc:
            raise ProviderConfigError(
                f"{where}tls.key: the client certificate {cert} and key {key} do not load "
                f"(wrong key passphrase, or the key does not match the certificate): {exc}",
                field="tls.key") from None
    return context


def _pinned(ca: Path, where: str) -> ssl.SSLContext:
    # A context with no default certificates: the pinned bundle is the only trust.
    _readable(ca, "tls.ca", where)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_verify_locations(cafile=ca)
    except (ssl.SSLError, OSError) as exc:
        raise ProviderConfigError(f"{where}tls.ca: the CA bundle {ca} holds no usable "
                                  f"certificate: {exc}", field="tls.ca") from None
    return context


def _readable(path: Path, field_name: str, where: str) -> None:
    if not path.is_file():
        raise ProviderConfigError(f"{where}{field_name}: no such file {path}", field=field_name)
