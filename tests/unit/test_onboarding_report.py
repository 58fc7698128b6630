"""The scaffold report: stable records counted by code; unwritable output is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from typer.testing import CliRunner

from hub.entrypoints.cli.main import app
from tests.unit.test_onboarding_lenient import SCHEMA_A, SCHEMA_B, _wsdl
from translation.onboarding.report import (
    CODES,
    MISSING_IMPORT,
    ToleranceLog,
    Tolerated,
    report_document,
)


def test_records_are_placed_at_their_element_and_kept_once(tmp_path):
    """Tolerated.at names the element's file and line; the log keeps each record once."""
    path = tmp_path / "dept.wsdl"
    path.write_text("<a>\n  <b/>\n</a>")
    root = etree.parse(str(path)).getroot()
    record = Tolerated.at(root[0], MISSING_IMPORT, "xs:element", "imported")
    log = ToleranceLog()
    log.add(record)
    log.add(record)
    assert list(log) == [record]
    assert (record.file, record.line, record.where) == ("dept.wsdl", 2, "dept.wsdl:2")
    assert str(record) == "[missing-import] dept.wsdl:2: xs:element: imported"


def test_report_document_counts_by_code_and_every_code_is_described():
    """The JSON document is versioned, counts per code, lists records as plain fields."""
    records = (
        Tolerated(MISSING_IMPORT, "a.wsdl", 3, "x", "y"),
        Tolerated(MISSING_IMPORT, "a.wsdl", 4, "x", "y"),
    )
    document = report_document(Path("a.wsdl"), records, 2)
    assert document["counts"] == {MISSING_IMPORT: 2}
    assert document["tolerated"][1] == {
        "code": MISSING_IMPORT, "file": "a.wsdl", "line": 4, "construct": "x", "action": "y"
    }
    assert json.loads(json.dumps(document)) == document
    assert all(CODES[code] for code in CODES)


def test_unwritable_out_folder_or_report_is_a_clear_error_exit_2(tmp_path):
    """A file where the folder should be, or a report under a file: exit 2, no traceback."""
    wsdl = tmp_path / "dept.wsdl"
    wsdl.write_text(_wsdl(SCHEMA_A, SCHEMA_B))
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    args = ["adapter", "scaffold", "--wsdl", str(wsdl), "--lenient"]
    out = CliRunner().invoke(app, [*args, "--out", str(blocker)])
    report = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "out"), "--report", str(blocker / "r.json")]
    )
    for result in (out, report):
        assert result.exit_code == 2, result.output
        assert "error [unwritable-output]: cannot write" in result.output
        assert "Traceback" not in result.output
