"""Every contract's JSON Schema and XSD are committed, current, and nothing else lies there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lxml import etree

from contracts import default_registry
from contracts.person import PersonIdentity, PersonIdentityV1_1
from contracts.renderings import (
    JSON_SCHEMA_DIALECT,
    RENDER_COMMAND,
    SCHEMAS_DIR,
    json_schema,
    json_schema_path,
    render_all,
    stale,
    write_all,
    xsd_path,
)
from contracts.social_security_v2 import ContributionHistoryV2
from contracts.xsd import render_schema


def _why(path: Path, expected: dict[Path, str]) -> str:
    if path not in expected:
        return "orphan: no registered contract renders it"
    return "missing" if not path.exists() else "out of date"


def test_committed_renderings_are_current() -> None:
    """Each registered contract has an up-to-date .schema.json and .xsd, and no file is orphaned."""
    registry = default_registry()
    expected = render_all(registry)
    outdated = stale(registry)
    listing = "\n".join(f"  {path.name}: {_why(path, expected)}" for path in outdated)
    assert not outdated, (
        f"contract renderings in {SCHEMAS_DIR} do not match the models:\n{listing}\n"
        f"fix: run `{RENDER_COMMAND}` (.venv/bin/{RENDER_COMMAND}) and commit the result"
    )


def test_every_contract_renders_to_two_named_files() -> None:
    """Files are named <name>@<MAJOR.MINOR>.schema.json and .xsd, one pair per version."""
    registry = default_registry()
    paths = set(render_all(registry))
    assert len(paths) == 2 * len(registry)
    assert SCHEMAS_DIR / "person.identity@1.1.schema.json" in paths
    assert SCHEMAS_DIR / "social-security.contribution-history@2.0.xsd" in paths


def test_json_schema_is_identified_by_the_contract_urn() -> None:
    """$id is urn:interop-hub:contract:<name>@<ver>, in the 2020-12 dialect, closed to extras."""
    schema = json_schema(PersonIdentityV1_1)
    assert schema["$id"] == "urn:interop-hub:contract:person.identity@1.1"
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["national_id", "family_name", "given_names", "date_of_birth"]
    assert list(schema["properties"]) == list(PersonIdentityV1_1.model_fields)


def test_committed_files_hold_what_their_contract_renders() -> None:
    """The committed JSON is json_schema(model); the XSD is render_schema([model]) and compiles."""
    cid = ContributionHistoryV2.contract_id()
    committed = json.loads(json_schema_path(cid).read_text(encoding="utf-8"))
    assert committed == json_schema(ContributionHistoryV2)
    assert "Money" in committed["$defs"]
    xsd = xsd_path(cid).read_text(encoding="utf-8")
    assert xsd == render_schema([ContributionHistoryV2])
    etree.XMLSchema(etree.fromstring(xsd.encode()))


def test_stale_finds_missing_changed_and_orphaned_files(tmp_path: Path) -> None:
    """stale() names a missing rendering, an edited one and one that no contract renders."""
    models = [PersonIdentity, PersonIdentityV1_1]
    write_all(models, tmp_path)
    assert stale(models, tmp_path) == []
    missing = xsd_path(PersonIdentity.CONTRACT_ID, tmp_path)
    missing.unlink()
    edited = json_schema_path(PersonIdentityV1_1.CONTRACT_ID, tmp_path)
    edited.write_text(edited.read_text(encoding="utf-8") + " ", encoding="utf-8")
    orphan = tmp_path / "person.identity@0.9.xsd"
    orphan.write_text("<old/>", encoding="utf-8")
    (tmp_path / "README.md").write_text("not a rendering", encoding="utf-8")
    assert stale(models, tmp_path) == sorted([missing, edited, orphan])


def test_write_all_repairs_everything_and_leaves_other_files(tmp_path: Path) -> None:
    """write_all() rewrites what differs, removes orphans, keeps unrelated files, then is idle."""
    models = [PersonIdentity]
    (tmp_path / "person.identity@0.9.schema.json").write_text("{}", encoding="utf-8")
    (tmp_path / "README.md").write_text("keep me", encoding="utf-8")
    report = write_all(models, tmp_path)
    assert [path.name for path in report.written] == [
        "person.identity@1.0.schema.json",
        "person.identity@1.0.xsd",
    ]
    assert [path.name for path in report.removed] == ["person.identity@0.9.schema.json"]
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "keep me"
    again = write_all(models, tmp_path)
    assert (again.written, again.removed, len(again.unchanged)) == ([], [], 2)


def test_renderings_are_the_same_in_every_process() -> None:
    """The same contracts give the same text whatever the hash seed, so diffs mean changes."""
    code = (
        "import json, sys; from contracts import default_registry; "
        "from contracts.renderings import render_all; "
        "texts = {p.name: t for p, t in render_all(default_registry()).items()}; "
        "sys.stdout.write(json.dumps(texts))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.decode()
        for seed in ("1", "2")
    }
    here = {path.name: text for path, text in render_all(default_registry()).items()}
    assert outputs == {json.dumps(here)}
