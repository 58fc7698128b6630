"""The Merkle tree of RFC 9162 §2.1: tree hash, inclusion and consistency proofs.

Hashes (SHA-256, 32 bytes)::

    leaf hash  = SHA-256(0x00 ‖ entry)
    node hash  = SHA-256(0x01 ‖ left ‖ right)
    empty tree = SHA-256("")

The tree over n leaves splits at k, the largest power of two smaller than n
(MTH, RFC 9162 §2.1.1). Proofs are lists of subtree hashes, leaf to root, as in
§2.1.3.1 (PATH) and §2.1.4.1 (PROOF); verification follows §2.1.3.2 and
§2.1.4.2 step by step, so that any RFC 9162 / RFC 6962 verifier accepts them.

Proof *generation* works on a stream: :func:`inclusion_ranges` and
:func:`consistency_ranges` name the leaf ranges whose subtree hashes form a
proof, and :func:`subtree_hashes` computes them in one pass over the leaf
hashes with O(log n) memory, so a proof over a million stored events never
holds a million hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 ‖ entry)."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(b"\x01" + left + right).digest()


class Frontier:
    """The right edge of a growing tree: one perfect subtree hash per set bit of its size.

    Appending is amortised O(1) hashes and the state is O(log n) hashes; the root
    of the whole tree folds the subtrees right to left (RFC 9162's MTH).
    """

    __slots__ = ("_nodes", "_size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(nodes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} nodes")
        if any(len(node) != HASH_SIZE for node in nodes):
            raise ValueError("frontier nodes must be 32-byte hashes")
        self._size = size
        self._nodes = list(nodes)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """The perfect subtree hashes, largest (leftmost) first."""
        return tuple(self._nodes)

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        nodes, size, node = self._nodes, self._size, leaf
        # Each trailing 1-bit of the old size is a complete left sibling to merge with.
        while size & 1:
            node = _sha256(b"\x01" + nodes.pop() + node).digest()
            size >>= 1
        nodes.append(node)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append many leaf hashes (the loop of :meth:`append`, without a call per leaf)."""
        nodes, size, sha256 = self._nodes, self._size, _sha256
        pop, push = nodes.pop, nodes.append
        for node in leaves:
            pending = size
            while pending & 1:
                node = sha256(b"\x01" + pop() + node).digest()
                pending >>= 1
            push(node)
            size += 1
        self._size = size

    def root(self) -> bytes:
        """The tree hash of every leaf appended so far."""
        if not self._nodes:
            return EMPTY_ROOT
        nodes = self._nodes
        root = nodes[-1]
        for node in reversed(nodes[:-1]):
            root = _sha256(b"\x01" + node + root).digest()
        return root

    def copy(self) -> Frontier:
        """An independent copy (appending to one does not change the other)."""
        return Frontier(self._size, self._nodes)


def root_hash(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH over the given leaf hashes."""
    frontier = Frontier()
    for leaf in leaf_hashes:
        frontier.append(leaf)
    return frontier.root()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges [start, end) whose hashes form PATH(index, D[size]), leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    _path(index, 0, size, ranges)
    return ranges


def _path(m: int, lo: int, hi: int, out: list[tuple[int, int]]) -> None:
    if hi - lo <= 1:
        return
    k = _split(hi - lo)
    if m < k:
        _path(m, lo, lo + k, out)
        out.append((lo + k, hi))
    else:
        _path(m - k, lo + k, hi, out)
        out.append((lo, lo + k))


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot prove size {old_size} against size {new_size}")
    ranges: list[tuple[int, int]] = []
    if 0 < old_size < new_size:
        _subproof(old_size, 0, new_size, True, ranges)
    return ranges


def _subproof(m: int, lo: int, hi: int, complete: bool, out: list[tuple[int, int]]) -> None:
    n = hi - lo
    if m == n:
        if not complete:
            out.append((lo, hi))
        return
    k = _split(n)
    if m <= k:
        _subproof(m, lo, lo + k, complete, out)
        out.append((lo + k, hi))
    else:
        _subproof(m - k, lo + k, hi, False, out)
        out.append((lo, lo + k))


def subtree_hashes(
    leaf_hashes: Iterable[bytes], ranges: Sequence[tuple[int, int]], size: int
) -> tuple[bytes, list[bytes]]:
    """One pass over the first ``size`` leaf hashes: the tree root and each range's hash.

    ``ranges`` must be disjoint (as every proof's are); the result keeps their order.
    """
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    results: list[bytes] = [b""] * len(ranges)
    tree = Frontier()
    pending = iter(order)
    current = next(pending, None)
    part = Frontier()
    for index, leaf in enumerate(leaf_hashes):
        if index >= size:
            break
        tree.append(leaf)
        if current is None or index < ranges[current][0]:
            continue
        part.append(leaf)
        if index + 1 == ranges[current][1]:
            results[current] = part.root()
            part = Frontier()
            current = next(pending, None)
    if tree.size < size:
        raise ValueError(f"only {tree.size} leaves for a tree of size {size}")
    return tree.root(), results


def inclusion_proof(leaf_hashes: Iterable[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) computed from the leaf hashes."""
    return subtree_hashes(leaf_hashes, inclusion_ranges(index, size), size)[1]


def consistency_proof(leaf_hashes: Iterable[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) computed from the leaf hashes."""
    return subtree_hashes(leaf_hashes, consistency_ranges(old_size, new_size), new_size)[1]


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2), or None."""
    if not 0 <= index < size or not _well_formed(leaf, *proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` in the tree of ``size`` with ``root``."""
    return _well_formed(root) and root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    Trivial cases as in RFC 9162 and transparency-dev: equal sizes need equal
    roots and an empty proof; an empty old tree is a prefix of anything.
    """
    if not 0 <= old_size <= new_size or not _well_formed(*proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof or not _well_formed(old_root, new_root):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
