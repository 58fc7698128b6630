"""Durable asynchronous ingest: departments submit records, the hub records and attests them.

A department publishes each record in its native format (SOAP through its
declarative mapping, or JSON) to ``hub.<region>.ingest.<department>.<contract>``
(:class:`~hub.service_layer.ingest.client.IngestClient`). Worker processes
(started by :mod:`hub.bootstrap.ingest`) pull batches from the shared durable consumer and
run :class:`~hub.service_layer.ingest.pipeline.IngestPipeline`: decode → validate → map →
contract → sign → record (``Record`` Issued + Attested, one transaction per
batch) → announce on ``hub.<region>.records.*`` → ack. Bad submissions are
recorded as ``RejectedSubmission`` and announced; they never hold up the batch.
"""

from hub.service_layer.ingest.client import IngestClient, SubmissionReceipt
from hub.service_layer.ingest.sources import IngestSource, load_ingest_sources

__all__ = [
    "IngestClient",
    "IngestSource",
    "SubmissionReceipt",
    "load_ingest_sources",
]
