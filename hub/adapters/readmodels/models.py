"""The hub's in-memory read models for hot decisions, and how they stay current.

Authentication (:class:`CredentialModel`), access rights (:class:`RightsModel`)
and consents (:class:`ConsentModel`) are answered from memory; the NATS user
list is derived from the credentials. Purposes are not in the ledger: they are
declared with the services and loaded with them. All three models follow one
:class:`~hub.adapters.readmodels.tail.LedgerTail`, so a round reads each new event once.

How fresh they are (the revocation bounds):

- **The same process** (the same :class:`~hub.adapters.store.ledger.Ledger` instance):
every
  command that changes a credential, right or consent (issue, rotate, revoke,
  grant, expire) saves through the ledger and then calls :func:`refresh`,
  which catches the models up *before the command returns*. So a revocation
  made in the hub (console, API, a test's service object) refuses the very
  next request: the decision never waits for a poll. A token the models do not
  know yet makes the authenticator catch up once before it refuses (a token
  issued a moment ago by another process works at once).
- **Every other process** on the same store (another hub worker, the CLI)
  learns of it through :meth:`ReadModels.follower`: a round every
  :data:`POLL_S` (0.25 s), so a revocation holds everywhere within
  ``POLL_S`` plus one round's reading, well under the 1 s bound the hub states.

There is one set of models per ledger instance (:func:`models_of`), so every
service object built over a ledger sees the same, current state. The first
use catches up once from the start of the ledger; after that a round reads
only what was recorded since the last one (an idle round: one lookup of the
ledger's last position).
"""

from __future__ import annotations

import asyncio
import threading
import weakref

from hub.adapters.projections.follower import Follower
from hub.adapters.readmodels.access import RightsModel
from hub.adapters.readmodels.consents import ConsentModel
from hub.adapters.readmodels.credentials import CredentialModel
from hub.adapters.readmodels.legacy_logins import LegacyLoginModel
from hub.adapters.readmodels.tail import LedgerTail
from hub.adapters.store.ledger import Ledger

POLL_S = 0.25
"""A round of following at least this often: the bound on other processes' staleness."""


class ReadModels:
    """Credentials, rights and consents of one ledger, kept in memory."""

    def __init__(self, ledger: Ledger, *, batch: int = 1000) -> None:
        self.credentials = CredentialModel()
        self.rights = RightsModel()
        self.consents = ConsentModel()
        self.legacy_logins = LegacyLoginModel()  # WS-Security usernames, client certificates
        models = (self.credentials, self.rights, self.consents, self.legacy_logins)
        self._by_topic = {topic: model for model in models for topic in model.topics}
        self.tail = LedgerTail(ledger, self._by_topic, batch=batch)
        self._lock = threading.Lock()  # the follower's thread and commands' threads

    def catch_up(self) -> int:
        """Apply what the ledger recorded since the last round; returns notifications read."""
        with self._lock:
            return self.tail.read(self._apply)

    def follower(self, poll_s: float = POLL_S) -> Follower:
        """The loop that keeps these models current with other processes' writes."""

        async def step() -> int:
            return await asyncio.to_thread(self.catch_up)

        return Follower(step, poll_s=poll_s, name="read-models")

    def _apply(self, topic: str, event: object) -> None:
        self._by_topic[topic].apply(topic, event)


_MODELS: weakref.WeakKeyDictionary[Ledger, ReadModels] = weakref.WeakKeyDictionary()
_MODELS_LOCK = threading.Lock()


def models_of(ledger: Ledger) -> ReadModels:
    """The read models of ``ledger`` (made and caught up on first use; one per ledger)."""
    with _MODELS_LOCK:
        models = _MODELS.get(ledger)
        if models is not None:
            return models
        models = _MODELS[ledger] = ReadModels(ledger)
        models.catch_up()  # the one read of history; rounds after it read only what is new
    return models


def refresh(ledger: Ledger) -> None:
    """After a command saved: bring the ledger's models (if any use them yet) up to date."""
    with _MODELS_LOCK:
        models = _MODELS.get(ledger)
    if models is not None:
        models.catch_up()
