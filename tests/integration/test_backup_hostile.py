"""Backups edited by someone holding the backup key, and targets that are not folders.

The manifest is sealed, so only a holder of the backup key can rewrite it; these tests
are that holder. Each edited manifest is sealed again under the backup's keys, and the
member it renames is sealed again under its new name, so every file authenticates: what
must stop the restore is the manifest check, not a broken seal. ``backup verify``
refuses what ``restore`` would, each with an error naming the member and the problem,
and nothing is ever written outside the folder restored into.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner, Result

from hub.adapters.backup.sealed import SealedWriter, open_sealed
from hub.entrypoints.cli.main import app
from hub.service_layer.backup import backup_key_material
from hub.service_layer.backup.manifest import MANIFEST_FILE, MANIFEST_NAME, Header
from tests.integration.backup_fixtures import backup_key, region_folder

CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}
Edit = Callable[[dict[str, Any], Path, Callable[[dict[str, Any], str], None]], None]


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    """The CLI configures structlog for the process; put the test run's back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=CLEAN_ENV)


def _refused(result: Result, said: str) -> None:
    """Exit 2 with the words ``said``, and no traceback (typer's Exit is a SystemExit)."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert said in " ".join(result.output.split()), result.output  # the console wraps


@pytest.fixture
def backed_up(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(data folder, backup, key file) of a region with two signed checkpoints."""
    data = tmp_path / "place" / "north"
    region_folder(data)
    key = backup_key(tmp_path)
    done = _run("backup", "--data", data, "--to", tmp_path / "b", "--key-file", key)
    assert done.exit_code == 0, done.output
    return data, tmp_path / "b", key


def _edit_manifest(target: Path, key: Path, edit: Edit) -> None:
    """Rewrite the sealed manifest through ``edit``, sealing it (and renamed members) again."""
    keys = Header.load(target).keys(backup_key_material(key.read_bytes(), "key", kek=None))
    body = json.loads(b"".join(open_sealed(target / MANIFEST_FILE, keys, MANIFEST_NAME)))

    def rename(member: dict[str, Any], name: str) -> None:
        plain = b"".join(open_sealed(target / member["file"], keys, member["name"]))
        (target / member["file"]).unlink()
        with SealedWriter(target / member["file"], keys, name) as writer:
            writer.write(plain)
        member["name"] = name

    edit(body, target, rename)
    (target / MANIFEST_FILE).unlink()
    with SealedWriter(target / MANIFEST_FILE, keys, MANIFEST_NAME) as writer:
        writer.write(json.dumps(body).encode())


def _plain_file(body: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in body["members"] if m["kind"] == "file")


def _renamed(to: str) -> Edit:
    return lambda body, target, rename: rename(_plain_file(body), to)


def _changed(field: str, value: object) -> Edit:
    return lambda body, target, rename: _plain_file(body).__setitem__(field, value)


def _twice(body: dict[str, Any], target: Path, rename: Any) -> None:
    body["members"].append(dict(_plain_file(body), file="members/99999.sealed"))
    shutil.copy(target / _plain_file(body)["file"], target / "members/99999.sealed")


def _file_and_folder(body: dict[str, Any], target: Path, rename: Any) -> None:
    first, second = [m for m in body["members"] if m["kind"] == "file"][:2]
    rename(first, "keys")
    rename(second, "keys/region.pem")


@pytest.mark.parametrize(("edit", "said"), [
    (_renamed("../../escaped"), "not a relative path inside the data folder"),
    (lambda body, target, rename: rename(_plain_file(body), str(target.parent / "escaped")),
     "not a relative path inside the data folder"),
    (_renamed("audit/../../../escaped"), "not a relative path inside the data folder"),
    (_renamed("."), "not a relative path inside the data folder"),
    (_renamed(""), "name is empty"),
    (_twice, "is named by another member too"),
    (_file_and_folder, "a file and a folder at once"),
    (_changed("kind", "pg-dump"), "a PostgreSQL dump in a backup of a SQLite store"),
    (_changed("kind", "symlink"), "kind 'symlink' is not one of"),
    (_changed("mode", "rwx"), "mode 'rwx' is not a file mode"),
    (_changed("mode", 0o4777), "is not a file mode"),
    (_changed("file", "../../../etc/passwd"), "not a file of the backup's members/ folder"),
    (_changed("size", -1), "size is not a whole number"),
    (lambda body, target, rename: body.__setitem__("store", "oracle"), "store 'oracle'"),
    (lambda body, target, rename: _plain_file(body).update(
        kind="object", meta={"bucket": "hub-south-documents", "object": "x"}),
     "bucket 'hub-south-documents' is not one of region north's"),
    (lambda body, target, rename: body.__setitem__("checkpoint", {"size": "x"}),
     "checkpoint is not one"),
], ids=["dotdot", "absolute", "deep-dotdot", "dot", "empty", "twice", "file-and-folder",
        "pg-dump-in-sqlite", "unknown-kind", "mode-text", "mode-setuid", "file-outside",
        "negative-size", "store", "other-region-bucket", "checkpoint"])
def test_a_manifest_edited_with_the_key_is_refused_by_verify_and_restore(
    backed_up: tuple[Path, Path, Path], tmp_path: Path, edit: Edit, said: str
) -> None:
    """Every one of these was "intact" to verify; some escaped the folder check only by
    luck, others ended restore in a traceback (AssertionError, TypeError, FileExistsError)."""
    data, target, key = backed_up
    _edit_manifest(target, key, edit)
    _refused(_run("backup", "verify", target, "--key-file", key), said)
    restored = tmp_path / "place" / "restored"
    _refused(_run("restore", "--from", target, "--data", restored, "--key-file", key,
                  "--kek-file", data / "keys" / "kek"), said)
    assert not restored.exists()
    assert sorted(p.name for p in (tmp_path / "place").iterdir()) == ["north"]
    assert not (tmp_path / "escaped").exists()


def test_a_file_added_to_a_backup_is_named_by_verify(backed_up: tuple[Path, Path, Path]
                                                     ) -> None:
    _, target, key = backed_up
    shutil.copy(target / "members" / "00001.sealed", target / "members" / "00999.sealed")
    _refused(_run("backup", "verify", target, "--key-file", key),
             "members/00999.sealed: not in the manifest")


@pytest.mark.parametrize("kind", ["file", "dangling-link"])
def test_a_backup_target_that_is_no_folder_is_refused(tmp_path: Path, kind: str) -> None:
    """A file, or a symbolic link to nothing: a clear error, not NotADirectoryError."""
    data = tmp_path / "north"
    region_folder(data, rounds=1)
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("not a folder")
        said = "is a file, not a folder"
    else:
        target.symlink_to(tmp_path / "nowhere")
        said = "is a symbolic link to nothing"
    _refused(_run("backup", "--data", data, "--to", target, "--key-file",
                  backup_key(tmp_path)), said)
    assert not (tmp_path / "nowhere").exists()


def test_symbolic_links_in_the_data_folder_stay_out_of_the_backup(tmp_path: Path) -> None:
    """A link under audit/ was followed: a file from outside the folder went into the
    backup and came back from restore as the region's own."""
    data = tmp_path / "north"
    region_folder(data, rounds=1)
    outside = tmp_path / "outside.txt"
    outside.write_text("not the region's")
    (data / "audit" / "linked.txt").symlink_to(outside)
    (data / "linked.txt").symlink_to(outside)
    key = backup_key(tmp_path)
    done = _run("backup", "--data", data, "--to", tmp_path / "b", "--key-file", key)
    assert done.exit_code == 0, done.output
    restored = tmp_path / "restored"
    done = _run("restore", "--from", tmp_path / "b", "--data", restored, "--key-file", key,
                "--kek-file", data / "keys" / "kek")
    assert done.exit_code == 0, done.output
    assert not (restored / "audit" / "linked.txt").exists()
    assert not (restored / "linked.txt").exists()


@pytest.mark.parametrize("kind", ["file", "dangling-link"])
def test_a_restore_target_that_is_no_folder_is_refused(backed_up: tuple[Path, Path, Path],
                                                       tmp_path: Path, kind: str) -> None:
    """--data naming a file, or a link to nothing: a clear error, not NotADirectoryError,
    and the file or link is left as it was."""
    data, target, key = backed_up
    restored = tmp_path / "restored"
    if kind == "file":
        restored.write_text("not a folder")
        said = "is a file, not a folder"
    else:
        restored.symlink_to(tmp_path / "nowhere")
        said = "is a symbolic link to nothing"
    _refused(_run("restore", "--from", target, "--data", restored, "--key-file", key,
                  "--kek-file", data / "keys" / "kek"), said)
    assert restored.is_symlink() or restored.read_text() == "not a folder"
    assert not (tmp_path / "nowhere").exists()


def test_a_backup_naming_an_unreachable_nats_ends_with_an_error(tmp_path: Path) -> None:
    """--nats at a port nothing listens on: the backup retried it forever (nats-py's
    max_reconnect_attempts=0), printing a traceback per attempt. Now a clear error, soon,
    and no half-written backup left."""
    data = tmp_path / "north"
    region_folder(data, rounds=1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    _refused(_run("backup", "--data", data, "--to", tmp_path / "b", "--key-file",
                  backup_key(tmp_path), "--nats", f"nats://127.0.0.1:{port}"),
             f"NATS at nats://127.0.0.1:{port} is not reachable")
    assert time.monotonic() - started < 30
    assert not (tmp_path / "b").exists()
