"""Which request media types each ingress reads; anything else is refused with 415.

A JSON ingress reads ``application/json`` or any ``application/*+json`` type,
and when a ``charset`` parameter is given it must be ``utf-8`` (RFC 8259 §8.1:
JSON between systems is UTF-8). A request without ``Content-Type`` is read as the
ingress's own type (RFC 9110 §8.3 lets the recipient decide), since many
department clients send none; the body's own checks still apply.

The SOAP ingress reads both SOAP versions: 1.1 as ``text/xml`` (or no type) and
1.2 as ``application/soap+xml``, whose ``action`` parameter is 1.2's SOAPAction
(RFC 3902); it answers in the version it was asked in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.errors import FieldIssue, HubError

CONTENT_TYPE_HEADER = "content-type"
JSON_TYPES = "application/json or application/*+json"
SOAP11_TYPE = "text/xml"
SOAP12_TYPE = "application/soap+xml"
_PATH = "header:Content-Type"


class UnsupportedMediaType(HubError):
    """Raised when a request's Content-Type is not one its ingress reads."""

    code = "unsupported-media-type"
    status = 415

    def __init__(self, reason: str) -> None:
        super().__init__(reason, issues=(FieldIssue(path=_PATH, reason=reason, code=self.code),))


@dataclass(frozen=True)
class SoapVersion:
    """Which SOAP version a request declares, and its 1.2 ``action`` (SOAPAction) if any."""

    version: Literal["1.1", "1.2"]
    action: str = ""


def media_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``(type/subtype, parameters)`` of a Content-Type value, lower-cased; ``("", {})`` if none."""
    if not value or not value.strip():
        return "", {}
    kind, *params = value.split(";")
    parameters: dict[str, str] = {}
    for param in params:
        name, _, val = param.partition("=")
        parameters[name.strip().lower()] = val.strip().strip('"').lower()
    return kind.strip().lower(), parameters


def require_json(value: str | None) -> None:
    """Refuse a declared type that is not JSON, or JSON in another charset than UTF-8."""
    kind, params = media_type(value)
    if not kind:
        return
    main, _, sub = kind.partition("/")
    if main != "application" or not (sub == "json" or sub.endswith("+json")):
        raise UnsupportedMediaType(
            f"Content-Type {_shown(value)} is not JSON; send {JSON_TYPES}")
    charset = params.get("charset")
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"Content-Type {_shown(value)}: JSON is read as UTF-8 only; drop the charset "
            "or send charset=utf-8")


def soap_version(value: str | None) -> SoapVersion:
    """The SOAP version of a declared type: ``text/xml`` (or none) 1.1, ``application/soap+xml``
    1.2; any other type is refused."""
    kind, _ = media_type(value)
    if not kind or kind == SOAP11_TYPE:
        return SoapVersion("1.1")
    if kind == SOAP12_TYPE:
        return SoapVersion("1.2", _action(value or ""))
    raise UnsupportedMediaType(
        f"Content-Type {_shown(value)} is not SOAP; send SOAP 1.1 as {SOAP11_TYPE} "
        f"or SOAP 1.2 as {SOAP12_TYPE}")


def _action(value: str) -> str:
    # media_type lower-cases parameter values; an action URI keeps its case.
    for param in value.split(";")[1:]:
        name, _, val = param.partition("=")
        if name.strip().lower() == "action":
            return val.strip().strip('"')
    return ""


def _shown(value: str | None) -> str:
    text = (value or "").strip()
    return repr(text[:80] + ("…" if len(text) > 80 else ""))
