"""Numbers kept in order as they come and go, for order statistics without re-sorting.

A read model that publishes a median or a percentile of values that arrive one at a time
(and sometimes leave: a case's duration is replaced when the case changes) keeps them
in an :class:`OrderedValues`: sorted blocks of at most a few hundred values, each block
found by bisecting the blocks' largest values. Adding or removing one value costs a
bisection and a move of at most one block, whatever the count; the k-th value and how
many are at most x cost one pass over the block lengths (a thousandth of the values)
and a bisection. Values are floats and compared exactly: what was added is removed by
the same number.
"""

from __future__ import annotations

import bisect

_BLOCK = 512
"""A block is split in two when it grows past twice this."""


class OrderedValues:
    """A multiset of floats in ascending order."""

    def __init__(self) -> None:
        self._blocks: list[list[float]] = []
        self._maxes: list[float] = []  # the largest value of each block
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def add(self, value: float) -> None:
        """Keep ``value`` (once more, if it is already kept)."""
        self._len += 1
        if not self._blocks:
            self._blocks.append([value])
            self._maxes.append(value)
            return
        index = min(bisect.bisect_left(self._maxes, value), len(self._blocks) - 1)
        block = self._blocks[index]
        bisect.insort(block, value)
        self._maxes[index] = block[-1]
        if len(block) > 2 * _BLOCK:
            self._blocks[index:index + 1] = [block[:_BLOCK], block[_BLOCK:]]
            self._maxes[index:index + 1] = [block[_BLOCK - 1], block[-1]]

    def remove(self, value: float) -> None:
        """Forget one ``value``; KeyError when none is kept."""
        index = bisect.bisect_left(self._maxes, value)
        if index == len(self._blocks):
            raise KeyError(value)
        block = self._blocks[index]
        position = bisect.bisect_left(block, value)
        if block[position] != value:
            raise KeyError(value)
        del block[position]
        self._len -= 1
        if block:
            self._maxes[index] = block[-1]
        else:
            del self._blocks[index], self._maxes[index]

    def __getitem__(self, rank: int) -> float:
        """The value at ``rank`` (0 is the smallest) in ascending order."""
        if not 0 <= rank < self._len:
            raise IndexError(rank)
        for block in self._blocks:
            if rank < len(block):
                return block[rank]
            rank -= len(block)
        raise IndexError(rank)  # unreachable while _len is the sum of the blocks' lengths

    def count_at_most(self, value: float) -> int:
        """How many kept values are <= ``value``."""
        index = bisect.bisect_right(self._maxes, value)
        counted = sum(len(block) for block in self._blocks[:index])
        if index < len(self._blocks):
            counted += bisect.bisect_right(self._blocks[index], value)
        return counted
