"""The citizen's side: a person reads and controls their own data through a portal.

- :mod:`hub.service_layer.citizen.desk`: the use cases (read, revoke, sign in), each recorded;
- :mod:`hub.service_layer.citizen.views`: what is shown, always asked by subject reference;
- :mod:`hub.service_layer.citizen.errors`: refusals once the person is known.
"""
