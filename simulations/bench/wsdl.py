"""Onboarding benchmark: seconds to scaffold a large WSDL, per 100 operations.

Public-administration WSDLs are big: a population register's service contract
has over a hundred operations and weighs more than a megabyte and a half. This
module writes such a WSDL in the shape of the X-Road example adapter (document/
literal, X-Road 4.0 headers on every operation, documented operations,
request/response elements with code lists and repeated records) with
:data:`OPERATIONS` operations, and measures ``describe_wsdl`` +
``write_skeletons`` on it. The reference, measured in the same run, is the same
work on a WSDL of :data:`SMALL` operations of the same shape: a ratio near 1
means the scaffold scales linearly with the number of operations.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from simulations.bench.figures import Figure, ratio_of
from translation.onboarding import ScaffoldOptions, describe_wsdl, write_skeletons

OPERATIONS = 200
SMALL = 20
ROUNDS = 3
CODES = 60  # values of each operation's code list (registers have long ones)
GOAL = "<= 5 CPU s per 100 operations; ratio to a 20-operation WSDL near 1 (linear)"

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:xrd="urn:bench:xroad-like" xmlns:tns="urn:bench:register"
    name="registerService" targetNamespace="urn:bench:register">
  <wsdl:types>
    <xs:schema targetNamespace="urn:bench:xroad-like" elementFormDefault="qualified">
      <xs:element name="client" type="xs:string"/>
      <xs:element name="service" type="xs:string"/>
      <xs:element name="id" type="xs:string"/>
      <xs:element name="protocolVersion" type="xs:string"/>
      <xs:element name="userId" type="xs:string"/>
    </xs:schema>
    <xs:schema targetNamespace="urn:bench:register" elementFormDefault="qualified">
"""
_HEADERS = ("client", "service", "id", "protocolVersion", "userId")


def _types(n: int) -> str:
    codes = "".join(
        f'<xs:enumeration value="C{n}-{c:03d}"><xs:annotation><xs:documentation>'
        f"code {c} of register query {n}</xs:documentation></xs:annotation></xs:enumeration>"
        for c in range(CODES)
    )
    return f"""
      <xs:simpleType name="code{n}"><xs:restriction base="xs:string">{codes}
      </xs:restriction></xs:simpleType>
      <xs:complexType name="record{n}"><xs:sequence>
        <xs:element name="personCode" type="xs:string"/>
        <xs:element name="firstName" type="xs:string"/>
        <xs:element name="lastName" type="xs:string"/>
        <xs:element name="birthDate" type="xs:date" minOccurs="0"/>
        <xs:element name="status" type="tns:code{n}"/>
        <xs:element name="address" minOccurs="0"><xs:complexType><xs:sequence>
          <xs:element name="street" type="xs:string"/>
          <xs:element name="postalCode" type="xs:string"/>
          <xs:element name="municipality" type="tns:code{n}"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence><xs:attribute name="validFrom" type="xs:date"/></xs:complexType>
      <xs:element name="query{n}"><xs:complexType><xs:sequence>
        <xs:element name="personCode" type="xs:string"/>
        <xs:element name="reason" type="tns:code{n}"/>
        <xs:element name="asOf" type="xs:date" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="query{n}Response"><xs:complexType><xs:sequence>
        <xs:element name="record" type="tns:record{n}" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence></xs:complexType></xs:element>"""


def _messages(n: int) -> str:
    return f"""
  <wsdl:message name="query{n}"><wsdl:part name="body" element="tns:query{n}"/></wsdl:message>
  <wsdl:message name="query{n}Response">
    <wsdl:part name="body" element="tns:query{n}Response"/></wsdl:message>"""


def _operation(n: int) -> str:
    return f"""
    <wsdl:operation name="query{n}">
      <wsdl:documentation>Register query {n}: returns the records of a person as of a date,
        with their status codes and addresses.</wsdl:documentation>
      <wsdl:input message="tns:query{n}"/><wsdl:output message="tns:query{n}Response"/>
    </wsdl:operation>"""


def _bound(n: int) -> str:
    headers = "".join(
        f'<soap:header message="tns:requestHeader" part="{h}" use="literal"/>' for h in _HEADERS
    )
    return f"""
    <wsdl:operation name="query{n}"><soap:operation soapAction="" style="document"/>
      <wsdl:input><soap:body use="literal"/>{headers}</wsdl:input>
      <wsdl:output><soap:body use="literal"/>{headers}</wsdl:output>
    </wsdl:operation>"""


def large_wsdl(operations: int) -> str:
    """A register-like WSDL with ``operations`` operations (about 8 KB each)."""
    ops = range(operations)
    header_parts = "".join(f'<wsdl:part name="{h}" element="xrd:{h}"/>' for h in _HEADERS)
    return (
        _HEAD
        + "".join(_types(n) for n in ops)
        + "\n    </xs:schema>\n  </wsdl:types>"
        + f'\n  <wsdl:message name="requestHeader">{header_parts}</wsdl:message>'
        + "".join(_messages(n) for n in ops)
        + '\n  <wsdl:portType name="registerPortType">'
        + "".join(_operation(n) for n in ops)
        + '\n  </wsdl:portType>\n  <wsdl:binding name="registerBinding" '
        + 'type="tns:registerPortType">\n    <soap:binding style="document" '
        + 'transport="http://schemas.xmlsoap.org/soap/http"/>'
        + "".join(_bound(n) for n in ops)
        + '\n  </wsdl:binding>\n  <wsdl:service name="registerService">'
        + '<wsdl:port name="registerPort" binding="tns:registerBinding">'
        + '<soap:address location="http://register.example/endpoint"/></wsdl:port>'
        + "</wsdl:service>\n</wsdl:definitions>\n"
    )


def scaffold_seconds(wsdl: Path, out: Path) -> float:
    """CPU seconds for one scaffold of ``wsdl`` (describe, then write every skeleton).

    The scaffold is one thread of CPU work; its process time does not grow when other
    work shares the machine, as its wall-clock time does.
    """
    started = time.process_time()
    described = describe_wsdl(wsdl, ScaffoldOptions())
    write_skeletons(described, out, force=True)
    return time.process_time() - started


def per_100_ops(operations: int, folder: Path, rounds: int = ROUNDS) -> tuple[float, int]:
    """Best-of-``rounds`` scaffold seconds per 100 operations, and the WSDL's size in bytes."""
    wsdl = folder / f"register-{operations}.wsdl"
    wsdl.write_text(large_wsdl(operations), encoding="utf-8")
    best = min(scaffold_seconds(wsdl, folder / f"out-{operations}") for _ in range(rounds))
    return best * 100 / operations, wsdl.stat().st_size


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        reference, _ = per_100_ops(SMALL, folder)
        value, size = per_100_ops(OPERATIONS, folder)
    print(f"  {OPERATIONS} operations, {size / 1e6:.2f} MB: {value:.2f} CPU s per 100 "
          f"operations ({SMALL}-operation reference: {reference:.2f} CPU s per 100)")
    return [
        Figure(
            key="wsdl_scaffold_s_per_100_ops",
            value=round(value, 3),
            unit="CPU s / 100 operations",
            reference=round(reference, 3),
            ratio=ratio_of(value, reference),
            goal=GOAL,
        )
    ]
