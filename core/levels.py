"""Byte strings the bitmap and its indexes share.

``ZEROS[n]`` and ``ONES[n]`` are the needles ``bytes.find`` searches for;
``CLEAR_RUNS[n]`` and ``SET_RUNS[n]`` the same runs as bytearrays, which
slice assignment writes.  ``LEVEL`` puts a run length on a
one-byte log scale, so that an index can keep a byte per run or per block
and find the first one long enough with a regular expression from
``AT_LEAST``, which scans in C.
"""

from __future__ import annotations

import math
import re

__all__ = ["AT_LEAST", "CAP", "CLEAR_RUNS", "LEVEL", "ONES", "SET_RUNS", "ZEROS", "Needles"]

#: The longest run length a level tells apart; longer runs share its level.
CAP = 4095


class Needles(dict):  # type: ignore[type-arg]
    """``needles[n]``: ``n`` copies of one byte, made on first use.

    Searches and bit changes want runs of zeros and ones of every request
    size; making them once, and only those asked for, keeps them off the
    allocation path without filling memory at import.  Runs longer than
    4095 bytes are made afresh each time.
    """

    __slots__ = ("_byte",)

    def __init__(self, byte: bytes | bytearray) -> None:
        super().__init__()
        self._byte = byte

    def __missing__(self, length: int) -> bytes | bytearray:
        needle = self._byte * length
        if length < 4096:
            self[length] = needle
        return needle


#: ``ZEROS[n]``: n zero bytes (n clear bits); ``ONES[n]``: n set bits.
ZEROS = Needles(b"\x00")
ONES = Needles(b"\x01")
#: What ``bits[a:b] = ...`` writes: CPython copies a value that is not a
#: bytearray into a temporary one first, which costs more than the write.
#: Never change them in place.
CLEAR_RUNS = Needles(bytearray(1))
SET_RUNS = Needles(bytearray(b"\x01"))


def _level(length: int) -> int:
    """Log-scale level of a run length: exact below 128, then 25 steps an octave."""
    if length < 128:
        return length
    return 128 + math.ceil(25 * math.log2(length / 128))


#: ``LEVEL[n]``: the level of a run of ``n`` bits, for ``n`` up to CAP.
LEVEL = bytes(_level(n) for n in range(CAP + 1))
#: ``AT_LEAST[level]``: a pattern matching any byte of at least that level.
AT_LEAST = [re.compile(b"[\\x%02x-\\xff]" % level) for level in range(256)]
