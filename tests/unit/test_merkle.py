"""The RFC 9162 Merkle tree: transparency-dev / RFC 6962 test vectors and proof properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.service_layer.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# github.com/transparency-dev/merkle proof/verify_test.go (the RFC 6962 reference tree).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# (1-based leaf, tree size, proof) as in the reference file.
INCLUSION = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
HASHES = [leaf_hash(leaf) for leaf in LEAVES]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _hexes(proof: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in proof]


def _flip(data: bytes, bit: int) -> bytes:
    return bytes([data[0] ^ (1 << bit)]) + data[1:]


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_each_prefix_matches_the_reference(size: int) -> None:
    """The tree hash of the first n reference leaves is the published root for n = 1..8."""
    assert root_hash(HASHES[:size]) == ROOTS[size - 1]


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    """An empty tree hashes to SHA-256 of the empty string."""
    assert root_hash([]) == EMPTY_ROOT == Frontier().root()


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_reference(leaf: int, size: int, proof: list[str]) -> None:
    """Generated inclusion proofs equal the reference ones, and verify."""
    expected = _hexes(proof)
    assert inclusion_proof(HASHES, leaf - 1, size) == expected
    assert verify_inclusion(leaf - 1, size, HASHES[leaf - 1], expected, ROOTS[size - 1])


@pytest.mark.parametrize(("leaf", "size", "proof"), [v for v in INCLUSION if v[2]])
def test_corrupted_inclusion_proofs_are_refused(leaf: int, size: int, proof: list[str]) -> None:
    """Every corruption probe of the reference suite fails verification."""
    index, path, root, hashed = leaf - 1, _hexes(proof), ROOTS[size - 1], HASHES[leaf - 1]
    probes = [
        (index - 1, size, hashed, path, root),
        (index + 1, size, hashed, path, root),
        (index ^ 2, size, hashed, path, root),
        (index, size * 2, hashed, path, root),
        (index, size // 2, hashed, path, root),
        (index, size, b"WrongLeaf", path, root),
        (index, size, hashed, path, EMPTY_ROOT),
        (index, size, hashed, path, SOME_HASH),
        (index, size, hashed, [*path, b""], root),
        (index, size, hashed, [*path, root], root),
        (index, size, hashed, [b"", *path], root),
        (index, size, hashed, [root, *path], root),
        (index, size, hashed, path[:-1], root),
    ]
    probes += [
        (index, size, hashed, [*path[:i], _flip(path[i], 3), *path[i + 1 :]], root)
        for i in range(len(path))
    ]
    if len(path) > 1:
        probes.append((index, size, hashed, [path[0], SOME_HASH, *path[1:]], root))
    assert not any(verify_inclusion(*probe) for probe in probes)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(old: int, new: int, proof: list[str]) -> None:
    """Generated consistency proofs equal the reference ones, and verify."""
    expected = _hexes(proof)
    assert consistency_proof(HASHES, old, new) == expected
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], expected)


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY if v[2]])
def test_corrupted_consistency_proofs_are_refused(old: int, new: int, proof: list[str]) -> None:
    """Every corruption probe of the reference suite fails verification."""
    path, r1, r2 = _hexes(proof), ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, path),
        (old + 1, new, r1, r2, path),
        (old ^ 2, new, r1, r2, path),
        (old, new * 2, r1, r2, path),
        (old, new // 2, r1, r2, path),
        (old, new, b"WrongRoot", r2, path),
        (old, new, r1, b"WrongRoot", path),
        (old, new, r2, r1, path),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*path, b""]),
        (old, new, r1, r2, [*path, r1]),
        (old, new, r1, r2, [*path, r2]),
        (old, new, r1, r2, [b"", *path]),
        (old, new, r1, r2, [r1, *path]),
        (old, new, r1, r2, [r2, *path]),
        (old, new, r1, r2, [path[0], *path]),
        (old, new, r1, r2, path[:-1]),
    ]
    probes += [
        (old, new, r1, r2, [*path[:i], _flip(path[i], 4), *path[i + 1 :]]) for i in range(len(path))
    ]
    assert not any(verify_consistency(*probe) for probe in probes)


@pytest.mark.parametrize(
    ("old", "new", "root1", "root2", "proof", "ok"),
    [
        (0, 0, b"r1", b"r2", [], False),
        (1, 1, b"r1", b"r2", [], False),
        (0, 0, b"r1", b"r1", [], True),
        (0, 1, b"r1", b"r2", [], True),
        (1, 1, b"r2", b"r2", [], True),
        (1, 0, b"r1", b"r2", [], False),
        (2, 1, b"r1", b"r2", [], False),
        (1, 2, b"r1", b"r2", [], False),
        (0, 0, EMPTY_ROOT, b"r2", [], False),
        (1, 1, EMPTY_ROOT, b"r2", [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_trivial_consistency_cases(
    old: int, new: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    """Equal, empty and backwards sizes behave as in the reference suite."""
    assert verify_consistency(old, new, root1, root2, proof) is ok


def test_single_leaf_tree_root_is_the_leaf() -> None:
    """In a one-leaf tree the root is the leaf hash and the proof is empty."""
    hashed = leaf_hash(b"data")
    assert verify_inclusion(0, 1, hashed, [], hashed)
    assert not verify_inclusion(0, 1, hashed, [], b"")
    assert not verify_inclusion(0, 1, b"", [], hashed)


def test_frontier_survives_a_round_trip_through_its_state() -> None:
    """A frontier rebuilt from (size, nodes) continues to the same roots."""
    frontier = Frontier()
    for hashed in HASHES[:5]:
        frontier.append(hashed)
    resumed = Frontier(frontier.size, frontier.nodes)
    for hashed in HASHES[5:]:
        resumed.append(hashed)
    assert resumed.root() == ROOTS[7]
    with pytest.raises(ValueError):
        Frontier(5, frontier.nodes[:1])


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies_and_a_mutated_one_does_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """For any tree and leaf, the proof verifies; flipping one bit or the index breaks it."""
    hashes = [leaf_hash(leaf) for leaf in leaves]
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = root_hash(hashes[:size])
    proof = inclusion_proof(hashes, index, size)
    assert verify_inclusion(index, size, hashes[index], proof, root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 7), label="bit")
        mutated = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        assert not verify_inclusion(index, size, hashes[index], mutated, root)
    other = data.draw(st.integers(0, size - 1), label="other")
    if hashes[other] != hashes[index]:
        assert not verify_inclusion(index, size, hashes[other], proof, root)


@given(leaf_lists, st.data())
def test_every_consistency_proof_verifies_and_a_mutated_one_does_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """For any two sizes, the proof verifies; flipping one bit of it breaks it."""
    hashes = [leaf_hash(leaf) for leaf in leaves]
    new = data.draw(st.integers(1, len(hashes)), label="new")
    old = data.draw(st.integers(1, new), label="old")
    r1, r2 = root_hash(hashes[:old]), root_hash(hashes[:new])
    proof = consistency_proof(hashes, old, new)
    assert verify_consistency(old, new, r1, r2, proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 7), label="bit")
        mutated = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        assert not verify_consistency(old, new, r1, r2, mutated)
