"""``interop-hub contracts list|show|check|render`` through the real typer app."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from contracts import ContractRegistry, default_registry
from contracts.base import Contract, ContractId
from hub.entrypoints.cli import contracts as cli_contracts
from hub.entrypoints.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["contracts", *args])
    return result.exit_code, result.output


def test_list_shows_every_version_with_title_fields_and_upcasters() -> None:
    """One row per registered version: identity, docstring title, field count, upcasters."""
    code, output = _run("list")
    assert code == 0
    for model in default_registry():
        assert str(model.contract_id()) in output
    history_1 = next(line for line in output.splitlines() if "contribution-history@1.0" in line)
    assert "A citizen's insured periods per employer" in history_1
    assert "3" in history_1 and "to 2.0" in history_1
    assert f"{len(default_registry())} contracts, 2 upcasters" in output


def test_show_prints_fields_types_constraints_and_schema_paths() -> None:
    """show names each field with its type, required/optional, constraints and the schema files."""
    code, output = _run("show", "person.identity@1.1")
    assert code == 0
    assert "person.identity@1.1.schema.json" in output
    assert "person.identity@1.1.xsd" in output
    language = next(line for line in output.splitlines() if "preferred_language" in line)
    assert "str" in language and "optional" in language and "pattern=^[a-z]{2}$" in language
    family = next(line for line in output.splitlines() if "family_name" in line)
    assert "required" in family and "min_length=1, max_length=200" in family


def test_show_names_the_upcaster_into_a_major() -> None:
    """A major version's page says which upcaster reads the previous major."""
    code, output = _run("show", "social-security.contribution-history@2.0")
    assert code == 0
    assert "from social-security.contribution-history@1.0 (contribution_history_1_to_2)" in output
    assert "person.identity@1.1" in output


@pytest.mark.parametrize("contract", ["person.identity@7.0", "person.identity"])
def test_show_refuses_an_unknown_or_malformed_identity(contract: str) -> None:
    """An unknown or malformed identity is a usage error (exit 2) that says why."""
    code, output = _run("show", contract)
    assert code == 2
    assert "person.identity" in output


def test_check_passes_on_the_shipped_contracts() -> None:
    """The shipped minors are compatible: exit 0, each step reported."""
    code, output = _run("check")
    assert code == 0, output
    assert "person.identity@1.0 → 1.1: compatible" in output
    assert "every minor version is backward compatible" in output


class Form(Contract):
    """A test-only form, 1.0."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.form", 1, 0)

    reference: str
    note: str


class FormV1_1(Contract):
    """A test-only form, 1.1, that breaks 1.0."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.form", 1, 1)

    reference: int
    signed: bool


def test_check_explains_each_problem_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """An incompatible minor makes check exit 1 with one line per problem."""
    registry = ContractRegistry()
    registry.register(Form)
    registry.register(FormV1_1)
    monkeypatch.setattr(cli_contracts, "load_registry", lambda: registry)
    code, output = _run("check")
    assert code == 1
    assert "contract test.form@1.1: field 'note' removed (present in 1.0)" in output
    assert "contract test.form@1.1: field 'signed' added as required" in output
    assert "contract test.form@1.1: field 'reference' retyped from str (1.0) to int" in output
    assert "3 compatibility problem(s)" in output


def test_render_writes_then_check_finds_nothing_stale(tmp_path: Path) -> None:
    """render writes every rendering into --dir; render --check then exits 0 (1 before)."""
    assert _run("render", "--check", "--dir", str(tmp_path))[0] == 1
    code, output = _run("render", "--dir", str(tmp_path))
    assert code == 0
    assert f"{2 * len(default_registry())} written, 0 removed, 0 unchanged" in output
    assert _run("render", "--check", "--dir", str(tmp_path)) == (
        0,
        f"renderings in {tmp_path} are up to date\n",
    )
