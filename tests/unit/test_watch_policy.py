"""A service's [service.watch] table: read with clear errors, written back unchanged."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from contracts import default_registry
from hub.domain.watch_policy import WatchPolicy, WatchPolicyError, dump_watch, parse_watch
from hub.service_layer.exchanges.routing import dump_services, load_services
from simulations.departments import DepartmentEndpoints, region_services


@pytest.mark.parametrize(("table", "key", "reason"), [
    ({"hours": "7-19"}, "hours", "HH:MM-HH:MM"),
    ({"hours": "19:00-07:00"}, "hours", "end must come after the start"),
    ({"hours": "07:00-19:00", "timezone": "Mars/Olympus"}, "timezone", "IANA"),
    ({"hours": "07:00-19:00", "days": "mon-funday"}, "days", "days are"),
    ({"days": "mon-fri"}, "days", "only meaningful with hours"),
    ({"refusals_max": 0}, "refusals_max", "positive whole number"),
    ({"subjects_floor": "many"}, "subjects_floor", "positive whole number"),
    ({"baseline_alpha": 2}, "baseline_alpha", "from 0.01 to 1.0"),
    ({"suspend": "yes"}, "suspend", "true or false"),
    ({"refusals_window_s": -300}, "refusals_window_s", "positive whole number"),
    ({"departments_max": 2.5}, "departments_max", "positive whole number"),
    ({"baseline_factor": -4}, "baseline_factor", "from 1.0 to 1000.0"),
    ({"baseline_factor": float("nan")}, "baseline_factor", "from 1.0 to 1000.0"),
    # Accepted before; its microseconds overflowed SQLite and stopped the watch.
    ({"refusals_window_s": 10**13}, "refusals_window_s", "more than the 604800 allowed"),
    ({"departments_window_s": 604801}, "departments_window_s", "more than the 604800"),
    ({"sample_size": 10**9}, "sample_size", "more than the 100 allowed"),
    ({"hours": 700}, "hours", "HH:MM-HH:MM"),
    ({"hours": "07:00-19:00", "timezone": 1}, "timezone", "IANA"),
    ({"treshold": 3}, "treshold", "unknown key"),
])
def test_a_bad_watch_table_is_refused_naming_the_key(
    table: dict[str, object], key: str, reason: str
) -> None:
    with pytest.raises(WatchPolicyError) as caught:
        parse_watch(table, where="services.toml: service north/x/y")
    assert f"watch.{key}" in caught.value.message and reason in caught.value.message
    assert caught.value.issues[0].field == key


def test_a_watch_table_round_trips() -> None:
    """What ``dump_watch`` writes, ``parse_watch`` reads back to the same policy."""
    policy = parse_watch({"subjects_floor": 20, "suspend": True, "hours": "08:00-24:00",
                          "days": "mon-fri,sun", "timezone": "Europe/Madrid"}, where="x")
    text = "\n".join(dump_watch(policy)).replace("[service.watch]", "[watch]")
    assert parse_watch(tomllib.loads(text)["watch"], where="x") == policy
    assert dump_watch(WatchPolicy()) == []


SERVICE = (
    '[[service]]\nid = "north/social-security/contribution-history"\n'
    'request = "social-security.contribution-history-query@1.0"\n'
    'response = "social-security.contribution-history@1.0"\n'
    'operation = "CH"\nadapter = "soap-mapping"\nendpoint = "http://x"\n\n')


def test_load_services_refuses_a_bad_watch_naming_file_service_and_key(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(SERVICE + '[service.watch]\nhours = "07:00-19:00"\ntimezone = "Nowhere"\n')
    with pytest.raises(WatchPolicyError) as raised:
        load_services(path, default_registry())
    text = raised.value.message
    assert str(path) in text and "north/social-security/contribution-history" in text
    assert "watch.timezone" in text and "'Nowhere'" in text


def test_watch_policies_survive_dump_and_load(tmp_path: Path) -> None:
    """dump_services writes [service.watch] (after the purposes) and load_services reads it."""
    services = region_services("north", DepartmentEndpoints("http://ss?wsdl", "http://tax"))
    watched = parse_watch({"suspend": True, "refusals_max": 5, "hours": "06:30-22:00",
                           "days": "mon-sat", "timezone": "Europe/Madrid"}, where="x")
    services[0] = dataclasses.replace(services[0], watch=watched)
    path = tmp_path / "services.toml"
    path.write_text(dump_services(services))
    loaded = load_services(path, default_registry())
    assert [s.watch for s in loaded] == [watched, WatchPolicy()]
    assert [s.purposes for s in loaded] == [s.purposes for s in services]
