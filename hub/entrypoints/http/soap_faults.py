"""How a refused or failed SOAP exchange is answered: a SOAP Fault and its HTTP status.

A request in SOAP 1.2 gets a 1.2 Fault (``env:Sender``/``env:Receiver`` with the
problem code as ``env:Subcode``, :mod:`translation.soap12`) as
``application/soap+xml``; any other a 1.1 Fault as ``text/xml``.

The Fault's detail (``hub:problem``) names the problem code, the contract when
the service is known, and each issue (path, field, code, reason). HTTP status of a
SOAP 1.2 Fault: the status its error class declares (SOAP 1.2's HTTP binding answers
``env:Sender`` with 400 and the like). Of a SOAP 1.1 Fault:
500 for every Fault (WS-I Basic Profile R1126), except refusals at the HTTP
layer before any SOAP processing: a body over the size cap (413 Content Too
Large, RFC 9110 §15.5.14), a Content-Type the endpoint does not read (415), a
refused token (401 with ``WWW-Authenticate: Bearer``, or 403 for another
department's client name) and a busy store (503 with ``Retry-After``) — the body
is still a SOAP Fault, so SOAP clients can read the reason. ``faultcode`` is
``soap:Client`` for what the caller must fix (a code whose error class has a 4xx
status) and ``soap:Server`` for the hub's or a provider's failure.
"""

from __future__ import annotations

from lxml import etree
from starlette.responses import Response

from contracts.errors import FieldIssue
from hub.entrypoints.http.problems import problem_headers, status_for
from hub.service_layer.exchanges.gateway import Answer
from hub.service_layer.exchanges.messages import ReplyError
from translation.soap12 import build_fault12
from translation.soap_envelope import build_fault
from translation.xml_safety import parse_xml

XML_MEDIA = "text/xml; charset=utf-8"
SOAP12_MEDIA = "application/soap+xml; charset=utf-8"
_PROBLEM = "{urn:interop-hub:fault:1}problem"
# Refusals met at the HTTP layer keep their HTTP status (see the module docstring).
HTTP_LAYER_STATUS = frozenset({401, 403, 413, 415, 503})


def media_of(version: str) -> str:
    """The media type of an answer in SOAP ``version`` ("1.1" or "1.2")."""
    return SOAP12_MEDIA if version == "1.2" else XML_MEDIA


def fault_response(answer: Answer, contract: str | None, version: str = "1.1") -> Response:
    """The Fault answering ``answer``, naming ``contract`` when the service is known."""
    error = answer.error or ReplyError(code="hub-error", message="no answer")
    return error_fault(error, str(answer.exchange_id), contract, version)


def error_fault(
    error: ReplyError, exchange_id: str | None, contract: str | None, version: str = "1.1"
) -> Response:
    """The Fault carrying ``error`` (and the exchange id, when one was recorded)."""
    status = status_for(error.code)
    issues = [
        FieldIssue(
            path=i.get("path") or "$",
            reason=i.get("reason") or "",
            code=i.get("code") or error.code,
            field=i.get("field"),
        )
        for i in error.issues
    ]
    reason = f"{error.code}: {error.message}"
    if version == "1.2":
        body = build_fault12("Sender" if status < 500 else "Receiver", reason,
                             code=error.code, issues=issues)
    else:
        body = build_fault("Client" if status < 500 else "Server", reason,
                           code=error.code, issues=issues)
    if contract is not None:
        body = with_contract(body, contract)
    headers = problem_headers(error.code, exchange_id=exchange_id, correlation_id=None)
    return Response(
        body,
        status_code=status if version == "1.2" or status in HTTP_LAYER_STATUS else 500,
        media_type=media_of(version),
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
