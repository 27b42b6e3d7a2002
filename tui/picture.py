"""What the bitmap view draws, worked out without Textual: layout and cell contents.

The selected pool's chunks are drawn one under another (newest first, as
the kernel walks them).  Each chunk has a title row and then rows of
cells under an address ruler.  A cell stands for ``scale`` granules: at
scale 1 one granule, drawn with its allocation's owner and boundaries;
above it a block of granules, drawn as a density glyph.

Counting the set granules of a block is the hot path of a zoomed-out
view.  The bitmap keeps one byte (0 or 1) per granule, so the byte sum
of a block is its count, and ``adler32`` computes exactly that sum
(modulo 65521, hence blocks of at most 32768) in C that also releases the
GIL.  zlib-ng's SIMD ``adler32`` does it about four times faster than the
standard library's zlib (3.2 against 13 ms for the 32 M granules of a
256 MiB order-3 pool), which is most of what drawing such a pool costs.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zlib_ng import zlib_ng

if TYPE_CHECKING:
    import genpool

__all__ = [
    "DENSITY_GLYPHS",
    "BitmapLayout",
    "Row",
    "address_digits",
    "block_counts",
    "density_level",
    "round_columns",
]

#: Glyphs for a block of granules: free, up to a quarter used, half, three quarters, full.
DENSITY_GLYPHS = "·░▒▓█"
_ADLER_MAX = 1 << 15


def block_counts(bits: bytearray | bytes, first: int, count: int, scale: int) -> list[int]:
    """Set granules in each of ``count`` blocks of ``scale`` granules from ``first``.

    Blocks past the end of ``bits`` count 0; the last block may be short.
    """
    nbits = len(bits)
    if scale == 1:
        values = list(bits[first : first + count])
        values.extend([0] * (count - len(values)))
        return values
    end = min(first + count * scale, nbits)
    adler = zlib_ng.adler32
    with memoryview(bits) as view:
        if scale <= _ADLER_MAX:
            result = [(adler(view[start : start + scale]) & 0xFFFF) - 1 for start in range(first, end, scale)]
        else:
            result = []
            for start in range(first, end, scale):
                stop = min(start + scale, end)
                result.append(
                    sum(
                        (adler(view[p : min(p + _ADLER_MAX, stop)]) & 0xFFFF) - 1
                        for p in range(start, stop, _ADLER_MAX)
                    )
                )
    result.extend([0] * (count - len(result)))
    return result


def density_level(used: int, total: int) -> int:
    """Index into :data:`DENSITY_GLYPHS`: 0 only when free, 4 only when full."""
    if used <= 0:
        return 0
    if used >= total:
        return 4
    return min(3, 1 + (3 * used) // total)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the bitmap view.

    ``chunk`` is an index into the layout's chunks.  A title row has
    ``first_bit == -1``; a spacer row has ``chunk == -1``.
    """

    chunk: int
    first_bit: int = -1
    cells: int = 0

    @property
    def is_cells(self) -> bool:
        """Whether the row draws cells (not a title or a spacer)."""
        return self.first_bit >= 0


_SPACER = Row(-1)


def _rows_for(nbits: int, scale: int, columns: int) -> int:
    """Cell rows of a chunk of ``nbits`` granules (at least one, even for an empty chunk)."""
    cells = -(-nbits // scale)
    return max(1, -(-cells // columns))


class BitmapLayout:
    """Where every chunk's cells go for a given width and scale.

    ``width`` is the whole row in columns: the address ruler
    (``label_width`` columns) and then ``columns`` cells, a power of two
    (:func:`round_columns`).  Rows are worked
    out on demand, so a layout of a chunk of a billion granules at scale 1
    costs no more than one of a single row.
    """

    def __init__(self, chunks: tuple[genpool.Chunk, ...], width: int, scale: int) -> None:
        self.chunks = chunks
        self.scale = scale
        self.width = width
        self.digits = address_digits(chunks)
        self.label_width = self.digits + 4  # "0x", the digits, " │"
        self.columns = round_columns(width - self.label_width)
        titles: list[int] = []
        row = 0
        for index, chunk in enumerate(chunks):
            if index:
                row += 1  # spacer
            titles.append(row)
            row += 1 + _rows_for(chunk.nbits, scale, self.columns)
        self._titles = titles
        self._height = row

    @staticmethod
    def fit_scale(chunks: tuple[genpool.Chunk, ...], width: int, height: int) -> int:
        """The smallest power-of-two scale at which every chunk fits in ``height`` rows."""
        columns = round_columns(width - address_digits(chunks) - 4)
        overhead = 2 * len(chunks) - 1
        scale = 1
        while scale < 1 << 62:
            cell_rows = sum(_rows_for(chunk.nbits, scale, columns) for chunk in chunks)
            if overhead + cell_rows <= height or cell_rows <= len(chunks):
                return scale
            scale <<= 1
        return scale

    def __len__(self) -> int:
        return self._height

    def row(self, y: int) -> Row | None:
        """What row ``y`` shows, or None past the end."""
        if not 0 <= y < self._height:
            return None
        index = bisect_right(self._titles, y) - 1
        title = self._titles[index]
        if y == title:
            return Row(index)
        chunk = self.chunks[index]
        line = y - title - 1
        if line >= _rows_for(chunk.nbits, self.scale, self.columns):
            return _SPACER
        cells = -(-chunk.nbits // self.scale)
        first_cell = line * self.columns
        return Row(index, first_cell * self.scale, max(0, min(self.columns, cells - first_cell)))

    def locate(self, chunk_index: int, bit: int) -> tuple[int, int]:
        """Row and cell (column within the cells) of granule ``bit`` of a chunk."""
        cell = bit // self.scale
        return self._titles[chunk_index] + 1 + cell // self.columns, cell % self.columns

    def cell_at(self, y: int, x: int) -> tuple[int, int] | None:
        """The ``(chunk index, first bit)`` of the cell at column ``x`` of row ``y``, or None."""
        entry = self.row(y)
        if entry is None or not entry.is_cells:
            return None
        cell = x - self.label_width
        if not 0 <= cell < entry.cells:
            return None
        return entry.chunk, entry.first_bit + cell * self.scale

    def rows_showing(self, chunk_index: int, first_bit: int, last_bit: int) -> range:
        """Rows that show any granule of ``[first_bit, last_bit]`` of a chunk."""
        chunk = self.chunks[chunk_index]
        last_bit = min(last_bit, chunk.nbits - 1)
        if first_bit > last_bit:
            return range(0)
        first_row, _ = self.locate(chunk_index, first_bit)
        last_row, _ = self.locate(chunk_index, last_bit)
        return range(first_row, last_row + 1)

    def chunk_index(self, chunk: genpool.Chunk) -> int | None:
        """Index of ``chunk`` in the layout, or None."""
        for index, candidate in enumerate(self.chunks):
            if candidate is chunk:
                return index
        return None

    def title_row(self, chunk_index: int) -> int:
        """The row of a chunk's title."""
        return self._titles[chunk_index]


def round_columns(room: int) -> int:
    """The cells a row holds in ``room`` columns: a power of two, so that a row spans a round number of bytes.

    Row labels then read like ``0x40040000``, never ``0x40e40000``, at
    the cost of up to half the width at some sizes.
    """
    return 1 << (max(1, room).bit_length() - 1)


def address_digits(chunks: tuple[genpool.Chunk, ...]) -> int:
    """Hex digits the address ruler needs: at least 8, 16 for a 64-bit address."""
    top = max((chunk.end_addr for chunk in chunks), default=0)
    return max(8, (top.bit_length() + 3) // 4)
