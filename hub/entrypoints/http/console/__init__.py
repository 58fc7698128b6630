"""The operator console: web pages, the operator API and the queries behind both.

- :mod:`.queries` — what operators read and do (exchanges, metrics, audit, federation,
  reconciliation, data-use reports), shared by the pages and the API;
- :mod:`.pages` — server-rendered HTML under ``/console/`` (:mod:`.subject_page`: the
  data-use report form); :mod:`.api` — JSON under ``/api/`` (OpenAPI documented);
- :mod:`.auth` — the operator session behind a request (signed cookie, CSRF tokens);
- :mod:`.series` and :mod:`.charts` — metrics over time, drawn as accessible SVG;
- :mod:`.wiring` — builds it all for :mod:`hub.entrypoints.serve`.
"""
