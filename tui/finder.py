"""Finding things in a pool for the bitmap cursor: an address, allocations, free runs, an owner.

Every function takes the chunks in the order the view draws them and a
``bits_of(chunk)`` that returns the bitmap to search (the frozen picture
while paused), and answers a cursor ``(chunk index, granule)`` or None
when there is nothing more in that direction.  Allocations are the
trackers' records when the pool keeps them, else runs of allocated
granules.  The searches are ``bytes.find``/``rfind`` over the bitmap's
one-byte-per-granule array, C loops that stay fast on a chunk of tens of
millions of granules.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import genpool

from .owners import owner_text
from .values import parse_number

__all__ = [
    "Cursor",
    "find_owner",
    "largest_free_run",
    "locate_address",
    "next_allocation",
    "next_free_run",
]

Cursor = tuple[int, int]
Bits = Callable[[genpool.Chunk], bytearray | bytes]


def locate_address(pool: genpool.Pool, chunks: Sequence[genpool.Chunk], text: str) -> Cursor:
    """The cursor on the granule holding the address ``text`` (hex or decimal).

    Raises ValueError with a one-line message for text that is not an
    address, an address outside every chunk, or one in a chunk's tail
    shorter than a granule.
    """
    addr = parse_number(text, "address", units=False)
    for index, chunk in enumerate(chunks):
        if chunk.start_addr <= addr <= chunk.end_addr:
            bit = (addr - chunk.start_addr) >> pool.min_alloc_order
            if bit >= chunk.nbits:
                raise ValueError(f"address {addr:#x} is in the tail of chunk {chunk.start_addr:#x}, under one granule")
            return index, bit
    spans = ", ".join(f"{chunk.start_addr:#x}-{chunk.end_addr:#x}" for chunk in chunks) or "none"
    raise ValueError(f"address {addr:#x} is outside the pool (chunks: {spans})")


def _extent_at(pool: genpool.Pool, chunk: genpool.Chunk, bits: bytearray | bytes, bit: int) -> tuple[int, int]:
    """``[start, end)`` of the allocation (tracked) or run of set granules holding set granule ``bit``."""
    if pool.trackers:
        extents = pool.extents(chunk, bit, bit + 1)
        if extents:
            head, length, _, _ = extents[0]
            return head, head + length
    end = bits.find(0, bit)
    return bits.rfind(0, 0, bit) + 1, len(bits) if end < 0 else end


def next_allocation(
    pool: genpool.Pool, chunks: Sequence[genpool.Chunk], bits_of: Bits, cursor: Cursor, direction: int
) -> Cursor | None:
    """The first granule of the next (``direction > 0``) or previous allocation from the cursor."""
    index, bit = cursor
    forward = direction > 0
    while 0 <= index < len(chunks):
        chunk = chunks[index]
        bits = bits_of(chunk)
        if forward:
            start = bit
            if 0 <= bit < len(bits) and bits[bit]:
                start = _extent_at(pool, chunk, bits, bit)[1]
            found = bits.find(1, start) if bit >= 0 else bits.find(1)
            if found >= 0:
                return index, found
            index, bit = index + 1, -1
        else:
            head = len(bits) if bit < 0 else bit
            if 0 <= bit < len(bits) and bits[bit]:
                head = _extent_at(pool, chunk, bits, bit)[0]
            last = bits.rfind(1, 0, head)
            if last >= 0:
                return index, _extent_at(pool, chunk, bits, last)[0]
            index, bit = index - 1, -1
    return None


def next_free_run(
    chunks: Sequence[genpool.Chunk], bits_of: Bits, cursor: Cursor, direction: int, granules: int
) -> Cursor | None:
    """The first granule of the next or previous run of at least ``granules`` free granules."""
    if granules < 1:
        raise ValueError("a free run is at least one granule")
    needle = bytes(granules)
    index, bit = cursor
    forward = direction > 0
    while 0 <= index < len(chunks):
        bits = bits_of(chunks[index])
        if forward:
            start = 0
            if bit >= 0:
                # Skip the free run the cursor stands in: the answer starts after it.
                start = bits.find(1, bit) if bits[bit] == 0 else bit
            if start >= 0:
                found = bits.find(needle, start)
                if found >= 0:
                    return index, found
            index, bit = index + 1, -1
        else:
            end = len(bits)
            if bit >= 0:
                end = bits.rfind(1, 0, bit) + 1 if bits[bit] == 0 else bit
            found = bits.rfind(needle, 0, end)
            if found >= 0:
                return index, bits.rfind(1, 0, found) + 1
            index, bit = index - 1, -1
    return None


def largest_free_run(chunks: Sequence[genpool.Chunk], bits_of: Bits) -> tuple[Cursor, int] | None:
    """The cursor on the first of the longest run of free granules (the lowest on ties) and its length."""
    best: tuple[Cursor, int] | None = None
    length = 0
    for index, chunk in enumerate(chunks):
        bits = bits_of(chunk)
        pos = 0
        while True:
            # Only a run longer than the best so far matters: search for exactly that.
            found = bits.find(bytes(length + 1), pos)
            if found < 0:
                break
            end = bits.find(1, found)
            end = len(bits) if end < 0 else end
            length = end - found
            best = ((index, found), length)
            pos = end
    return best


def find_owner(
    pool: genpool.Pool, chunks: Sequence[genpool.Chunk], cursor: Cursor | None, text: str
) -> tuple[Cursor, genpool.Allocation]:
    """The next allocation after the cursor (wrapping) whose owner contains ``text``, case ignored.

    Raises ValueError when the pool keeps no owners or none matches.
    """
    wanted = text.strip().casefold()
    if not wanted:
        raise ValueError("owner is required")
    if not pool.trackers:
        raise ValueError("this pool keeps no owners: create it with a tracker (tag, chunk or callsite)")
    order = pool.min_alloc_order
    position = {id(chunk): index for index, chunk in enumerate(chunks)}
    matches = []
    for record in pool.allocations():
        index = position.get(id(record.chunk))
        if index is not None and wanted in owner_text(record.owner).casefold():
            matches.append(((index, (record.addr - record.chunk.start_addr) >> order), record))
    if not matches:
        raise ValueError(f"no allocation's owner contains {text.strip()!r}")
    matches.sort(key=lambda match: match[0])
    if cursor is not None:
        for match in matches:
            if match[0] > cursor:
                return match
    return matches[0]
