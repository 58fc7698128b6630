"""``interop-hub replay`` and ``interop-hub metrics``: rebuild read models, print service metrics.

``replay`` drops and rebuilds projections from the ledger; ``replay --until T``
builds the state as of T into its own file (``DIR/as-of/``), leaving the live
read models alone (see :mod:`hub.adapters.projections.reading` for why), and
``metrics --as-of T`` / ``exchanges list --as-of T`` read it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from contracts import default_registry
from hub.adapters.projections import (
    NAMES,
    ProjectionRunner,
    ReadView,
    ServiceStats,
    UnknownProjectionError,
    ViewNotFoundError,
    build_as_of,
    build_projections,
    open_as_of,
    open_live,
    open_read_store,
)
from hub.adapters.projections.runner import PageCallback
from hub.adapters.store.ledger import Ledger

# ``cli`` imports this module while it loads (to register the commands); its names
# are only looked up when a command runs, by then it is complete.
from hub.entrypoints.cli import common as hub_cli
from hub.entrypoints.cli.exchange_filters import AsOfOption, parse_moment
from hub.service_layer.exchanges.routing import load_services, time_limits
from hub.settings import HubSettings

ProjectionOption = Annotated[
    list[str] | None,
    typer.Option("--projection", help=f"Only this projection (repeatable): {', '.join(NAMES)}"),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Rebuild the state as of this moment (ISO 8601) into DIR/as-of/, "
        "leaving the live read models as they are",
    ),
]


def replay(
    data: hub_cli.DataOption = None,
    projection: ProjectionOption = None,
    until: UntilOption = None,
) -> None:
    """Drop and rebuild projections from the ledger's history (or the state as of --until)."""
    settings = hub_cli.load_settings(data)
    moment = parse_moment(until, "--until") if until else None
    names = projection or list(NAMES)
    try:
        build_projections({}, names)  # refuse an unknown name before any work
    except UnknownProjectionError as exc:
        raise typer.BadParameter(exc.message, param_hint="--projection") from None
    ledger = hub_cli.open_ledger(settings)
    try:
        started = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task("replaying", total=ledger.recorder.max_notification_id() or 0)

            def advance(position: int, _read: int) -> None:
                progress.update(task, completed=position)

            read, where = _rebuild(ledger, settings, names, moment, advance)
            progress.update(task, completed=progress.tasks[0].total)
        elapsed = time.perf_counter() - started
        empty = _why_empty(ledger, moment) if moment is not None else ""
    finally:
        ledger.close()
    out = hub_cli.out
    rate = read / elapsed if elapsed > 0 else 0.0
    out.print(
        f"replayed {read} events into {', '.join(names)} in {elapsed:.1f} s "
        f"({rate:,.0f} events/s)",
        highlight=False,
    )
    if moment is None:
        out.print(f"read models: {where}", highlight=False)
        return
    if empty:
        out.print(empty, highlight=False)
    out.print(
        f"historical view as of {moment.isoformat()} written to {where}\n"
        "the live read models are unchanged; read the view with "
        f"`interop-hub metrics --as-of {until}` or `interop-hub exchanges list --as-of {until}`",
        highlight=False,
    )


def _why_empty(ledger: Ledger, moment: dt.datetime) -> str:
    """Why an as-of view is empty (the ledger starts after ``moment``), else ''."""
    first = ledger.notifications(1, 1)
    if not first:
        return "nothing replayed: the ledger holds no events yet"
    recorded = ledger.mapper.to_domain_event(first[0]).timestamp
    if recorded <= moment:
        return ""
    return (f"nothing replayed: the ledger's first event was recorded at "
            f"{recorded.isoformat(timespec='seconds')}, after {moment.isoformat()}, so the "
            "view as of then is empty; give --until a later moment")


def _rebuild(
    ledger: Ledger,
    settings: HubSettings,
    names: list[str],
    moment: dt.datetime | None,
    advance: PageCallback,
) -> tuple[int, str]:
    limits = _time_limits_in(settings.data)
    if moment is not None:
        path, read = build_as_of(
            ledger, settings.data, moment, limits, names=names, on_page=advance
        )
        return read, str(path)
    store = open_read_store(settings.store, settings.data)
    try:
        runner = ProjectionRunner(ledger, store, build_projections(limits, names))
        return runner.rebuild(on_page=advance), store.description
    finally:
        store.close()


def _time_limits_in(data_dir: Path) -> dict[str, float]:
    """Time limits from ``DIR/services.toml`` (as the hub's services were declared), if any."""
    path = data_dir / "services.toml"
    if not path.is_file():
        return {}
    return time_limits(load_services(path, default_registry()))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ledger positions"),
        TimeElapsedColumn(),
        console=hub_cli.out,
    )


def metrics(
    data: hub_cli.DataOption = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per service")] = False,
) -> None:
    """Print per-service metrics: volume, outcomes, latency, time-limit breaches."""
    settings = hub_cli.load_settings(data)
    view = open_read_view(settings, as_of)
    try:
        stats = view.metrics()
    finally:
        view.close()
    if as_json:
        for s in stats:
            print(json.dumps(_as_record(s)))
        return
    where = (
        f"as of {view.as_of.isoformat()} (historical view)" if view.as_of else f"in {settings.data}"
    )
    title = f"service metrics of region {settings.region} {where}"
    hub_cli.out.print(_metrics_table(stats, title, f"{settings.region}/"))
    hub_cli.out.print(
        "success = done / (volume - rejected); breaches (late/unanswered/overdue): "
        "done over the limit / failed / still open past it",
        highlight=False,
    )
    reasons = _reasons_table(stats, f"{settings.region}/")
    if reasons.row_count:
        hub_cli.out.print(reasons)


def open_read_view(settings: HubSettings, as_of: str | None) -> ReadView:
    """The live read models (caught up with the ledger first), or the as-of view ``as_of``."""
    if as_of:
        try:
            return open_as_of(settings.data, parse_moment(as_of, "--as-of"))
        except ViewNotFoundError as exc:
            raise typer.BadParameter(exc.message, param_hint="--as-of") from None
    ledger = hub_cli.open_ledger(settings)
    try:
        return open_live(ledger, settings.store, settings.data, _time_limits_in(settings.data))
    finally:
        ledger.close()


def _metrics_table(stats: list[ServiceStats], title: str, region_prefix: str) -> Table:
    table = Table(title=title)
    table.add_column("service", no_wrap=True)
    for column in ("volume", "done", "rejected", "failed", "open", "success",
                   "p50 ms", "p95 ms", "limit", "breaches"):  # fmt: skip
        table.add_column(column, justify="right", no_wrap=True)
    for s in stats:
        table.add_row(
            s.service.removeprefix(region_prefix),
            str(s.volume),
            str(s.completed),
            str(s.rejected),
            str(s.failed),
            str(s.pending),
            "-" if s.success_rate is None else f"{s.success_rate:.1%}",
            _ms(s.p50_ms),
            _ms(s.p95_ms),
            format_limit(s.limit_s),
            "-" if s.limit_s is None else f"{s.breaches} ({s.late}/{s.unanswered}/{s.overdue})",
        )
    return table


def _reasons_table(stats: list[ServiceStats], region_prefix: str) -> Table:
    table = Table(title="rejections by reason")
    table.add_column("service", no_wrap=True)
    table.add_column("reason")
    table.add_column("count", justify="right")
    for s in stats:
        for code, count in s.rejections.items():
            table.add_row(s.service.removeprefix(region_prefix), code, str(count))
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_limit(seconds: float | None) -> str:
    """A time limit as people state it: ``2 s``, ``15 min``, ``3 d``."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def _as_record(s: ServiceStats) -> dict[str, object]:
    return {
        "service": s.service,
        "provider": s.provider,
        "volume": s.volume,
        "completed": s.completed,
        "rejected": s.rejected,
        "failed": s.failed,
        "pending": s.pending,
        "success_rate": s.success_rate,
        "rejections": s.rejections,
        "p50_ms": s.p50_ms,
        "p95_ms": s.p95_ms,
        "limit_s": s.limit_s,
        "breaches": s.breaches,
        "late": s.late,
        "unanswered": s.unanswered,
        "overdue": s.overdue,
    }
