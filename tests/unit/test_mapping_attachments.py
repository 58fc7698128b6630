"""Attachment rules in a mapping file: read as written, and every mistake named by its key
(what ``adapter check`` reports)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hub.entrypoints.cli.main import app
from translation.mapping import compile_mapping, load_spec

SHIPPED = Path(__file__).parents[2] / "simulations" / "mappings"
MTOM = SHIPPED / "education.diploma-verification-mtom.toml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped MTOM mapping with one text replaced, its WSDL path kept valid."""
    text = MTOM.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new).replace('"../diploma_registry/registry.wsdl"',
                                          f'"{SHIPPED.parent / "diploma_registry"}/registry.wsdl"')
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _errors(path: Path) -> dict[str, tuple[str, str]]:
    _, report = compile_mapping(path)
    return {f.key: (f.code, f.message) for f in report.errors}


def test_the_shipped_attachment_mappings_are_clean() -> None:
    """Both registry mappings compile; their attachment fields are mapped to their elements."""
    for packaging in ("mtom", "swa"):
        path = SHIPPED / f"education.diploma-verification-{packaging}.toml"
        compiled, report = compile_mapping(path)
        assert report.errors == [] and compiled is not None
        spec = load_spec(path)
        assert spec.soap is not None and spec.soap.attachments is not None
        assert spec.soap.attachments.packaging == packaging
        assert [(a.field, a.path) for a in spec.request.attachments] == [("diploma",
                                                                          "reg:Diploma")]
        assert ("decision", ("reg:Decision",)) in [(r.field, r.paths)
                                                   for r in spec.response.rules]


def test_an_unknown_packaging_is_named(tmp_path: Path) -> None:
    """packaging must be mtom or swa."""
    errors = _errors(_variant(tmp_path, 'packaging = "mtom"', 'packaging = "dime"'))
    assert "soap.attachments.packaging" in errors
    assert "'mtom'" in errors["soap.attachments.packaging"][1]


def test_attachments_without_packaging_are_refused(tmp_path: Path) -> None:
    """A section's attachments need [soap.attachments] to say how the parts travel."""
    path = _variant(tmp_path, '[soap.attachments]\npackaging = "mtom"\n'
                    'max_bytes = 5242880            # the cap on the decision the registry '
                    'answers with\n', "")
    errors = _errors(path)
    assert errors["request.attachments"][0] == "missing"


def test_a_field_that_is_not_a_document_reference_is_refused(tmp_path: Path) -> None:
    """Mapping an attachment onto a plain field (the national id) is named."""
    path = _variant(tmp_path, 'diploma = "reg:Diploma"', 'national_id = "reg:Diploma"')
    path.write_text(path.read_text().replace('national_id = "reg:PersNo"\n\n[request.att',
                                             '\n[request.att', 1))
    errors = _errors(path)
    assert errors['request.attachments."national_id"'][0] == "not-a-document-ref"


def test_a_field_mapped_twice_and_a_dotted_field_are_named(tmp_path: Path) -> None:
    """An attachment field is mapped in attachments only, and is a top-level field."""
    path = _variant(tmp_path, 'verdict = "reg:Verdict"',
                    'verdict = "reg:Verdict"\ndecision = "reg:Decision"')
    assert "mapped in response.fields too" in _errors(path)['response.attachments."decision"'][1]
    path = _variant(tmp_path, 'diploma = "reg:Diploma"', '"a.b" = "reg:Diploma"')
    assert "top-level" in _errors(path)['request.attachments."a.b"'][1]


def test_an_element_the_schema_lacks_is_named(tmp_path: Path) -> None:
    """The attachment's element is checked against the legacy schema like any field path."""
    errors = _errors(_variant(tmp_path, 'diploma = "reg:Diploma"', 'diploma = "reg:Diplom"'))
    assert any("Diplom" in message for _, message in errors.values()), errors


def test_adapter_check_reports_it(tmp_path: Path) -> None:
    """`adapter check` exits non-zero and names the key."""
    path = _variant(tmp_path, 'packaging = "mtom"', 'packaging = "dime"')
    result = CliRunner().invoke(app, ["adapter", "check", str(path)])
    assert result.exit_code != 0
    assert "soap.attachments.packaging" in result.output
