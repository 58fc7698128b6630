"""Citizens' ID tokens: every check of the verifier, with tokens signed by a real key.

Each refusal names its reason by code and the claim at fault; the replay cache is
bounded and forgets a token only once it has expired.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from hub.adapters.id_tokens.errors import (
    AlgorithmRefusedError,
    BadSignatureError,
    IdTokenMalformedError,
    InvalidClaimError,
    IssuerConfigError,
    MissingClaimError,
    NonceMismatchError,
    ReplayCacheFullError,
    TokenExpiredError,
    TokenNotYetValidError,
    TokenReplayedError,
    UntrustedIssuerError,
    WrongAudienceError,
)
from hub.adapters.id_tokens.issuers import load_jwks
from hub.adapters.id_tokens.replay import ReplayCache
from hub.adapters.id_tokens.verifier import IdTokenVerifier
from simulations.identity_provider import DEFAULT_AUDIENCE, IdentityProvider
from simulations.identity_provider import main as identity_provider_main

NOW = 1_800_000_000.0
PERSON = "19800101-1234"


@pytest.fixture(scope="module")
def idp() -> IdentityProvider:
    return IdentityProvider.generate("https://eid.example.test", kid="k1")


def verifier(idp: IdentityProvider, tmp_path: Path, *, capacity: int = 100,
             now: list[float] | None = None) -> IdTokenVerifier:
    clock = now if now is not None else [NOW]
    keys = load_jwks(idp.issuer, idp.write_jwks(tmp_path / "jwks.json"))
    return IdTokenVerifier({idp.issuer: keys}, audience=DEFAULT_AUDIENCE, id_claim="national_id",
                           leeway_s=30, max_lifetime_s=3600, replay=ReplayCache(capacity),
                           clock=lambda: clock[0])


def test_a_good_token_names_the_person_issuer_and_portal(idp: IdentityProvider,
                                                         tmp_path: Path) -> None:
    """A token signed by the trusted key, for this audience, in time, is accepted once."""
    verified = verifier(idp, tmp_path).verify(idp.token(" 19800101-1234", now=NOW, jti="a"))
    assert (verified.national_id, verified.issuer, verified.portal, verified.token_id) == (
        PERSON, idp.issuer, "citizen-portal", "a")
    assert verified.expires_at == NOW + 300


@pytest.mark.parametrize(("change", "error", "claim"), [
    ({"iss": "https://evil.example"}, UntrustedIssuerError, "iss"),
    ({"aud": "urn:interop-hub:south:citizen"}, WrongAudienceError, "aud"),
    ({"aud": ["some-portal", "another"]}, WrongAudienceError, "aud"),
    ({"aud": None}, MissingClaimError, "aud"),
    ({"iss": None}, MissingClaimError, "iss"),
    ({"exp": None}, MissingClaimError, "exp"),
    ({"iat": None}, MissingClaimError, "iat"),
    ({"national_id": None}, MissingClaimError, "national_id"),
    ({"jti": None}, MissingClaimError, "jti"),
    ({"national_id": "ds-0123456789abcdef0123456789abcdef"}, InvalidClaimError, "national_id"),
    ({"national_id": 19800101}, InvalidClaimError, "national_id"),
    ({"national_id": "ßßßßß"}, InvalidClaimError, "national_id"),  # not "SSSSSSSSSS"
    ({"exp": "tomorrow"}, InvalidClaimError, "exp"),
    ({"exp": float("nan")}, InvalidClaimError, "exp"),  # NaN passed every check: a 500
    ({"exp": float("inf")}, InvalidClaimError, "exp"),
    ({"iat": float("-inf")}, InvalidClaimError, "iat"),
    ({"nbf": float("nan")}, InvalidClaimError, "nbf"),
    ({"exp": NOW + 7200}, InvalidClaimError, "exp"),
    ({"nbf": NOW + 600}, TokenNotYetValidError, "nbf"),
])
def test_each_claim_problem_is_refused_by_name(idp: IdentityProvider, tmp_path: Path,
                                               change: dict[str, object],
                                               error: type[Exception], claim: str) -> None:
    """The refusal's class (its code) and claim say exactly what is wrong."""
    with pytest.raises(error) as refused:
        verifier(idp, tmp_path).verify(idp.token(PERSON, now=NOW, **change))
    assert refused.value.claim == claim  # type: ignore[attr-defined]


def test_an_expired_token_is_refused_past_the_leeway_only(idp: IdentityProvider,
                                                          tmp_path: Path) -> None:
    """exp 20 s ago is within the 30 s leeway; 40 s ago is expired."""
    check = verifier(idp, tmp_path)
    check.verify(idp.token(PERSON, now=NOW - 320))
    with pytest.raises(TokenExpiredError, match="expired 40 s ago"):
        check.verify(idp.token(PERSON, now=NOW - 340))


def test_a_token_from_the_future_is_not_yet_valid(idp: IdentityProvider, tmp_path: Path) -> None:
    with pytest.raises(TokenNotYetValidError):
        verifier(idp, tmp_path).verify(idp.token(PERSON, now=NOW + 120))


def test_a_replayed_token_is_refused_and_a_nonce_counts_like_a_jti(
    idp: IdentityProvider, tmp_path: Path
) -> None:
    """The same jti twice: refused; without jti, the nonce makes the token single-use."""
    check = verifier(idp, tmp_path)
    token = idp.token(PERSON, now=NOW)
    check.verify(token)
    with pytest.raises(TokenReplayedError):
        check.verify(token)
    by_nonce = idp.token(PERSON, now=NOW, jti=None, nonce="n-1")
    assert check.verify(by_nonce).token_id == "n-1"
    with pytest.raises(TokenReplayedError):
        check.verify(by_nonce)


def test_the_nonce_the_portal_expects_must_be_the_tokens(idp: IdentityProvider,
                                                          tmp_path: Path) -> None:
    """With an expected nonce: the same nonce passes; another, none, or a non-string is
    refused, naming the nonce claim; a refused token is not spent (the replay cache does not
    hold it). Without one, the token's nonce is not compared (replay protection as before)."""
    check = verifier(idp, tmp_path)
    assert check.verify(idp.token(PERSON, now=NOW, jti="ok", nonce="n-A"), "n-A").token_id == "ok"
    other = idp.token(PERSON, now=NOW, jti="other", nonce="n-B")
    for expected in ("n-A", "n-B\x00", "n-", "", "x" * 1001):
        with pytest.raises(NonceMismatchError) as refused:
            check.verify(other, expected)
        assert refused.value.claim == "nonce"
        assert refused.value.code == "id-token-nonce-mismatch"
    with pytest.raises(MissingClaimError) as missing:
        check.verify(idp.token(PERSON, now=NOW, jti="none"), "n-A")
    assert missing.value.claim == "nonce"
    with pytest.raises(InvalidClaimError):
        check.verify(idp.token(PERSON, now=NOW, jti="num", nonce=7), "7")
    assert check.verify(other, "n-B").token_id == "other"  # the refusals did not spend it
    with pytest.raises(TokenReplayedError):
        check.verify(other, "n-B")
    assert check.verify(idp.token(PERSON, now=NOW, jti="free", nonce="n-C")).token_id == "free"


def test_the_keys_command_refuses_to_replace_a_key_unless_forced(tmp_path: Path) -> None:
    """A second ``keys`` into the same folder fails and leaves both files as they were;
    with --force it writes a new key."""
    folder = tmp_path / "idp"
    identity_provider_main(["keys", "--dir", str(folder)])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(before) == {"jwks.json", "signing-key.json"}
    with pytest.raises(SystemExit) as refused:
        identity_provider_main(["keys", "--dir", str(folder)])
    assert "already exist" in str(refused.value.code) and "--force" in str(refused.value.code)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    (folder / "jwks.json").unlink()  # the private key alone is still guarded
    with pytest.raises(SystemExit):
        identity_provider_main(["keys", "--dir", str(folder)])
    identity_provider_main(["keys", "--dir", str(folder), "--force"])
    assert (folder / "signing-key.json").read_bytes() != before["signing-key.json"]
    assert (folder / "jwks.json").read_bytes() != before["jwks.json"]


def test_a_token_signed_by_another_key_or_altered_has_a_bad_signature(
    idp: IdentityProvider, tmp_path: Path
) -> None:
    """Same issuer and kid, other key; and a trusted token whose claims were edited."""
    impostor = IdentityProvider.generate(idp.issuer, kid="k1")
    check = verifier(idp, tmp_path)
    with pytest.raises(BadSignatureError):
        check.verify(impostor.token(PERSON, now=NOW))
    header, _, signature = idp.token(PERSON, now=NOW).split(".")
    claims = idp.token("19751224-5678", now=NOW).split(".")[1]
    with pytest.raises(BadSignatureError):
        check.verify(f"{header}.{claims}.{signature}")


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_none_and_hmac_algorithms_are_refused(idp: IdentityProvider, tmp_path: Path) -> None:
    """alg none, and HS256 keyed with the issuer's public key (the classic confusion)."""
    claims = json.loads(base64.urlsafe_b64decode(idp.token(PERSON, now=NOW).split(".")[1] + "=="))
    check = verifier(idp, tmp_path)
    with pytest.raises(AlgorithmRefusedError):
        check.verify(f"{_b64({'alg': 'none'})}.{_b64(claims)}.")
    public = json.dumps(idp.jwks()["keys"][0]).encode()
    forged = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(public),
                        algorithms=["HS256"])
    with pytest.raises(AlgorithmRefusedError, match="HS256"):
        check.verify(forged)


def test_a_key_the_token_brings_along_is_not_trusted(idp: IdentityProvider,
                                                    tmp_path: Path) -> None:
    """A token signed by its own key and carrying it (``jwk`` header) or pointing at it
    (``jku``), under the trusted issuer's kid: only the issuer's JWKS verifies."""
    attacker = IdentityProvider.generate(idp.issuer, kid="k1")
    carried = attacker.token(PERSON, now=NOW, header={
        "jwk": attacker.jwks()["keys"][0], "jku": "https://evil.example/jwks.json"})
    with pytest.raises(BadSignatureError):
        verifier(idp, tmp_path).verify(carried)


def test_a_nested_token_is_malformed(idp: IdentityProvider, tmp_path: Path) -> None:
    """A JWS whose payload is another (trusted) JWT, ``cty: JWT``: the outer claims are
    not a JSON object, so nothing inside is read."""
    inner = idp.token(PERSON, now=NOW)
    header = _b64({"alg": "ES256", "kid": "k1", "cty": "JWT"})
    payload = base64.urlsafe_b64encode(inner.encode()).rstrip(b"=").decode()
    with pytest.raises(IdTokenMalformedError):
        verifier(idp, tmp_path).verify(f"{header}.{payload}.c2ln")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 20_000,
                                   f"{_b64({'alg': 'ES256'})}.{_b64([1])}.c2ln"])
def test_garbage_is_malformed(idp: IdentityProvider, tmp_path: Path, token: str) -> None:
    with pytest.raises(IdTokenMalformedError):
        verifier(idp, tmp_path).verify(token)


def test_claimed_reads_issuer_and_portal_without_trusting_them(idp: IdentityProvider,
                                                               tmp_path: Path) -> None:
    check = verifier(idp, tmp_path)
    claimed = check.claimed(idp.token(PERSON, iss="https://evil.example", azp="p" * 500))
    assert (claimed.issuer, claimed.portal) == ("https://evil.example", "p" * 200)
    assert check.claimed("garbage").issuer == ""


def test_the_replay_cache_is_bounded_and_forgets_only_expired_tokens() -> None:
    """Full of valid tokens: a new one is refused (not an old one forgotten); once they
    expire they are pruned and room is made."""
    cache = ReplayCache(capacity=2)
    cache.remember("i", "a", expires_at=100, now=0)
    cache.remember("i", "b", expires_at=200, now=0)
    with pytest.raises(ReplayCacheFullError):
        cache.remember("i", "c", expires_at=300, now=50)
    with pytest.raises(TokenReplayedError):
        cache.remember("i", "a", expires_at=100, now=99)
    cache.remember("i", "c", expires_at=300, now=150)  # a expired: pruned
    assert len(cache) == 2
    cache.remember("other-issuer", "c", expires_at=300, now=250)  # b pruned; issuers apart
    assert len(cache) == 2


def test_a_jwks_with_a_symmetric_or_no_key_is_refused_at_start(tmp_path: Path) -> None:
    """A shared secret in a trusted JWKS would let its holder mint tokens."""
    secret = tmp_path / "oct.json"
    secret.write_text(json.dumps({"keys": [OctKey.generate_key(256).as_dict()]}))
    with pytest.raises(IssuerConfigError, match="oct"):
        load_jwks("i", secret)
    (tmp_path / "empty.json").write_text('{"keys": []}')
    with pytest.raises(IssuerConfigError, match="no \"keys\""):
        load_jwks("i", tmp_path / "empty.json")
    with pytest.raises(IssuerConfigError, match="cannot be read"):
        load_jwks("i", tmp_path / "missing.json")


def test_private_parts_of_a_jwks_are_dropped(tmp_path: Path) -> None:
    """An operator who pastes the IdP's private JWKS gets only its public half kept."""
    key = RSAKey.generate_key(2048, parameters={"kid": "r"})
    path = tmp_path / "private.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    kept = load_jwks("i", path).as_dict(private=False)["keys"][0]
    assert "d" not in kept and kept["kid"] == "r"
    assert load_jwks("i", path).keys[0].is_private is False
