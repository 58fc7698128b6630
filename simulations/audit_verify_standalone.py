"""Check an interop-hub audit proof with only the Python standard library and ``cryptography``.

Nothing here imports interop-hub: a peer region, an auditor or a court can run
this file alone (or redo its steps in another language) to check what a hub
claims about its own history.

Usage::

    interop-hub audit key --data DIR                      # publish this once, out of band
    interop-hub audit prove 42 --data DIR --json > inclusion.json
    interop-hub audit consistency 120 480 --data DIR --json > consistency.json
    python audit_verify_standalone.py inclusion.json --key 'interop-hub/north/ledger+1a2b3c4d+AW...'

The procedure, step by step:

1. **Pin the key.** ``--key`` is the region's verifier key, ``<name>+<key id, 8 hex>+
   <base64(0x01 ‖ 32-byte Ed25519 public key)>``, obtained out of band. Its key id
   must equal SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. Without ``--key`` the key
   embedded in the proof is used, which shows only that the proof is self-consistent.
2. **Open the signed note** (C2SP signed-note): split the checkpoint at its last
   blank line; among the lines ``— <name> <base64>`` take those with the key's name
   whose decoded first 4 bytes are the key id; the other 64 bytes must be a valid
   Ed25519 signature over the text (everything before the blank line, with its
   final newline).
3. **Read the checkpoint** (C2SP tlog-checkpoint): line 1 origin (must be the key
   name), line 2 tree size, line 3 base64 SHA-256 root hash, then extension lines
   (``timestamp <RFC 3339>``).
4. **Inclusion**: rebuild the leaf from the event's stored row, all integers big-endian:
   ``SHA-256(0x00 ‖ 0x01 ‖ u32 len(id) ‖ id ‖ i64 version ‖ u32 len(topic) ‖ topic ‖
   u32 len(state) ‖ state)`` where id is the 16 bytes of the UUID (or the UTF-8 of a
   text id), state is the stored bytes (base64 in the JSON) and a NULL field is
   length 0xFFFFFFFF with no bytes. It must equal ``leaf_hash``; then RFC 9162
   §2.1.3.2 over ``leaf_index``, ``tree_size`` and ``audit_path`` must give the
   checkpoint's root.
5. **Consistency**: both checkpoints must open (steps 2-3) with sizes ``old_size`` and
   ``new_size``; RFC 9162 §2.1.4.2 over ``proof`` must give both roots.

Exit status 0 when the proof holds; 1 with the reason when it does not.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class ProofFailed(Exception):
    """The proof does not hold; the message says why."""


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def parse_vkey(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key id, public key) from a verifier key string, its key id checked."""
    try:
        name, id_hex, key_b64 = vkey.strip().split("+", 2)  # base64 may hold "+"
        raw = base64.b64decode(key_b64, validate=True)
        claimed = bytes.fromhex(id_hex)
    except (ValueError, binascii.Error):
        raise ProofFailed(f"malformed verifier key {vkey!r}") from None
    if len(raw) != 33 or raw[0] != 0x01:
        raise ProofFailed("the verifier key is not an Ed25519 key")
    if _sha256(name.encode() + b"\n" + raw)[:4] != claimed:
        raise ProofFailed("the verifier key's id does not match its name and key")
    return name, claimed, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: str, vkey: str) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note signed by ``vkey``."""
    name, key_id, public_key = parse_vkey(vkey)
    text, sep, block = note.rpartition("\n\n")
    if not sep:
        raise ProofFailed("the checkpoint is not a signed note")
    text += "\n"
    valid = False
    for line in block.rstrip("\n").split("\n"):
        if not line.startswith("— "):
            raise ProofFailed(f"malformed signature line {line!r}")
        signer, _, encoded = line[2:].partition(" ")
        signature = base64.b64decode(encoded)
        if signer != name or signature[:4] != key_id:
            continue  # someone else's signature (a witness, say)
        try:
            public_key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise ProofFailed("the checkpoint's signature does not verify") from None
        valid = True
    if not valid:
        raise ProofFailed(f"the checkpoint carries no signature by {name}")
    lines = text.split("\n")
    if len(lines) < 4 or lines[0] != name or not lines[1].isdigit():
        raise ProofFailed("the checkpoint is malformed or names another log")
    return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)


def leaf_hash(event: dict[str, Any]) -> bytes:
    """The leaf hash of an event's stored row (step 4)."""
    if event["aggregate_id_type"] == "uuid":
        ident = uuid.UUID(event["aggregate_id"]).bytes
    else:
        ident = event["aggregate_id"].encode()

    def field(value: bytes | None) -> bytes:
        return (
            struct.pack(">I", 0xFFFFFFFF)
            if value is None
            else struct.pack(">I", len(value)) + value
        )

    topic = None if event["topic"] is None else event["topic"].encode()
    state = None if event["state_base64"] is None else base64.b64decode(event["state_base64"])
    entry = (
        b"\x01"
        + struct.pack(">I", len(ident))
        + ident
        + struct.pack(">q", event["version"])
        + field(topic)
        + field(state)
    )
    return _sha256(b"\x00" + entry)


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        raise ProofFailed("the leaf index is outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofFailed("the audit path is too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the audit path is too short")
    return r


def check_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, path: list[bytes]
) -> None:
    """RFC 9162 §2.1.4.2, with its trivial cases."""
    if not 0 <= old <= new:
        raise ProofFailed("the sizes are not 0 <= old <= new")
    if old == 0:  # the empty tree is a prefix of every tree
        if path:
            raise ProofFailed("a proof from the empty tree must be empty")
        return
    if old == new:
        if path or old_root != new_root:
            raise ProofFailed("equal sizes need equal roots and an empty proof")
        return
    if not path:
        raise ProofFailed("the proof is empty")
    if old & (old - 1) == 0:
        path = [old_root, *path]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailed("the proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofFailed("the proof does not lead to both signed roots")


def verify(proof: dict[str, Any], vkey: str) -> str:
    """Check one proof; a one-line summary when it holds, else ProofFailed."""
    kind = proof.get("type", "")
    if kind.startswith("interop-hub.audit.inclusion/"):
        origin, size, root = open_checkpoint(proof["checkpoint"], vkey)
        if size != proof["tree_size"]:
            raise ProofFailed("tree_size differs from the signed checkpoint")
        leaf = bytes.fromhex(proof["leaf_hash"])
        if leaf_hash(proof["event"]) != leaf:
            raise ProofFailed("the event's stored row does not hash to leaf_hash")
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        if root_from_inclusion(proof["leaf_index"], size, leaf, path) != root:
            raise ProofFailed("the audit path does not lead to the signed root")
        event = proof["event"]
        return (
            f"OK: position {event['position']}, aggregate {event['aggregate_id']}, "
            f"version {event['version']} is leaf {proof['leaf_index']} of {origin} at size {size}"
        )
    if kind.startswith("interop-hub.audit.consistency/"):
        origin, old, old_root = open_checkpoint(proof["old_checkpoint"], vkey)
        _, new, new_root = open_checkpoint(proof["new_checkpoint"], vkey)
        if (old, new) != (proof["old_size"], proof["new_size"]):
            raise ProofFailed("the sizes differ from the signed checkpoints")
        check_consistency(old, new, old_root, new_root, [bytes.fromhex(h) for h in proof["proof"]])
        return f"OK: {origin} at size {new} extends its checkpoint at size {old}"
    raise ProofFailed(f"unknown proof type {kind!r}")


def main(argv: list[str]) -> int:
    """Command line: a proof file (or - for stdin) and an optional pinned key."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", help="JSON from `interop-hub audit prove|consistency --json`")
    parser.add_argument("--key", help="the region's verifier key, obtained out of band")
    args = parser.parse_args(argv)
    if args.proof == "-":
        proof = json.load(sys.stdin)
    else:
        with open(args.proof, encoding="utf-8") as handle:
            proof = json.load(handle)
    if not args.key:
        print("warning: no --key given; trusting the key inside the proof", file=sys.stderr)
    try:
        print(verify(proof, args.key or proof["verifier_key"]))
    except (ProofFailed, KeyError, ValueError, TypeError, binascii.Error) as exc:
        print(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
