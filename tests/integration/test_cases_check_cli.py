"""``interop-hub cases check``: the shipped case types are clean; every problem of a broken
one names the file, the step and the key, and the command exits 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from hub.entrypoints.cli.main import main; main()"]
RELOCATION = ROOT / "deploy/cases/relocation.toml"
RELOCATION_SERVICES = ["--services", "deploy/services/north.toml",
                       "--services", "deploy/cases/services/south.toml"]


def _check(path: Path, *services: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*CLI, "cases", "check", str(path), *services], capture_output=True,
                          text=True, timeout=60, env=env, check=False, cwd=ROOT)


def test_the_shipped_case_types_are_clean() -> None:
    relocation = _check(RELOCATION, *RELOCATION_SERVICES)
    assert relocation.returncode == 0, relocation.stdout + relocation.stderr
    assert "relocation@1.0" in relocation.stdout and "ok: no problems" in relocation.stdout
    business = _check(ROOT / "deploy/cases/business-opening.toml",
                      "--services", "deploy/cases/services/north.toml")
    assert business.returncode == 0, business.stdout + business.stderr
    demo = _check(ROOT / "deploy/cases/demo/south/relocation.toml", *RELOCATION_SERVICES)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "relocation-demo@1.0" in demo.stdout
    opening = _check(ROOT / "deploy/cases/demo/north/business-opening.toml",
                     "--services", "deploy/cases/services/north.toml")
    assert opening.returncode == 0, opening.stdout + opening.stderr
    assert "business-opening-demo@1.0" in opening.stdout


def test_each_problem_names_file_step_and_key(tmp_path: Path) -> None:
    text = RELOCATION.read_text()
    for old, new in [
        ('origin_record_as_of = "steps.contribution-record.as_of"',
         'origin_record_as_of = "steps.contribution-record.as_off"'),
        ('tax_reference = "steps.tax-registration.reference"',
         'tax_reference = "steps.insurance-transfer.reference"'),
        ('plate = "application.vehicle_plate"', 'plates = "application.vehicle_plate"'),
        ('time_limit = "5 working days"', 'time_limit = "5 work days"'),
        ('service = "south/tax/registration"', 'service = "south/tax/registrations"'),
        ('proof_of_address = "documents.proof-of-address"',
         'proof_of_address = "documents.proof-of-adress"'),
        ('application = "relocation.application@1.0"',
         'application = "relocation.application@1.9"'),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    broken = tmp_path / "relocation.toml"
    broken.write_text(text.replace('calendars = "../calendars"',
                                   f'calendars = "{ROOT / "deploy/calendars"}"'))
    result = _check(broken, *RELOCATION_SERVICES)
    assert result.returncode == 1
    lines = [line.strip() for line in result.stdout.splitlines() if "error" in line]
    expected = [
        ("case_type.application", "unknown contract 'relocation.application@1.9'"),
        ("step insurance-transfer: input.origin_record_as_of", "'as_off' is not a field"),
        ("step insurance-transfer: input.proof_of_address",
         "no [[document]] named 'proof-of-adress'"),
        ("step tax-registration: time_limit", "'5 work days' is not a time limit"),
        ("step tax-registration: service", "south/tax/registrations is not in the services"),
        ("step vehicle-re-registration: input.plates", "not a field of vehicles."),
        ("step vehicle-re-registration: input.tax_reference", "is not a prerequisite"),
        ("step vehicle-re-registration: input.plate", "required by vehicles."),
    ]
    for where, what in expected:
        assert any(line.startswith(f"error {broken}: {where}: ") and what in line
                   for line in lines), f"{where}: {what} not in\n" + "\n".join(lines)
    assert f"{len(lines)} problem(s)" in result.stdout


def test_a_file_that_is_not_toml_is_one_clear_problem(tmp_path: Path) -> None:
    broken = tmp_path / "bad.toml"
    broken.write_text("[case_type\n")
    result = _check(broken, *RELOCATION_SERVICES)
    assert result.returncode == 1
    assert f"error {broken}: not TOML" in result.stdout


def test_a_hub_loads_the_relocation_checking_its_own_regions_steps() -> None:
    """South's hub knows its own services, not north's: it checks south's steps and leaves
    the origin's step to `cases check` with north's services file; a step of its own region
    that it does not offer is still a problem that stops it."""
    import pytest

    from contracts import default_registry
    from hub.bootstrap.cases import load_case_types
    from hub.service_layer.cases.case_type import CaseTypeError
    from hub.service_layer.exchanges.routing import load_services

    registry = default_registry()
    south = load_services(ROOT / "deploy/cases/services/south.toml", registry)
    loaded = load_case_types(ROOT / "deploy/cases", registry, south, "south")
    assert "relocation@1.0" in loaded
    with pytest.raises(CaseTypeError) as missing:
        load_case_types(ROOT / "deploy/cases", registry, south[:1], "south")
    assert "south/tax/registration is not in the services files" in missing.value.message
