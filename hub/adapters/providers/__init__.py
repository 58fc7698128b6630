"""How the hub proves who it is to the departments' services it calls (providers).

:mod:`hub.adapters.providers.auth_config` reads a service's ``[service.tls]`` and
``[service.auth]`` tables; :mod:`hub.adapters.providers.secrets` keeps the passwords
they name, sealed under the key-encryption key, and resolves a configuration
into the credentials a provider adapter sends.
"""
