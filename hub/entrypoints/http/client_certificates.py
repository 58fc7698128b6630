"""The client certificate of a request, when the hub terminated TLS itself and verified it.

The hub's TLS listener (:mod:`hub.entrypoints.http.tls_listener`) verifies a
presented certificate against the configured client CA bundle during the
handshake and puts it into the ASGI scope as the ``tls`` extension
(``client_cert_chain``, PEM, leaf first). Nothing else sets that extension, so
a certificate found there was verified. Its identities are what an operator
binds to a department: ``subject:<DN>`` (its parts in a canonical order), and
one ``dns:``, ``uri:``, ``email:`` or ``ip:`` entry per subjectAltName value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509

from hub.service_layer.security.legacy_logins import subject_identity

TLS_EXTENSION = "tls"


@dataclass(frozen=True)
class ClientCertificate:
    """A verified client certificate's subject and the identities it may be bound by."""

    subject: str
    identities: list[str]

    @classmethod
    def from_pem(cls, pem: str) -> ClientCertificate:
        """Read the identities of a PEM certificate."""
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        subject = cert.subject.rfc4514_string()
        identities = [subject_identity(subject)]
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return cls(subject, identities)
        kinds = (("dns", x509.DNSName), ("uri", x509.UniformResourceIdentifier),
                 ("email", x509.RFC822Name), ("ip", x509.IPAddress))
        for prefix, kind in kinds:
            identities += [f"{prefix}:{value}" for value in names.get_values_for_type(kind)]
        return cls(subject, identities)


def certificate_of(scope: dict[str, Any]) -> ClientCertificate | None:
    """The verified client certificate of a request's ASGI ``scope``, or None."""
    tls = (scope.get("extensions") or {}).get(TLS_EXTENSION) or {}
    chain = tls.get("client_cert_chain") or []
    return ClientCertificate.from_pem(chain[0]) if chain else None
