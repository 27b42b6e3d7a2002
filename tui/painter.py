"""What each cell of a bitmap row shows: a glyph and a Rich style.

Kept apart from the widget so it can be read (and tested) on its own:
the widget caches what :class:`RowPainter` returns and turns it into
strips.  Styles come from a callable that maps a part name (``free``,
``used``, ``boundary``, ``owner-3``, ``owner-3+edge``, ``owner-3+ink`` ...) to a Rich style, which the
widget takes from its TCSS component classes and so from the theme.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import genpool
from rich.style import Style

from .owners import OwnerColours, owner_letter
from .picture import DENSITY_GLYPHS, BitmapLayout, Row, block_counts, density_level
from .values import format_address, human_size

__all__ = ["EDGE", "INK", "MIXED_GLYPH", "Cell", "RowPainter"]

Cell = tuple[str, Style]
#: A block of granules held by more than one owner (drawn in the colour of the one holding most).
MIXED_GLYPH = "×"
#: Suffix of a part name for its boundary variant (``owner-3+edge``): the part with the boundary colour, bold.
EDGE = "+edge"
#: Suffix of a part name for its ink variant (``owner-3+ink``): the part's colour as the glyph's, no
#: background, for density glyphs, which a coloured background would hide.
INK = "+ink"


@lru_cache(maxsize=16)
def _density_cells(scale: int, free: Cell, used: Style) -> tuple[Cell, ...]:
    """The cell for each possible count of a full block of ``scale`` granules: one lookup per cell.

    Cached: every row of a frame (and every frame of a flood) draws at the same scale and styles.
    """
    return (free, *((DENSITY_GLYPHS[density_level(n, scale)], used) for n in range(1, scale + 1)))


class RowPainter:
    """Paints the rows of a :class:`BitmapLayout` of one pool."""

    def __init__(
        self,
        pool: genpool.Pool,
        layout: BitmapLayout,
        bits_of: Callable[[genpool.Chunk], bytearray | bytes],
        style: Callable[[str], Style],
        owners: OwnerColours,
    ) -> None:
        self.pool = pool
        self.layout = layout
        self.bits_of = bits_of
        self.style = style
        self.owners = owners

    def title(self, index: int) -> str:
        """The title row of chunk ``index``: extent, size, physical address, granules (the last dropped first).

        Parts that do not fit the layout's width are left out whole rather
        than cut in the middle of a number.
        """
        chunk = self.layout.chunks[index]
        phys = "no phys" if chunk.phys_addr is None else f"phys {chunk.phys_addr:#x}"
        digits = self.layout.digits
        parts = [
            f"{format_address(chunk.start_addr, digits)}-{format_address(chunk.end_addr, digits)}",
            human_size(chunk.size),
            phys,
            f"{chunk.nbits:,} granules",
        ]
        while len(parts) > 1 and len(" · ".join(parts)) > self.layout.width:
            parts.pop()
        return " · ".join(parts)

    def label(self, row: Row) -> str:
        """The address ruler of a cell row: the address of its first granule."""
        chunk = self.layout.chunks[row.chunk]
        return format_address(chunk.address_of(row.first_bit), self.layout.digits) + " │"

    def cells(self, row: Row) -> list[Cell]:
        """The cells of a cell row."""
        chunk = self.layout.chunks[row.chunk]
        bits = self.bits_of(chunk)
        scale = self.layout.scale
        counts = block_counts(bits, row.first_bit, row.cells, scale)
        free = ("·", self.style("free"))
        if scale == 1:
            return self._granule_cells(chunk, row.first_bit, counts, free)
        used = self.style("used")
        table = _density_cells(scale, free, used) if scale <= 4096 else None
        if table is not None:
            cells = [table[count] for count in counts]
        else:
            cells = [free if n == 0 else (DENSITY_GLYPHS[density_level(n, scale)], used) for n in counts]
        # The chunk's last block may be short: judge it against its own size.
        last_start = row.first_bit + (len(counts) - 1) * scale
        tail = chunk.nbits - last_start
        if counts and 0 < tail < scale and counts[-1]:
            cells[-1] = (DENSITY_GLYPHS[density_level(counts[-1], tail)], used)
        if self.pool.trackers:
            self._mark_owners(chunk, row, cells)
        return cells

    def _mark_owners(self, chunk: genpool.Chunk, row: Row, cells: list[Cell]) -> None:
        """Colour each block by the owner holding most of it; mark mixed blocks and aligned boundaries."""
        scale = self.layout.scale
        first = row.first_bit
        end = first + row.cells * scale
        extents = self.pool.extents(chunk, first, end)
        if not extents:
            return
        weights: dict[int, dict[object, int]] = {}
        heads: set[int] = set()
        tails: set[int] = set()
        for head, length, _, _ in extents:
            if head >= first and head % scale == 0:
                heads.add((head - first) // scale)
            if head + length <= end and (head + length) % scale == 0:
                tails.add((head + length - first) // scale - 1)
        keys = {owner if owner is None or isinstance(owner, (str, int)) else repr(owner) for _, _, owner, _ in extents}
        if len(keys) == 1:
            # One owner in the whole row (a live pool often has none at all): no block is mixed.
            self._mark_one_owner(cells, next(iter(keys)), heads, tails)
            return
        for head, length, owner, _ in extents:
            key = owner if owner is None or isinstance(owner, (str, int)) else repr(owner)
            stop = min(head + length, end)
            pos = max(head, first)
            cell = (pos - first) // scale
            while pos < stop:
                take = min(stop, first + (cell + 1) * scale) - pos
                owners = weights.get(cell)
                if owners is None:
                    owners = weights[cell] = {}
                owners[key] = owners.get(key, 0) + take
                pos += take
                cell += 1
        for cell, owners in weights.items():
            if cell >= len(cells):
                continue
            owner = max(owners, key=owners.__getitem__) if len(owners) > 1 else next(iter(owners))
            slot = self.owners.slot(owner)
            name = "used" if slot is None else f"owner-{slot}"
            if len(owners) > 1:
                cells[cell] = (MIXED_GLYPH, self.style(name + EDGE))
            elif cell in heads or cell in tails:
                glyph = "■" if cell in heads and cell in tails else "[" if cell in heads else "]"
                cells[cell] = (glyph, self.style(name + EDGE))
            else:
                cells[cell] = (cells[cell][0], self.style(name + INK))

    def _mark_one_owner(self, cells: list[Cell], owner: object, heads: set[int], tails: set[int]) -> None:
        """A row whose allocations all have ``owner``: its colour on every used block, aligned boundaries."""
        slot = self.owners.slot(owner)
        name = "used" if slot is None else f"owner-{slot}"
        if slot is not None:
            style = self.style(name + INK)
            free = self.style("free")
            for cell, (glyph, cell_style) in enumerate(cells):
                if cell_style is not free:
                    cells[cell] = (glyph, style)
        edge = self.style(name + EDGE)
        count = len(cells)
        for cell in heads | tails:
            if cell < count:
                cells[cell] = ("■" if cell in heads and cell in tails else "[" if cell in heads else "]", edge)

    def _granule_cells(self, chunk: genpool.Chunk, first: int, values: list[int], free: Cell) -> list[Cell]:
        """One cell per granule: the owner's colour, brackets at each allocation's ends."""
        pool = self.pool
        order = pool.min_alloc_order
        tracked = bool(pool.trackers)
        cells: list[Cell] = []
        count = len(values)
        i = 0
        while i < count:
            if not values[i]:
                cells.append(free)
                i += 1
                continue
            bit = first + i
            record = pool.allocation_at(chunk.address_of(bit)) if tracked else None
            if record is None:
                cells.append(("█", self.style("used")))
                i += 1
                continue
            head = (record.addr - chunk.start_addr) >> order
            length = record.size >> order
            slot = self.owners.slot(record.owner)
            name = "used" if slot is None else f"owner-{slot}"
            style = self.style(name)
            edge = self.style(name + EDGE)
            letter = owner_letter(record.owner)
            stop = min(head + length, first + count)
            while bit < stop:
                if not values[bit - first]:
                    cells.append(free)
                elif length == 1:
                    cells.append(("■", edge))
                elif bit == head:
                    cells.append(("[", edge))
                elif bit == head + length - 1:
                    cells.append(("]", edge))
                else:
                    cells.append((letter, style))
                bit += 1
            i = stop - first
        return cells
