"""The refusals every ingress operation may answer, documented once for all of them.

Authentication, payload limits, content-type checks and an unavailable store
refuse a request before (or instead of) the operation's own work, the same way
for every ingress. The OpenAPI document lists them on each ingress operation
that does not already describe them, so a client (and a conformance check)
finds every status the hub can answer: problem details for JSON operations, a
SOAP Fault for ``/soap`` (where WS-I Basic Profile R1126 makes a Fault a 500).
"""

from __future__ import annotations

from typing import Any

PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
FAULT = {"text/xml": {"schema": {"type": "string"}},
         "application/soap+xml": {"schema": {"type": "string"}}}

REFUSALS = {
    "400": "malformed input or a schema violation",
    "401": "missing, malformed, unknown, wrong, expired or revoked token",
    "403": "the client is not allowed (department, right, purpose or consent)",
    "404": "unknown service or contract",
    "413": "payload too large",
    "415": "unsupported content type",
    "422": "contract violation",
    "502": "the provider failed",
    "503": "the hub's store is unavailable; retry after Retry-After",
    "504": "no answer in time",
}
SOAP_FAULT = {"500": "a SOAP Fault (soap:Client for the caller's mistakes)"}
INGRESS_PREFIXES = ("/services/", "/records/")
SOAP_PATH = "/soap"


def document_refusals(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the shared refusals on every ingress operation (in place)."""
    for path, item in document.get("paths", {}).items():
        post = item.get("post")
        if post is None:
            continue
        if path == SOAP_PATH:
            _add(post, {**REFUSALS, **SOAP_FAULT}, FAULT)
        elif path.startswith(INGRESS_PREFIXES):
            _add(post, REFUSALS, PROBLEM)
    return document


def _add(operation: dict[str, Any], refusals: dict[str, str], content: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in refusals.items():
        responses.setdefault(status, {"description": description, "content": content})
