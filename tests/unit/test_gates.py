"""The gates of `make lint` catch what they are there to catch.

Each test plants a deliberate violation in a small package tree shaped like the repository
(the same top-level packages and layers) and runs the real tool on it with the repository's
own configuration file, so a change to that configuration that lets a violation through
fails here.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = ("contracts", "translation", "federation", "simulations", "hub")
LAYERS = ("entrypoints", "bootstrap", "service_layer", "adapters", "domain")
# The options of import-linter contracts that name modules.
_NAMING = ("layers", "containers", "source_modules", "forbidden_modules", "modules", "ancestors")


def _named_in_contracts() -> set[str]:
    """Every module the repository's import-linter contracts name (a contract naming a
    module the tree lacks is an error, not a verdict)."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    named = set()
    for section in config.sections():
        for option in _NAMING:
            for word in re.split(r"[\s|:()]+", config.get(section, option, fallback="")):
                if word and "*" not in word:
                    named.add(word)
    return named


def _tree(base: Path, modules: dict[str, str]) -> Path:
    """A package tree under ``base``: the repository's top-level packages, hub layers and
    whatever else its contracts name (each an empty package), plus ``modules`` (dotted
    name -> source)."""
    packages = {*PACKAGES, *(f"hub.{layer}" for layer in LAYERS), *_named_in_contracts()}
    for package in sorted(packages):
        folder = base.joinpath(*package.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text('"""A package."""\n')
    for name, source in modules.items():
        base.joinpath(*name.split(".")).with_suffix(".py").write_text(source)
    return base


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": str(BIN), "PYTHONPATH": str(cwd), "HOME": str(cwd)},
    )


@pytest.mark.timeout(150)
def test_import_linter_reports_the_domain_importing_the_service_layer(tmp_path: Path) -> None:
    """lint-imports, with the repository's .importlinter, fails on hub.domain importing
    hub.service_layer and names that import; the contracts it does not touch stay kept."""
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    _tree(tmp_path, {
        "hub.service_layer.use_case": '"""A use case."""\n\nVALUE = 1\n',
        "hub.domain.model": '"""An aggregate."""\n\nfrom hub.service_layer import use_case\n',
        "translation.codec": '"""A codec."""\n\nimport contracts\n',
    })

    result = _run([str(BIN / "lint-imports"), "--no-cache"], tmp_path)

    assert result.returncode != 0, result.stdout
    assert "The hub's layers: entry points, bootstrap, service layer, adapters, domain BROKEN" \
        in result.stdout
    assert "hub.domain.model -> hub.service_layer.use_case" in result.stdout
    assert "Translation imports only contracts KEPT" in result.stdout


@pytest.mark.timeout(150)
def test_mypy_is_strict_in_the_domain_and_gradual_in_the_adapters(tmp_path: Path) -> None:
    """mypy, with the repository's [tool.mypy], reports an untyped def anywhere and a bare
    generic in the domain (a strict package), and lets that bare generic pass in the
    adapters (a gradual one)."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bare_generic = '"""Totals."""\n\n\ndef total(values: list) -> int:\n    return len(values)\n'
    _tree(tmp_path, {
        "hub.domain.untyped": '"""Rules."""\n\n\ndef check(amount):\n    return amount > 0\n',
        "hub.domain.totals": bare_generic,
        "hub.adapters.totals": bare_generic,
    })

    result = _run([str(BIN / "mypy"), "--cache-dir", str(tmp_path / ".mypy_cache")], tmp_path)

    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(
        line.startswith("hub/domain/untyped.py:4:") and "[no-untyped-def]" in line
        for line in errors
    ), errors
    assert any(
        line.startswith("hub/domain/totals.py:4:") and "[type-arg]" in line for line in errors
    ), errors
    assert not [line for line in errors if line.startswith("hub/adapters/")], errors
