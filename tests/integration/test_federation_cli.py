"""``region`` and ``agreement`` commands between two data folders, exchanging signed files."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner, Result

from hub.entrypoints.cli.main import app

CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}
KID = re.compile(r"[A-Za-z0-9_-]{43}")
SS = "social-security.contribution-history@1.0"


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    """The CLI configures structlog for the process; put the test run's back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=CLEAN_ENV)


def _ok(*args: str | Path) -> str:
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    """north and south, each with a key, trusting each other through their cards."""
    data = {name: tmp_path / name for name in ("north", "south")}
    for name, folder in data.items():
        _ok("region", "keys", "--data", folder, "--region", name)
        _ok("region", "card", "--data", folder, "--out", tmp_path / f"{name}.card")
    _ok("region", "trust", "add", tmp_path / "south.card", "--data", data["north"])
    _ok("region", "trust", "add", tmp_path / "north.card", "--data", data["south"])
    return data


def _kids(output: str) -> list[str]:
    return KID.findall(output)


def test_keys_are_made_on_first_use_and_the_folder_remembers_its_region(tmp_path: Path) -> None:
    """`region keys` makes one active key; later calls need no --region and list the same."""
    folder = tmp_path / "east"
    first = _ok("region", "keys", "--data", folder, "--region", "east")
    assert "signing keys of region east" in first and first.count("yes") == 1
    again = _ok("region", "keys", "--data", folder)
    assert "signing keys of region east" in again and _kids(again) == _kids(first)
    assert (folder / "keys" / "region-keys.json").stat().st_mode & 0o077 == 0


def test_trust_lists_peers_and_verifies_its_own_signature(
    folders: dict[str, Path], tmp_path: Path,
) -> None:
    """`region trust` names the peer, its key and validity, and says the signature is ok."""
    south_kid = _kids(_ok("region", "keys", "--data", folders["south"]))[0]
    listed = _ok("region", "trust", "--data", folders["north"])
    assert re.search(r"trust list of north: serial 1, issued \S+, signature ok", listed)
    assert "south" in listed and south_kid in listed and "registry fingerprint sha256:" in listed
    assert _ok("region", "trust", "list", "--data", folders["north"]) == listed
    _ok("region", "keys", "--data", tmp_path / "east", "--region", "east")
    assert "east trusts no peer yet" in _ok("region", "trust", "--data", tmp_path / "east")
    keyless = _cli("region", "trust", "--data", tmp_path / "typo")
    assert keyless.exit_code == 2 and "no region keys in" in keyless.stdout
    assert not (tmp_path / "typo" / "keys" / "region-keys.json").exists()


def test_a_card_signed_by_another_key_than_expected_is_refused(
    folders: dict[str, Path], tmp_path: Path,
) -> None:
    """--expect-kid pins the kid the peer's operator gave out of band."""
    result = _cli("region", "trust", "add", tmp_path / "south.card", "--data", folders["north"],
                  "--expect-kid", "A" * 43)
    assert result.exit_code == 2
    assert "not the expected" in result.stdout


def test_a_tampered_trust_list_fails_its_signature_check(folders: dict[str, Path]) -> None:
    """A trust list whose signature does not verify under the region's keys is an error."""
    path = folders["north"] / "keys" / "trust-list.jws"
    header, payload, signature = path.read_text().strip().split(".")
    path.write_text(f"{header}.{payload}.{signature[:-4]}AAAA\n")
    result = _cli("region", "trust", "--data", folders["north"])
    assert result.exit_code == 2 and "not signed by a key of region 'north'" in result.stdout


def test_rotation_keeps_the_old_key_verifying_and_peers_learn_the_new_one(
    folders: dict[str, Path], tmp_path: Path,
) -> None:
    """After `rotate`, two keys (one active), the trust list re-signed, the new card trusted."""
    before = _kids(_ok("region", "keys", "--data", folders["north"]))
    rotated = _ok("region", "rotate", "--data", folders["north"], "--verify-days", "30")
    assert f"old key {before[0]}" in rotated and "trust list re-signed" in rotated
    keys = _ok("region", "keys", "--data", folders["north"])
    assert _kids(keys)[0] == before[0] and len(_kids(keys)) == 2
    assert re.search(rf"{before[0]} .*│ no ", keys) and re.search(r"│ yes ", keys)
    assert "serial 2" in _ok("region", "trust", "--data", folders["north"])
    _ok("region", "card", "--data", folders["north"], "--out", tmp_path / "north.card")
    _ok("region", "trust", "add", tmp_path / "north.card", "--data", folders["south"])
    listed = _ok("region", "trust", "--data", folders["south"])
    assert _kids(listed)[1:3] == _kids(keys)  # after the list's own signer: north's keys
    assert "verifies" in listed and "signs" in listed


def _agreements(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in
            _ok("agreement", "list", "--data", folder, "--json").splitlines()]


def test_an_agreement_is_proposed_accepted_suspended_and_terminated_through_files(
    folders: dict[str, Path], tmp_path: Path,
) -> None:
    """Terms, acceptance and notices travel as files; both folders end in the same state."""
    north, south = folders["north"], folders["south"]
    terms, acceptance = tmp_path / "terms.jws", tmp_path / "acceptance.jws"
    proposed = _ok("agreement", "propose", "--data", north, "--peer", "south",
                   "--contracts", f"{SS},tax.clearance@1.0",
                   "--departments", "north/social-security,north/tax",
                   "--until", "2027-12-31", "--out", terms)
    assert "state        proposed; signed by north" in proposed
    accepted = _ok("agreement", "accept", terms, "--out", acceptance, "--data", south)
    agreement_id = re.search(r"accepted agreement (\S+)", accepted).group(1)  # type: ignore[union-attr]
    assert "signed by north, south" in accepted
    recorded = _ok("agreement", "accept", "--acceptance", acceptance, agreement_id[:8],
                   "--data", north)
    assert f"recorded south's acceptance of agreement {agreement_id}: accepted" in recorded
    for folder in (north, south):
        (row,) = _agreements(folder)
        assert (row["id"], row["state"], row["signed_by"]) == (agreement_id, "accepted",
                                                                ["north", "south"])
        assert row["contracts"] == [SS, "tax.clearance@1.0"]
        assert row["valid_until"] == "2028-01-01T00:00:00Z"
    _ok("agreement", "suspend", agreement_id, "--reason", "audit", "--out",
        tmp_path / "suspend.jws", "--data", south)
    _ok("agreement", "receive", tmp_path / "suspend.jws", "--data", north)
    assert _agreements(north)[0]["suspended_by"] == ["south"]
    assert "suspended (by south)" in _ok("agreement", "list", "--data", north)
    _ok("agreement", "terminate", agreement_id[:6], "--reason", "ended", "--out",
        tmp_path / "end.jws", "--data", north)
    _ok("agreement", "receive", tmp_path / "end.jws", "--data", south)
    assert [_agreements(f)[0]["state"] for f in (north, south)] == ["terminated", "terminated"]


def test_agreement_mistakes_are_named_with_exit_code_2(
    folders: dict[str, Path], tmp_path: Path,
) -> None:
    """Bad terms name the field; an acceptance of another agreement and an unknown id fail."""
    bad = _cli("agreement", "propose", "--data", folders["north"], "--peer", "south",
               "--contracts", "not a contract", "--departments", "north/tax",
               "--until", "2027-12-31", "--out", tmp_path / "t.jws")
    assert bad.exit_code == 2 and "agreement terms: contracts" in bad.stdout
    _ok("agreement", "propose", "--data", folders["north"], "--peer", "south", "--contracts",
        SS, "--departments", "north/social-security", "--until", "2027-12-31", "--out",
        tmp_path / "t.jws")
    _ok("agreement", "accept", tmp_path / "t.jws", "--out", tmp_path / "a.jws",
        "--data", folders["south"])
    wrong = _cli("agreement", "accept", "--acceptance", tmp_path / "a.jws",
                 "00000000-0000-4000-8000-000000000000", "--data", folders["north"])
    assert wrong.exit_code == 2 and "no agreement with id" in wrong.stdout
    unknown = _cli("agreement", "resume", "ffff", "--reason", "x", "--out", tmp_path / "n.jws",
                   "--data", folders["north"])
    assert unknown.exit_code == 2 and "no agreement with id ffff" in unknown.stdout
