"""What the cell under the bitmap cursor holds, worked out without Textual.

A cell stands for ``layout.scale`` granules.  :func:`cell_at` gives the
full story for the cursor panel and the actions (every allocation in the
cell, with what each tracker recorded); :func:`selected_extent` the cheap
answer a redraw needs (the one allocation to underline, if there is one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import genpool

from .picture import BitmapLayout, block_counts

__all__ = ["CellInfo", "cell_at", "selected_extent"]


@dataclass(frozen=True, slots=True)
class CellInfo:
    """What the cell under the cursor holds."""

    pool: genpool.Pool
    chunk: genpool.Chunk
    first_bit: int
    granules: int
    used: int
    #: The allocation the cursor stands on: at one granule per cell the one holding it,
    #: zoomed out the cell's only allocation (None when the cell holds several).
    allocation: genpool.Allocation | None
    #: Every tracked allocation overlapping the cell, in address order.
    allocations: tuple[genpool.Allocation, ...] = ()

    @property
    def address(self) -> int:
        """Address of the cell's first granule."""
        return self.chunk.address_of(self.first_bit)

    @property
    def phys(self) -> int | None:
        """Physical address of the cell's first granule, if the chunk has one."""
        if self.chunk.phys_addr is None:
            return None
        return (self.chunk.phys_addr + self.address - self.chunk.start_addr) & ((1 << 64) - 1)


def cell_at(
    pool: genpool.Pool,
    layout: BitmapLayout,
    bits_of: Callable[[genpool.Chunk], bytearray | bytes],
    cursor: tuple[int, int],
) -> CellInfo | None:
    """The cell holding granule ``cursor`` = ``(chunk index, granule)`` of ``layout`` (None past its chunks)."""
    index, bit = cursor
    if index >= len(layout.chunks):
        return None
    chunk = layout.chunks[index]
    scale = layout.scale
    first = bit // scale * scale
    granules = max(0, min(scale, chunk.nbits - first))
    bits = bits_of(chunk)
    used = block_counts(bits, first, 1, granules)[0] if granules else 0
    records: tuple[genpool.Allocation, ...] = ()
    if used:
        heads = [head for head, _, _, _ in pool.extents(chunk, first, first + granules)]
        found = (pool.allocation_at(chunk.address_of(head)) for head in heads)
        records = tuple(record for record in found if record is not None)
    record = records[0] if len(records) == 1 else None
    return CellInfo(pool, chunk, first, granules, used, record, records)


def selected_extent(pool: genpool.Pool, layout: BitmapLayout, cursor: tuple[int, int]) -> tuple[int, int, int] | None:
    """``(chunk index, first granule, end granule)`` of the allocation to underline, or None.

    The allocation holding the cursor's granule at one granule per cell;
    zoomed out, the cell's only allocation.  Runs on every redraw of a
    live pool, so it reads :meth:`genpool.Pool.extents`, not full records.
    """
    index, bit = cursor
    if index >= len(layout.chunks):
        return None
    chunk = layout.chunks[index]
    scale = layout.scale
    first = bit // scale * scale if scale > 1 else bit
    extents = pool.extents(chunk, first, first + scale)
    if len(extents) != 1:
        return None
    head, length, _, _ = extents[0]
    return index, head, head + length
