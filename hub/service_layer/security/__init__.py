"""Security: who may use the hub, for what, and which fields they see.

- :mod:`hub.service_layer.security.credentials`: departments' and operators' tokens (identity);

- :mod:`hub.service_layer.security.purposes`: what each service declares per purpose;
- :mod:`hub.service_layer.security.access`: the rights and consents, kept in the ledger, and
  the decision taken at ingress and again at delivery (answered from the
  in-memory read models of :mod:`hub.adapters.readmodels`);
- :mod:`hub.service_layer.security.minimise`: the response filtered to the allowed fields;
- :mod:`hub.service_layer.security.disclosure`: recording what was disclosed;
- :mod:`hub.service_layer.security.report`: a citizen's data-use report, by replay.
"""
