"""Documents at rest: sealed per data subject, chunk by chunk, in the region's Object Store.

- :mod:`~hub.adapters.documents.sealing` — chunked AES-256-GCM, the chunk index and the
  final-chunk flag bound into each chunk's associated data;
- :mod:`~hub.adapters.documents.keys` — the one place that chooses a document's key;
- :mod:`~hub.adapters.documents.object_store` — the region's JetStream Object Store bucket,
  streamed both ways (no document sits whole in memory);
- :mod:`~hub.adapters.documents.sniffing` — the media type, from the bytes;
- :mod:`~hub.adapters.documents.pdf_scan` — JavaScript and embedded files in a PDF, found
  while the bytes stream past.
"""
