"""Signed webhook deliveries: a JSON POST with an HMAC-SHA256 signature, retried with
backoff, bounded in attempts and time.

The receiver checks ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 under the
shared secret of ``<X-Hub-Timestamp>.<body>`` (the timestamp, Unix seconds, is signed so
an old delivery cannot be replayed later as new), and answers 2xx. Anything else (another
status, no answer within the timeout, a refused connection) is tried again after
``backoff_s`` doubling each time, at most ``attempts`` times in all. Every attempt of
one delivery carries the same ``X-Hub-Delivery`` id, chosen by the caller (the same again
when a delivery is sent anew after a restart), so the receiver can drop a duplicate.
A backoff ends early when the caller's ``stop`` is set: the delivery is then left
undelivered (``stopped``), for the caller to send again later.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
DELIVERY_HEADER = "X-Hub-Delivery"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


@dataclass(frozen=True)
class Delivery:
    """How a delivery went: delivered or not, after how many attempts, the last problem;
    ``stopped`` when the caller stopped it before its attempts ran out."""

    delivered: bool
    attempts: int
    problem: str = ""
    stopped: bool = False


class WebhookSender:
    """POSTs signed JSON bodies, retrying with exponential backoff (bounded)."""

    def __init__(self, *, attempts: int = 5, backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 timeout_s: float = 10.0) -> None:
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def post(self, url: str, secret: str, body: bytes, *, event: str, delivery_id: str,
                   stop: asyncio.Event) -> Delivery:
        """Deliver ``body`` to ``url``; the ``Delivery`` says how it went."""
        problem = ""
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                       SIGNATURE_HEADER: signature(secret, timestamp, body),
                       "X-Hub-Event": event, "X-Hub-Attempt": str(attempt),
                       DELIVERY_HEADER: delivery_id}
            try:
                answer = await self._client.post(url, content=body, headers=headers)
                if 200 <= answer.status_code < 300:
                    return Delivery(True, attempt)
                problem = f"answered {answer.status_code}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < self.attempts and await _stopped_within(
                    stop, min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)):
                return Delivery(False, attempt, problem, stopped=True)
        return Delivery(False, self.attempts, problem)

    async def aclose(self) -> None:
        await self._client.aclose()


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``, or less if ``stop`` is set; True when it was."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
