"""Never a traceback: `adapter scaffold` and `adapter check` on mutated copies of the shared corpus.

Hypothesis deletes, duplicates and renames elements and attributes of the real
WSDLs and schemas in ../shared/external, rewrites attribute values (stray
whitespace, unknown prefixes, empty), points namespace declarations elsewhere
and truncates files. Whatever it makes, the command ends with a clear error
naming a file (exit 2; `check` also 1 when a loaded WSDL no longer fits the
mapping) or succeeds (exit 0), and never prints a Python traceback. The copies
live in a temporary folder; the shared files are only read.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from hub.entrypoints.cli.main import app

# (folder, file mutated, WSDL scaffolded); the catalog is the shared one, copied alongside.
TARGETS = (
    ("xroad-wsdl-cases", "testservice.wsdl", "testservice.wsdl"),
    ("xroad-wsdl-cases", "valid-getrandom.wsdl", "valid-getrandom.wsdl"),
    ("xroad-example-adapter", "example-adapter.wsdl", "example-adapter.wsdl"),
    ("catalog", "xroad.xsd", "../xroad-wsdl-cases/testservice.wsdl"),
    ("catalog", "identifiers.xsd", "../xroad-wsdl-cases/testservice.wsdl"),
    ("catalog", "swaref.xsd", "../xroad-wsdl-cases/testservice.wsdl"),
    ("catalog", "catalog.xml", "../xroad-wsdl-cases/testservice.wsdl"),
)
KINDS = (
    "delete-element",
    "duplicate-element",
    "rename-element",
    "delete-attribute",
    "rename-attribute",
    "set-attribute",
    "bad-namespace",
    "truncate",
)
VALUES = st.sampled_from(
    ["", " ", "tns:nothing", "undeclared:x", "xs:string", " tns:padded ", "0", "-1",
     "unbounded", "http://nowhere.invalid/x.xsd", "rpc", "encoded", "a b", "::", "tns:"]
)
MUTATION = st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000), VALUES)


def _mutate(data: bytes, kind: str, seed: int, value: str) -> bytes:
    """One mutation of ``data``; ``seed`` picks the element, attribute or cut position."""
    if kind == "truncate":
        return data[: seed % max(len(data), 1)]
    if kind == "bad-namespace":
        declarations = list(re.finditer(rb'xmlns(:\w+)?="[^"]*"', data))
        if not declarations:
            return data
        match = declarations[seed % len(declarations)]
        replaced = match.group(0).split(b"=")[0] + b'="' + value.encode() + b'"'
        return data[: match.start()] + replaced + data[match.end() :]
    root = etree.fromstring(data)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    element = elements[seed % len(elements)]
    parent = element.getparent()
    if kind == "delete-element" and parent is not None:
        parent.remove(element)
    elif kind == "duplicate-element" and parent is not None:
        parent.insert(parent.index(element), etree.fromstring(etree.tostring(element)))
    elif kind == "rename-element":
        element.tag = etree.QName(etree.QName(element).namespace, f"x{seed % 7}").text
    elif kind in ("delete-attribute", "rename-attribute", "set-attribute") and element.attrib:
        names = list(element.attrib)
        name = names[seed % len(names)]
        if kind == "set-attribute":
            element.set(name, value)
        else:
            old = element.attrib.pop(name)
            if kind == "rename-attribute":
                element.set(f"renamed{seed % 3}", old)
    return etree.tostring(root)


def _mutated(data: bytes, mutations: list[tuple[str, int, str]]) -> bytes:
    for kind, seed, value in mutations:
        try:
            data = _mutate(data, kind, seed, value)
        except etree.XMLSyntaxError:
            break  # an earlier truncation: the file stays as cut
    return data


def _corpus_copy(shared: Path, folder: Path) -> None:
    for name in ("xroad-wsdl-cases", "xroad-example-adapter", "catalog"):
        shutil.copytree(shared / name, folder / name)


def _names(corpus: Path) -> set[str]:
    return {path.name for path in corpus.rglob("*") if path.is_file()}


def _assert_clean(result, names: set[str]) -> None:
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if result.exit_code != 0:
        assert "error" in output, output
        assert any(name in output for name in names), output


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(TARGETS),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
    flags=st.sampled_from(
        [(), ("--lenient",), ("--allow-unresolved",), ("--lenient", "--allow-unresolved")]
    ),
)
def test_scaffold_ends_in_a_clear_error_or_a_report_never_a_traceback(
    shared_external: Path, target: tuple[str, str, str], mutations: list, flags: tuple[str, ...]
) -> None:
    """Exit 0 (with a report) or 2 (an error naming a file); no traceback on any mutant."""
    folder_name, mutated, wsdl = target
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        _corpus_copy(shared_external, corpus)
        path = corpus / folder_name / mutated
        path.write_bytes(_mutated(path.read_bytes(), mutations))
        names = _names(corpus)
        result = CliRunner().invoke(
            app,
            [
                "adapter", "scaffold", "--wsdl", str(corpus / folder_name / wsdl),
                "--catalog", str(corpus / "catalog" / "catalog.xml"),
                "--out", str(Path(scratch) / "out"),
                "--report", str(Path(scratch) / "report.json"),
                *flags,
            ],
        )
    assert result.exit_code in (0, 2), result.output
    _assert_clean(result, names)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mutated=st.sampled_from(["xroad-example-adapter/example-adapter.wsdl", "catalog/xroad.xsd"]),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
)
def test_check_ends_in_findings_or_a_clear_error_never_a_traceback(
    shared_external: Path, mutated: str, mutations: list
) -> None:
    """A filled mapping checked against a mutated WSDL: 0, 1 (findings) or 2, never a crash."""
    mapping = Path(__file__).parents[2] / "simulations/mappings/xroad-example.get-random.toml"
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        _corpus_copy(shared_external, corpus)
        path = corpus / mutated
        path.write_bytes(_mutated(path.read_bytes(), mutations))
        names = _names(corpus)
        result = CliRunner().invoke(
            app,
            [
                "adapter", "check", str(mapping),
                "--wsdl", str(corpus / "xroad-example-adapter" / "example-adapter.wsdl"),
                "--catalog", str(corpus / "catalog" / "catalog.xml"),
            ],
        )
    assert result.exit_code in (0, 1, 2), result.output
    _assert_clean(result, names)
