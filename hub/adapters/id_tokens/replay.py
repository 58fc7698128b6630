"""The replay cache: token ids seen, each kept until its token expires.

Bounded: it never holds more than ``capacity`` ids. Expired ids are pruned
before each insertion (oldest expiry first, from a heap), so a full cache is one
full of tokens still valid; then a new token is refused (try again shortly)
rather than an old id forgotten, which would let that token be replayed.

The cache is per process and answers fast; the ledger backstops it across
processes (each accepted token's use is an aggregate whose id is derived from
its issuer and ``jti``, so a second acceptance cannot be saved).
"""

from __future__ import annotations

import heapq
import threading

from hub.adapters.id_tokens.errors import ReplayCacheFullError, TokenReplayedError


class ReplayCache:
    """Remembers ``(issuer, jti)`` until the token's expiry; refuses a second sighting."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def remember(self, issuer: str, token_id: str, expires_at: float, now: float) -> None:
        """Record the token as seen; raise if it was seen before and has not expired."""
        key = (issuer, token_id)
        with self._lock:
            self._prune(now)
            if key in self._expiry:
                raise TokenReplayedError(
                    f"this token (jti {token_id!r}) was already used; ask the identity "
                    "provider for a new one", claim="jti")
            if len(self._expiry) >= self._capacity:
                raise ReplayCacheFullError(
                    f"the hub holds {self._capacity} unexpired citizen tokens; try again "
                    "shortly")
            self._expiry[key] = expires_at
            heapq.heappush(self._heap, (expires_at, key))

    def _prune(self, now: float) -> None:
        while self._heap and self._heap[0][0] < now:
            _, key = heapq.heappop(self._heap)
            self._expiry.pop(key, None)
