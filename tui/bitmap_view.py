"""The bitmap view: every chunk of one pool, drawn with Textual's Line API.

A :class:`~textual.scroll_view.ScrollView` whose :meth:`render_line`
draws one row from a per-row cache of strips.  The app tells the view
which granules changed (:meth:`BitmapView.refresh_pages`); only the rows
that show them are drawn again, and only those on screen are repainted.

At one granule per cell an allocated cell is coloured by its owner and
bracketed: ``[`` opens an allocation, ``]`` closes it, ``■`` is a
one-granule allocation and the cells between carry the owner's first
letter, so two neighbours are told apart without colour.  Zoomed out,
a cell is a block of granules drawn as a density glyph (``·░▒▓█``) in
the colour of the owner holding most of it, ``×`` where owners share it
(see :mod:`genpool.tui.painter`).  The cursor's row is marked ``▶`` in
the ruler and the allocation under the cursor underlined, so neither
rests on colour alone.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

import genpool
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from . import cursor as cursor_moves
from .cell import CellInfo, cell_at, selected_extent
from .live import PAGE_SHIFT
from .owners import OWNER_SLOTS, OwnerColours
from .painter import EDGE, INK, RowPainter
from .painter import Cell as _Cell
from .picture import BitmapLayout
from .values import human_size

__all__ = ["BitmapView"]

MAX_SCALE = 1 << 40
#: Drawn in the address ruler of the cursor's row.
CURSOR_MARK = "▶"
_style_of = itemgetter(1)


class BitmapView(ScrollView, can_focus=True):
    """The chunks of one pool, one under another, with an address ruler."""

    COMPONENT_CLASSES = {
        "bitmap--free",
        "bitmap--used",
        "bitmap--boundary",
        "bitmap--cursor",
        "bitmap--selected",
        "bitmap--ruler",
        "bitmap--title",
        *(f"bitmap--owner-{slot}" for slot in range(OWNER_SLOTS)),
    }

    BINDINGS = [
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "Chunk start", show=False),
        Binding("end", "edge(1)", "Chunk end", show=False),
    ]

    class CursorMoved(Message):
        """The cursor moved, or what is under it changed."""

        def __init__(self, view: BitmapView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, owners: OwnerColours, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.owners = owners
        self.pool: genpool.Pool | None = None
        self.grid = BitmapLayout((), 80, 1)
        #: Granules per cell; None while the view picks the scale that fits.
        self.zoom: int | None = None
        #: ``(chunk index, bit)`` under the cursor, or None.
        self.cursor: tuple[int, int] | None = None
        self._frozen: dict[genpool.Chunk, bytes] | None = None
        self._cache: LRUCache[int, tuple[list[_Cell], Strip]] = LRUCache(2048)
        self._styles: dict[str, Style] = {}
        self._selection: tuple[int, int, int] | None = None
        self._chunk_rows: dict[int, int] = {}
        self.rows_drawn = 0

    # -- what to show ---------------------------------------------------------

    def show_pool(self, pool: genpool.Pool | None) -> None:
        """Draw ``pool`` (None: nothing); the cursor goes to its first granule."""
        self.pool = pool
        self.zoom = None
        if self._frozen is not None:
            self._frozen = self._freeze_bits()
        self.relayout()
        self.cursor = (0, 0) if pool is not None and pool.chunks else None
        self._cursor_changed(scroll=True)

    def relayout(self) -> None:
        """Lay the chunks out again (new chunks, new size, new zoom)."""
        chunks = self.pool.chunks if self.pool is not None else ()
        width = max(self.scrollable_content_region.width, 20)
        height = max(self.scrollable_content_region.height, 1)
        scale = self.zoom if self.zoom is not None else BitmapLayout.fit_scale(chunks, width, height)
        self.grid = BitmapLayout(chunks, width, scale)
        self._chunk_rows = {id(chunk): index for index, chunk in enumerate(chunks)}
        self.virtual_size = Size(width, len(self.grid))
        if self.cursor is not None and self.cursor[0] >= len(chunks):
            self.cursor = (0, 0) if chunks else None
        self._cache.clear()
        self.border_subtitle = self._scale_text()
        self.refresh()

    def _scale_text(self) -> str:
        if self.pool is None:
            return ""
        scale = self.grid.scale
        what = "1 granule" if scale == 1 else f"{scale:,} granules ({human_size(scale * self.pool.granule)})"
        return f"{what} per cell{'' if self.zoom is None else ' (zoomed)'}"

    def refresh_pages(self, pages: dict[genpool.Chunk, set[int]]) -> None:
        """Granules in these pages changed: draw their rows again."""
        layout = self.grid
        row_bits = layout.columns * layout.scale
        dirty: set[int] = set()
        for chunk, chunk_pages in pages.items():
            index = self._chunk_rows.get(id(chunk))
            if index is None:
                continue
            base = layout.title_row(index) + 1
            dirty.add(base - 1)
            for page in chunk_pages:
                low = base + (page << PAGE_SHIFT) // row_bits
                high = base + (((page + 1) << PAGE_SHIFT) - 1) // row_bits
                dirty.add(low)
                if high != low:
                    dirty.update(range(low + 1, high + 1))
        self._repaint(dirty)
        self._update_selection()

    def reload(self) -> None:
        """Everything may have changed: draw every row again."""
        self._cache.clear()
        self._update_selection()
        self.refresh()

    def _repaint(self, rows: set[int]) -> None:
        cache = self._cache
        top = round(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        visible = []
        for row in rows:
            cache.discard(row)
            if top <= row < top + height:
                visible.append(row)
        if len(visible) * 2 > height:
            self.refresh()
            return
        width = self.size.width
        for row in visible:
            self.refresh(Region(0, row - top, width, 1))

    # -- pause ----------------------------------------------------------------

    @property
    def frozen(self) -> bool:
        """Whether the picture is frozen (live updates paused)."""
        return self._frozen is not None

    def freeze(self) -> None:
        """Keep drawing the bitmaps as they are now, whatever happens to the pool."""
        self._frozen = self._freeze_bits()

    def thaw(self) -> None:
        """Draw the live bitmaps again."""
        self._frozen = None
        self.relayout()
        self._update_selection()

    def _freeze_bits(self) -> dict[genpool.Chunk, bytes]:
        chunks = self.pool.chunks if self.pool is not None else ()
        return {chunk: bytes(chunk.bitmap.raw) for chunk in chunks}

    def bits(self, chunk: genpool.Chunk) -> bytearray | bytes:
        """The bitmap of ``chunk`` as drawn: the frozen picture while paused, else the live one."""
        if self._frozen is not None:
            bits = self._frozen.get(chunk)
            if bits is not None:
                return bits
        return chunk.bitmap.raw

    # -- zoom -----------------------------------------------------------------

    def zoom_in(self) -> None:
        """Half as many granules per cell (down to one)."""
        self._set_zoom(max(1, self.grid.scale >> 1))

    def zoom_out(self) -> None:
        """Twice as many granules per cell."""
        self._set_zoom(min(MAX_SCALE, self.grid.scale << 1))

    def zoom_fit(self) -> None:
        """Pick the scale at which the whole pool fits again."""
        self.zoom = None
        self.relayout()
        self._cursor_changed(scroll=True)

    def _set_zoom(self, scale: int) -> None:
        self.zoom = scale
        self.relayout()
        self._cursor_changed(scroll=True)

    # -- drawing --------------------------------------------------------------

    def notify_style_update(self) -> None:
        """The theme or CSS changed: forget every style and strip."""
        super().notify_style_update()
        self._styles = {}
        self._cache.clear()

    def _base_style(self) -> Style:
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            # Variants are made once: building a Style costs tens of microseconds.
            if name.endswith(EDGE):
                edge = Style(color=self._style("boundary").color, bold=True)
                style = self._styles[name] = self._style(name.removesuffix(EDGE)) + edge
                return style
            if name.endswith(INK):
                part = self._style(name.removesuffix(INK))
                style = self._styles[name] = Style(color=part.bgcolor or part.color)
                return style
            # Overlays (the selection's underline, the boundary's colour) must not bring a background.
            partial = name in ("selected", "boundary")
            style = self._styles[name] = self.get_component_rich_style(f"bitmap--{name}", partial=partial)
        return style

    def render_line(self, y: int) -> Strip:
        """Draw row ``y`` of the visible part of the view."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        entry = self._cache.get(index)
        if entry is None:
            entry = self._draw_row(index)
            self._cache[index] = entry
        cells, strip = entry
        overlay = self._overlay(index, len(cells))
        if overlay:
            marked = self.cursor is not None and self.grid.locate(*self.cursor)[0] == index
            strip = self._strip(index, [overlay.get(i, cell) for i, cell in enumerate(cells)], marked=marked)
        return strip.crop_extend(scroll_x, scroll_x + width, self._base_style())

    def painter(self) -> RowPainter | None:
        """The painter of the current layout (None with no pool)."""
        if self.pool is None:
            return None
        return RowPainter(self.pool, self.grid, self.bits, self._style, self.owners)

    def _draw_row(self, index: int) -> tuple[list[_Cell], Strip]:
        self.rows_drawn += 1
        row = self.grid.row(index)
        painter = self.painter()
        if row is None or row.chunk < 0 or painter is None:
            return [], Strip.blank(self.grid.width, self._base_style())
        if not row.is_cells:
            title = Strip([Segment(painter.title(row.chunk), self._style("title"))])
            return [], title.adjust_cell_length(self.grid.width, self._base_style())
        cells = painter.cells(row)
        return cells, self._strip(index, cells, painter)

    def _strip(
        self, index: int, cells: list[_Cell], painter: RowPainter | None = None, *, marked: bool = False
    ) -> Strip:
        row = self.grid.row(index)
        painter = painter or self.painter()
        assert row is not None and painter is not None
        label = painter.label(row)
        if marked:
            # The cursor's row is marked in the ruler too, so the cursor is found by shape, not colour alone.
            segments = [Segment(label[:-1], self._style("ruler")), Segment(CURSOR_MARK, self._style("cursor"))]
        else:
            segments = [Segment(label, self._style("ruler"))]
        for style, run in groupby(cells, _style_of):
            segments.append(Segment("".join([glyph for glyph, _ in run]), style))
        return Strip(segments).adjust_cell_length(self.grid.width, self._base_style())

    def _overlay(self, index: int, ncells: int) -> dict[int, _Cell] | None:
        """Cursor and selected-allocation highlights on row ``index``, by cell."""
        if not ncells:
            return None
        row = self.grid.row(index)
        entry = self._cache.get(index)
        if row is None or not row.is_cells or entry is None:
            return None
        base = entry[0]
        scale = self.grid.scale
        first_cell = row.first_bit // scale
        overlay: dict[int, _Cell] = {}
        if self._selection is not None and self._selection[0] == row.chunk:
            _, low, high = self._selection
            selected = self._style("selected")
            for cell in range(max(0, low // scale - first_cell), min(ncells, (high - 1) // scale - first_cell + 1)):
                glyph, style = base[cell]
                overlay[cell] = (glyph, style + selected)
        if self.cursor is not None and self.cursor[0] == row.chunk:
            cell = self.cursor[1] // scale - first_cell
            if 0 <= cell < ncells:
                overlay[cell] = (base[cell][0], self._style("cursor"))
        return overlay or None

    # -- the cursor -----------------------------------------------------------

    def action_move(self, dx: int, dy: int) -> None:
        """Move the cursor by cells and rows."""
        if self.cursor is not None:
            self.cursor = cursor_moves.move(self.grid, self.cursor, dx, dy)
            self._cursor_changed(scroll=True)

    def action_page(self, direction: int) -> None:
        """Move the cursor a screenful of rows."""
        self.action_move(0, direction * max(1, self.scrollable_content_region.height - 1))

    def action_edge(self, direction: int) -> None:
        """Move the cursor to the first or last cell of its chunk."""
        if self.cursor is not None:
            self.cursor = cursor_moves.edge(self.grid, self.cursor, direction)
            self._cursor_changed(scroll=True)

    def put_cursor(self, cursor: tuple[int, int]) -> None:
        """Put the cursor on ``(chunk index, granule)`` of the layout and scroll it into view."""
        self.cursor = cursor_moves.clamp(self.grid, cursor)
        self._cursor_changed(scroll=True)

    def move_cursor_to(self, chunk: genpool.Chunk, bit: int) -> None:
        """Put the cursor on granule ``bit`` of ``chunk``."""
        index = self._chunk_rows.get(id(chunk))
        if index is not None:
            self.cursor = cursor_moves.clamp(self.grid, (index, bit))
            self._cursor_changed(scroll=True)

    def on_click(self, event: events.Click) -> None:
        """Select the clicked cell."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset + self.scroll_offset
        target = self.grid.cell_at(y, x)
        if target is not None:
            self.cursor = target
            self._cursor_changed(scroll=False)
        self.focus()

    def on_resize(self, event: events.Resize) -> None:
        """Lay out again for the new width (and the new fit, if fitting)."""
        self.relayout()
        self._cursor_changed(scroll=True)

    def _cursor_changed(self, *, scroll: bool) -> None:
        self.cursor = cursor_moves.clamp(self.grid, self.cursor) if self.pool is not None else None
        self._update_selection()
        if scroll and self.cursor is not None:
            row, _ = self.grid.locate(*self.cursor)
            top = round(self.scroll_offset.y)
            height = max(1, self.scrollable_content_region.height)
            if row - 1 < top:
                self.scroll_to(y=max(0, row - 1), animate=False)
            elif row >= top + height:
                self.scroll_to(y=row - height + 1, animate=False)
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def _update_selection(self) -> None:
        selection = None
        if self.pool is not None and self.cursor is not None:
            selection = selected_extent(self.pool, self.grid, self.cursor)
        if selection != self._selection:
            self._selection = selection
            self.refresh()

    def cell_info(self) -> CellInfo | None:
        """What the cell under the cursor holds (from the frozen picture while paused)."""
        if self.pool is None or self.cursor is None:
            return None
        return cell_at(self.pool, self.grid, self.bits, self.cursor)

    def selected_allocation(self) -> genpool.Allocation | None:
        """The allocation under the cursor, if the pool tracks allocations."""
        info = self.cell_info()
        return info.allocation if info is not None else None
