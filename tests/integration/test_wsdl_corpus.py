"""Every file of ../shared/external behaves as its README says, through the API and the CLI.

testservice.wsdl scaffolds both ports; example-adapter.wsdl is refused for its
``requestHeader``/``requestheader`` mismatch and scaffolds all six operations
with --lenient; valid-getrandom.wsdl is refused for its unresolvable import and
scaffolds with --allow-unresolved; xxe.wsdl and invalid.wsdl are refused
without anything outside being read or fetched.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.entrypoints.cli.main import app
from tests.loopback_listener import loopback_listener
from tests.skeleton_lines import header, leaf
from translation.onboarding import (
    DanglingReference,
    ScaffoldOptions,
    UnreadableDocument,
    UnresolvedImport,
    describe_wsdl,
    write_skeletons,
)

X_ROAD_EE = "http://x-road.ee/xsd/x-road.xsd"
EXAMPLE_OPERATIONS = {
    "getRandom",
    "helloService",
    "listPeople",
    "personDetails",
    "storeAttachments",
    "getAttachments",
}


@pytest.fixture
def catalog(shared_external: Path) -> Path:
    return shared_external / "catalog" / "catalog.xml"


def _options(catalog: Path, **flags: bool) -> ScaffoldOptions:
    return ScaffoldOptions(catalog=catalog, **flags)


def _skeletons(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {p.name: tomllib.loads(p.read_text()) for p in sorted(out.glob("*.toml"))}


def test_testservice_scaffolds_both_ports(
    shared_external: Path, catalog: Path, tmp_path: Path
) -> None:
    """testservice.wsdl: xroadGetRandom and bodyMassIndex ports scaffold, X-Road headers typed."""
    wsdl = shared_external / "xroad-wsdl-cases" / "testservice.wsdl"
    described = describe_wsdl(wsdl, _options(catalog))
    assert {(p.service, p.name) for p in described.ports} == {
        ("xroadGetRandom", "xroadGetRandomPortSoap11"),
        ("bodyMassIndex", "bodyMassIndexPortSoap11"),
    }
    assert described.warnings == () and described.unresolved == ()
    written = write_skeletons(described, tmp_path)
    skeletons = _skeletons(tmp_path)
    assert len(written) == len(skeletons) == 2
    random = skeletons["xroadGetRandom.xroadGetRandomPortSoap11.xroadGetRandom.toml"]
    assert random["soap"]["operation"] == "xroadGetRandom"
    assert random["soap"]["xroad"]["service_code"] == "xroadGetRandom"
    assert random["request"]["element"] == "tns:xroadGetRandom"
    assert random["namespaces"]["tns"] == "http://producer.x-road.eu"
    name = "bodyMassIndex.bodyMassIndexPortSoap11.bodyMassIndex.toml"
    text = (tmp_path / name).read_text()
    assert 'soapAction ""' in text
    # testservice's schema leaves local elements unqualified: no prefix on `weight`.
    assert '# contract_field = "weight"' in text and leaf(text, "weight") == "xs:float [1..1]"
    assert skeletons[name]["response"]["element"] == "tns:bodyMassIndexResponse"
    assert leaf(text, "bodyMassIndex") == "xs:float [1..1]"
    assert header(text, "xrd:client/id:memberCode") == "xs:string [1..1]"
    assert header(text, "xrd:client/id:subsystemCode") == "xs:string [0..1]"


def test_example_adapter_is_refused_naming_the_case_mismatch(
    shared_external: Path, catalog: Path
) -> None:
    """example-adapter.wsdl is refused naming tns:requestHeader and its near match."""
    wsdl = shared_external / "xroad-example-adapter" / "example-adapter.wsdl"
    with pytest.raises(DanglingReference) as caught:
        describe_wsdl(wsdl, _options(catalog))
    error = caught.value
    assert "requestHeader" in error.message and "requestheader" in error.message
    (issue,) = error.issues
    assert issue.code == "dangling-reference"
    assert issue.path.startswith("example-adapter.wsdl:")
    assert "nearest match: tns:requestheader" in issue.reason
    assert "--lenient" in issue.reason


def test_example_adapter_lenient_scaffolds_six_operations_with_a_warning(
    shared_external: Path, catalog: Path, tmp_path: Path
) -> None:
    """With --lenient the case-only mismatch resolves with a warning; six operations scaffold."""
    wsdl = shared_external / "xroad-example-adapter" / "example-adapter.wsdl"
    described = describe_wsdl(wsdl, _options(catalog, lenient=True))
    assert {s.operation.name for s in described.operations} == EXAMPLE_OPERATIONS
    (warning,) = described.warnings
    assert "tns:requestHeader" in warning and "tns:requestheader" in warning
    write_skeletons(described, tmp_path)
    skeletons = _skeletons(tmp_path)
    assert len(skeletons) == 6
    listing = skeletons["testService.testServicePort.listPeople.toml"]
    assert listing["soap"]["lenient"] is True
    assert listing["soap"]["xroad"] == {
        "client": "<X-Road client INSTANCE/CLASS/CODE/SUBSYSTEM: the hub>",
        "provider": "<X-Road provider INSTANCE/CLASS/CODE/SUBSYSTEM>",
        "service_code": "listPeople",
        "service_version": "v1",
    }
    (people,) = listing["response"]["list"]
    assert people["each"] == "tns:people/tns:person"
    listed = (tmp_path / "testService.testServicePort.listPeople.toml").read_text()
    for part in ("client", "service", "id", "userId", "issue", "protocolVersion"):
        assert f"#   xrd:{part}" in listed
    details = (tmp_path / "testService.testServicePort.personDetails.toml").read_text()
    assert leaf(details, "tns:person/tns:dateOfBirth") == "xs:date [1..1]"
    (contacts,) = skeletons["testService.testServicePort.personDetails.toml"]["response"]["list"]
    assert contacts["each"] == "tns:person/tns:contacts/tns:contact"
    assert leaf(details, "tns:type") == "tns:contactType [1..1] -- one of: phone | mobile | email"
    hello = (tmp_path / "testService.testServicePort.getRandom.toml").read_text()
    assert leaf(hello, "tns:data") == "xs:string [1..1]"
    assert "# WARNING: message tns:requestHeader resolved to tns:requestheader" in hello


def test_valid_getrandom_is_refused_naming_the_url_and_the_catalog_line(
    shared_external: Path, catalog: Path
) -> None:
    """valid-getrandom.wsdl: the unresolvable import is named with the catalog entry to add."""
    wsdl = shared_external / "xroad-wsdl-cases" / "valid-getrandom.wsdl"
    with pytest.raises(UnresolvedImport) as caught:
        describe_wsdl(wsdl, _options(catalog))
    error = caught.value
    assert X_ROAD_EE in error.message
    assert f'<uri name="{X_ROAD_EE}" uri="x-road.xsd"/>' in error.message
    assert "--allow-unresolved" in error.message
    assert [i.path for i in error.issues] == ["valid-getrandom.wsdl:12"]


def test_valid_getrandom_allow_unresolved_marks_the_headers(
    shared_external: Path, catalog: Path, tmp_path: Path
) -> None:
    """With --allow-unresolved getRandom scaffolds; its X-Road 3 header parts are unresolved."""
    wsdl = shared_external / "xroad-wsdl-cases" / "valid-getrandom.wsdl"
    described = describe_wsdl(wsdl, _options(catalog, allow_unresolved=True))
    (shape,) = described.operations
    assert shape.operation.name == "xroadGetRandom"
    assert shape.input is not None and shape.output is not None
    assert {p.root for p in shape.input.headers} == {
        "xrd:consumer",
        "xrd:producer",
        "xrd:userId",
        "xrd:id",
        "xrd:service",
    }
    assert all(p.unresolved for p in (*shape.input.headers, *shape.output.headers))
    assert not any(p.unresolved for p in shape.input.body)
    write_skeletons(described, tmp_path)
    (skeleton,) = _skeletons(tmp_path).values()
    assert "xroad" not in skeleton["soap"]  # X-Road 3 headers: not the 4.0 protocol
    text = next(tmp_path.glob("*.toml")).read_text()
    unresolved = [line for line in text.splitlines() if "# UNRESOLVED:" in line]
    assert len(unresolved) == 10  # five header parts, in the input and in the output
    assert all(X_ROAD_EE in line for line in unresolved)
    assert leaf(text, "request/in") == "xs:string [1..1]"
    assert header(text, "xrd:consumer") == (
        f"UNRESOLVED: its schema was not resolved (import of {X_ROAD_EE} at "
        "valid-getrandom.wsdl:12)"
    )


def test_xxe_wsdl_is_refused_without_reading_the_entity_target(
    shared_external: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xxe.wsdl is refused as a DTD; the file its entity names is never read."""
    # The entity names file:src/test/resources/wsdl/invalid.wsdl, relative to the working
    # directory: put a secret there, so any read would show up in the output.
    secret = "canary-0f3a9c-must-never-appear"
    target = tmp_path / "src" / "test" / "resources" / "wsdl" / "invalid.wsdl"
    target.parent.mkdir(parents=True)
    target.write_text(f"<secret>{secret}</secret>")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnreadableDocument) as caught:
        describe_wsdl(shared_external / "xroad-wsdl-cases" / "xxe.wsdl")
    assert [i.code for i in caught.value.issues] == ["dtd-forbidden"]
    assert secret not in repr(caught.value) + "".join(i.reason for i in caught.value.issues)


def test_http_entity_in_a_wsdl_makes_no_connection(tmp_path: Path) -> None:
    """The same attack with an http entity (pointed at a loopback listener) fetches nothing."""
    with loopback_listener() as listener:
        wsdl = tmp_path / "xxe-http.wsdl"
        wsdl.write_text(
            f'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY data SYSTEM "{listener.base_url}/x">]>'
            '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">&data;'
            "</wsdl:definitions>"
        )
        with pytest.raises(UnreadableDocument):
            describe_wsdl(wsdl)
    assert listener.connections == []


def test_invalid_wsdl_is_refused_as_not_xml(shared_external: Path) -> None:
    """invalid.wsdl (``FooBar!``) is refused as not well-formed, naming line and column."""
    with pytest.raises(UnreadableDocument) as caught:
        describe_wsdl(shared_external / "xroad-wsdl-cases" / "invalid.wsdl")
    (issue,) = caught.value.issues
    assert issue.code == "not-well-formed"
    assert "line 1, column 1" in issue.reason


@pytest.mark.parametrize(
    ("file", "flags", "exit_code", "expected"),
    [
        ("xroad-wsdl-cases/testservice.wsdl", [], 0, "wrote 2 mapping skeleton(s)"),
        ("xroad-example-adapter/example-adapter.wsdl", [], 2, "nearest match: tns:requestheader"),
        ("xroad-example-adapter/example-adapter.wsdl", ["--lenient"], 0, "wrote 6 mapping"),
        ("xroad-wsdl-cases/valid-getrandom.wsdl", [], 2, f'<uri name="{X_ROAD_EE}"'),
        ("xroad-wsdl-cases/valid-getrandom.wsdl", ["--allow-unresolved"], 0, "[5 unresolved]"),
        ("xroad-wsdl-cases/xxe.wsdl", [], 2, "error [unreadable-document]"),
        ("xroad-wsdl-cases/invalid.wsdl", [], 2, "not well-formed"),
    ],
)
def test_cli_scaffold_on_every_corpus_file(
    shared_external: Path,
    catalog: Path,
    tmp_path: Path,
    file: str,
    flags: list[str],
    exit_code: int,
    expected: str,
) -> None:
    """`interop-hub adapter scaffold` exits 0 and writes, or exits 2 naming the problem."""
    out = tmp_path / "out"
    args = ["adapter", "scaffold", "--wsdl", str(shared_external / file)]
    result = CliRunner().invoke(app, [*args, "--catalog", str(catalog), "--out", str(out), *flags])
    assert result.exit_code == exit_code, result.output
    assert expected in result.output
    assert out.exists() == (exit_code == 0)
