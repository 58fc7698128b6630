"""A services file that is not TOML, or not [[service]] tables, is refused naming the file.

Before, `serve FILE` and `retention status --services FILE` ended in a tomllib
traceback for a file with a syntax slip, and in a TypeError for ``service = 3``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from contracts import default_registry
from hub.entrypoints.cli.main import main
from hub.errors import RoutingError
from hub.service_layer.exchanges.routing import load_services


@pytest.mark.parametrize(("text", "said"), [
    (b"[[service]\nid = 1\n", "is not a TOML file: Expected ']]'"),
    (b"\xff\xfe[[service]]\n", "is not a TOML file"),
    (b"service = 3\n", "service must be [[service]] tables"),
    (b"service = [1, 2]\n", "service[0] is not a table"),
])
def test_a_services_file_that_is_not_one_is_refused_naming_it(tmp_path: Path, text: bytes,
                                                              said: str) -> None:
    path = tmp_path / "services.toml"
    path.write_bytes(text)
    with pytest.raises(RoutingError, match=r"services\.toml") as refused:
        load_services(path, default_registry())
    assert said in refused.value.message


def test_retention_status_names_a_broken_services_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console script prints the error and exits 2; no traceback."""
    path = tmp_path / "services.toml"
    path.write_text("[[service]\n", encoding="utf-8")
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "argv", ["interop-hub", "retention", "status", "--data",
                                      str(tmp_path / "d"), "--services", str(path)])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "is not a TOML file" in err and "Traceback" not in err, err
