"""Reading back the one-stop case a demo printed: its head line, each step's row and story,
and the case as ``interop-hub cases show`` sees it in the data folder afterwards."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CLI = str(Path(sys.executable).parent / "interop-hub")


@dataclass
class PrintedCase:
    """``case ID (TYPE) in REGION: ...``, then per step its row and what happened to it."""

    case_id: str
    head: str
    steps: dict[str, str]
    stories: dict[str, str]
    transparency: str

    def overdue_in(self, data: Path) -> list[str]:
        """The steps ``cases show`` marks ``OVERDUE`` in the data folder ``data``."""
        shown = subprocess.run([CLI, "cases", "show", self.case_id, "--data", str(data)],
                               capture_output=True, text=True, timeout=60, check=True).stdout
        return [x.split()[0] for x in shown.splitlines() if x.endswith(" OVERDUE")]


def printed_case(lines: list[str], region: str, steps: int) -> PrintedCase:
    """The case held in ``region`` among the printed ``lines``, with its ``steps`` steps."""
    head = next(i for i, x in enumerate(lines) if x.startswith("case ")
                and f" in {region}: " in x)
    rows = lines[head + 2:head + 2 + 2 * steps]  # after the header: each step, then its story
    names = [row.split()[0] for row in rows[0::2]]
    page = next(x for x in lines[head:] if x.startswith("transparency: "))
    return PrintedCase(lines[head].split()[1], lines[head], dict(zip(names, rows[0::2],
                       strict=True)), dict(zip(names, rows[1::2], strict=True)),
                       page.split()[1])
