"""An index that finds the first aligned free area in a large bitmap fast.

:class:`AlignIndex` answers, for one alignment (a stride that is a power
of two from 16 to 512 and an offset), the question of an aligned first
fit -- the lowest aligned index at or after ``start`` where ``nr <=
stride`` clear bits begin -- with exactly the answer a scan gives, while
skipping the blocks that cannot hold it.

Such a fit lies inside one aligned slot of ``stride`` bits, at its start:
it is the slot's clear prefix that must be long enough.  The bitmap is cut
into blocks of 512 bits, counted in aligned coordinates so that every slot
lies in one block, and ``levels[b]`` is an upper bound, on the log scale of
:mod:`genpool.levels`, on the longest clear prefix of a slot in block
``b``; ``groups[g]`` bounds the levels of 64 consecutive blocks.  A regular
expression for "a byte of at least this level" finds, in C, the blocks
worth measuring.

Setting bits only shortens prefixes, so the bounds still hold; clearing
bits raises the bounds of the blocks it touches to the longest prefix it
can have made.  A search that meets a bound that was too high measures that block
and lowers it.  A new index knows nothing and starts with every bound at
its most, so its first searches measure the blocks they pass.
"""

from __future__ import annotations

from collections.abc import Iterable

from .levels import AT_LEAST, LEVEL

__all__ = ["STRIDES", "AlignIndex", "note_clear"]

_SHIFT = 9
_BLOCK = 1 << _SHIFT
_GROUP_SHIFT = 6
_GROUP = 1 << _GROUP_SHIFT
#: The strides an AlignIndex serves: wide enough that a block holds few slots, narrow enough that a slot fits in one.
STRIDES = range(4, _SHIFT + 1)
# The longest slot: how far around cleared bits a free run can matter.
_REACH = 1 << STRIDES[-1]


class AlignIndex:
    """Aligned first fit over a ``bytearray`` of 0/1 bytes, for one stride and offset.

    Bit ``i`` is aligned when ``(i + offset) % stride == 0``.  The owner
    calls :func:`note_clear` after clearing bits; setting bits needs no
    notice.
    """

    __slots__ = ("_bits", "_nbits", "_stride", "_offset", "_levels", "_groups", "_top")

    def __init__(self, bits: bytearray, stride: int, offset: int) -> None:
        if stride.bit_length() - 1 not in STRIDES or stride & (stride - 1):
            raise ValueError(f"stride {stride} is not a power of two from 16 to 512")
        self._bits = bits
        self._nbits = len(bits)
        self._stride = stride
        self._offset = offset % stride
        self._top = LEVEL[stride]
        nblocks = ((self._nbits + self._offset) >> _SHIFT) + 1
        self._levels = bytearray([self._top]) * nblocks
        self._groups = bytearray([self._top]) * ((nblocks + _GROUP - 1) >> _GROUP_SHIFT)

    def footprint(self) -> int:
        """Bytes of memory the index takes."""
        return len(self._levels) + len(self._groups)

    def find(self, nr: int, start: int, size: int) -> int:
        """Lowest aligned ``p >= start`` with bits ``[p, p + nr)`` clear and ``p + nr <= size``, else -1.

        ``nr`` must be from 1 to the stride.
        """
        offset = self._offset
        last = size - nr
        if last < start:
            return -1
        levels, groups = self._levels, self._groups
        level = LEVEL[nr]
        at_least = AT_LEAST[level]
        block = (start + offset) >> _SHIFT
        last_block = (last + offset) >> _SHIFT
        group = block >> _GROUP_SHIFT
        last_group = last_block >> _GROUP_SHIFT
        while True:
            group_start = group << _GROUP_SHIFT
            group_end = min(group_start + _GROUP, last_block + 1)
            if groups[group] >= level:
                pos = block
                while (match := at_least.search(levels, pos, group_end)) is not None:
                    candidate = match.start()
                    pos = candidate + 1
                    found = self._measure(candidate, nr, start, last)
                    if found >= 0:
                        return found
                if block == group_start and group_end == group_start + _GROUP:
                    groups[group] = max(levels[group_start:group_end])
            if group >= last_group:
                return -1
            match = at_least.search(groups, group + 1, last_group + 1)
            if match is None:
                return -1
            group = match.start()
            block = group << _GROUP_SHIFT

    def _measure(self, block: int, nr: int, start: int, last: int) -> int:
        """The first fit in ``block`` between ``start`` and ``last``, else -1 after lowering its bound.

        Only slots whose first bit is clear can hold a fit; a strided slice
        picks those first bits out in C.
        """
        bits, stride, nbits = self._bits, self._stride, self._nbits
        base = (block << _SHIFT) - self._offset
        lo = base if base >= 0 else base + stride
        hi = min(base + _BLOCK, nbits)
        firsts = bits[lo:hi:stride]
        longest = 0
        slot = firsts.find(0)
        while slot >= 0:
            first = lo + slot * stride
            end = first + stride if first + stride < nbits else nbits
            busy = bits.find(1, first, end)
            prefix = (end if busy < 0 else busy) - first
            if prefix >= nr and start <= first <= last:
                return first
            if prefix > longest:
                longest = prefix
            slot = firsts.find(0, slot + 1)
        self._levels[block] = LEVEL[longest]
        return -1


def note_clear(indexes: Iterable[AlignIndex], bits: bytearray, start: int, end: int) -> None:
    """Bits ``[start, end)`` of ``bits`` were cleared: raise each index's blocks that now hold longer prefixes.

    The longest new prefix is at the slot that starts first in the free run
    the cleared bits joined, up to ``end``; the run matters only as far as
    the longest slot reaches, and one that starts further back counts as
    long.  One loop serves every index, since a bitmap may keep several.
    """
    busy = bits.rfind(1, max(0, start - _REACH), start)
    run_start = busy + 1 if busy >= 0 or start <= _REACH else -1
    run_end = bits.find(1, end, end + _REACH)
    if run_end < 0:
        run_end = min(len(bits), end + _REACH)
    for index in indexes:
        stride, offset = index._stride, index._offset
        if run_start < 0:
            level = index._top
            first = max(0, start - stride + 1)
        else:
            first = ((run_start + offset + stride - 1) & -stride) - offset
            if first >= end:
                continue  # no slot starts in what was cleared, nor before it in the run
            level = index._top if run_end - first >= stride else LEVEL[run_end - first]
        levels, groups = index._levels, index._groups
        for block in range((first + offset) >> _SHIFT, ((end - 1 + offset) >> _SHIFT) + 1):
            if levels[block] < level:
                levels[block] = level
                if groups[block >> _GROUP_SHIFT] < level:
                    groups[block >> _GROUP_SHIFT] = level
