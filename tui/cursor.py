"""Moving the bitmap cursor between cells and chunks (no Textual here).

A cursor is ``(chunk index, granule)``.  It keeps its granule across zoom
levels; moves go by cells (``layout.scale`` granules) and rows
(``layout.columns`` cells), and cross into the neighbouring chunk at the
ends of one.  Chunks with no granule (smaller than one) are skipped.
"""

from __future__ import annotations

from .picture import BitmapLayout

__all__ = ["Cursor", "clamp", "edge", "move"]

Cursor = tuple[int, int]


def _cells(layout: BitmapLayout, index: int) -> int:
    return -(-layout.chunks[index].nbits // layout.scale)


def clamp(layout: BitmapLayout, cursor: Cursor | None) -> Cursor | None:
    """The nearest valid cursor (None when no chunk has a granule)."""
    chunks = layout.chunks
    if not any(chunk.nbits for chunk in chunks):
        return None
    index, bit = cursor if cursor is not None else (0, 0)
    index = min(max(index, 0), len(chunks) - 1)
    for candidate in [*range(index, len(chunks)), *range(index - 1, -1, -1)]:
        if chunks[candidate].nbits:
            if candidate != index:
                bit = 0
            return candidate, min(max(bit, 0), chunks[candidate].nbits - 1)
    return None  # pragma: no cover - excluded above


def move(layout: BitmapLayout, cursor: Cursor, dx: int, dy: int) -> Cursor:
    """``dx`` cells right and ``dy`` rows down, crossing chunk edges."""
    index, bit = cursor
    scale, columns = layout.scale, layout.columns
    cell = bit // scale + dx + dy * columns
    column = (bit // scale) % columns
    while True:
        cells = _cells(layout, index)
        if 0 <= cell < cells:
            return index, cell * scale
        step = 1 if cell >= cells else -1
        neighbour = index + step
        while 0 <= neighbour < len(layout.chunks) and not layout.chunks[neighbour].nbits:
            neighbour += step
        if not 0 <= neighbour < len(layout.chunks):
            return index, min(max(cell, 0), cells - 1) * scale
        if dy:
            # Same column, first or last row of the neighbour.
            target_cells = _cells(layout, neighbour)
            if step > 0:
                cell = min(column, target_cells - 1)
            else:
                last_row_start = (target_cells - 1) // columns * columns
                cell = min(last_row_start + column, target_cells - 1)
            return neighbour, cell * scale
        cell = cell - cells if step > 0 else _cells(layout, neighbour) + cell
        index = neighbour


def edge(layout: BitmapLayout, cursor: Cursor, direction: int) -> Cursor:
    """The first (``direction < 0``) or last cell of the cursor's chunk."""
    index, _ = cursor
    if direction < 0:
        return index, 0
    return index, (_cells(layout, index) - 1) * layout.scale
