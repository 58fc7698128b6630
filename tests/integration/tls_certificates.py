"""A test PKI made with ``cryptography``: a CA, a loopback server certificate, client certs."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, written as PEM files."""

    cert: Path
    key: Path


class LoopbackCa:
    """A CA that issues server and client certificates into ``folder``."""

    def __init__(self, folder: Path, name: str = "Test CA") -> None:
        self.folder = folder
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self._cert = (
            self._builder(self._name, self._key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = folder / f"{name.replace(' ', '-')}.pem"
        self.bundle.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def server(self, stem: str) -> Issued:
        """A certificate for 127.0.0.1 and localhost."""
        san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                           x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        return self._issue(stem, "localhost", san, ExtendedKeyUsageOID.SERVER_AUTH)

    def client(self, stem: str, common_name: str, dns: str | None = None) -> Issued:
        """A client certificate with subject ``CN=<common_name>,O=North`` (and a DNS SAN)."""
        san = x509.SubjectAlternativeName([x509.DNSName(dns)]) if dns else None
        return self._issue(stem, common_name, san, ExtendedKeyUsageOID.CLIENT_AUTH,
                           organisation="North")

    def _issue(self, stem: str, common_name: str, san: x509.SubjectAlternativeName | None,
               usage: x509.ObjectIdentifier, organisation: str | None = None) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organisation:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        builder = self._builder(x509.Name(attributes), key.public_key()).add_extension(
            x509.ExtendedKeyUsage([usage]), critical=False)
        if san is not None:
            builder = builder.add_extension(san, critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        issued = Issued(self.folder / f"{stem}.crt", self.folder / f"{stem}.key")
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        issued.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                 serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
        issued.key.chmod(0o600)
        return issued

    def _builder(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey
                 ) -> x509.CertificateBuilder:
        now = dt.datetime.now(dt.UTC)
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self._name)
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1)))


def client_context(ca: LoopbackCa, client: Issued | None) -> ssl.SSLContext:
    """A client TLS context trusting ``ca``, presenting ``client`` when given."""
    context = ssl.create_default_context(cafile=str(ca.bundle))
    if client is not None:
        context.load_cert_chain(str(client.cert), str(client.key))
    return context
