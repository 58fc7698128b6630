"""Citizens' ID tokens: trusted identity providers, verification, the replay cache.

- :mod:`hub.adapters.id_tokens.issuers`: the trusted issuers' JWKS, read from files;
- :mod:`hub.adapters.id_tokens.verifier`: every check an ID token passes (joserfc);
- :mod:`hub.adapters.id_tokens.replay`: token ids seen, bounded and pruned by expiry;
- :mod:`hub.adapters.id_tokens.errors`: one error class and code per refusal.
"""
