"""A stand-in for a country's eID identity provider: it signs OIDC-style ID tokens.

A region trusts it by its JWKS file (``HUB_CITIZEN_ISSUERS``). Tests and the README use
it to mint the tokens a portal would receive after an eID login::

    python -m simulations.identity_provider keys --dir idp
    python -m simulations.identity_provider token 19800101-1234 --dir idp > person.jwt

``keys`` writes ``idp/jwks.json`` (public, for the hub) and ``idp/signing-key.json``
(private, mode 0600); it refuses to replace a key already there unless given ``--force``
(a replaced key silently invalidates every JWKS a region was configured with, and every
token still held). ``token`` prints one fresh single-use token (a new ``jti`` each time;
``--nonce`` sets the OIDC ``nonce`` a portal put in its authentication request).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

DEFAULT_ISSUER = "https://eid.example.test"
DEFAULT_AUDIENCE = "urn:interop-hub:north:citizen"
DEFAULT_PORTAL = "citizen-portal"


@dataclass
class IdentityProvider:
    """An issuer with one P-256 signing key (ES256)."""

    issuer: str
    key: ECKey

    @classmethod
    def generate(cls, issuer: str = DEFAULT_ISSUER, kid: str | None = None) -> IdentityProvider:
        return cls(issuer, ECKey.generate_key("P-256", parameters={
            "kid": kid or uuid.uuid4().hex[:16], "use": "sig", "alg": "ES256"}))

    def jwks(self) -> dict[str, Any]:
        """The public key set a region is configured with."""
        return {"keys": [self.key.as_dict(private=False)]}

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks(), indent=2), encoding="utf-8")
        return path

    def token(self, national_id: str, /, *, audience: str = DEFAULT_AUDIENCE,
              portal: str = DEFAULT_PORTAL, lifetime_s: int = 300, id_claim: str = "national_id",
              now: float | None = None, header: dict[str, Any] | None = None,
              **claims: Any) -> str:
        """A signed ID token for ``national_id``; ``claims`` add or override (None drops)."""
        issued = int(time.time() if now is None else now)
        body: dict[str, Any] = {
            "iss": self.issuer, "sub": uuid.uuid4().hex, "aud": audience, "azp": portal,
            "iat": issued, "exp": issued + lifetime_s, "jti": uuid.uuid4().hex,
            id_claim: national_id, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode({"alg": "ES256", "kid": self.key.kid, **(header or {})}, body,
                          self.key, algorithms=["ES256"])


def _keys(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / "signing-key.json"
    existing = [p for p in (private, folder / "jwks.json") if p.exists()]
    if existing and not args.force:
        sys.exit(f"error: {', '.join(str(p) for p in existing)} already exist(s); a new key "
                 "would invalidate the JWKS regions trust and the tokens issued: pass --force "
                 "to replace it")
    provider = IdentityProvider.generate(args.issuer)
    private.touch(mode=0o600)
    os.chmod(private, 0o600)
    private.write_text(json.dumps({"issuer": provider.issuer,
                                   "key": provider.key.as_dict(private=True)}),
                       encoding="utf-8")
    print(provider.write_jwks(folder / "jwks.json"))


def _token(args: argparse.Namespace) -> None:
    saved = json.loads((Path(args.dir) / "signing-key.json").read_text(encoding="utf-8"))
    provider = IdentityProvider(saved["issuer"], ECKey.import_key(saved["key"]))
    print(provider.token(args.national_id, audience=args.audience, portal=args.portal,
                         lifetime_s=args.lifetime, nonce=args.nonce))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulations.identity_provider",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(required=True)
    keys = sub.add_parser("keys", help="make a signing key; write jwks.json for the hub")
    keys.add_argument("--dir", required=True)
    keys.add_argument("--issuer", default=DEFAULT_ISSUER)
    keys.add_argument("--force", action="store_true",
                      help="replace a signing key already in --dir")
    keys.set_defaults(run=_keys)
    token = sub.add_parser("token", help="print a fresh ID token for a national id")
    token.add_argument("national_id")
    token.add_argument("--dir", required=True)
    token.add_argument("--audience", default=DEFAULT_AUDIENCE)
    token.add_argument("--portal", default=DEFAULT_PORTAL)
    token.add_argument("--lifetime", type=int, default=300, help="seconds (default 300)")
    token.add_argument("--nonce", default=None,
                       help="the nonce claim (the portal's authentication request's nonce)")
    token.set_defaults(run=_token)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
