"""The small forms of finding: go to an address, find an owner, the least free run to look for."""

from __future__ import annotations

import genpool
from textual.app import ComposeResult
from textual.widgets import Input

from .finder import Cursor, find_owner, locate_address
from .forms import FormScreen, field
from .values import parse_number

__all__ = ["FindOwnerScreen", "FreeRunSizeScreen", "GoToScreen"]


class GoToScreen(FormScreen):
    """Asks for an address; dismisses with the cursor on its granule."""

    heading = "Go to address"
    submit_label = "Go"

    def __init__(self, pool: genpool.Pool, chunks: tuple[genpool.Chunk, ...]) -> None:
        super().__init__()
        self.pool = pool
        self.chunks = chunks

    def fields(self) -> ComposeResult:
        """One field: the address, hex (0x...) or decimal."""
        yield field("address", Input(placeholder="0x10000040 or 268435520", id="f-address"))

    def apply(self) -> Cursor:
        """The cursor on the address; an address outside the pool is refused in place."""
        return locate_address(self.pool, self.chunks, self.value("#f-address"))


class FindOwnerScreen(FormScreen):
    """Asks for (part of) an owner; dismisses with ``(cursor, allocation, text)`` of the next match."""

    heading = "Find the next allocation of an owner"
    submit_label = "Find"

    def __init__(
        self, pool: genpool.Pool, chunks: tuple[genpool.Chunk, ...], cursor: Cursor | None, last: str = ""
    ) -> None:
        super().__init__()
        self.pool = pool
        self.chunks = chunks
        self.cursor = cursor
        self.last = last

    def fields(self) -> ComposeResult:
        """One field: text the owner contains (case ignored)."""
        yield field("owner contains", Input(self.last, placeholder="rx-ring", id="f-owner"))

    def apply(self) -> object:
        """``(cursor, allocation, text)`` of the next match after the cursor, wrapping; none is refused in place."""
        text = self.value("#f-owner")
        cursor, record = find_owner(self.pool, self.chunks, self.cursor, text)
        return cursor, record, text


class FreeRunSizeScreen(FormScreen):
    """Asks for the least size of a free run that ``<`` and ``>`` look for; dismisses with bytes."""

    heading = "Free runs to look for"
    submit_label = "Set"

    def __init__(self, current: int) -> None:
        super().__init__()
        self.current = current

    def fields(self) -> ComposeResult:
        """One field: the least size, in bytes (``64K`` and the like allowed)."""
        yield field("at least", Input(str(self.current), placeholder="4096 or 64K", id="f-run-size"))

    def apply(self) -> int:
        """The size, at least one byte."""
        return parse_number(self.value("#f-run-size"), "size", minimum=1)
