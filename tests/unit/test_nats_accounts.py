"""The embedded server's users: public nkeys only, departments limited to their own subjects."""

from __future__ import annotations

from pathlib import Path

import nkeys

from hub.adapters.nats.accounts import NatsAuth, NatsUsers, public_key
from hub.adapters.nats.server import NatsServerConfig

SEED = nkeys.encode_seed(bytes(32), nkeys.PREFIX_BYTE_USER).decode()


def _users() -> NatsUsers:
    return NatsUsers("north", public_key(SEED), {"north/tax": ["UTAX"]}, leaf_password="p w")


def test_department_permissions_name_only_its_own_subjects() -> None:
    """tax may publish its queries and record submissions and subscribe its inbox, nothing
    else; the hub everything."""
    text = "\n".join(_users().authorization_lines())
    assert ('"publish": {"allow": ["hub.north.ingress.tax.>", "hub.north.ingest.tax.>"]}'
            in text)
    assert '"subscribe": {"allow": ["_INBOX_tax.>"]}' in text
    assert "$JS" not in text and "deliver" not in text
    assert public_key(SEED) in text and SEED not in text


def test_the_config_holds_leaf_auth_and_remote_credentials() -> None:
    """Accepted leaf links need the leaf user; dialled remotes carry it (URL-quoted)."""
    config = NatsServerConfig(name="n", workdir=Path("nats"), leafnode_port=7422,
                              leaf_remotes=["nats-leaf://127.0.0.1:7000",
                                            "nats-leaf://other:pw@127.0.0.1:7001"],
                              users=_users())
    text = config.render()
    assert 'user: "leaf"' in text and 'password: "p w"' in text
    assert "nats-leaf://leaf:p%20w@127.0.0.1:7000" in text
    assert "nats-leaf://other:pw@127.0.0.1:7001" in text


def test_no_users_no_authorization_block() -> None:
    """Servers started without users (tests, external setups) render as before."""
    assert "authorization" not in NatsServerConfig(name="n", workdir=Path("nats")).render()


def test_nats_auth_never_shows_its_seed() -> None:
    """The hub's own seed goes to nats.connect only."""
    auth = NatsAuth(seed=SEED)
    assert SEED not in repr(auth)
    assert auth.options() == {"nkeys_seed_str": SEED}
    assert NatsAuth(creds_file=Path("a.creds")).options() == {"user_credentials": "a.creds"}
    assert NatsAuth().options() == {}
