"""CPU per call of each translation one P1 query goes through, in microseconds.

``python -m simulations.bench.translation_steps`` prints, for the four
contribution-history questions of the query benchmark:

- ingress decode: the client's contract SOAP (``ContributionHistoryQuery``) through
  :func:`parse_envelope` and the hub's :class:`ContractXmlCodec`;
- provider request: the mapping encoding the query as the bureau's
  ``GetInsuranceRecordRequest``, wrapped in an envelope, as
  :meth:`SoapMappingProvider.call` does before it posts;
- provider response: the bureau's real answer (its app, called in-process)
  through :meth:`SoapMappingProvider.decode_response`;
- ingress reply: the history encoded by the codec and wrapped for the client.

Each figure is the least CPU time (``time.process_time``) per call over many
batches of about a millisecond, averaged over the four questions: CPU time,
unlike wall time, moves little when other processes share the machine, and the
least batch is the one the scheduler disturbed least. Nothing is sent over a
network; the provider's HTTP client is made but never used.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from lxml import etree

from contracts import Contract
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from simulations.departments import SOCIAL_SECURITY_MAPPING
from simulations.social_security_bureau import create_app
from simulations.social_security_bureau.app import ENDPOINT_PATH
from simulations.traffic.mix import HISTORY_QUESTIONS, bureau_history_soap, hub_history_soap
from translation.contract_xml import ContractXmlCodec
from translation.mapping import load_mapping
from translation.mapping.soap_provider import SoapMappingProvider
from translation.provider_http import ProviderHttp
from translation.soap_envelope import build_envelope, parse_envelope
from translation.xml_safety import XmlLimits

ROUNDS = 300
BATCH_S = 0.001


def steps() -> dict[str, tuple[Callable[[Any], Any], Sequence[Any]]]:
    """Each step's function and the four inputs it is timed on."""
    mapping = load_mapping(SOCIAL_SECURITY_MAPPING)
    answers = asyncio.run(_bureau_answers())
    provider = SoapMappingProvider(mapping, "http://127.0.0.1:9/unused", ProviderHttp(), 10.0,
                                   XmlLimits())
    codec = ContractXmlCodec([ContributionHistory, ContributionHistoryQuery])
    ingress = [hub_history_soap(*question) for question in HISTORY_QUESTIONS]
    queries = [codec.decode(parse_envelope(message).body) for message in ingress]
    replies = [provider.decode_response(200, answer) for answer in answers]
    correlation = etree.Element("{urn:interop-hub:soap:1}correlationId")
    correlation.text = "bench"

    def request(query: Contract) -> bytes:
        body = mapping.request.encode(query)
        assert isinstance(body, etree._Element)  # the SOAP mapping encodes to an element
        return build_envelope(body)

    return {
        "ingress decode (parse_envelope + codec.decode)": (
            lambda message: codec.decode(parse_envelope(message).body), ingress),
        "provider request (mapping encode + envelope)": (request, queries),
        "provider response (decode_response)": (
            lambda answer: provider.decode_response(200, answer), answers),
        "ingress reply (codec.encode + envelope)": (
            lambda reply: build_envelope(codec.encode(reply), [correlation]), replies),
    }


async def _bureau_answers() -> list[bytes]:
    """The bureau's answers to the four questions, from its app called in-process."""
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bureau") as bureau:
        return [(await bureau.post(ENDPOINT_PATH, content=bureau_history_soap(*question),
                                   headers={"Content-Type": "text/xml",
                                            "SOAPAction": '"GetInsuranceRecord"'})).content
                for question in HISTORY_QUESTIONS]


def cpu_us(call: Callable[[], Any], rounds: int = ROUNDS) -> float:
    """The least CPU microseconds per call over ``rounds`` batches of about ``BATCH_S``."""
    started, calls = time.process_time(), 0
    while time.process_time() - started < 0.01:
        call()
        calls += 1
    batch = max(1, round(calls * BATCH_S / 0.01))
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(batch):
            call()
        best = min(best, (time.process_time() - started) / batch)
    return best * 1e6


def main() -> None:
    total = 0.0
    for name, (step, inputs) in steps().items():
        micros = sum(cpu_us(functools.partial(step, item)) for item in inputs) / len(inputs)
        total += micros
        print(f"{name:48s} {micros:7.1f} µs")
    print(f"{'total':48s} {total:7.1f} µs")


if __name__ == "__main__":
    main()
