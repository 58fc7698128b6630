"""Scaffolding synthetic WSDLs: offline resolution, reference checks, leaves and skeletons."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.loopback_listener import loopback_listener
from tests.skeleton_lines import leaf
from translation.onboarding import (
    CatalogError,
    DanglingReference,
    ForbiddenLocation,
    InvalidSchema,
    OnboardingError,
    ScaffoldOptions,
    UnreadableDocument,
    UnresolvedImport,
    describe_wsdl,
    render_skeleton,
    write_skeletons,
)

TNS = "urn:example:dept"
CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


def _wsdl(
    types: str,
    *,
    request: str = "tns:Req",
    response: str = "tns:Resp",
    input_message: str = "tns:ReqMsg",
    header: str = "",
    binding_ns: str = "http://schemas.xmlsoap.org/wsdl/soap/",
    extra_ns: str = "",
) -> str:
    """A one-operation document/literal WSDL around ``types`` (the content of xs:schema)."""
    return f"""<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="{binding_ns}"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="{TNS}" {extra_ns}
    targetNamespace="{TNS}">
  <wsdl:types>
    <xs:schema targetNamespace="{TNS}" elementFormDefault="qualified">{types}</xs:schema>
  </wsdl:types>
  <wsdl:message name="ReqMsg"><wsdl:part name="body" element="{request}"/></wsdl:message>
  <wsdl:message name="RespMsg"><wsdl:part name="body" element="{response}"/></wsdl:message>
  <wsdl:message name="Hdr"><wsdl:part name="token" element="tns:Token"/></wsdl:message>
  <wsdl:portType name="PT">
    <wsdl:operation name="Ask">
      <wsdl:input message="{input_message}"/><wsdl:output message="tns:RespMsg"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="B" type="tns:PT">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Ask">
      <soap:operation soapAction="urn:ask"/>
      <wsdl:input><soap:body use="literal"/>{header}</wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="S"><wsdl:port name="P" binding="tns:B">
    <soap:address location="http://dept.example/ask"/></wsdl:port></wsdl:service>
</wsdl:definitions>"""


SIMPLE_TYPES = """
  <xs:element name="Token" type="xs:string"/>
  <xs:element name="Req"><xs:complexType><xs:sequence>
    <xs:element name="Id" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="Resp"><xs:complexType><xs:sequence>
    <xs:element name="Name" type="xs:string" minOccurs="0"/></xs:sequence></xs:complexType>
  </xs:element>"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _leaves(tmp_path: Path, wsdl: Path, **options: object) -> str:
    described = describe_wsdl(wsdl, ScaffoldOptions(**options))  # type: ignore[arg-type]
    (shape,) = described.operations
    return render_skeleton(described, shape)


def test_relative_import_and_include_are_read_from_disk(tmp_path: Path) -> None:
    """xs:import and a chameleon xs:include with relative locations resolve next to the file."""
    _write(
        tmp_path,
        "xsd/common.xsd",
        """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
        xmlns:c="urn:common" targetNamespace="urn:common" elementFormDefault="qualified">
        <xs:include schemaLocation="parts/more.xsd"/>
        <xs:complexType name="Address"><xs:sequence>
          <xs:element name="Street" type="xs:string"/><xs:element name="Zip" type="c:Zip"/>
        </xs:sequence></xs:complexType></xs:schema>""",
    )
    _write(
        tmp_path,
        "xsd/parts/more.xsd",
        """<xs:schema
        xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="Zip">
        <xs:restriction base="xs:string"><xs:pattern value="[0-9]{5}"/></xs:restriction>
        </xs:simpleType></xs:schema>""",
    )
    types = """<xs:import namespace="urn:common" schemaLocation="xsd/common.xsd"/>
      <xs:element name="Token" type="xs:string"/>
      <xs:element name="Req"><xs:complexType><xs:sequence>
        <xs:element name="Home" type="c:Address"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="Resp" type="xs:string"/>"""
    wsdl = _write(tmp_path, "dept.wsdl", _wsdl(types, extra_ns='xmlns:c="urn:common"'))
    text = _leaves(tmp_path, wsdl)
    assert leaf(text, "tns:Home/c:Zip") == "c:Zip [1..1]"
    assert '[response]\nelement = "tns:Resp"' in text and leaf(text, ".") == "xs:string [1..1]"
    described = describe_wsdl(wsdl)
    assert [s.path.name for s in described.sources] == ["dept.wsdl", "common.xsd", "more.xsd"]


def test_an_import_by_url_is_never_fetched(tmp_path: Path) -> None:
    """A URL import (a live loopback listener) is refused, or marked unresolved; no connection."""
    with loopback_listener() as listener:
        url = f"{listener.base_url}/remote.xsd"
        types = f'<xs:import namespace="urn:remote" schemaLocation="{url}"/>{SIMPLE_TYPES}'
        header = '<soap:header message="tns:Hdr" part="token" use="literal"/>'
        wsdl = _write(tmp_path, "dept.wsdl", _wsdl(types, header=header))
        with pytest.raises(UnresolvedImport) as caught:
            describe_wsdl(wsdl)
        assert url in caught.value.message
        assert f'<uri name="{url}" uri="remote.xsd"/>' in caught.value.message
        described = describe_wsdl(wsdl, ScaffoldOptions(allow_unresolved=True))
        assert described.operations[0].input is not None
    assert listener.connections == []


def test_a_catalog_maps_a_url_import_onto_a_local_copy(tmp_path: Path) -> None:
    """With the URL in the catalog, the local copy is read and the listener sees nothing."""
    with loopback_listener() as listener:
        url = f"{listener.base_url}/remote.xsd"
        _write(
            tmp_path,
            "copies/remote.xsd",
            """<xs:schema
            xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:remote">
            <xs:element name="Extra" type="xs:int"/></xs:schema>""",
        )
        catalog = _write(
            tmp_path,
            "catalog.xml",
            f'<catalog xmlns="{CATALOG_NS}"><uri name="{url}" uri="copies/remote.xsd"/></catalog>',
        )
        types = f'<xs:import namespace="urn:remote" schemaLocation="{url}"/>{SIMPLE_TYPES}'
        wsdl = _write(
            tmp_path, "dept.wsdl", _wsdl(types, response="r:Extra", extra_ns='xmlns:r="urn:remote"')
        )
        text = _leaves(tmp_path, wsdl, catalog=catalog)
        assert '[response]\nelement = "r:Extra"' in text and leaf(text, ".") == "xs:int [1..1]"
    assert listener.connections == []


def test_relative_imports_of_a_catalog_copy_resolve_against_its_url(tmp_path: Path) -> None:
    """A copy of http://a/x.xsd importing ``y.xsd`` means http://a/y.xsd, looked up too."""
    _write(
        tmp_path,
        "copies/x.xsd",
        """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
        xmlns:y="urn:y" targetNamespace="urn:x"><xs:import namespace="urn:y"
        schemaLocation="y.xsd"/><xs:element name="X" type="y:Y"/></xs:schema>""",
    )
    _write(
        tmp_path,
        "elsewhere/y-copy.xsd",
        """<xs:schema
        xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:y">
        <xs:simpleType name="Y"><xs:restriction base="xs:date"/></xs:simpleType></xs:schema>""",
    )
    catalog = _write(
        tmp_path,
        "catalog.xml",
        f'<catalog xmlns="{CATALOG_NS}">'
        '<uri name="http://a.example/x.xsd" uri="copies/x.xsd"/>'
        '<uri name="http://a.example/y.xsd" uri="elsewhere/y-copy.xsd"/></catalog>',
    )
    types = f'<xs:import namespace="urn:x" schemaLocation="http://a.example/x.xsd"/>{SIMPLE_TYPES}'
    wsdl = _write(tmp_path, "dept.wsdl", _wsdl(types, response="x:X", extra_ns='xmlns:x="urn:x"'))
    described = describe_wsdl(wsdl, ScaffoldOptions(catalog=catalog))
    assert [s.url for s in described.sources] == [
        None,
        "http://a.example/x.xsd",
        "http://a.example/y.xsd",
    ]
    assert leaf(render_skeleton(described, described.operations[0]), ".") == "y:Y [1..1]"


def test_non_file_urls_are_refused_without_connecting(tmp_path: Path) -> None:
    """A WSDL given as a URL, or a catalog pointing at one, is refused; nothing connects."""
    with loopback_listener() as listener:
        with pytest.raises(ForbiddenLocation):
            describe_wsdl(f"{listener.base_url}/dept.wsdl")
        catalog = _write(
            tmp_path,
            "catalog.xml",
            f'<catalog xmlns="{CATALOG_NS}">'
            f'<uri name="http://a.example/x.xsd" uri="{listener.base_url}/x"/>'
            "</catalog>",
        )
        wsdl = _write(tmp_path, "dept.wsdl", _wsdl(SIMPLE_TYPES))
        with pytest.raises(CatalogError):
            describe_wsdl(wsdl, ScaffoldOptions(catalog=catalog))
    assert listener.connections == []


def test_a_reference_that_is_not_a_case_slip_is_refused_even_when_lenient(
    tmp_path: Path,
) -> None:
    """--lenient bends letter case only; any other dangling reference names its nearest match."""
    wsdl = _write(tmp_path, "dept.wsdl", _wsdl(SIMPLE_TYPES, input_message="tns:ReqMsgs"))
    with pytest.raises(DanglingReference) as caught:
        describe_wsdl(wsdl, ScaffoldOptions(lenient=True))
    (issue,) = caught.value.issues
    assert "message tns:ReqMsgs, which is not declared; nearest match: tns:ReqMsg" in issue.reason
    assert issue.path == "dept.wsdl:19"


def test_a_part_element_in_the_wrong_case_resolves_only_when_lenient(tmp_path: Path) -> None:
    """A message part naming ``tns:req`` for ``tns:Req`` is an error, or a warning with lenient."""
    wsdl = _write(tmp_path, "dept.wsdl", _wsdl(SIMPLE_TYPES, request="tns:req"))
    with pytest.raises(DanglingReference) as caught:
        describe_wsdl(wsdl)
    assert "element tns:req" in caught.value.message and "tns:Req" in caught.value.message
    described = describe_wsdl(wsdl, ScaffoldOptions(lenient=True))
    assert described.warnings == (
        "element tns:req resolved to tns:Req: the names differ only in letter case "
        "(at dept.wsdl:14)",
    )


def test_cardinality_folds_through_choices_and_repeats_and_recursion_stops(
    tmp_path: Path,
) -> None:
    """A choice makes branches optional, unbounded shows ``*``; a recursive type is cut."""
    types = """<xs:element name="Token" type="xs:string"/>
      <xs:complexType name="Node"><xs:sequence>
        <xs:element name="Label" type="xs:string"/>
        <xs:element name="Child" type="tns:Node" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence><xs:attribute name="kind" type="xs:string" use="required"/></xs:complexType>
      <xs:element name="Req"><xs:complexType><xs:sequence maxOccurs="unbounded">
        <xs:choice><xs:element name="A" type="xs:int"/><xs:element name="B" type="xs:date"/>
        </xs:choice><xs:any namespace="##other" processContents="lax" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Resp" type="tns:Node"/>"""
    text = _leaves(tmp_path, _write(tmp_path, "dept.wsdl", _wsdl(types)))
    # A and B repeat: each is a list block whose items are the element's own text.
    assert '[[request.list]]\nfield = "<contract list field>"\neach = "tns:A"' in text
    assert '[[request.list]]\nfield = "<contract list field>"\neach = "tns:B"' in text
    assert text.count('# contract_field = "."') == 2 and "xs:date [0..*]" in text
    assert leaf(text, "*") == "xs:any [0..*] -- namespace ##other"
    assert leaf(text, "@kind") == "xs:string [1..1]"
    assert leaf(text, "tns:Child") == "tns:Node [0..*] -- recursive: same type as an ancestor"
    assert '# not mappable: "tns:Child"' in text


def test_soap12_binding_and_rpc_parts(tmp_path: Path) -> None:
    """SOAP 1.2 bindings are recognised; typed parts of a document binding are listed by name."""
    text = _wsdl(SIMPLE_TYPES, binding_ns="http://schemas.xmlsoap.org/wsdl/soap12/")
    text = text.replace('element="tns:Req"', 'type="xs:int"')
    described = describe_wsdl(_write(tmp_path, "dept.wsdl", text))
    (shape,) = described.operations
    assert shape.port.soap_version == "1.2" and shape.operation.soap_action == "urn:ask"
    text = render_skeleton(described, shape)
    assert "# part 'body' is typed, not an element" in text and leaf(text, ".") == "xs:int [1..1]"


def test_skeletons_are_valid_toml_and_never_overwritten_silently(tmp_path: Path) -> None:
    """The skeleton parses as TOML; a second run refuses to overwrite unless forced."""
    described = describe_wsdl(_write(tmp_path, "dept.wsdl", _wsdl(SIMPLE_TYPES)))
    (path,) = write_skeletons(described, tmp_path / "out")
    skeleton = tomllib.loads(path.read_text())
    assert path.name == "S.P.Ask.toml"
    assert skeleton["soap"] == {"wsdl": "../dept.wsdl", "service": "S", "port": "P",
                                "operation": "Ask"}
    assert skeleton["request"]["element"] == "tns:Req"
    assert "# address in the WSDL: http://dept.example/ask" in path.read_text()
    path.write_text("# filled in by hand\n")
    with pytest.raises(OnboardingError) as caught:
        write_skeletons(described, tmp_path / "out")
    assert "--force" in caught.value.message
    assert path.read_text() == "# filled in by hand\n"
    write_skeletons(described, tmp_path / "out", force=True)
    assert "[soap]" in path.read_text()


@pytest.mark.parametrize(
    ("text", "error", "code"),
    [
        ('<description xmlns="http://www.w3.org/ns/wsdl"/>', UnreadableDocument, "not-wsdl"),
        (_wsdl('<xs:element name="Req" type="tns:Missing"/>'), InvalidSchema, "invalid-schema"),
        ("<wsdl:definitions", UnreadableDocument, "not-well-formed"),
    ],
)
def test_documents_that_cannot_be_scaffolded_are_named(
    tmp_path: Path, text: str, error: type[OnboardingError], code: str
) -> None:
    """WSDL 2.0, a schema that does not compile and broken XML each raise a specific error."""
    with pytest.raises(error) as caught:
        describe_wsdl(_write(tmp_path, "dept.wsdl", text))
    assert caught.value.issues[0].code == code
