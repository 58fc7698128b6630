"""Compiling a mapping checks it: what ``adapter check`` reports, and split/join/constants.

A small register WSDL (written here) gives a legacy shape the shipped mappings
do not have: a ``FullName`` "Surname, Forenames", names in separate parts, an
optional birth date, a required ``version`` attribute.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from contracts.person import PersonIdentity
from hub.entrypoints.cli.main import app
from simulations.departments import SOCIAL_SECURITY_MAPPING, TAX_MAPPING
from translation.errors import MappingError
from translation.mapping import MappingFileError, compile_mapping, load_mapping

NS = "urn:example:register:1"
WSDL = f"""<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:tns="{NS}"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}">
  <types>
    <xs:schema targetNamespace="{NS}" elementFormDefault="qualified">
      <xs:simpleType name="IdType"><xs:restriction base="xs:string">
        <xs:pattern value="[0-9]{{8}}-[0-9]{{4}}"/></xs:restriction></xs:simpleType>
      <xs:element name="LookupRequest"><xs:complexType><xs:sequence>
        <xs:element name="Id" type="tns:IdType"/>
        <xs:element name="From" type="xs:date"/>
        <xs:element name="To" type="xs:date"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Person"><xs:complexType><xs:sequence>
        <xs:element name="Id" type="tns:IdType"/>
        <xs:element name="FullName" type="xs:string" minOccurs="0"/>
        <xs:element name="Last" type="xs:string" minOccurs="0"/>
        <xs:element name="First" type="xs:string" minOccurs="0"/>
        <xs:element name="Middle" type="xs:string" minOccurs="0"/>
        <xs:element name="Born" type="xs:string" minOccurs="0"/>
        <xs:element name="Serial" type="xs:long" minOccurs="0"/>
      </xs:sequence><xs:attribute name="version" type="xs:string" use="required"/>
      </xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="In"><part name="p" element="tns:LookupRequest"/></message>
  <message name="Out"><part name="p" element="tns:Person"/></message>
  <portType name="PT"><operation name="Lookup"><input message="tns:In"/>
    <output message="tns:Out"/></operation></portType>
  <binding name="B" type="tns:PT"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Lookup"><soap:operation soapAction="lookup"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output>
    </operation></binding>
  <service name="Register"><port name="P" binding="tns:B">
    <soap:address location="http://register.invalid/"/></port></service>
</definitions>
"""
HEAD = """
[mapping]
service = "population/person"
request = "social-security.contribution-history-query@1.0"
response = "person.identity@1.0"
native = "soap"

[soap]
wsdl = "register.wsdl"
operation = "Lookup"

[namespaces]
reg = "urn:example:register:1"

[request.fields]
national_id = "reg:Id"
period_start = { path = "reg:From", date = "iso" }
period_end = { path = "reg:To", date = "iso" }

[response.constants]
"@version" = "2"
"""
SPLIT = HEAD + """
[response.fields]
national_id = "reg:Id"
family_name = { path = "reg:FullName", split = ", ", part = 1 }
given_names = { path = "reg:FullName", split = ", ", part = 2 }
date_of_birth = { path = "reg:Born", date = "%Y%m%d", default = 1900-01-01 }
"""
JOIN = HEAD + """
[response.fields]
national_id = "reg:Id"
family_name = "reg:Last"
given_names = { paths = ["reg:First", "reg:Middle"], join = " " }
date_of_birth = { path = "reg:Born", date = "%Y%m%d" }
"""


def mapping_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "register.wsdl").write_text(WSDL, encoding="utf-8")
    path = tmp_path / "register.toml"
    path.write_text(text, encoding="utf-8")
    return path


def findings(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    _, report = compile_mapping(mapping_file(tmp_path, text))
    return [(f.code, f.message) for f in report.findings]


def person(xml: str) -> etree._Element:
    return etree.fromstring(f'<Person xmlns="{NS}" version="2">{xml}</Person>')


def test_shipped_mappings_are_clean() -> None:
    """Both shipped mappings compile without errors; only the declared lossy one is noted."""
    for path in (SOCIAL_SECURITY_MAPPING, TAX_MAPPING):
        _, report = compile_mapping(path)
        assert report.errors == []
    _, report = compile_mapping(TAX_MAPPING)
    assert [f.key for f in report.of("lossy")] == ['response.fields."issued_on"']


def test_split_source_fills_two_fields_and_joins_back(tmp_path: Path) -> None:
    """FullName "Surname, Forenames" splits into two fields; encode joins them again."""
    mapping = load_mapping(mapping_file(tmp_path, SPLIT))
    identity = mapping.response.decode(person(
        "<Id>19800101-1234</Id><FullName>van der Berg, Jan Peter</FullName>"))
    assert (identity.family_name, identity.given_names) == ("van der Berg", "Jan Peter")
    element = mapping.response.encode(identity)
    assert element.findtext(f"{{{NS}}}FullName") == "van der Berg, Jan Peter"


def test_default_fills_an_absent_element(tmp_path: Path) -> None:
    """An absent Born takes the declared default; encode writes the value out."""
    mapping = load_mapping(mapping_file(tmp_path, SPLIT))
    identity = mapping.response.decode(person("<Id>19800101-1234</Id><FullName>A, B</FullName>"))
    assert identity.date_of_birth == dt.date(1900, 1, 1)
    assert mapping.response.encode(identity).findtext(f"{{{NS}}}Born") == "19000101"


def test_constants_are_written_on_encode(tmp_path: Path) -> None:
    """[response.constants] writes the required version attribute."""
    mapping = load_mapping(mapping_file(tmp_path, SPLIT))
    identity = PersonIdentity(national_id="19800101-1234", family_name="A", given_names="B",
                              date_of_birth=dt.date(1980, 1, 1))
    assert mapping.response.encode(identity).get("version") == "2"


def test_source_without_the_separator_is_named(tmp_path: Path) -> None:
    """A FullName without ", " cannot be split: MappingError at /Person/FullName."""
    mapping = load_mapping(mapping_file(tmp_path, SPLIT))
    with pytest.raises(MappingError) as caught:
        mapping.response.decode(person("<Id>19800101-1234</Id><FullName>Cher</FullName>"))
    (issue,) = caught.value.issues
    assert (issue.path, issue.code) == ("/Person/FullName", "malformed")


def test_ambiguous_split_is_refused_on_encode(tmp_path: Path) -> None:
    """A family name containing the separator could not be told apart: refused, not joined."""
    mapping = load_mapping(mapping_file(tmp_path, SPLIT))
    identity = PersonIdentity(national_id="19800101-1234", family_name="Smith, Jr",
                              given_names="John", date_of_birth=dt.date(1980, 1, 1))
    with pytest.raises(MappingError) as caught:
        mapping.response.encode(identity)
    assert caught.value.issues[0].code == "ambiguous"


def test_joined_sources_concatenate_and_split_back(tmp_path: Path) -> None:
    """given_names from First + Middle; encode splits at the first separator."""
    mapping = load_mapping(mapping_file(tmp_path, JOIN))
    identity = mapping.response.decode(person(
        "<Id>19800101-1234</Id><Last>Berg</Last><First>Jan</First><Middle>Peter Paul</Middle>"
        "<Born>19800101</Born>"))
    assert identity.given_names == "Jan Peter Paul"
    element = mapping.response.encode(identity)
    assert [element.findtext(f"{{{NS}}}{n}") for n in ("First", "Middle")] == [
        "Jan", "Peter Paul"]


def test_elements_are_written_in_schema_order(tmp_path: Path) -> None:
    """Encoding follows the XSD sequence, not the order rules are listed in."""
    reordered = HEAD + """
[response.fields]
date_of_birth = { path = "reg:Born", date = "%Y%m%d" }
given_names = "reg:First"
family_name = "reg:Last"
national_id = "reg:Id"
"""
    mapping = load_mapping(mapping_file(tmp_path, reordered))
    identity = PersonIdentity(national_id="19800101-1234", family_name="A", given_names="B",
                              date_of_birth=dt.date(1980, 1, 1))
    names = [etree.QName(child).localname for child in mapping.response.encode(identity)]
    assert names == ["Id", "Last", "First", "Born"]


def test_unknown_path_names_what_exists(tmp_path: Path) -> None:
    """A path the schema cannot match is an error listing the element's children."""
    found = findings(tmp_path, SPLIT.replace('"reg:Born"', '"reg:Birth"'))
    (message,) = [m for code, m in found if code == "unknown-path"]
    assert "Person has no element Birth" in message and "Born" in message


def test_long_mapped_onto_a_date_is_a_type_mismatch(tmp_path: Path) -> None:
    """An xs:long mapped onto a date field is reported."""
    found = findings(tmp_path, SPLIT.replace(
        'date_of_birth = { path = "reg:Born", date = "%Y%m%d", default = 1900-01-01 }',
        'date_of_birth = "reg:Serial"'))
    assert any(code == "type-mismatch" and "integer" in m for code, m in found)


def test_string_onto_a_date_without_a_format_is_a_mismatch(tmp_path: Path) -> None:
    """An xs:string onto a date needs a declared format; the report says how."""
    found = findings(tmp_path, JOIN.replace('{ path = "reg:Born", date = "%Y%m%d" }',
                                            '"reg:Born"'))
    assert any(code == "type-mismatch" and 'date = "%d.%m.%Y"' in m for code, m in found)


def test_unmapped_required_field_is_reported(tmp_path: Path) -> None:
    """A required contract field without a rule is reported by name."""
    found = findings(tmp_path, JOIN.replace('family_name = "reg:Last"\n', ""))
    assert ("unmapped-field", "required contract field 'family_name' is not mapped") in found


def test_required_legacy_element_never_written_is_reported(tmp_path: Path) -> None:
    """Encoding must produce valid XML: a required element no rule writes is reported."""
    found = findings(tmp_path, JOIN.replace('"@version" = "2"', ""))
    assert any(code == "unwritten-required" and "@version" in m for code, m in found)


def test_lossy_transform_must_be_declared(tmp_path: Path) -> None:
    """A datetime onto a date field without lossy = true is an error; with it, a finding."""
    rule = 'date_of_birth = { path = "reg:Born", datetime = "%Y%m%d%H%M" }'
    undeclared = findings(tmp_path, JOIN.replace('{ path = "reg:Born", date = "%Y%m%d" }',
                                                 rule.split(" = ", 1)[1]))
    assert any(code == "lossy-undeclared" for code, _ in undeclared)
    declared = findings(tmp_path, JOIN.replace('{ path = "reg:Born", date = "%Y%m%d" }',
                                               rule.split(" = ", 1)[1][:-2] + ", lossy = true }"))
    assert [code for code, _ in declared] == ["lossy"]


@pytest.mark.parametrize(("change", "code"), [
    (('"person.identity@1.0"', '"person.identity@9.0"'), "unknown-contract"),
    (('national_id = "reg:Id"\nfamily', 'nationality = "reg:Id"\nfamily'), "unknown-field"),
    (('"reg:Last"', '"xx:Last"'), "bad-path"),
    (('operation = "Lookup"', 'operation = "Find"'), "unknown-operation"),
    (('[request.fields]', '[request]\nelement = "reg:Person"\n[request.fields]'),
     "wrong-element"),
])
def test_other_mistakes_are_reported(tmp_path: Path, change: tuple[str, str], code: str) -> None:
    """Unknown contract, field, prefix, operation and a wrong root element are errors."""
    found = findings(tmp_path, JOIN.replace(*change))
    assert code in {c for c, _ in found}, found


def test_load_refuses_a_mapping_with_errors(tmp_path: Path) -> None:
    """load_mapping raises MappingFileError listing every error with file and key."""
    with pytest.raises(MappingFileError) as caught:
        load_mapping(mapping_file(tmp_path, JOIN.replace('"reg:Last"', '"reg:Lost"')))
    assert caught.value.issues[0].path.endswith('register.toml:response.fields."family_name"')


def test_check_command_exits_zero_when_clean() -> None:
    """`interop-hub adapter check` on a shipped mapping prints ok and exits 0."""
    result = CliRunner().invoke(app, ["adapter", "check", str(TAX_MAPPING)])
    assert result.exit_code == 0, result.output
    assert "lossy" in result.output and "ok: no problems" in result.output


def test_check_command_lists_problems_and_exits_one(tmp_path: Path) -> None:
    """`interop-hub adapter check` lists every problem and exits 1."""
    path = mapping_file(tmp_path, JOIN.replace('"reg:Last"', '"reg:Lost"'))
    result = CliRunner().invoke(app, ["adapter", "check", str(path)])
    assert result.exit_code == 1
    assert "[unknown-path]" in result.output and "problem(s)" in result.output


def test_check_command_takes_another_wsdl(tmp_path: Path) -> None:
    """--wsdl checks the mapping against another copy of the WSDL."""
    path = mapping_file(tmp_path, JOIN)
    other = tmp_path / "elsewhere.wsdl"
    other.write_text(WSDL.replace('name="Middle"', 'name="Second"'), encoding="utf-8")
    result = CliRunner().invoke(app, ["adapter", "check", str(path), "--wsdl", str(other)])
    assert result.exit_code == 1
    assert "has no element Middle" in result.output


def test_wsdl_importing_by_url_needs_the_catalog(tmp_path: Path, shared_external: Path) -> None:
    """X-Road's testservice.wsdl imports xroad.xsd by URL: refused without a catalog,
    compiled (offline) with the catalog named in [soap]."""
    wsdl = shared_external / "xroad-wsdl-cases" / "testservice.wsdl"
    text = f"""
[mapping]
service = "health/bmi"
request = "tax.clearance-query@1.0"
response = "tax.clearance@1.0"
native = "soap"
[soap]
wsdl = "{wsdl}"
operation = "bodyMassIndex"
{{catalog}}
[namespaces]
tns = "http://producer.x-road.eu"
[request.fields]
national_id = "weight"
tax_year = "height"
"""
    without = findings(tmp_path, text.replace("{catalog}", ""))
    assert {code for code, _ in without} == {"unresolved-import"}  # one per import
    catalog = shared_external / "catalog" / "catalog.xml"
    found = findings(tmp_path, text.replace("{catalog}", f'catalog = "{catalog}"'))
    codes = {code for code, _ in found}
    assert "unresolved-import" not in codes
    # The schema is read: xs:float weight cannot feed an integer tax year.
    assert any(code == "type-mismatch" and "float" in m for code, m in found)
