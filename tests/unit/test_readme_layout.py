"""README's layout map stays short and true: at most 15 lines, every path in it exists, and
every package of the product and every layer of the hub is on it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "README's Layout section has no map"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_map_is_at_most_15_lines() -> None:
    assert len(_layout_block()) <= 15


def test_every_path_on_the_map_exists() -> None:
    for line in _layout_block():
        path = line.split()[0]
        assert (ROOT / path).is_dir(), f"README's layout names {path}, which is not a folder"


def test_every_package_and_layer_is_on_the_map() -> None:
    listed = {line.split()[0].rstrip("/") for line in _layout_block()}
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    layers = {f"hub/{p.name}" for p in (ROOT / "hub").iterdir() if (p / "__init__.py").exists()}
    missing = (packages - {"hub"} | layers) - listed
    assert not missing, f"not on README's layout map: {sorted(missing)}"
