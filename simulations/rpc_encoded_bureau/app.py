"""The emulated Pension Fund: an rpc/encoded SOAP 1.1 service, as Axis 1 and PHP wrote them.

``GET /axis/services/ContributionRegister?wsdl`` serves ``pensions.wsdl`` with its
real address; ``POST`` answers ``getContributions(persNo, fromDate, toDate)``
from the same register as the Social Security Bureau
(:mod:`simulations.social_security_bureau.data`).

It is strict about SOAP encoding the way old toolkits are: the wrapper must be
``getContributions`` in ``urn:pension-fund:contributions`` with
``soap:encodingStyle``, and every parameter must carry its ``xsi:type``. Its
answer is SOAP-encoded too: with ``multiref`` (Axis 1's default) the record and
each period are independent ``multiRef`` elements reached by ``href``;
without, values are written in place (PHP's SoapServer). Arrays carry
``soapenc:arrayType="ns2:Period[n]"``; an open period is ``xsi:nil``.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from simulations.social_security_bureau import soap
from simulations.social_security_bureau.data import EmploymentPeriod, InsuredPerson, seed_register

SERVICE_NS = "urn:pension-fund:contributions"
TYPES_NS = "urn:pension-fund:types"
ENC_NS = "http://schemas.xmlsoap.org/soap/encoding/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
ENDPOINT_PATH = "/axis/services/ContributionRegister"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_STYLE = f"{{{soap.SOAP_ENV_NS}}}encodingStyle"
_PARAMETERS = (("persNo", "xsd:string"), ("fromDate", "xsd:date"), ("toDate", "xsd:date"))


@dataclass
class PensionFundBehaviour:
    """How the fund answers, and what it was sent (tests read both).

    ``multiref`` answers Axis-style (independent ``multiRef`` elements) or in place;
    ``requests`` keeps the last 100 request bodies as received.
    """

    multiref: bool = True
    calls: int = 0
    requests: deque[bytes] = field(default_factory=lambda: deque(maxlen=100))


class _Fund:
    def __init__(self, behaviour: PensionFundBehaviour,
                 register: Mapping[str, InsuredPerson]) -> None:
        self.behaviour = behaviour
        self.register = register
        self.wsdl = resources.files(__package__).joinpath("pensions.wsdl").read_bytes()

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in request.query_params:
                return PlainTextResponse("SOAP endpoint; GET ?wsdl for the WSDL", 404)
            return Response(self._wsdl_for(str(request.url.replace(query=""))), 200,
                            media_type=soap.SOAP_CONTENT_TYPE)
        self.behaviour.calls += 1
        body = await request.body()
        self.behaviour.requests.append(body)
        try:
            person, start, until = self._read(soap.parse_request(body))
            return Response(self._answer(person, start, until), 200,
                            media_type=soap.SOAP_CONTENT_TYPE)
        except soap.SoapFault as exc:
            return Response(soap.fault(exc.code, exc.message), 500,
                            media_type=soap.SOAP_CONTENT_TYPE)

    def _wsdl_for(self, address: str) -> bytes:
        wsdl = etree.fromstring(self.wsdl, parser=soap.hardened_parser())
        for node in wsdl.iter(f"{{{WSDL_SOAP_NS}}}address"):
            node.set("location", address)
        return etree.tostring(wsdl, xml_declaration=True, encoding="UTF-8")

    def _read(self, wrapper: etree._Element) -> tuple[InsuredPerson, dt.date, dt.date]:
        if wrapper.tag != f"{{{SERVICE_NS}}}getContributions":
            raise soap.SoapFault("Client", f"no operation {wrapper.tag}")
        if wrapper.get(_STYLE) != ENC_NS:
            raise soap.SoapFault("Client", "the call is not SOAP-encoded (encodingStyle)")
        values = {}
        for name, xsi_type in _PARAMETERS:
            node = wrapper.find(name)
            if node is None:
                raise soap.SoapFault("Client", f"parameter {name} is missing")
            written = node.get(_XSI_TYPE, "")
            prefix, _, local = written.rpartition(":")
            if node.nsmap.get(prefix or None) != XSD_NS or local != xsi_type.partition(":")[2]:
                raise soap.SoapFault("Client", f"parameter {name} must be typed {xsi_type} "
                                     f"(xsi:type), got {written!r}")
            values[name] = (node.text or "").strip()
        try:
            start = dt.date.fromisoformat(values["fromDate"])
            until = dt.date.fromisoformat(values["toDate"])
        except ValueError as exc:
            raise soap.SoapFault("Client", f"not a date: {exc}") from None
        person = self.register.get(values["persNo"])
        if person is None:
            raise soap.SoapFault("Client", f"no insured person {values['persNo']}")
        return person, start, until

    def _answer(self, person: InsuredPerson, start: dt.date, until: dt.date) -> bytes:
        writer = _EncodedWriter(self.behaviour.multiref)
        periods = [p for p in person.periods if p.overlaps(start, until)]
        writer.answer(person, periods, dt.datetime.now(dt.UTC).date())
        return etree.tostring(writer.envelope, xml_declaration=True, encoding="UTF-8")


class _EncodedWriter:
    """Writes one SOAP-encoded answer, values in place or as multiRef elements."""

    def __init__(self, multiref: bool) -> None:
        self.multiref = multiref
        self.envelope = etree.Element(f"{{{soap.SOAP_ENV_NS}}}Envelope", nsmap={
            "soapenv": soap.SOAP_ENV_NS, "xsd": XSD_NS, "xsi": XSI_NS, "soapenc": ENC_NS})
        self.body = etree.SubElement(self.envelope, f"{{{soap.SOAP_ENV_NS}}}Body")
        self._next_id = 0

    def answer(self, person: InsuredPerson, periods: list[EmploymentPeriod],
               today: dt.date) -> None:
        wrapper = etree.SubElement(self.body, f"{{{SERVICE_NS}}}getContributionsResponse",
                                   nsmap={"ns1": SERVICE_NS, "ns2": TYPES_NS})
        wrapper.set(_STYLE, ENC_NS)
        record = self._value(wrapper, "getContributionsReturn", "ContributionRecord")
        for name, value in (("persNo", person.pers_no), ("surname", person.surname),
                            ("forenames", person.forenames),
                            ("birthDate", person.birth.isoformat()),
                            ("asOf", today.isoformat())):
            _simple(record, name, "xsd:date" if "Date" in name or name == "asOf"
                    else "xsd:string", value)
        array = etree.SubElement(record, "periods")
        array.set(_XSI_TYPE, "soapenc:Array")
        array.set(f"{{{ENC_NS}}}arrayType", f"ns2:Period[{len(periods)}]")
        for period in periods:
            item = self._value(array, "item", "Period")
            _simple(item, "employerNo", "xsd:string", period.empl_no)
            _simple(item, "employerName", "xsd:string", period.empl_name)
            _simple(item, "begin", "xsd:date", period.begin.isoformat())
            _simple(item, "end", "xsd:date", period.end.isoformat() if period.end else None)
            _simple(item, "baseCents", "xsd:long", str(period.contrib_base_cents))
            _simple(item, "currency", "xsd:string", period.curr)

    def _value(self, parent: etree._Element, name: str, type_local: str) -> etree._Element:
        """An accessor for a struct: the struct itself, or an href to a new multiRef."""
        accessor = etree.SubElement(parent, name)
        if not self.multiref:
            accessor.set(_XSI_TYPE, f"ns2:{type_local}")  # ns2: declared on the wrapper
            return accessor
        ident = f"id{self._next_id}"
        self._next_id += 1
        accessor.set("href", f"#{ident}")
        value = etree.SubElement(self.body, "multiRef", {"id": ident}, nsmap={"ns2": TYPES_NS})
        value.set(f"{{{ENC_NS}}}root", "0")
        value.set(_STYLE, ENC_NS)
        value.set(_XSI_TYPE, f"ns2:{type_local}")
        return value


def _simple(parent: etree._Element, name: str, xsi_type: str, text: str | None) -> None:
    node = etree.SubElement(parent, name)
    if text is None:
        node.set(f"{{{XSI_NS}}}nil", "true")
    else:
        node.set(_XSI_TYPE, xsi_type)
        node.text = text


def create_app(behaviour: PensionFundBehaviour | None = None) -> Starlette:
    """Build the fund's ASGI app; pass a ``behaviour`` to choose the answer style."""
    fund = _Fund(behaviour or PensionFundBehaviour(), seed_register())
    app = Starlette(routes=[Route(ENDPOINT_PATH, fund.endpoint, methods=["GET", "POST"])])
    app.state.behaviour = fund.behaviour
    return app
