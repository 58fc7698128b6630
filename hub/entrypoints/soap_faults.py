"""How a refused or failed SOAP exchange is answered: a SOAP 1.1 Fault and its HTTP status.

The Fault's detail (``hub:problem``) names the problem code, the contract when
the service is known, and each issue (path, field, code, reason). HTTP status:
500 for every Fault (WS-I Basic Profile R1126), except refusals at the HTTP
layer before any SOAP processing: a body over the size cap (413 Content Too
Large, RFC 9110 §15.5.14) and a refused token (401 with ``WWW-Authenticate:
Bearer``, or 403 for another department's client name) — the body is still a
SOAP Fault, so SOAP clients can read the reason. ``faultcode`` is ``soap:Client``
for what the caller must fix and ``soap:Server`` for the hub's or a provider's failure.
"""

from __future__ import annotations

from lxml import etree
from starlette.responses import Response

from adapters.soap_envelope import build_fault
from adapters.xml_safety import parse_xml
from contracts.errors import FieldIssue
from hub.entrypoints.problems import WWW_AUTHENTICATE, status_for
from hub.gateway import Answer
from hub.messages import ReplyError

XML_MEDIA = "text/xml; charset=utf-8"
_PROBLEM = "{urn:interop-hub:fault:1}problem"
# Codes a client must fix, beyond those the HTTP mapping already counts as 4xx.
CLIENT_FAULTS = frozenset({"unknown-xroad-client", "xroad-header-invalid"})
# Refusals met at the HTTP layer keep their HTTP status (see the module docstring).
HTTP_LAYER_STATUS = frozenset({401, 403, 413})


def fault_response(answer: Answer, contract: str | None) -> Response:
    """The Fault answering ``answer``, naming ``contract`` when the service is known."""
    error = answer.error or ReplyError(code="hub-error", message="no answer")
    client_error = status_for(error.code) < 500 or error.code in CLIENT_FAULTS
    issues = [
        FieldIssue(
            path=i.get("path") or "$",
            reason=i.get("reason") or "",
            code=i.get("code") or error.code,
            field=i.get("field"),
        )
        for i in error.issues
    ]
    body = build_fault(
        "Client" if client_error else "Server",
        f"{error.code}: {error.message}",
        code=error.code,
        issues=issues,
    )
    if contract is not None:
        body = with_contract(body, contract)
    status = status_for(error.code)
    headers = {"X-Exchange-Id": str(answer.exchange_id)}
    if status == 401:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return Response(
        body,
        status_code=status if status in HTTP_LAYER_STATUS else 500,
        media_type=XML_MEDIA,
        headers=headers,
    )


def with_contract(fault: bytes, contract: str) -> bytes:
    """Name the contract on the fault's ``hub:problem`` (our own bytes, just built)."""
    root = parse_xml(fault)
    problem = next(root.iter(_PROBLEM), None)
    if problem is None:
        return fault
    problem.set("contract", contract)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
