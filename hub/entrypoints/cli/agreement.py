"""``interop-hub agreement``: agreements between two regions, exchanged as signed files.

The offline exchange between two data folders (the online one over NATS reuses
the same :class:`~hub.service_layer.federation.FederationApp` methods)::

    north$ agreement propose --peer south --contracts C@1.0 --departments north/tax \\
               --until 2027-12-31 --out terms.jws             # Proposed, north signed
    south$ agreement accept terms.jws --out acceptance.jws    # proposal + south's signature
    north$ agreement accept --acceptance acceptance.jws [ID]  # Accepted: both signed
    either$ agreement suspend|resume|terminate ID --reason "..." --out notice.jws
    other$  agreement receive notice.jws
    either$ agreement list [--json]

IDs may be given as a unique prefix. Exit codes: 0 done; 2 the command could
not run (an error names why). Both regions must trust each other first
(``region card`` / ``region trust add``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.table import Table

from federation.canonical import instant
from federation.errors import AgreementNotFoundError, AgreementStateError
from federation.terms import read_notice, read_terms
from hub.bootstrap.federation import open_federation
from hub.domain.agreement import Agreement
from hub.entrypoints.cli import common as cli
from hub.entrypoints.cli.federation import (
    plain,
    read_statement,
    reported,
    settings_for,
    write_statement,
)
from hub.service_layer.federation.app import FederationApp

app = typer.Typer(help="Agreements between regions: propose, accept, suspend, list.",
                  no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--out", help="Write the signed statement to this file")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (sent to the peer, signed)")]
IdArgument = Annotated[str, typer.Argument(help="Agreement id, or a unique prefix of it")]


def parse_moment(text: str, *, end_of_day: bool) -> dt.datetime:
    """An RFC 3339 instant, or a date (``YYYY-MM-DD``: its start, or with ``end_of_day``
    the start of the next day, so ``--until 2027-12-31`` covers that whole day)."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return start + dt.timedelta(days=1) if end_of_day else start
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 "
                                 "instant") from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{text!r} has no time zone (add Z or an offset)")
    return moment


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


@app.command("propose")
def propose(
    peer: Annotated[str, typer.Option("--peer", help="The region to propose to")],
    contracts: Annotated[str, typer.Option(
        "--contracts", help="Contract versions in scope, comma-separated (name@M.m,...)")],
    departments: Annotated[str, typer.Option(
        "--departments", help="Issuing departments in scope, comma-separated (region/dept)")],
    until: Annotated[str, typer.Option(
        "--until", help="End of validity: a date (inclusive) or an RFC 3339 instant")],
    out: OutOption,
    data: cli.DataOption = None,
    valid_from: Annotated[str | None, typer.Option(
        "--from", help="Start of validity (default: now)")] = None,
) -> None:
    """Propose an agreement to a peer: records Proposed and writes the signed terms."""
    settings = settings_for(data)
    start = parse_moment(valid_from, end_of_day=False) if valid_from else None
    end = parse_moment(until, end_of_day=True)
    with reported(), open_federation(settings, create=False) as region:
        agreement_id, signed = region.app.propose_agreement(
            accepter=peer, contracts=_split(contracts), departments=_split(departments),
            valid_from=start or region.app.clock(), valid_until=end)
        write_statement(out, signed)
        agreement = region.app.get_agreement(agreement_id)
    plain(f"proposed agreement {agreement_id} to {peer}; signed terms written to {out}")
    _print_terms(agreement)
    plain(f"next, in {peer}'s data folder: interop-hub agreement accept {out} --out FILE")


@app.command("accept")
def accept(
    target: Annotated[str | None, typer.Argument(
        help="The peer's signed terms file; with --acceptance, the agreement id (optional)")]
    = None,
    acceptance: Annotated[Path | None, typer.Option(
        "--acceptance", help="Record the peer's signed acceptance from this file")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write this region's signed acceptance to this file")] = None,
    data: cli.DataOption = None,
) -> None:
    """Accept a peer's proposal (TERMS_FILE --out FILE), or record the peer's acceptance."""
    settings = settings_for(data)
    with reported(), open_federation(settings, create=False) as region:
        if acceptance is not None:
            agreement = _record_acceptance(region.app, read_statement(acceptance), target)
            plain(f"recorded {_other(agreement, region.app.region)}'s acceptance of "
                  f"agreement {agreement.id}: {agreement.status.value}")
            _print_terms(agreement)
            return
        if target is None or out is None:
            raise typer.BadParameter("give the peer's TERMS_FILE and --out FILE "
                                     "(or --acceptance FILE to record the peer's acceptance)")
        signed_terms = read_statement(Path(target))
        _, terms = read_terms(signed_terms)
        agreement_id = region.app.receive_proposal(signed_terms, from_region=terms.proposer)
        write_statement(out, region.app.accept_agreement(agreement_id))
        agreement = region.app.get_agreement(agreement_id)
    plain(f"accepted agreement {agreement_id} proposed by {terms.proposer}; "
          f"signed acceptance written to {out}")
    _print_terms(agreement)
    plain(f"next, in {terms.proposer}'s data folder: "
          f"interop-hub agreement accept --acceptance {out} {agreement_id}")


def _record_acceptance(app_: FederationApp, signed: str, expected: str | None) -> Agreement:
    _, terms = read_terms(signed)
    if expected is not None and resolve(app_, expected) != UUID(terms.agreement_id):
        raise AgreementStateError(expected, "record the acceptance",
                                  f"the acceptance is of agreement {terms.agreement_id}")
    return app_.record_acceptance(signed, from_region=_other_party(terms.regions,
                                                                   app_.region))


def _act(action: str, agreement: str, reason: str, out: Path, data: Path | None) -> None:
    settings = settings_for(data)
    with reported(), open_federation(settings, create=False) as region:
        agreement_id = resolve(region.app, agreement)
        notice = getattr(region.app, f"{action}_agreement")(agreement_id, reason)
        write_statement(out, notice)
        status = region.app.get_agreement(agreement_id).status.value
    plain(f"agreement {agreement_id}: {action} recorded ({status}); signed notice written to "
          f"{out}")
    plain(f"next, in the peer's data folder: interop-hub agreement receive {out}")


@app.command("suspend")
def suspend(agreement: IdArgument, reason: ReasonOption, out: OutOption,
            data: cli.DataOption = None) -> None:
    """Suspend an agreement on this region's behalf; writes the signed notice."""
    _act("suspend", agreement, reason, out, data)


@app.command("resume")
def resume(agreement: IdArgument, reason: ReasonOption, out: OutOption,
           data: cli.DataOption = None) -> None:
    """Lift this region's suspension; writes the signed notice."""
    _act("resume", agreement, reason, out, data)


@app.command("terminate")
def terminate(agreement: IdArgument, reason: ReasonOption, out: OutOption,
              data: cli.DataOption = None) -> None:
    """End an agreement; writes the signed notice."""
    _act("terminate", agreement, reason, out, data)


@app.command("receive")
def receive(
    notice_file: Annotated[Path, typer.Argument(help="The peer's signed notice")],
    data: cli.DataOption = None,
) -> None:
    """Apply a peer's signed suspend / resume / terminate notice."""
    settings = settings_for(data)
    with reported(), open_federation(settings, create=False) as region:
        signed = read_statement(notice_file)
        _, notice = read_notice(signed)
        agreement = region.app.receive_agreement_notice(signed, from_region=notice.region)
    plain(f"agreement {agreement.id}: {notice.region}'s {notice.action} recorded "
          f"({agreement.status.value}): {notice.reason}")


@app.command("list")
def list_agreements(
    data: cli.DataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Every agreement: id, parties, scope, validity, state, and who signed."""
    settings = settings_for(data)
    with reported(), open_federation(settings, create=False) as region:
        agreements = region.app.agreements()
    if as_json:
        for agreement in agreements:
            print(json.dumps(describe(agreement)))
        return
    table = Table(title=f"agreements of {region.region} in {settings.data}")
    for column in ("id", "parties", "scope (contracts; departments)", "valid", "state",
                   "signed by"):
        wraps = column.startswith("scope")
        table.add_column(column, no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")
    for agreement in agreements:
        row = describe(agreement)
        table.add_row(row["id"][:8], f"{row['proposer']} → {row['accepter']}",
                      "\n".join([*row["contracts"], *row["departments"]]),
                      f"{row['valid_from']}\n→ {row['valid_until']}", _state(row),
                      ", ".join(row["signed_by"]))
    cli.out.print(table)
    plain(f"{len(agreements)} agreement{'' if len(agreements) == 1 else 's'}")


def describe(agreement: Agreement) -> dict[str, Any]:
    """An agreement as ``list --json`` prints it."""
    terms = agreement.terms
    return {"id": str(agreement.id), "proposer": terms.proposer, "accepter": terms.accepter,
            "contracts": list(terms.contracts), "departments": list(terms.departments),
            "valid_from": instant(terms.valid_from), "valid_until": instant(terms.valid_until),
            "state": agreement.status.value, "signed_by": sorted(agreement.signatures),
            "suspended_by": sorted(agreement.suspended_by)}


def resolve(app_: FederationApp, text: str) -> UUID:
    """The agreement whose id is ``text`` or starts with it; AgreementNotFoundError if none
    (or several) match."""
    matches = [a.id for a in app_.agreements() if str(a.id).startswith(text.lower())]
    if len(matches) != 1:
        raise AgreementNotFoundError(text if not matches else f"{text} (ambiguous prefix)")
    return matches[0]


def _state(row: dict[str, Any]) -> str:
    if row["suspended_by"]:
        return f"{row['state']} (by {', '.join(row['suspended_by'])})"
    return str(row["state"])


def _print_terms(agreement: Agreement) -> None:
    row = describe(agreement)
    plain(f"  parties      {row['proposer']} → {row['accepter']}")
    plain(f"  contracts    {', '.join(row['contracts'])}")
    plain(f"  departments  {', '.join(row['departments'])}")
    plain(f"  valid        {row['valid_from']} → {row['valid_until']}")
    plain(f"  state        {_state(row)}; signed by {', '.join(row['signed_by'])}")


def _other(agreement: Agreement, region: str) -> str:
    return _other_party(agreement.terms.regions, region)


def _other_party(regions: tuple[str, str], region: str) -> str:
    return regions[1] if regions[0] == region else regions[0]
