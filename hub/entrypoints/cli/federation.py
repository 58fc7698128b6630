"""What the federation command groups (``region``, ``agreement``, ``reconcile``) share.

Settings with quiet logging, errors as one line and exit code 2, plain output,
and signed statements read from and written to files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from contracts.errors import HubError
from federation.errors import StatementError
from federation.reasons import Reason
from hub.entrypoints.cli import common as cli
from hub.logs import configure_logging
from hub.settings import HubSettings

EXIT_CANNOT_RUN = 2


def settings_for(data: Path | None, **overrides: Any) -> HubSettings:
    """Settings for ``--data``; logging only warnings, since the command's output is the point."""
    settings = cli.load_settings(data, **overrides)
    level = "warning" if settings.log_format == "auto" else settings.log_level
    configure_logging(settings.log_format, level)
    return settings


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """Our errors become one readable line and exit code 2."""
    try:
        yield
    except HubError as exc:
        plain(f"error: {exc.message}")
        raise typer.Exit(EXIT_CANNOT_RUN) from None
    except OSError as exc:
        plain(f"error: {exc.filename or ''}: {exc.strerror}")
        raise typer.Exit(EXIT_CANNOT_RUN) from None


def plain(text: str) -> None:
    """Print without rich markup or highlighting (ids and digests stay as they are)."""
    cli.out.print(text, markup=False, highlight=False, soft_wrap=True)


def write_statement(path: Path, compact: str) -> None:
    """Write a signed statement (a JWS compact serialisation) to a file, one line."""
    path.write_text(compact + "\n", encoding="ascii")


def read_statement(path: Path) -> str:
    """Read a signed statement written by :func:`write_statement` (or by hand)."""
    try:
        return path.read_text(encoding="ascii").strip()
    except UnicodeDecodeError:
        raise StatementError(Reason.MALFORMED, f"{path} is not a signed statement "
                                               "(a JWS compact serialisation is ASCII)") from None
