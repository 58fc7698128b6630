"""Schemas using a namespace they never xs:import: strict refuses precisely, lenient supplies it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from hub.entrypoints.cli.main import app
from translation.mapping.errors import MappingFileError
from translation.mapping.wsdl_service import load_operation
from translation.onboarding import (
    DanglingReference,
    InvalidSchema,
    ScaffoldOptions,
    describe_wsdl,
    render_skeleton,
)
from translation.onboarding.report import MISSING_IMPORT

CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'


def _wsdl(*schemas: str, namespaces: str = 'xmlns:b="urn:b" xmlns:c="urn:c"') -> str:
    """One operation whose request element ``tns:Req`` lives in the first of ``schemas``."""
    return f"""<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" {XS}
    xmlns:tns="urn:a" {namespaces} targetNamespace="urn:a">
  <wsdl:types>{"".join(schemas)}</wsdl:types>
  <wsdl:message name="In"><wsdl:part name="body" element="tns:Req"/></wsdl:message>
  <wsdl:message name="Out"><wsdl:part name="body" element="tns:Resp"/></wsdl:message>
  <wsdl:portType name="PT"><wsdl:operation name="Ask">
    <wsdl:input message="tns:In"/><wsdl:output message="tns:Out"/>
  </wsdl:operation></wsdl:portType>
  <wsdl:binding name="B" type="tns:PT">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Ask"><soap:operation soapAction="urn:ask"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation></wsdl:binding>
  <wsdl:service name="S"><wsdl:port name="P" binding="tns:B">
    <soap:address location="http://dept.example/ask"/></wsdl:port></wsdl:service>
</wsdl:definitions>"""


SCHEMA_A = """
    <xs:schema targetNamespace="urn:a" elementFormDefault="qualified">
      <xs:element name="Req"><xs:complexType><xs:sequence>
        <xs:element name="Who" type="b:Person"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Resp" type="xs:string"/>
    </xs:schema>"""
SCHEMA_B = """
    <xs:schema targetNamespace="urn:b" elementFormDefault="qualified">
      <xs:complexType name="Person"><xs:sequence>
        <xs:element name="Name" type="xs:string"/>
      </xs:sequence></xs:complexType>
    </xs:schema>"""
SCHEMA_B_CHAINED = """
    <xs:schema targetNamespace="urn:b" elementFormDefault="qualified">
      <xs:complexType name="Person"><xs:sequence>
        <xs:element name="Name" type="xs:string"/>
        <xs:element ref="c:Address"/>
      </xs:sequence></xs:complexType>
    </xs:schema>"""
SCHEMA_C = """
    <xs:schema targetNamespace="urn:c" elementFormDefault="qualified">
      <xs:element name="Address"><xs:complexType><xs:sequence>
        <xs:element name="Street" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>"""


def _write(folder: Path, text: str, name: str = "dept.wsdl") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _paths(described) -> list[str]:
    (shape,) = described.operations
    return [leaf.path for leaf in shape.input.body[0].leaves]


def test_strict_refuses_naming_prefix_namespace_file_line_and_the_declaring_schema(tmp_path):
    """Without --lenient the omitted import is an error that says where and how to fix it."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B))
    with pytest.raises(InvalidSchema) as caught:
        describe_wsdl(wsdl)
    (issue,) = caught.value.issues
    assert issue.code == "namespace-not-imported"
    assert issue.path == "dept.wsdl:8"
    assert "prefix b (namespace urn:b)" in issue.reason
    assert "dept.wsdl:12" in issue.reason  # the schema that declares urn:b
    assert "--lenient" in issue.reason


@pytest.mark.parametrize("allow_unresolved", [False, True])
def test_lenient_resolves_from_the_wsdls_other_schema_and_reports_it(tmp_path, allow_unresolved):
    """--lenient adds the import, describes the foreign type's leaves and records one fault."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B))
    described = describe_wsdl(
        wsdl, ScaffoldOptions(lenient=True, allow_unresolved=allow_unresolved)
    )
    assert _paths(described) == ["/tns:Req/tns:Who/b:Name"]
    (record,) = [t for t in described.tolerated if t.code == MISSING_IMPORT]
    assert (record.file, record.line) == ("dept.wsdl", 8)
    assert "type=b:Person" in record.construct and "urn:b" in record.construct
    assert "dept.wsdl:12" in record.action


def test_lenient_resolves_a_chain_of_omitted_imports(tmp_path):
    """A uses B's prefix, B uses C's, none imports: both are supplied and reported."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B_CHAINED, SCHEMA_C))
    described = describe_wsdl(wsdl, ScaffoldOptions(lenient=True))
    assert _paths(described) == ["/tns:Req/tns:Who/b:Name", "/tns:Req/tns:Who/c:Address/c:Street"]
    namespaces = sorted(t.construct.rsplit("namespace ", 1)[1] for t in described.tolerated)
    assert namespaces == ["urn:b)", "urn:c)"]


def test_a_namespace_found_nowhere_is_an_error_naming_prefix_namespace_file_line(tmp_path):
    """No schema of the WSDL and no catalog entry declares urn:c: lenient cannot go on."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B_CHAINED))
    with pytest.raises(InvalidSchema) as caught:
        describe_wsdl(wsdl, ScaffoldOptions(lenient=True, allow_unresolved=True))
    (issue,) = caught.value.issues
    assert issue.code == "namespace-unknown"
    assert issue.path == "dept.wsdl:15"
    assert "prefix c (namespace urn:c)" in issue.reason and "catalog" in issue.reason


def test_lenient_takes_the_namespace_from_the_catalog_when_no_schema_declares_it(tmp_path):
    """The catalog maps the namespace name onto a local schema: it is gathered and imported."""
    _write(tmp_path, f"<xs:schema {XS} xmlns:c='urn:c' {SCHEMA_C.split('<xs:schema', 1)[1]}",
           "c.xsd")
    catalog = _write(
        tmp_path, f'<catalog xmlns="{CATALOG_NS}"><uri name="urn:c" uri="c.xsd"/></catalog>',
        "catalog.xml",
    )
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B_CHAINED))
    described = describe_wsdl(wsdl, ScaffoldOptions(lenient=True, catalog=catalog))
    assert "/tns:Req/tns:Who/c:Address/c:Street" in _paths(described)
    assert any("c.xsd" in t.action for t in described.tolerated if t.code == MISSING_IMPORT)


def test_cli_report_lists_what_lenient_tolerated_and_strict_exits_2(tmp_path):
    """`adapter scaffold --report` writes each supplied import with its code; strict exits 2."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B_CHAINED, SCHEMA_C))
    args = ["adapter", "scaffold", "--wsdl", str(wsdl), "--out", str(tmp_path / "out")]
    strict = CliRunner().invoke(app, args)
    assert strict.exit_code == 2
    assert "error [invalid-schema]: dept.wsdl:8:" in strict.output
    report = tmp_path / "report.json"
    lenient = CliRunner().invoke(app, [*args, "--lenient", "--report", str(report)])
    assert lenient.exit_code == 0, lenient.output
    document = json.loads(report.read_text())
    assert document["version"] == 1 and document["operations"] == 1
    assert document["counts"] == {MISSING_IMPORT: 2}
    assert [(r["file"], r["line"]) for r in document["tolerated"]] == [
        ("dept.wsdl", 8),
        ("dept.wsdl", 15),
    ]
    assert set(document["tolerated"][0]) == {"code", "file", "line", "construct", "action"}


def test_a_lenient_mapping_loads_the_operation_and_validates_against_the_supplied_import(tmp_path):
    """The mapping engine loads the WSDL as the scaffold did: strict refuses, lenient validates."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B))
    with pytest.raises(MappingFileError, match="never xs:imports"):
        load_operation(wsdl, "Ask")
    operation = load_operation(wsdl, "Ask", lenient=True)
    assert [(t.code, t.line) for t in operation.tolerated] == [(MISSING_IMPORT, 8)]
    good = b'<a:Req xmlns:a="urn:a"><a:Who><b:Name xmlns:b="urn:b">Ann</b:Name></a:Who></a:Req>'
    bad = b'<a:Req xmlns:a="urn:a"><a:Who><b:Nom xmlns:b="urn:b">Ann</b:Nom></a:Who></a:Req>'
    assert operation.validator.validate(etree.fromstring(good))
    assert not operation.validator.validate(etree.fromstring(bad))


def test_the_skeleton_of_a_lenient_scaffold_asks_for_lenient_loading(tmp_path):
    """A mapping filled from the skeleton loads the WSDL the way the scaffold did."""
    wsdl = _write(tmp_path, _wsdl(SCHEMA_A, SCHEMA_B))
    described = describe_wsdl(wsdl, ScaffoldOptions(lenient=True))
    text = render_skeleton(described, described.operations[0], tmp_path)
    assert tomllib.loads(text)["soap"]["lenient"] is True
    assert "# WARNING: [missing-import] dept.wsdl:8:" in text


def test_a_schema_processor_crash_in_lax_mode_becomes_a_located_error(tmp_path):
    """xmlschema's lax build raises AttributeError on a restriction without base; the error is
    the strict build's, at the schema's file and line, never a traceback."""
    broken = """
    <xs:schema targetNamespace="urn:a" elementFormDefault="qualified">
      <xs:simpleType name="Code"><xs:restriction/></xs:simpleType>
      <xs:element name="Req" type="tns:Code"/>
      <xs:element name="Resp" type="xs:string"/>
    </xs:schema>"""
    wsdl = _write(tmp_path, _wsdl(broken))
    with pytest.raises(InvalidSchema) as caught:
        describe_wsdl(wsdl, ScaffoldOptions(lenient=True, allow_unresolved=True))
    (issue,) = caught.value.issues
    assert issue.path.startswith("dept.wsdl:")
    assert "xs:restriction" in issue.reason or "xs:simpleType" in issue.reason


def test_an_empty_qname_reference_is_a_dangling_reference_not_a_crash(tmp_path):
    """`binding="tns:"` (an empty local name) is reported with its place, in any mode."""
    text = _wsdl(SCHEMA_A, SCHEMA_B).replace('binding="tns:B"', 'binding="tns:"')
    wsdl = _write(tmp_path, text)
    with pytest.raises(DanglingReference) as caught:
        describe_wsdl(wsdl, ScaffoldOptions(lenient=True, allow_unresolved=True))
    assert "binding tns:" in caught.value.issues[0].reason
