"""Fuzz: 10,000+ mutated or ill-scoped attestations, and not one of them is recognised."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Callable, Iterator

import pytest
import rfc8785
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey

from contracts import default_registry
from federation.attestation import ATTESTATION_TYP, Attestation, sign_attestation
from federation.fingerprints import registry_fingerprint
from federation.jws import sign_statement
from federation.keys import KeyRing, RegionKey
from federation.reasons import Outcome
from federation.trust import publish_region_card, read_region_card, trust_all
from hub.service_layer.federation import FederationApp

NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
KEYS_FROM = NOW - dt.timedelta(days=30)
TAX, PERSON = "tax.clearance@1.0", "person.identity@1.0"
SEED = 20260504
COUNTS = {"bit_flip": 5000, "re_encoding": 1500, "wrong_kid": 500, "unknown_kid": 500,
          "expired": 300, "key_not_valid": 300, "not_yet_valid": 100, "out_of_scope": 400,
          "agreement_not_accepted": 200, "suspended": 300, "replayed": 400,
          "alg_confusion": 400, "garbage": 300}

ESCAPED_T = b"\\u0074ax"  # "tax" with a needless JSON escape: same string, another spelling

Mutation = tuple[object, str]
"""What is presented (usually a string) and the region that presents it."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class World:
    """north and east issue; south receives. north/tax TAX accepted; east suspended."""

    def __init__(self) -> None:
        self.rings = {n: KeyRing.generate(n, now=KEYS_FROM) for n in ("north", "south", "east")}
        fingerprint = registry_fingerprint(default_registry())
        cards = [read_region_card(publish_region_card(r, fingerprint, now=NOW))
                 for r in self.rings.values()]
        trust = trust_all(cards, now=NOW)
        self.apps = {n: FederationApp(keys=r, trust=trust[n], registry=default_registry(),
                                      clock=lambda: NOW) for n, r in self.rings.items()}
        north, south, east = (self.apps[n] for n in ("north", "south", "east"))
        self._agree(north, south, [TAX], ["north/tax"])
        self._agree(north, south, [PERSON], ["north/population"], accept=False)
        suspended = self._agree(east, south, [TAX], ["east/tax"])
        south.suspend_agreement(suspended, "fuzzing")

    @staticmethod
    def _agree(proposer: FederationApp, accepter: FederationApp, contracts: list[str],
               departments: list[str], accept: bool = True) -> uuid.UUID:
        agreement_id, signed = proposer.propose_agreement(
            accepter=accepter.region, contracts=contracts, departments=departments,
            valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=365))
        accepter.receive_proposal(signed, from_region=proposer.region)
        if accept:
            accepter.accept_agreement(agreement_id)
        return agreement_id

    def attest(self, region: str = "north", department: str = "tax", contract: str = TAX,
               issued_at: dt.datetime = NOW - dt.timedelta(minutes=5),
               valid_until: dt.datetime | None = None, record_id: str | None = None) -> str:
        _, compact = sign_attestation(
            self.rings[region], department=department, record_id=record_id or str(uuid.uuid4()),
            contract=contract, subject="ds-" + "5" * 32, content_digest="sha256:" + "6" * 64,
            issued_at=issued_at, valid_until=valid_until)
        return compact

    def sign_raw(self, claims: dict[str, object], key: RegionKey) -> str:
        """Sign claims with a key directly, bypassing the ring's validity checks."""
        return sign_statement(claims, ATTESTATION_TYP, key)


def _bit_flips(world: World, rng: random.Random, n: int) -> Iterator[Mutation]:
    bases = [world.attest() for _ in range(50)]
    for i in range(n):
        text = bases[i % len(bases)]
        at = rng.randrange(len(text))
        flipped = chr(ord(text[at]) ^ (1 << rng.randrange(8)))
        yield text[:at] + flipped + text[at + 1:], "north"


def _re_encodings(world: World, rng: random.Random, n: int) -> Iterator[Mutation]:
    """Same content, other spellings: padding, base64, whitespace, JSON re-serialisations."""
    variants: list[Callable[[str, str, str], str]] = [
        lambda h, p, s: f"{h}=.{p}.{s}",
        lambda h, p, s: f"{h}.{p}==.{s}",
        lambda h, p, s: f"{h}.{p}.{s}==",
        lambda h, p, s: f"{h}.{base64.b64encode(_unb64(p)).decode()}.{s}",
        lambda h, p, s: f"{h}.{p}.{base64.b64encode(_unb64(s)).decode()}",
        lambda h, p, s: f" {h}.{p}.{s}",
        lambda h, p, s: f"{h}.{p}.{s}\n",
        lambda h, p, s: f"{h}.{p[:10]}\n{p[10:]}.{s}",
        lambda h, p, s: f"{h}.\t{p}.{s}",
        lambda h, p, s: f"{h}.{_b64(json.dumps(json.loads(_unb64(p)), indent=1).encode())}.{s}",
        lambda h, p, s: f"{h}.{_b64(_reordered(_unb64(p), rng))}.{s}",
        lambda h, p, s: f"{_b64(_reordered(_unb64(h), rng))}.{p}.{s}",
        lambda h, p, s: f"{h}.{_b64(_with_extra(_unb64(p)))}.{s}",
        lambda h, p, s: f"{_b64(_with_extra(_unb64(h)))}.{p}.{s}",
        lambda h, p, s: f"{h}.{_b64(_unb64(p).replace(b'tax', ESCAPED_T, 1))}.{s}",
        lambda h, p, s: f"{h}.{p}.{s}.{s}",
        lambda h, p, s: f"{h}..{s}",
    ]
    issuer_key = world.rings["north"].active
    for i in range(n):
        compact = world.attest()
        h, p, s = compact.split(".")
        if i % 10 == 9:
            # Re-signed by the issuer's own key, yet not canonical: still refused.
            claims = json.loads(_unb64(p))
            payload = _reordered(_unb64(p), rng) if i % 20 == 9 else _with_extra(_unb64(p))
            header = {"typ": ATTESTATION_TYP, "kid": issuer_key.kid, "alg": "Ed25519"}
            key = OKPKey.import_key(issuer_key.private)
            yield (joserfc_jws.serialize_compact(header, payload, key, algorithms=["Ed25519"])
                   if claims else compact), "north"
            continue
        yield variants[i % len(variants)](h, p, s), "north"


def _reordered(data: bytes, rng: random.Random) -> bytes:
    items = list(json.loads(data).items())
    while len(items) > 1:
        rng.shuffle(items)
        text = json.dumps(dict(items), separators=(",", ":")).encode()
        if text != rfc8785.dumps(dict(items)):
            return text
    return data + b" "


def _with_extra(data: bytes) -> bytes:
    return rfc8785.dumps({**json.loads(data), "aud": "south"})


def _wrong_kids(world: World, rng: random.Random, n: int, *, known: bool) -> Iterator[Mutation]:
    """Header and payload kid swapped for another region's key, or for no key at all."""
    for i in range(n):
        compact = world.attest()
        h, p, s = compact.split(".")
        kid = (world.rings[rng.choice(["south", "east"])].active.kid if known
               else _b64(rng.randbytes(32)))
        header = json.loads(_unb64(h))
        claims = json.loads(_unb64(p))
        header["kid"] = kid
        if i % 2:
            claims["kid"] = kid
        yield f"{_b64(rfc8785.dumps(header))}.{_b64(rfc8785.dumps(claims))}.{s}", "north"


def _badly_timed(world: World, kind: str, n: int) -> Iterator[Mutation]:
    key = world.rings["north"].active
    for i in range(n):
        if kind == "expired":
            issued = NOW - dt.timedelta(days=20, minutes=i)
            yield world.attest(issued_at=issued, valid_until=issued + dt.timedelta(days=1)), "north"
            continue
        issued = (KEYS_FROM - dt.timedelta(days=1, minutes=i) if kind == "key_not_valid"
                  else NOW + dt.timedelta(hours=1, minutes=i))
        attestation = Attestation("north", "tax", str(uuid.uuid4()), TAX, "ds-" + "5" * 32,
                                  "sha256:" + "6" * 64, issued, issued + dt.timedelta(days=60),
                                  key.kid)
        yield world.sign_raw(attestation.claims(), key), "north"


def _unagreed(world: World, kind: str, n: int) -> Iterator[Mutation]:
    for i in range(n):
        if kind == "out_of_scope":
            if i % 2:
                yield world.attest(department="customs"), "north"
            else:
                yield world.attest(department="tax", contract="tax.clearance-query@1.0"), "north"
        elif kind == "agreement_not_accepted":
            yield world.attest(department="population", contract=PERSON), "north"
        else:
            yield world.attest(region="east"), "east"


def _alg_confusions(world: World, n: int) -> Iterator[Mutation]:
    """alg none, EdDSA (relabelled or genuinely signed), HS256 keyed with the public key."""
    key = world.rings["north"].active
    public_x = key.public.x
    for i in range(n):
        compact = world.attest()
        h, p, s = compact.split(".")
        header = json.loads(_unb64(h))
        kind = i % 5
        alg = ("none", "EdDSA", "HS256", "EdDSA", "none")[kind]
        new_h = _b64(rfc8785.dumps({**header, "alg": alg}))
        if kind == 0:
            yield f"{new_h}.{p}.", "north"
        elif kind == 1:
            yield f"{new_h}.{p}.{s}", "north"
        elif kind == 2:
            secret = _unb64(public_x) if i % 2 else public_x.encode()
            mac = hmac.new(secret, f"{new_h}.{p}".encode(), hashlib.sha256).digest()
            yield f"{new_h}.{p}.{_b64(mac)}", "north"
        elif kind == 3:
            signature = key.private.sign(f"{new_h}.{p}".encode())
            yield f"{new_h}.{p}.{_b64(signature)}", "north"
        else:
            yield f"{new_h}.{p}.{s}", "north"


def _garbage(world: World, rng: random.Random, n: int) -> Iterator[Mutation]:
    compact = world.attest()
    samples: list[object] = ["", ".", "..", "a.b.c", None, b"bytes", 42, compact.encode(),
                             compact * 20, "\ud800" + compact, compact.upper(), compact[::-1]]
    for i in range(n):
        if i < len(samples):
            yield samples[i], "north"
        else:
            yield compact[: rng.randrange(len(compact))], "north"


def _mutations(world: World) -> dict[str, list[Mutation]]:
    rng = random.Random(SEED)
    c = COUNTS
    return {
        "bit_flip": list(_bit_flips(world, rng, c["bit_flip"])),
        "re_encoding": list(_re_encodings(world, rng, c["re_encoding"])),
        "wrong_kid": list(_wrong_kids(world, rng, c["wrong_kid"], known=True)),
        "unknown_kid": list(_wrong_kids(world, rng, c["unknown_kid"], known=False)),
        "expired": list(_badly_timed(world, "expired", c["expired"])),
        "key_not_valid": list(_badly_timed(world, "key_not_valid", c["key_not_valid"])),
        "not_yet_valid": list(_badly_timed(world, "not_yet_valid", c["not_yet_valid"])),
        "out_of_scope": list(_unagreed(world, "out_of_scope", c["out_of_scope"])),
        "agreement_not_accepted": list(_unagreed(world, "agreement_not_accepted",
                                                 c["agreement_not_accepted"])),
        "suspended": list(_unagreed(world, "suspended", c["suspended"])),
        "alg_confusion": list(_alg_confusions(world, c["alg_confusion"])),
        "garbage": list(_garbage(world, rng, c["garbage"])),
    }


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def test_no_mutated_or_unagreed_attestation_is_recognised(world: World) -> None:
    """Every mutation is refused with a reason; none raises; replays add no recognition."""
    south = world.apps["south"]
    original = world.attest()
    first = south.recognise(original, from_region="north")
    assert first.recognised
    batches = _mutations(world)
    batches["replayed"] = [(original, "north")] * (COUNTS["replayed"] // 2) + [
        (world.attest(record_id=first.record_id, issued_at=NOW - dt.timedelta(hours=1, minutes=i)),
         "north") for i in range(COUNTS["replayed"] - COUNTS["replayed"] // 2)]
    outcomes: dict[str, collections.Counter[str]] = {}
    escaped: list[tuple[str, BaseException]] = []
    for category, mutations in batches.items():
        counter: collections.Counter[str] = collections.Counter()
        for presented, region in mutations:
            try:
                receipt = south.recognise(presented, from_region=region)  # type: ignore[arg-type]
            except Exception as exc:  # counting what escapes is the point
                escaped.append((category, exc))
                continue
            if receipt.replay:
                counter["replay (original receipt)"] += 1
                assert receipt.jws == first.jws
            else:
                assert receipt.outcome is Outcome.REFUSED, (category, presented)
                counter[str(receipt.reason)] += 1
        outcomes[category] = counter
    _print(outcomes)
    assert not escaped, escaped[:5]
    assert {k: sum(v.values()) for k, v in outcomes.items()} == COUNTS
    assert sum(COUNTS.values()) >= 10_000
    assert south.recognition_counts()["recognised"] == 1
    assert outcomes["replayed"]["replay (original receipt)"] == COUNTS["replayed"] // 2
    assert set(outcomes["expired"]) == {"expired"}
    assert set(outcomes["key_not_valid"]) == {"key-not-valid-at-issue-time"}
    assert set(outcomes["not_yet_valid"]) == {"not-yet-valid"}
    assert set(outcomes["unknown_kid"]) <= {"unknown-key", "malformed"}
    assert set(outcomes["out_of_scope"]) == {"out-of-agreement"}
    assert set(outcomes["agreement_not_accepted"]) == {"agreement-not-accepted"}
    assert set(outcomes["suspended"]) == {"agreement-suspended"}
    assert set(outcomes["alg_confusion"]) == {"malformed"}


def _print(outcomes: dict[str, collections.Counter[str]]) -> None:
    total = sum(sum(c.values()) for c in outcomes.values())
    print(f"\n{total} presentations, 0 recognised")
    for category, counter in outcomes.items():
        reasons = ", ".join(f"{reason} {n}" for reason, n in counter.most_common())
        print(f"  {category:<24} {sum(counter.values()):>5}  {reasons}")
