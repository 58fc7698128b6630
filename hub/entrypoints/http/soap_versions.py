"""Which SOAP version a request is in, and which one its answer is given in.

The Content-Type declares it (:func:`hub.entrypoints.http.media_types.soap_version`);
the envelope must be of that version. A request whose envelope is of the other
version gets a Fault in its envelope's version, which its sender can read (SOAP
1.2 Appendix A: a VersionMismatch is answered in the version the sender used).
"""

from __future__ import annotations

from fastapi import Request

from contracts.errors import HubError
from hub.entrypoints.http.media_types import CONTENT_TYPE_HEADER, UnsupportedMediaType, soap_version
from translation.soap12 import parse_envelope12
from translation.soap_envelope import SoapMessage, parse_envelope
from translation.xml_safety import XmlLimits


def declared_version(request: Request) -> str:
    """The SOAP version the request's Content-Type declares ("1.1" when none, or unreadable)."""
    try:
        return soap_version(request.headers.get(CONTENT_TYPE_HEADER)).version
    except UnsupportedMediaType:
        return "1.1"


def parse_message(raw: bytes, limits: XmlLimits, version: str) -> SoapMessage:
    """The envelope of ``raw`` in SOAP ``version``; MalformedInput if it is not one."""
    return parse_envelope12(raw, limits) if version == "1.2" else parse_envelope(raw, limits)


def answer_version(declared: str, exc: HubError) -> str:
    """The version to answer a refusal in: the envelope's own when it is not the declared one."""
    if any(issue.code == "soap-version-mismatch" for issue in exc.issues):
        return "1.1" if declared == "1.2" else "1.2"
    return declared
