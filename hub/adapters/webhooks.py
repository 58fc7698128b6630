"""Signed webhook deliveries: a JSON POST with an HMAC-SHA256 signature, retried with
backoff, bounded in attempts and time.

The receiver checks ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 under the
shared secret of ``<X-Hub-Timestamp>.<body>`` (the timestamp, Unix seconds, is signed so
an old delivery cannot be replayed later as new), and answers 2xx. Anything else (another
status, no answer within the timeout, a refused connection) is tried again after
``backoff_s`` doubling each time, at most ``attempts`` times in all.
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


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


@dataclass(frozen=True)
class Delivery:
    """How a delivery went: delivered or not, after how many attempts, the last problem."""

    delivered: bool
    attempts: int
    problem: str = ""


class WebhookSender:
    """POSTs signed JSON bodies, retrying with exponential backoff (bounded)."""

    def __init__(self, *, attempts: int = 5, backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 timeout_s: float = 10.0) -> None:
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def post(self, url: str, secret: str, body: bytes, *, event: str = "") -> Delivery:
        """Deliver ``body`` to ``url``; the ``Delivery`` says how it went."""
        problem = ""
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                       SIGNATURE_HEADER: signature(secret, timestamp, body),
                       "X-Hub-Event": event, "X-Hub-Attempt": str(attempt)}
            try:
                answer = await self._client.post(url, content=body, headers=headers)
                if 200 <= answer.status_code < 300:
                    return Delivery(True, attempt)
                problem = f"answered {answer.status_code}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < self.attempts:
                await asyncio.sleep(min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s))
        return Delivery(False, self.attempts, problem)

    async def aclose(self) -> None:
        await self._client.aclose()
