"""Start the emulated departments of one region and describe their services to the hub."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from contracts.identity import ServiceId
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from contracts.tax import TaxClearance, TaxClearanceQuery
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.decision import AccessPolicy
from hub.service_layer.security.purposes import Purpose
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app

# The declarative mappings that translate for the two emulated departments.
MAPPINGS = Path(__file__).resolve().parent / "mappings"
SOCIAL_SECURITY_MAPPING = MAPPINGS / "social-security.contribution-history.toml"
TAX_MAPPING = MAPPINGS / "tax.tax-clearance.toml"


# Each purpose states how long what the hub stores for it is kept (hub.domain.retention).
# The purpose every demo service declares with all its fields on a legal basis: what
# the scenario and the tests ask for when minimisation is not what they look at.
CASE_PURPOSE = "benefit-eligibility"

CONTRIBUTION_HISTORY_PURPOSES = (
    Purpose(CASE_PURPOSE, ("person", "periods", "as_of"),
            legal_basis="Social Security Act s. 12: assessing a benefit claim", retention="P5Y"),
    # The tax office checks declared income: employers and bases, not the person's name.
    Purpose("tax-assessment",
            ("person.national_id", "periods.employer_id", "periods.contribution_base",
             "periods.currency", "as_of"),
            legal_basis="Tax Procedure Act s. 5: verifying declared income", retention="P7Y"),
    # Only with the citizen's consent: periods and bases, for a loan or a lease.
    Purpose("income-verification",
            ("person.national_id", "periods.start", "periods.end",
             "periods.contribution_base", "periods.currency", "as_of"),
            consent=True, retention="P1Y"),
)
TAX_CLEARANCE_PURPOSES = (
    Purpose(CASE_PURPOSE,
            ("national_id", "tax_year", "status", "outstanding_amount", "currency", "issued_on"),
            legal_basis="Social Security Act s. 14: means test", retention="P5Y"),
    Purpose("licence-renewal", ("national_id", "tax_year", "status"), consent=True,
            retention="P2Y"),
)


@dataclass(frozen=True)
class DepartmentEndpoints:
    """Where the emulated legacy systems listen."""

    social_security_wsdl: str
    tax_base_url: str


async def start_departments(stack: contextlib.AsyncExitStack) -> DepartmentEndpoints:
    """Serve the SOAP social-security bureau and the JSON tax bureau until ``stack`` closes."""
    soap_base = await stack.enter_async_context(
        serve_asgi(social_security_app(), name="social-security")
    )
    tax_base = await stack.enter_async_context(serve_asgi(tax_app(), name="tax"))
    return DepartmentEndpoints(f"{soap_base}/ws/insurance?wsdl", tax_base)


def demo_rights(
    region: str, peers: Iterable[str] = ()
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(client, service, purposes): what the demo departments may ask of ``region``.

    The tax office may read contribution histories for every purpose the service
    declares; social security may check tax clearance for benefit claims only,
    so a licence-renewal query from it is refused (purpose not granted). The same
    departments of the ``peers`` regions get the same rights.
    """
    history = tuple(p.name for p in CONTRIBUTION_HISTORY_PURPOSES)
    rights = []
    for asking in (region, *peers):
        rights += [
            (f"{asking}/tax", f"{region}/social-security/contribution-history", history),
            (f"{asking}/social-security", f"{region}/tax/tax-clearance", (CASE_PURPOSE,)),
        ]
    return rights


def grant_demo_rights(policy: AccessPolicy, region: str, peers: Iterable[str] = ()) -> None:
    """Grant :func:`demo_rights` through the hub's access service (recorded as events)."""
    for client, service, purposes in demo_rights(region, peers):
        policy.rights.grant(client, service, purposes, by="demo")


def region_services(region: str, endpoints: DepartmentEndpoints) -> list[ServiceDefinition]:
    """The two services the demo region offers."""
    return [
        ServiceDefinition(
            id=ServiceId(region, "social-security", "contribution-history"),
            request=ContributionHistoryQuery,
            response=ContributionHistory,
            operation="ContributionHistory",
            adapter="soap-mapping",
            endpoint=endpoints.social_security_wsdl,
            mapping=str(SOCIAL_SECURITY_MAPPING),
            description="Insured periods and contribution bases of a citizen",
            time_limit_s=2.0,
            purposes=CONTRIBUTION_HISTORY_PURPOSES,
        ),
        ServiceDefinition(
            id=ServiceId(region, "tax", "tax-clearance"),
            request=TaxClearanceQuery,
            response=TaxClearance,
            operation="TaxClearance",
            adapter="json-mapping",
            endpoint=endpoints.tax_base_url,
            mapping=str(TAX_MAPPING),
            description="Whether a taxpayer has settled a tax year",
            time_limit_s=2.0,
            purposes=TAX_CLEARANCE_PURPOSES,
        ),
    ]
