"""Which request media types each ingress reads; anything else is refused with 415.

A JSON ingress reads ``application/json`` or any ``application/*+json`` type,
and when a ``charset`` parameter is given it must be ``utf-8`` (RFC 8259 §8.1:
JSON between systems is UTF-8). The SOAP ingress reads SOAP 1.1, ``text/xml``;
SOAP 1.2 (``application/soap+xml``) is refused with a Fault that says the
endpoint speaks SOAP 1.1 only. A request without ``Content-Type`` is read as the
ingress's own type (RFC 9110 §8.3 lets the recipient decide), since many
department clients send none; the body's own checks still apply.
"""

from __future__ import annotations

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


class SoapVersionUnsupported(UnsupportedMediaType):
    """Raised when a SOAP 1.2 request reaches an endpoint that answers SOAP 1.1 only."""

    code = "soap-version-unsupported"


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


def require_soap11(value: str | None) -> None:
    """Refuse a declared type that is not SOAP 1.1's ``text/xml``."""
    kind, _ = media_type(value)
    if not kind or kind == SOAP11_TYPE:
        return
    if kind == SOAP12_TYPE:
        raise SoapVersionUnsupported(
            f"Content-Type {_shown(value)} is SOAP 1.2; this endpoint speaks SOAP 1.1 only "
            f"(send a SOAP 1.1 envelope as {SOAP11_TYPE})")
    raise UnsupportedMediaType(
        f"Content-Type {_shown(value)} is not SOAP 1.1; send {SOAP11_TYPE}")


def _shown(value: str | None) -> str:
    text = (value or "").strip()
    return repr(text[:80] + ("…" if len(text) > 80 else ""))
