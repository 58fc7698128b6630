"""Emulated providers that DEMAND credentials, in front of the emulated departments.

A guard listens on loopback (TLS when given a server context, which may also
require a client certificate), checks what its :class:`Demand` asks (HTTP Basic,
a WS-Security UsernameToken with its digest, nonce and age checked, SOAP 1.2 at
the wire) and forwards what passes to the plain-HTTP department behind it.
Certificates are made here with ``cryptography``: a CA, a server certificate for
127.0.0.1, a client CA with the hub's client certificate (its key encrypted).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
KEY_PASSPHRASE = b"client key passphrase"


# ------------------------------------------------------------------ certificates
@dataclass(frozen=True)
class Pki:
    """PEM files: two unrelated CAs, the provider's server certificate, the hub's client one."""

    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    client_ca: Path
    client_cert: Path
    client_key: Path  # encrypted with KEY_PASSPHRASE
    other_host_cert: Path  # issued by ``ca``, but for provider.test only (no 127.0.0.1)
    other_host_key: Path


def make_pki(folder: Path) -> Pki:
    """Issue every certificate the tests need into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca = _ca("Provider Test CA")
    other_key, other = _ca("Some Other CA")
    client_ca_key, client_ca = _ca("Hub Client CA")
    server_key, server = _issue(ca_key, ca, "provider.test", ExtendedKeyUsageOID.SERVER_AUTH)
    client_key, client = _issue(client_ca_key, client_ca, "north-hub",
                                ExtendedKeyUsageOID.CLIENT_AUTH)
    elsewhere_key, elsewhere = _issue(ca_key, ca, "provider.test",
                                      ExtendedKeyUsageOID.SERVER_AUTH, loopback=False)
    del other_key
    files = {
        "ca": _pem(folder / "ca.pem", ca), "other_ca": _pem(folder / "other-ca.pem", other),
        "server_cert": _pem(folder / "server.pem", server),
        "server_key": _key_pem(folder / "server-key.pem", server_key, None),
        "client_ca": _pem(folder / "client-ca.pem", client_ca),
        "client_cert": _pem(folder / "client.pem", client),
        "client_key": _key_pem(folder / "client-key.pem", client_key, KEY_PASSPHRASE),
        "other_host_cert": _pem(folder / "elsewhere.pem", elsewhere),
        "other_host_key": _key_pem(folder / "elsewhere-key.pem", elsewhere_key, None),
    }
    return Pki(**files)


def _ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (_builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _issue(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, name: str,
           usage: x509.ObjectIdentifier, *, loopback: bool = True,
           ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    names: list[x509.GeneralName] = (
        [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))] if loopback
        else [x509.DNSName(name)])
    cert = (_builder(subject, ca.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _builder(subject: x509.Name, issuer: x509.Name, public_key: object) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())  # type: ignore[arg-type]
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1)))


def _pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _key_pem(path: Path, key: ec.EllipticCurvePrivateKey, passphrase: bytes | None) -> Path:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8, encryption))
    path.chmod(0o600)
    return path


def server_context(pki: Pki, *, client_ca: Path | None = None,
                   other_host: bool = False) -> ssl.SSLContext:
    """The provider's TLS: its certificate; with ``client_ca``, a client certificate required.

    ``other_host``: serve a certificate from the right CA issued for another host name.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if other_host:
        context.load_cert_chain(pki.other_host_cert, pki.other_host_key)
    else:
        context.load_cert_chain(pki.server_cert, pki.server_key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    return context


# ------------------------------------------------------------------ the guard
@dataclass
class Demand:
    """What the guard requires before it forwards a request."""

    basic: tuple[str, str] | None = None  # user, password
    username_token: tuple[str, str] | None = None  # user, password (digest checked)
    soap12: bool = False  # the wire is SOAP 1.2; the department behind speaks 1.1
    max_age_s: float = 300.0


@dataclass
class Guard:
    """A guard's record of what it let through and what it refused (and why)."""

    demand: Demand
    upstream: str
    passed: int = 0
    refused: list[str] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    client_subjects: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def guarded(upstream: str, demand: Demand,
                  tls: ssl.SSLContext | None = None) -> AsyncIterator[tuple[str, Guard]]:
    """Serve a guard in front of ``upstream``; yields its base URL and its record."""
    guard = Guard(demand, upstream.rstrip("/"))
    app = web.Application()

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _handle(guard, request)

    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock, ssl_context=tls).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", guard
    finally:
        await runner.cleanup()


async def _handle(guard: Guard, request: web.Request) -> web.StreamResponse:
    peer = request.transport.get_extra_info("peercert") if request.transport else None
    if peer:
        guard.client_subjects.append(str(dict(x[0] for x in peer["subject"])["commonName"]))
    body = await request.read()
    refusal = _check_basic(guard.demand, request)
    if refusal:
        guard.refused.append(refusal)
        return web.Response(status=401, text=refusal,
                            headers={"WWW-Authenticate": 'Basic realm="provider"'})
    headers = {k: v for k, v in request.headers.items()
               if k.lower() in ("content-type", "soapaction", "x-correlation-id", "accept")}
    if request.method == "POST" and guard.demand.soap12:
        refusal, body, headers = _from_soap12(body, headers)
        if refusal:
            guard.refused.append(refusal)
            return _fault12("Sender", refusal)
    if request.method == "POST" and guard.demand.username_token:
        refusal, body = _check_token(guard, body)
        if refusal:
            guard.refused.append(refusal)
            return _wsse_fault(refusal, soap12=guard.demand.soap12)
    guard.passed += 1
    async with aiohttp.ClientSession() as http, http.request(
            request.method, guard.upstream + request.path_qs, data=body or None,
            headers=headers) as answer:
        content, status = await answer.read(), answer.status
        content_type = answer.headers.get("Content-Type", "application/octet-stream")
    if guard.demand.soap12 and request.method == "POST":
        content = content.replace(SOAP11.encode(), SOAP12.encode())
        content_type = "application/soap+xml; charset=utf-8"
    return web.Response(body=content, status=status, headers={"Content-Type": content_type})


def _check_basic(demand: Demand, request: web.Request) -> str | None:
    if demand.basic is None:
        return None
    expected = base64.b64encode(":".join(demand.basic).encode()).decode()
    got = request.headers.get("Authorization")
    if got is None:
        return "no Authorization header"
    return None if got == f"Basic {expected}" else "wrong Basic credentials"


def _from_soap12(body: bytes, headers: dict[str, str]) -> tuple[str | None, bytes, dict[str, str]]:
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith("application/soap+xml") or 'action="' not in content_type:
        return f"not SOAP 1.2 (Content-Type {content_type!r})", body, headers
    if "SOAPAction" in headers or etree.fromstring(body).tag != f"{{{SOAP12}}}Envelope":
        return "not a SOAP 1.2 envelope", body, headers
    action = content_type.split('action="', 1)[1].split('"', 1)[0]
    forwarded = {**headers, "Content-Type": "text/xml; charset=utf-8",
                 "SOAPAction": f'"{action}"'}
    return None, body.replace(SOAP12.encode(), SOAP11.encode()), forwarded


def _check_token(guard: Guard, body: bytes) -> tuple[str | None, bytes]:
    """Verify the UsernameToken's digest, nonce and age, as a provider's WS-Security layer does."""
    assert guard.demand.username_token is not None
    user, password = guard.demand.username_token
    envelope = etree.fromstring(body)
    token = envelope.find(f".//{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        return "no wsse:UsernameToken", body
    nonce_text = token.findtext(f"{{{WSSE}}}Nonce") or ""
    created = token.findtext(f"{{{WSU}}}Created") or ""
    password_element = token.find(f"{{{WSSE}}}Password")
    if token.findtext(f"{{{WSSE}}}Username") != user or password_element is None:
        return "unknown user", body
    if not password_element.get("Type", "").endswith("#PasswordDigest"):
        return "password is not a digest", body
    nonce = base64.b64decode(nonce_text)
    expected = base64.b64encode(
        hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()  # noqa: S324
    if password_element.text != expected:
        return "wrong password digest", body
    age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    if abs(age.total_seconds()) > guard.demand.max_age_s:
        return "token too old", body
    if nonce_text in guard.nonces:
        return "nonce replayed", body
    guard.nonces.add(nonce_text)
    security = token.getparent()
    security.getparent().remove(security)
    return None, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _wsse_fault(reason: str, *, soap12: bool) -> web.Response:
    if soap12:
        return _fault12("Sender", reason, subcode="wsse:FailedAuthentication")
    body = (f'<soap:Envelope xmlns:soap="{SOAP11}" xmlns:wsse="{WSSE}"><soap:Body><soap:Fault>'
            f"<faultcode>wsse:FailedAuthentication</faultcode><faultstring>{reason}"
            "</faultstring></soap:Fault></soap:Body></soap:Envelope>")
    return web.Response(status=500, body=body.encode(),
                        headers={"Content-Type": "text/xml; charset=utf-8"})


def _fault12(code: str, reason: str, subcode: str | None = None) -> web.Response:
    sub = (f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode>" if subcode else "")
    body = (f'<env:Envelope xmlns:env="{SOAP12}" xmlns:wsse="{WSSE}"><env:Body><env:Fault>'
            f"<env:Code><env:Value>env:{code}</env:Value>{sub}</env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason>'
            "</env:Fault></env:Body></env:Envelope>")
    return web.Response(status=400 if code == "Sender" else 500, body=body.encode(),
                        headers={"Content-Type": "application/soap+xml; charset=utf-8"})
