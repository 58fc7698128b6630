"""Checkpoint gossip: regions exchange signed audit checkpoints and judge each other's.

Each region publishes its checkpoints to its peers and checks every peer's new
one against the last it holds (:mod:`.held_checkpoints`, :mod:`.judgement`);
when a peer's history was rewritten, forked or forged it records an audit alarm
(:mod:`.alarms`, ``AuditAlarmRaised``). The NATS subjects and wire messages it
uses belong to the peers adapter (:mod:`hub.adapters.peers`).
"""

from hub.service_layer.federation.gossip.alarms import AuditAlarms
from hub.service_layer.federation.gossip.checkpoint_gossip import CheckpointGossip

__all__ = ["AuditAlarms", "CheckpointGossip"]
