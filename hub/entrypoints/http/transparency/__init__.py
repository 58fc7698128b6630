"""``/transparency``: the published figures of one-stop cases, public and unauthenticated.

- ``GET /transparency`` — the page: per case type and per service the promised time
  limit, volume, completion and on-time rates, median and 90th-percentile duration, cases
  open past their limit, and a chart per case type of the cases submitted and completed
  each month (inline SVG drawn here, no script);
- ``GET /transparency/data.json`` and ``/transparency/data.csv`` — the same figures as
  open data.

The figures come from the counts the cases read model keeps as cases change
(:meth:`CaseBoard.figures`, caught up on each request: what the ledger recorded since,
never a scan of history nor of every case) and carry no personal data; small counts are
suppressed (``hub.service_layer.cases.figures``).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.templating import Jinja2Templates

from hub.entrypoints.http.console.charts import Line, legend, line_chart
from hub.service_layer.cases.case_type import CaseType
from hub.service_layer.cases.engine import Clock
from hub.service_layer.cases.figures import (
    COLUMNS,
    THRESHOLD,
    Figures,
    published_months,
    published_rows,
)

HERE = Path(__file__).resolve().parent
FiguresAt = Callable[[Mapping[str, str], Mapping[str, str], dt.datetime, int], Figures]
"""The figures' counts at a moment: (case limits, service limits, now, threshold)."""
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=60",
    "Access-Control-Allow-Origin": "*",  # open data: any site may read it
}


def limits_of(case_types: Mapping[str, CaseType]) -> tuple[dict[str, str], dict[str, str]]:
    """The promised time limit of each case type and of each step's service."""
    cases = {name: str(kind.time_limit) for name, kind in case_types.items()}
    services = {str(step.service): str(step.time_limit)
                for kind in case_types.values() for step in kind.steps}
    return cases, services


class Transparency:
    """The figures of one region's cases, as page, JSON and CSV."""

    def __init__(self, counted: FiguresAt, case_types: Mapping[str, CaseType], clock: Clock,
                 region: str, *, threshold: int = THRESHOLD) -> None:
        self.counted = counted  # e.g. CaseBoard.figures
        self.case_limits, self.service_limits = limits_of(case_types)
        self.clock = clock
        self.region = region
        self.threshold = threshold
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    def figures(self) -> Figures:
        return self.counted(self.case_limits, self.service_limits, self.clock(),
                            self.threshold)

    def as_json(self, figures: Figures) -> bytes:
        return json.dumps({"region": self.region, "threshold": figures.threshold,
                           "suppressed_as": f"< {figures.threshold}",
                           "figures": published_rows(figures),
                           "monthly": published_months(figures)}, indent=1).encode()

    @staticmethod
    def as_csv(figures: Figures) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in published_rows(figures):
            writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
        return out.getvalue().encode()

    def charts(self, figures: Figures) -> list[dict[str, str | list[dict[str, str | int]]]]:
        charts: list[dict[str, str | list[dict[str, str | int]]]] = []
        for name, months in published_months(figures).items():
            labels = [str(m["month"]) for m in months]
            lines = [Line(label, [v if isinstance(v, int) else None
                                  for v in (m[key] for m in months)])
                     for label, key in (("Submitted", "submitted"), ("Completed", "completed"))]
            svg = line_chart(f"{name} cases per month",
                             f"Cases of type {name} submitted and completed each month, "
                             f"{labels[0]} to {labels[-1]}; months with fewer than "
                             f"{figures.threshold} are left out.", labels, lines, unit="cases")
            charts.append({"name": name, "svg": svg, "legend": legend(lines), "months": months})
        return charts


def transparency_router(transparency: Transparency) -> APIRouter:
    router = APIRouter(tags=["transparency"])

    async def compute() -> Figures:
        return await asyncio.to_thread(transparency.figures)

    @router.get("/transparency", include_in_schema=False)
    async def page(request: Request) -> Response:
        figures = await compute()
        rows = published_rows(figures)
        response = transparency.templates.TemplateResponse(request, "transparency.html", {
            "region": transparency.region, "threshold": figures.threshold,
            "case_types": [r for r in rows if r["kind"] == "case type"],
            "services": [r for r in rows if r["kind"] == "service"],
            "charts": transparency.charts(figures)})
        response.headers.update(HEADERS)
        return response

    @router.get("/transparency/style.css", include_in_schema=False)
    async def style() -> Response:
        return Response((HERE / "transparency.css").read_bytes(), media_type="text/css",
                        headers=HEADERS)

    @router.get("/transparency/data.json", summary="The published figures of cases (JSON)")
    async def data_json() -> Response:
        return Response(transparency.as_json(await compute()), media_type="application/json",
                        headers=HEADERS)

    @router.get("/transparency/data.csv", summary="The published figures of cases (CSV)")
    async def data_csv() -> Response:
        return Response(Transparency.as_csv(await compute()), media_type="text/csv",
                        headers={**HEADERS, "Content-Disposition":
                                 'inline; filename="cases-figures.csv"'})

    return router


__all__ = ["Transparency", "limits_of", "transparency_router"]
