"""The hub's own TLS listener: server certificate, and client certificates verified by a CA bundle.

uvicorn terminates TLS (``ssl_certfile``/``ssl_keyfile``/``ssl_ca_certs``) but
does not hand the peer's certificate to the app. :class:`ClientCertProtocol`
is its HTTP/1.1 protocol with one addition: on each TLS connection it reads the
certificate the handshake verified and puts it into every request's scope as
the ASGI ``tls`` extension, which :mod:`hub.entrypoints.http.client_certificates`
reads. Client certificates are optional at the TLS layer (``CERT_OPTIONAL``:
a department with a bearer token needs none); a presented certificate that
the CA bundle does not verify fails the handshake.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from contracts.errors import HubError
from hub.entrypoints.http.client_certificates import TLS_EXTENSION
from hub.settings import HubSettings


@dataclass(frozen=True)
class TlsFiles:
    """The files of the hub's TLS listener: certificate, key and the client CA bundle."""

    certfile: Path
    keyfile: Path
    client_ca: Path | None = None

    def uvicorn_options(self) -> dict[str, Any]:
        """The uvicorn ``Config`` options that terminate TLS with these files."""
        options: dict[str, Any] = {"ssl_certfile": str(self.certfile),
                                   "ssl_keyfile": str(self.keyfile)}
        if self.client_ca is not None:
            options |= {"ssl_ca_certs": str(self.client_ca), "ssl_cert_reqs": ssl.CERT_OPTIONAL,
                        "http": ClientCertProtocol}
        return options


def tls_options(settings: HubSettings) -> dict[str, Any] | None:
    """uvicorn's TLS options from the settings; None when the hub serves plain HTTP."""
    if settings.tls_certfile is None and settings.tls_keyfile is None:
        if settings.tls_client_ca is not None:
            raise TlsSettingsError("HUB_TLS_CLIENT_CA needs HUB_TLS_CERTFILE and HUB_TLS_KEYFILE: "
                                   "client certificates are checked only where the hub "
                                   "terminates TLS itself")
        return None
    if settings.tls_certfile is None or settings.tls_keyfile is None:
        raise TlsSettingsError("set both HUB_TLS_CERTFILE and HUB_TLS_KEYFILE (or neither)")
    return TlsFiles(settings.tls_certfile, settings.tls_keyfile,
                    settings.tls_client_ca).uvicorn_options()


class TlsSettingsError(HubError):
    """Raised when the TLS settings are incomplete (a key without a certificate...)."""

    code = "tls-settings"
    status = 500


class ClientCertProtocol(H11Protocol):
    """uvicorn's h11 protocol, passing the verified client certificate to the app."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der:
            self.app = _with_certificate(self.app, ssl.DER_cert_to_PEM_cert(der))


def _with_certificate(app: Any, pem: str) -> Any:
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions[TLS_EXTENSION] = {"client_cert_chain": [pem], "tls_version": None}
        await app({**scope, "extensions": extensions}, receive, send)

    return wrapped
