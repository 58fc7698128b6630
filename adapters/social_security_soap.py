"""Provider adapter for the Social Security Bureau's legacy SOAP 1.1 service (zeep).

The bureau speaks its own dialect (``PersNo``, ``DD.MM.YYYY`` dates, ``00.00.0000``
for an open period, whole cents). The two pure functions :func:`query_to_legacy`
and :func:`legacy_to_history` hold the whole translation; the adapter class only
moves messages and translates zeep, lxml and httpx errors into ours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import httpx
import zeep
import zeep.exceptions
from lxml import etree
from zeep.helpers import serialize_object
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport

from adapters.errors import (
    MappingError,
    ProviderError,
    ProviderFault,
    ProviderResponseInvalid,
    ProviderUnavailable,
)
from contracts import Contract
from contracts.errors import ContractError, FieldIssue
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from contracts.validation import validate_contract

ROOT = "/GetInsuranceRecordResponse"
OPEN_END = "00.00.0000"
SERVICE_NAME = "InsuranceRecordService"
PORT_NAME = "InsuranceRecordPort"
OPERATION = "GetInsuranceRecord"
CORRELATION_HEADER = "X-Correlation-Id"

_HOLDER_ELEMENTS = {
    "national_id": "PersNo",
    "family_name": "Surname",
    "given_names": "Forenames",
    "date_of_birth": "BirthDt",
}
_PERIOD_ELEMENTS = {
    "employer_id": "EmplNo",
    "employer_name": "EmplName",
    "start": "BeginDt",
    "end": "EndDt",
    "contribution_base": "ContribBaseCents",
    "currency": "Curr",
}


# ---------------------------------------------------------------- pure mapping


def legacy_date(value: dt.date) -> str:
    """Format a date as the bureau writes it (``DD.MM.YYYY``)."""
    return value.strftime("%d.%m.%Y")


def query_to_legacy(query: ContributionHistoryQuery) -> dict[str, str]:
    """The ``GetInsuranceRecordRequest`` children for a contribution-history query."""
    return {
        "PersNo": query.national_id,
        "FromDt": legacy_date(query.period_start),
        "ToDt": legacy_date(query.period_end),
    }


def legacy_to_history(obj: Any) -> ContributionHistory:
    """Map a serialised ``GetInsuranceRecordResponse`` (plain dicts) onto the contract.

    Raises :class:`MappingError` whose issues name the legacy path (e.g.
    ``/GetInsuranceRecordResponse/Period[2]/BeginDt``) when the answer cannot
    be read, and :class:`ContractError` (issue paths also legacy) when the
    mapped data violates the contract.
    """
    issues: list[FieldIssue] = []
    if not isinstance(obj, Mapping):
        raise MappingError("empty or non-structured answer", issues=(
            FieldIssue(path=ROOT, reason="no response element", code="missing"),))
    data = {
        "person": _holder(obj.get("Holder"), issues),
        "periods": [
            _period(period, index, issues)
            for index, period in enumerate(_period_list(obj.get("Period"), issues), start=1)
        ],
        "as_of": _date(obj.get("ExtractDt"), f"{ROOT}/ExtractDt", "as_of", issues),
    }
    if issues:
        raise MappingError(f"{len(issues)} unreadable element(s) in the answer",
                           issues=tuple(issues))
    try:
        return validate_contract(ContributionHistory, data)
    except ContractError as exc:
        raise ContractError(exc.contract, "answer violates the contract", issues=tuple(
            FieldIssue(path=_legacy_path(i.field), reason=i.reason, code=i.code, field=i.field)
            for i in exc.issues
        )) from None


def _holder(holder: Any, issues: list[FieldIssue]) -> dict[str, Any]:
    path = f"{ROOT}/Holder"
    if not isinstance(holder, Mapping):
        issues.append(FieldIssue(path=path, reason="Holder is missing", code="missing",
                                 field="person"))
        return {}
    return {
        "national_id": holder.get("PersNo"),
        "family_name": holder.get("Surname"),
        "given_names": holder.get("Forenames"),
        "date_of_birth": _date(holder.get("BirthDt"), f"{path}/BirthDt",
                               "person.date_of_birth", issues),
    }


def _period_list(periods: Any, issues: list[FieldIssue]) -> list[Any]:
    if periods is None:
        return []
    if isinstance(periods, Mapping):  # a lenient serialiser may not wrap a single Period
        return [periods]
    if isinstance(periods, list):
        return periods
    issues.append(FieldIssue(path=f"{ROOT}/Period", reason="Period is not a sequence",
                             code="type", field="periods"))
    return []


def _period(period: Any, index: int, issues: list[FieldIssue]) -> dict[str, Any]:
    path, field = f"{ROOT}/Period[{index}]", f"periods.{index - 1}"
    if not isinstance(period, Mapping):
        issues.append(FieldIssue(path=path, reason="Period is empty", code="missing", field=field))
        return {}
    return {
        "employer_id": period.get("EmplNo"),
        "employer_name": period.get("EmplName"),
        "start": _date(period.get("BeginDt"), f"{path}/BeginDt", f"{field}.start", issues),
        "end": _date(period.get("EndDt"), f"{path}/EndDt", f"{field}.end", issues,
                     open_end=True),
        "contribution_base": _cents(period.get("ContribBaseCents"),
                                    f"{path}/ContribBaseCents", f"{field}.contribution_base",
                                    issues),
        "currency": period.get("Curr"),
    }


def _date(
    text: Any, path: str, field: str, issues: list[FieldIssue], *, open_end: bool = False
) -> dt.date | None:
    """Parse ``DD.MM.YYYY``; with ``open_end`` the sentinel ``00.00.0000`` means None."""
    if text is None:
        issues.append(FieldIssue(path=path, reason="date is missing", code="missing", field=field))
        return None
    if open_end and text == OPEN_END:
        return None
    try:
        return dt.datetime.strptime(str(text), "%d.%m.%Y").date()
    except ValueError:
        issues.append(FieldIssue(path=path, reason=f"{text!r} is not a DD.MM.YYYY date",
                                 code="malformed", field=field))
        return None


def _cents(value: Any, path: str, field: str, issues: list[FieldIssue]) -> Decimal | None:
    # bool is an int subclass; a boolean here is a structural error, not 0 or 1 cent.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value).scaleb(-2)  # exact, always two decimal places
    code = "missing" if value is None else "type"
    issues.append(FieldIssue(path=path, reason=f"{value!r} is not a whole number of cents",
                             code=code, field=field))
    return None


def _legacy_path(field: str | None) -> str:
    """The legacy element of a contract field: ``periods.1.start`` → ``Period[2]/BeginDt``."""
    parts = field.split(".") if field else []
    if len(parts) >= 2 and parts[0] == "person":
        return f"{ROOT}/Holder/{_HOLDER_ELEMENTS.get(parts[1], parts[1])}"
    if len(parts) >= 3 and parts[0] == "periods" and parts[1].isdigit():
        return f"{ROOT}/Period[{int(parts[1]) + 1}]/{_PERIOD_ELEMENTS.get(parts[2], parts[2])}"
    if parts == ["as_of"]:
        return f"{ROOT}/ExtractDt"
    return ROOT


# ---------------------------------------------------------------- error translation

# Why a context variable: zeep's per-call HTTP headers (``client.settings(...)``)
# live in a thread-local that concurrent coroutines on one loop would overwrite.
_correlation_id: ContextVar[str | None] = ContextVar("social_security_correlation_id",
                                                     default=None)


async def _add_correlation_header(request: httpx.Request) -> None:
    correlation_id = _correlation_id.get()
    if correlation_id is not None:
        request.headers[CORRELATION_HEADER] = correlation_id


_THIRD_PARTY = (httpx.HTTPError, zeep.exceptions.Error, etree.LxmlError, TimeoutError)


def _translate(exc: BaseException, doing: str) -> ProviderError:
    """Map one third-party exception met while ``doing`` something to our error tree."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return ProviderUnavailable(f"social-security bureau: timed out while {doing}")
    if isinstance(exc, httpx.HTTPError):
        return ProviderUnavailable(f"social-security bureau: cannot connect while {doing}: "
                                   f"{type(exc).__name__} {exc}")
    if isinstance(exc, zeep.exceptions.Fault):
        code = exc.code or "(no faultcode)"
        # Only soap:Server may be transient; Client, VersionMismatch and MustUnderstand
        # say our request is wrong, and sending it again cannot help.
        retryable = code.rpartition(":")[2] == "Server"
        return ProviderFault(f"social-security bureau fault {code}: {exc.message}",
                             retryable=retryable)
    if isinstance(exc, zeep.exceptions.TransportError):
        return _transport_error(exc, doing)
    message = exc.message if isinstance(exc, zeep.exceptions.Error) else str(exc)
    return ProviderResponseInvalid(
        f"social-security bureau: unreadable answer while {doing}: {message[:300]}",
        issues=(FieldIssue(path="$", reason=message[:300], code="malformed"),),
    )


def _transport_error(exc: zeep.exceptions.TransportError, doing: str) -> ProviderError:
    """zeep reports both HTTP error statuses and non-XML answers as TransportError."""
    status = exc.status_code
    if status >= 300:
        return ProviderFault(f"social-security bureau answered HTTP {status} while {doing}",
                             retryable=status >= 500 or status == 429)
    head = repr(exc.content[:60]) if isinstance(exc.content, bytes) else "no content"
    reason = f"answer with HTTP {status} is not well-formed XML (starts {head})"
    return ProviderResponseInvalid(f"social-security bureau: {reason} while {doing}",
                                   issues=(FieldIssue(path="$", reason=reason, code="malformed"),))


# ---------------------------------------------------------------- the adapter


class SocialSecuritySoapAdapter:
    """Calls ``GetInsuranceRecord`` and answers ``social-security.contribution-history``.

    Build it with :meth:`connect`; close it with :meth:`aclose` (or ``async with``).
    """

    request_contract = ContributionHistoryQuery
    response_contract = ContributionHistory

    def __init__(
        self, client: zeep.AsyncClient, service: AsyncServiceProxy, endpoint: str, timeout: float
    ) -> None:
        self._client = client
        self._service = service
        self._endpoint = endpoint
        self._timeout = timeout

    @classmethod
    async def connect(
        # The timeout configures the adapter's HTTP client for every later call too.
        cls, wsdl_url: str, *, timeout: float = 10.0  # noqa: ASYNC109
    ) -> SocialSecuritySoapAdapter:
        """Load the bureau's WSDL (hardened) and bind to its insurance-record port."""
        http = httpx.AsyncClient(timeout=timeout,
                                 event_hooks={"request": [_add_correlation_header]})
        try:
            # zeep loads and parses the WSDL synchronously: keep it off the event loop.
            client = await asyncio.to_thread(_load_wsdl, wsdl_url, http, timeout)
            service, endpoint = _bind(client)
        except BaseException as exc:
            await http.aclose()
            if isinstance(exc, _THIRD_PARTY):
                raise _translate(exc, f"loading the WSDL {wsdl_url}") from exc
            raise
        return cls(client, service, endpoint, timeout)

    @property
    def endpoint(self) -> str:
        """The SOAP endpoint address taken from the WSDL's ``soap:address``."""
        return self._endpoint

    async def call(self, request: Contract, *, correlation_id: str) -> ContributionHistory:
        """Ask the bureau for the query's periods; raises only :class:`ProviderError`."""
        if not isinstance(request, ContributionHistoryQuery):
            raise TypeError(f"expected ContributionHistoryQuery, got {type(request).__name__}")
        token = _correlation_id.set(correlation_id)
        try:
            async with asyncio.timeout(self._timeout):
                operation = getattr(self._service, OPERATION)
                result = await operation(**query_to_legacy(request))
        except _THIRD_PARTY as exc:
            raise _translate(exc, f"calling {OPERATION}") from exc
        finally:
            _correlation_id.reset(token)
        return _decode(serialize_object(result, dict), request)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.transport.aclose()

    async def __aenter__(self) -> SocialSecuritySoapAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _load_wsdl(wsdl_url: str, http: httpx.AsyncClient, timeout: float) -> zeep.AsyncClient:
    """Build the zeep client with hardened settings (blocking: run it in a thread)."""
    settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True,
                             forbid_external=True, xml_huge_tree=False)
    with httpx.Client(timeout=timeout) as wsdl_http:
        # The schema is inline, so nothing else is fetched once the client is built.
        transport = AsyncTransport(client=http, wsdl_client=wsdl_http)
        return zeep.AsyncClient(wsdl_url, transport=transport, settings=settings)


def _bind(client: zeep.AsyncClient) -> tuple[AsyncServiceProxy, str]:
    """The bureau's port and its address; a WSDL without them is an invalid answer."""
    try:
        service = client.bind(SERVICE_NAME, PORT_NAME)
        address = client.wsdl.services[SERVICE_NAME].ports[PORT_NAME].binding_options["address"]
        getattr(service, OPERATION)
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        raise ProviderResponseInvalid(
            f"social-security bureau WSDL does not describe {SERVICE_NAME}/{PORT_NAME}/"
            f"{OPERATION}: {exc}"
        ) from exc
    return service, address


def _decode(legacy: Any, query: ContributionHistoryQuery) -> ContributionHistory:
    try:
        history = legacy_to_history(legacy)
    except (MappingError, ContractError) as exc:
        raise ProviderResponseInvalid(
            f"social-security bureau answer does not map onto "
            f"{ContributionHistory.contract_id()}: {exc.message}",
            issues=exc.issues,
        ) from exc
    if history.person.national_id != query.national_id:
        raise ProviderResponseInvalid(
            "social-security bureau answered about another person",
            issues=(FieldIssue(path=f"{ROOT}/Holder/PersNo", reason="does not match the query",
                               code="mismatch", field="person.national_id"),),
        )
    return history
