"""Scaffolding rpc/encoded WSDLs: wrappers, SOAP-encoded arrays, the encoding schema, refusals.

The WSDLs are the emulated Pension Fund's (``simulations/rpc_encoded_bureau``)
and variants of it with one construct changed, each written to a temporary
folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from translation.onboarding import (
    DanglingReference,
    InvalidSchema,
    ScaffoldOptions,
    describe_wsdl,
    render_skeleton,
)

ROOT = Path(__file__).resolve().parents[2]
WSDL = ROOT / "simulations" / "rpc_encoded_bureau" / "pensions.wsdl"
INTEROP_HUB = Path(sys.executable).parent / "interop-hub"
LOCATED_IMPORT = '''<import namespace="http://schemas.xmlsoap.org/soap/encoding/"
              schemaLocation="http://schemas.xmlsoap.org/soap/encoding/"/>'''
PERIODS = 'wsdl:arrayType="tns1:Period[]"'


def _variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = WSDL.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "variant.wsdl"
    path.write_text(text)
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _leaves(path: Path, operation: str, direction: str, **options: bool) -> dict[str, str]:
    described = describe_wsdl(path, ScaffoldOptions(**options))
    (shape,) = [s for s in described.operations if s.operation.name == operation]
    (part,) = getattr(shape, direction).body
    return {leaf.path: leaf.occurs for leaf in part.leaves}


def test_rpc_encoded_operations_scaffold_as_their_wrapper_elements() -> None:
    """Strict mode: each direction is the wrapper named after the operation, parts unqualified."""
    described = describe_wsdl(WSDL)
    shape = next(s for s in described.operations if s.operation.name == "getContributions")
    assert shape.input is not None and shape.output is not None
    assert [p.root for p in shape.input.body] == ["impl:getContributions"]
    assert [p.root for p in shape.output.body] == ["impl:getContributionsResponse"]
    assert [leaf.path for leaf in shape.input.body[0].leaves] == [
        "/impl:getContributions/persNo", "/impl:getContributions/fromDate",
        "/impl:getContributions/toDate"]
    assert shape.operation.input is not None and shape.operation.input.use == "encoded"
    assert any(str(s.path).endswith("soap-encoding.xsd") and s.url for s in described.sources)


def test_an_encoded_array_lists_its_items_as_a_repeated_element() -> None:
    """soapenc:Array of tns1:Period: the items are `item` elements, repeated, with their leaves."""
    leaves = _leaves(WSDL, "getContributions", "output")
    base = "/impl:getContributionsResponse/getContributionsReturn/periods/item"
    assert leaves[base + "/employerNo"] == "[1..1]"
    skeleton = render_skeleton(describe_wsdl(WSDL), next(
        s for s in describe_wsdl(WSDL).operations if s.operation.name == "getContributions"))
    assert 'each = "getContributionsReturn/periods/item"' in skeleton
    assert 'element = "impl:getContributionsResponse"' in skeleton
    simple = _leaves(WSDL, "listEmployers", "input")
    assert simple == {"/impl:listEmployers/persNos/item": "[0..*]"}


def test_the_encoding_schema_imported_by_namespace_only_is_found(tmp_path: Path) -> None:
    """An import without schemaLocation gets the hub's copy of the encoding schema too."""
    path = _variant(tmp_path, (LOCATED_IMPORT,
                               '<import namespace="http://schemas.xmlsoap.org/soap/encoding/"/>'))
    assert "/impl:getContributionsResponse/getContributionsReturn/periods/item/begin" in _leaves(
        path, "getContributions", "output")


@pytest.mark.parametrize(("array_type", "construct"), [
    ("tns1:Period[,]", "a multi-dimensional array"),
    ("tns1:Period[][]", "an array of arrays"),
])
def test_unsupported_arrays_are_refused_with_their_place(
    tmp_path: Path, array_type: str, construct: str
) -> None:
    """Multi-dimensional arrays and arrays of arrays: refused, naming construct, file and line."""
    path = _variant(tmp_path, (PERIODS, f'wsdl:arrayType="{array_type}"'))
    with pytest.raises(InvalidSchema) as refused:
        describe_wsdl(path, ScaffoldOptions(lenient=True))
    line = _line_of(path, "<restriction base=\"soapenc:Array\">\n".strip())
    assert refused.value.issues[0].path == f"variant.wsdl:{line}"
    assert construct in refused.value.message
    assert refused.value.issues[0].code == "unsupported-encoding"


def test_a_partially_transmitted_array_is_refused(tmp_path: Path) -> None:
    """soapenc:offset in an array restriction names the construct and its line."""
    path = _variant(tmp_path, (f'<attribute ref="soapenc:arrayType" {PERIODS}/>',
                               f'<attribute ref="soapenc:arrayType" {PERIODS}/>'
                               '<attribute ref="soapenc:offset"/>'))
    with pytest.raises(InvalidSchema, match="soapenc:offset"):
        describe_wsdl(path)


def test_names_with_stray_whitespace_are_refused_in_strict_mode(tmp_path: Path) -> None:
    """Strict: the name, its file:line and the --lenient way out."""
    path = _variant(tmp_path, ('<element name="surname" type="xsd:string"/>',
                               '<element name="surname " type="xsd:string"/>'))
    with pytest.raises(InvalidSchema) as refused:
        describe_wsdl(path)
    assert refused.value.issues[0].path == f"variant.wsdl:{_line_of(path, 'surname ')}"
    assert refused.value.issues[0].code == "name-whitespace"
    assert "--lenient" in refused.value.message


def test_names_with_stray_whitespace_are_trimmed_and_reported_in_lenient_mode(
    tmp_path: Path,
) -> None:
    """Lenient: the element is `surname`, and the scaffold's warnings say what was trimmed."""
    path = _variant(tmp_path, ('<element name="surname" type="xsd:string"/>',
                               '<element name="surname " type="xsd:string"/>'),
                    ('<wsdl:part name="persNo" type="xsd:string"/>',
                     '<wsdl:part name=" persNo" type="xsd:string"/>'))
    described = describe_wsdl(path, ScaffoldOptions(lenient=True))
    shape = next(s for s in described.operations if s.operation.name == "getContributions")
    assert shape.output is not None and shape.input is not None
    paths = [leaf.path for leaf in shape.output.body[0].leaves]
    assert "/impl:getContributionsResponse/getContributionsReturn/surname" in paths
    assert shape.input.body[0].leaves[0].path == "/impl:getContributions/persNo"
    assert any("'surname '" in w and "trimmed" in w for w in described.warnings)


def test_the_console_script_refuses_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    """`adapter scaffold` on a two-dimensional array: one clear error line, exit status 2."""
    path = _variant(tmp_path, (PERIODS, 'wsdl:arrayType="tns1:Period[,]"'))
    done = subprocess.run([str(INTEROP_HUB), "adapter", "scaffold", "--wsdl", str(path),
                           "--out", str(tmp_path / "out"), "--lenient"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "multi-dimensional array" in done.stderr and "variant.wsdl:" in done.stderr


def test_a_part_typed_with_an_undeclared_type_is_a_dangling_reference(tmp_path: Path) -> None:
    """rpc parts are still checked one by one: the place and the nearest declared type."""
    path = _variant(tmp_path, ('<wsdl:part name="getContributionsReturn" '
                               'type="tns1:ContributionRecord"/>',
                               '<wsdl:part name="getContributionsReturn" '
                               'type="tns1:ContributionRecords"/>'))
    with pytest.raises(DanglingReference) as refused:
        describe_wsdl(path)
    assert refused.value.issues[0].path == (
        f"variant.wsdl:{_line_of(path, 'tns1:ContributionRecords')}")
    assert "ContributionRecord" in refused.value.issues[0].reason


@pytest.mark.parametrize("options", [ScaffoldOptions(), ScaffoldOptions(lenient=True)],
                         ids=["strict", "lenient"])
def test_a_name_that_is_no_xml_name_is_refused_with_its_place(
    tmp_path: Path, options: ScaffoldOptions
) -> None:
    """`end[,]` cannot be trimmed into a name: refused in both modes, naming file and line."""
    path = _variant(tmp_path, ('<element name="end" type="xsd:date" nillable="true"/>',
                               '<element name="end[,]" type="xsd:date" nillable="true"/>'))
    with pytest.raises(InvalidSchema) as refused:
        describe_wsdl(path, options)
    assert refused.value.issues[0].path == f"variant.wsdl:{_line_of(path, 'end[,]')}"
    assert refused.value.issues[0].code == "invalid-name"
