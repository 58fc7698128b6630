"""The overdue duty looks as often as the case types' shortest time limit needs: every
minute for limits in days, a quarter of the limit for one in seconds, never more often
than twice a second."""

from __future__ import annotations

from pathlib import Path

from hub.service_layer.cases.case_type import CaseType, read_case_type
from hub.service_layer.cases.overdue import OVERDUE_EVERY_MIN_S, OVERDUE_EVERY_S, overdue_every

CASES = Path(__file__).resolve().parents[2] / "deploy" / "cases"


def _read(path: Path) -> CaseType:
    case_type, findings = read_case_type(path)
    assert case_type is not None and not findings, findings
    return case_type


def test_limits_in_days_are_looked_at_every_minute() -> None:
    assert overdue_every([_read(CASES / "relocation.toml"),
                          _read(CASES / "business-opening.toml")]) == OVERDUE_EVERY_S
    assert overdue_every([]) == OVERDUE_EVERY_S


def test_a_limit_in_seconds_is_looked_at_four_times_within_it() -> None:
    """The demos' last steps are promised in 3 seconds: a round every 0.75 s."""
    for demo, shipped in (("south/relocation.toml", "relocation.toml"),
                          ("north/business-opening.toml", "business-opening.toml")):
        assert overdue_every([_read(CASES / shipped), _read(CASES / "demo" / demo)]) == 0.75


def test_however_short_a_limit_a_round_is_at_most_twice_a_second(tmp_path: Path) -> None:
    text = (CASES / "demo" / "south" / "relocation.toml").read_text().replace(
        'time_limit = "3 seconds"', 'time_limit = "1 second"').replace(
        'calendars = "../../../calendars"', f'calendars = "{CASES.parent / "calendars"}"')
    (tmp_path / "urgent.toml").write_text(text)
    assert overdue_every([_read(tmp_path / "urgent.toml")]) == OVERDUE_EVERY_MIN_S
