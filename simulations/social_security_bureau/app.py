"""The emulated Social Security Bureau: a legacy SOAP 1.1 service as a Starlette app.

``GET /ws/insurance?wsdl`` serves ``insurance.wsdl`` with its real address;
``POST /ws/insurance`` answers ``GetInsuranceRecord`` from the seeded register.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import structlog
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from simulations.social_security_bureau import soap
from simulations.social_security_bureau.data import InsuredPerson, seed_register

BUREAU_NS = "http://bureau.social-security.example/ws/2004"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
ENDPOINT_PATH = "/ws/insurance"
OPEN_END = "00.00.0000"

_log = structlog.get_logger(__name__)


@dataclass
class BureauBehaviour:
    """Fault injection knobs, mutable while the app runs (tests, load and chaos runs).

    ``delay_s`` delays every call; ``server_faults_next`` answers the next N calls
    with a ``soap:Server`` fault; ``garbage_next`` answers the next N with non-XML
    bytes and HTTP 200. ``calls`` counts POSTs; ``correlation_ids`` records the
    ``X-Correlation-Id`` header of the last 1000 calls (None when absent).
    """

    delay_s: float = 0.0
    server_faults_next: int = 0
    garbage_next: int = 0
    calls: int = 0
    # Bounded so a long load run does not grow it without end.
    correlation_ids: deque[str | None] = field(default_factory=lambda: deque(maxlen=1000))


def _q(name: str) -> str:
    return f"{{{BUREAU_NS}}}{name}"


def legacy_date(value: dt.date | None) -> str:
    """Format a date the bureau's way; None is the open-period sentinel."""
    return OPEN_END if value is None else value.strftime("%d.%m.%Y")


def _parse_legacy_date(element: str, text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        # The XSD pattern lets through impossible days such as 31.02.2020.
        raise soap.SoapFault("Client", f"{element} {text!r} is not a calendar date") from None


def _load_wsdl() -> etree._ElementTree:
    data = resources.files(__package__).joinpath("insurance.wsdl").read_bytes()
    return etree.ElementTree(etree.fromstring(data, parser=soap.hardened_parser()))


def _compile_schema(wsdl: etree._ElementTree) -> etree.XMLSchema:
    schema_el = wsdl.find(f"{{{WSDL_NS}}}types/{{{XSD_NS}}}schema")
    if schema_el is None:
        raise RuntimeError("insurance.wsdl has no inline xs:schema")
    return etree.XMLSchema(etree.ElementTree(copy.deepcopy(schema_el)))


class _Bureau:
    """The service behind the routes: WSDL, compiled schema, register and behaviour."""

    def __init__(self, behaviour: BureauBehaviour, register: Mapping[str, InsuredPerson]):
        self.behaviour = behaviour
        self.register = register
        self.wsdl = _load_wsdl()
        self.schema = _compile_schema(self.wsdl)

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in request.query_params:
                return PlainTextResponse("SOAP endpoint; GET ?wsdl for the WSDL", 404)
            return Response(self._wsdl_for(str(request.url.replace(query=""))), 200,
                            media_type=soap.SOAP_CONTENT_TYPE)
        return await self._call(request)

    def _wsdl_for(self, address: str) -> bytes:
        wsdl = copy.deepcopy(self.wsdl)
        for node in wsdl.iter(f"{{{WSDL_SOAP_NS}}}address"):
            node.set("location", address)
        return etree.tostring(wsdl, xml_declaration=True, encoding="UTF-8")

    async def _call(self, request: Request) -> Response:
        behaviour = self.behaviour
        behaviour.calls += 1
        behaviour.correlation_ids.append(request.headers.get("x-correlation-id"))
        try:
            # Read before any injected delay: a slow back end has already taken the request.
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening any more
        if behaviour.delay_s > 0:
            await asyncio.sleep(behaviour.delay_s)
        if behaviour.server_faults_next > 0:
            behaviour.server_faults_next -= 1
            return _fault_response("Server", "record system temporarily unavailable (injected)")
        if behaviour.garbage_next > 0:
            behaviour.garbage_next -= 1
            return Response(b"\x00\x13<<EOF>> mainframe spool overflow",
                            200, media_type=soap.SOAP_CONTENT_TYPE)
        try:
            payload = soap.parse_request(body)
            return Response(soap.reply(self._answer(payload)), 200,
                            media_type=soap.SOAP_CONTENT_TYPE)
        except soap.SoapFault as exc:
            return _fault_response(exc.code, exc.message)
        except Exception:
            # A legacy service answers its own bugs with soap:Server, never a bare 500.
            _log.exception("bureau_internal_error")
            return _fault_response("Server", "internal error in the record system")

    def _answer(self, payload: etree._Element) -> etree._Element:
        if payload.tag != _q("GetInsuranceRecordRequest"):
            raise soap.SoapFault("Client", f"unknown operation element {payload.tag}")
        if not self.schema.validate(payload):
            # lxml names elements in Clark notation; the namespace is noise to the caller.
            message = self.schema.error_log.last_error.message.replace(f"{{{BUREAU_NS}}}", "")
            raise soap.SoapFault("Client", f"GetInsuranceRecordRequest is invalid: {message}")
        pers_no = payload.findtext(_q("PersNo"), "")
        start = _parse_legacy_date("FromDt", payload.findtext(_q("FromDt"), ""))
        until = _parse_legacy_date("ToDt", payload.findtext(_q("ToDt"), ""))
        if until < start:
            raise soap.SoapFault("Client", "ToDt is before FromDt")
        person = self.register.get(pers_no)
        if person is None:
            raise soap.SoapFault("Client", f"no insured person with PersNo {pers_no}")
        return _record(person, start, until, dt.datetime.now(dt.UTC).date())


def _record(
    person: InsuredPerson, start: dt.date, until: dt.date, today: dt.date
) -> etree._Element:
    """Build ``GetInsuranceRecordResponse`` with the periods overlapping ``start..until``."""
    response = etree.Element(_q("GetInsuranceRecordResponse"), nsmap={None: BUREAU_NS})
    holder = etree.SubElement(response, _q("Holder"))
    for name, value in (
        ("PersNo", person.pers_no),
        ("Surname", person.surname),
        ("Forenames", person.forenames),
        ("BirthDt", legacy_date(person.birth)),
    ):
        etree.SubElement(holder, _q(name)).text = value
    for period in person.periods:
        if not period.overlaps(start, until):
            continue
        node = etree.SubElement(response, _q("Period"))
        for name, value in (
            ("EmplNo", period.empl_no),
            ("EmplName", period.empl_name),
            ("BeginDt", legacy_date(period.begin)),
            ("EndDt", legacy_date(period.end)),
            ("ContribBaseCents", str(period.contrib_base_cents)),
            ("Curr", period.curr),
        ):
            etree.SubElement(node, _q(name)).text = value
    etree.SubElement(response, _q("ExtractDt")).text = legacy_date(today)
    return response


def _fault_response(code: soap.FaultCode, message: str) -> Response:
    # SOAP 1.1 (section 6.2) requires HTTP 500 for a response carrying a Fault.
    return Response(soap.fault(code, message), 500, media_type=soap.SOAP_CONTENT_TYPE)


def create_app(behaviour: BureauBehaviour | None = None) -> Starlette:
    """Build the bureau's ASGI app; pass a ``behaviour`` to inject delays and faults."""
    bureau = _Bureau(behaviour or BureauBehaviour(), seed_register())
    app = Starlette(routes=[Route(ENDPOINT_PATH, bureau.endpoint, methods=["GET", "POST"])])
    app.state.behaviour = bureau.behaviour
    return app
