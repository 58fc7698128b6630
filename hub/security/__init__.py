"""Security: who may use the hub, for what, and which fields they see.

- :mod:`hub.security.credentials`: departments' and operators' tokens (identity);

- :mod:`hub.security.purposes`: what each service declares per purpose;
- :mod:`hub.security.access`: the rights and consents, kept in the ledger, and
  the decision taken at ingress and again at delivery (answered from the
  in-memory read models of :mod:`hub.readmodels`);
- :mod:`hub.security.minimise`: the response filtered to the allowed fields;
- :mod:`hub.security.disclosure`: recording what was disclosed;
- :mod:`hub.security.report`: a citizen's data-use report, by replay.
"""
