"""Command-line options that read the projections: ``exchanges list`` filters and ``--as-of``.

Kept apart from :mod:`hub.entrypoints.cli.projections` so that ``cli`` can import
them at the top without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from hub.adapters.projections import ExchangeQuery, InvalidQueryError
from hub.adapters.projections.exchange_index import OUTCOMES

ServiceFilter = Annotated[
    str | None,
    typer.Option(
        "--service", help="region/department/service, department/service, or a service name"
    ),
]
DepartmentFilter = Annotated[
    str | None,
    typer.Option("--department", help="The provider department (department or region/department)"),
]
ContractFilter = Annotated[
    str | None, typer.Option("--contract", help="Request contract, e.g. tax.clearance-query@1.0")
]
OutcomeFilter = Annotated[
    str | None,
    typer.Option(
        "--outcome", help=f"One of: {', '.join(OUTCOMES)} (failed includes dead-lettered)"
    ),
]
SinceFilter = Annotated[
    str | None, typer.Option("--since", help="Received at or after (ISO 8601; UTC if no offset)")
]
UntilFilter = Annotated[
    str | None, typer.Option("--until", help="Received at or before (ISO 8601; UTC if no offset)")
]
CorrelationFilter = Annotated[
    str | None, typer.Option("--correlation-id", help="The correlation id carried end to end")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Read the historical view built by `interop-hub replay --until` for this moment",
    ),
]


def parse_moment(text: str, option: str) -> dt.datetime:
    """An ISO 8601 date or date-time; one without an offset is taken as UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 date-time (e.g. 2026-03-31T23:59:59Z)",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def exchange_query(
    service: str | None = None,
    department: str | None = None,
    contract: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    until: str | None = None,
    correlation_id: str | None = None,
) -> ExchangeQuery:
    """The index query for the command's filters (errors name the option)."""
    try:
        return ExchangeQuery(
            service=service,
            department=department,
            contract=contract,
            outcome=outcome,
            since=parse_moment(since, "--since") if since else None,
            until=parse_moment(until, "--until") if until else None,
            correlation_id=correlation_id,
        )
    except InvalidQueryError as exc:
        raise typer.BadParameter(exc.message) from None
