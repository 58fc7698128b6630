"""A HUB_* variable that cannot be read is named, with why, and without its value.

Before, any command ended in a pydantic traceback (a malformed HUB_CITIZEN_ISSUERS, a
port that is not a number), whose ``input_value=...`` printed the variable's value: a
secret when the variable holds one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hub.entrypoints.cli.main import main
from hub.settings import SettingsInvalidError, read_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)


@pytest.mark.parametrize(("name", "value", "said"), [
    ("HUB_CITIZEN_ISSUERS", '{"https://eid.example": "jwks.json"', "HUB_CITIZEN_ISSUERS is not "
                                                                   "valid JSON"),
    ("HUB_CITIZEN_ISSUERS", '["s3cret-value"]', "HUB_CITIZEN_ISSUERS: Input should be a valid "
                                               "dictionary"),
    ("HUB_HTTP_PORT", "s3cret-value", "HUB_HTTP_PORT: Input should be a valid integer"),
])
def test_an_unreadable_setting_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsInvalidError) as refused:
        read_settings()
    assert said in refused.value.message
    assert "s3cret" not in refused.value.message and "eid.example" not in refused.value.message


def test_a_command_says_which_setting_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("HUB_CITIZEN_ISSUERS", "{bad")
    monkeypatch.setattr(sys, "argv", ["interop-hub", "retention", "status", "--data",
                                      str(tmp_path)])
    with pytest.raises(SystemExit) as ended:
        main()
    err = capsys.readouterr().err
    assert ended.value.code == 2 and "HUB_CITIZEN_ISSUERS is not valid JSON" in err, err
    assert "Traceback" not in err
