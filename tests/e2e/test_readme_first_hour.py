"""README's first hour runs as written: every marked shell block, in order, in a scratch copy.

A block marked ``<!-- first-hour -->`` runs in the foreground and must exit 0 (the
README's curls use ``--fail-with-body``, so a refused query fails it). A block marked
``<!-- first-hour: background, ready when "TEXT" -->`` is what a reader leaves running in
one terminal: it is started in its own process group, the next blocks wait until it has
printed TEXT, and it is stopped with SIGINT (Ctrl-C) at the end. The README's fixed ports
(8080, 8081, 8089) are replaced by free loopback ports, the only edit made to the blocks.

The copy holds the repository's tracked files (mtimes kept, so make sees the project as
installed) with the project's ``.venv`` linked in, and ``../shared`` linked to the shared
WSDL files the onboarding steps read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.adapters.nats.server import free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARKED = re.compile(
    r"<!-- first-hour(?P<options>[^>]*?)-->\s*\n```sh\n(?P<body>.*?)\n```", re.DOTALL)
READY = re.compile(r'background, ready when "(?P<text>[^"]+)"')
README_PORTS = ("8080", "8081", "8089")
BUDGET_S = 150  # the whole path takes about 40 s on a quiet 2-core machine


@dataclass(frozen=True)
class Block:
    """One marked shell block of README, and what it waits for when left running."""

    body: str
    ready: str | None


def first_hour_blocks(text: str) -> list[Block]:
    """The marked blocks of ``text``, in order."""
    blocks = []
    for match in MARKED.finditer(text):
        ready = READY.search(match["options"])
        blocks.append(Block(match["body"], ready["text"] if ready else None))
    return blocks


def _script(blocks: list[Block], ports: dict[str, str]) -> str:
    """One bash script: foreground blocks as written, background ones started and awaited."""
    lines = [
        "set -euo pipefail",
        "set -m  # each background block in its own process group, as in its own terminal",
        "pids=()",
        'stop() { for p in "${pids[@]}"; do kill -INT -- "-$p" 2>/dev/null || true; done;'
        ' for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; }',
        "trap stop EXIT",
        "ready() {  # log, text, pid",
        '  for _ in $(seq 1 900); do grep -qF -- "$2" "$1" && return 0;',
        '    kill -0 "$3" 2>/dev/null || break; sleep 0.1; done',
        '  cat "$1"; echo "a background block never printed: $2" >&2; return 1',
        "}",
    ]
    for number, block in enumerate(blocks, 1):
        body = block.body
        for readme_port, port in ports.items():
            body = re.sub(rf"\b{readme_port}\b", port, body)
        lines.append(f"echo '### first-hour block {number}'")
        if block.ready is None:
            lines.append(body)
            continue
        log = f".first-hour-{number}.log"
        lines += [f"( {body}\n) > {log} 2>&1 &", "pids+=($!)",
                  f"ready {log} '{block.ready}' $!"]
    return "\n".join(lines) + "\n"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"needs {name}")
    return found


def _scratch_copy(target: Path, shared: Path) -> Path:
    """The tracked files of the repository (working-tree content, mtimes kept), the
    project's .venv linked in, and ../shared pointing at the shared files."""
    project = target / "project"
    tracked = subprocess.run([_tool("git"), "ls-files", "-z"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, project / name)
    (project / ".venv").symlink_to(ROOT / ".venv")
    (target / "shared").symlink_to(shared)
    return project


def test_readme_opens_with_the_two_commands() -> None:
    """README's first code block is `make demo` and `make test`."""
    text = README.read_text(encoding="utf-8")
    first = text[text.index("```sh\n") + 6:].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first] == ["make demo", "make test"]


def test_readme_first_hour_runs_as_written(tmp_path: Path, shared_external: Path) -> None:
    """Demo, the data it leaves, the by-hand curls against a running demo, and onboarding a
    department (scaffold, fill, check, services.toml with a purpose, token and access
    grant, a running hub, JSON and SOAP queries): every marked block runs and exits 0."""
    _tool("curl")
    blocks = first_hour_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 10 and sum(b.ready is not None for b in blocks) == 2
    project = _scratch_copy(tmp_path, shared_external.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(PYTHONUNBUFFERED="1", HUB_LOG_FORMAT="json", COLUMNS="100")
    dry_run = subprocess.run([_tool("make"), "-n", "demo"], cwd=project, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert "pip install" not in dry_run, "the copy must use the installed .venv: " + dry_run
    script = project / "first-hour.sh"
    script.write_text(_script(blocks, {p: str(free_port()) for p in README_PORTS}))

    started = time.monotonic()
    result = subprocess.run([_tool("bash"), str(script)], cwd=project, env=env, capture_output=True,
                            text=True, timeout=BUDGET_S)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    print(f"README first hour: {len(blocks)} blocks in {elapsed:.1f} s", file=sys.stderr)
    assert result.returncode == 0, output[-6000:]
    assert "exchanges: 13 completed, 8 rejected, 0 failed" in output
    assert '"national_id":"19800101-1234"' in output  # the by-hand JSON curl
    assert "<status>cleared</status>" in output  # the by-hand SOAP curl
    assert "ok: no problems" in output  # adapter check
    assert re.search(r'\{"number":\d+\}', output)  # onboarded service, JSON
    assert re.search(r"<number>\d+</number>", output)  # onboarded service, SOAP
    assert "2 exchanges" in output
    assert "403 " * 25 in output  # the scraper of "Alarms on unusual access"
    assert "is intact" in output and "checkpoints over" in output  # Operations: verify, restore
    assert "DOES NOT VERIFY" not in output
    assert not list((project / "onboarding").glob("*.nk")) and not list(project.glob("*.nk"))


def test_readme_and_docs_link_to_files_that_exist() -> None:
    """Every relative link of README and docs/*.md names a file of the repository."""
    broken = []
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_federation_file_flow_runs_on_the_folders_the_demo_writes(tmp_path: Path) -> None:
    """docs/federation.md's marked blocks — `demo --regions 3 --data fed-data`, then the
    file-based flow between fed-data/north and fed-data/south — run as written with .venv
    activated (its bin first on PATH), and the regions end up reconciled."""
    blocks = first_hour_blocks((ROOT / "docs" / "federation.md").read_text(encoding="utf-8"))
    assert len(blocks) == 2 and "fed-data/south" in blocks[1].body
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(PYTHONUNBUFFERED="1", HUB_LOG_FORMAT="json",
               PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    script = tmp_path / "federation.sh"
    script.write_text(_script(blocks, {}))
    result = subprocess.run([_tool("bash"), str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=BUDGET_S)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "reconcile north↔south: 0 missing, 0 duplicated, 0 divergent, 0 pending" in output
