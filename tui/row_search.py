"""Which allocation rows a filter keeps, found without writing out every row's text.

The table's filter keeps a row when the text ``"<address> <owner> <call
site>"`` (address in hex, the whole casefolded) contains the typed text.
Owners and call sites repeat a lot (100,000 allocations may have a few
dozen owners and a handful of call sites), so :class:`RowSearch` makes
each distinct one text once and tests the needle against those few
texts; the rows are then picked by which owner and call site they hold,
with per-row work left to C loops (``map``, ``itertools.compress``).
Addresses are made text only when the needle could be part of one.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, repeat
from operator import and_, itemgetter
from typing import Any

__all__ = ["RowSearch"]

# Row tuple layout of the ledger's allocations view.
_ADDR, _OWNER, _SITE = 0, 2, 3
# Every character that ``f"{address:#x}"`` can hold.
_HEX_CHARS = frozenset("0123456789abcdefx")

Row = tuple[Any, ...]


class _Column:
    """One column's distinct values, each made casefolded text once.

    ``keys`` holds each row's key and ``texts`` maps a key to its text.
    A value is its own key when it hashes in C (strings, numbers, None:
    the common owners); otherwise, and for unhashable values, its
    identity is: the ``callsite`` tracker hands out one object per call
    site, whose dataclass hash would cost a Python call per row.
    Objects equal in value but not identical still read the same, since
    ``text`` is remembered per value by the ledger.
    """

    __slots__ = ("keys", "texts")

    def __init__(self, rows: Sequence[Row], index: int, text: Callable[[Any], str], by_value: bool) -> None:
        values = list(map(itemgetter(index), rows))
        if by_value:
            try:
                self.texts = {value: text(value).casefold() for value in dict.fromkeys(values)}
                self.keys: list[Any] = values
                return
            except TypeError:  # an unhashable value: key them all by identity
                pass
        self.keys = list(map(id, values))
        self.texts = {key: text(value).casefold() for key, value in dict(zip(self.keys, values, strict=True)).items()}

    def holding(self, wanted: str) -> set[Any]:
        """The keys whose text contains ``wanted``."""
        return {key for key, text in self.texts.items() if wanted in text}


class RowSearch:
    """The filter over one snapshot of allocation rows; made once, asked at every keystroke.

    ``owner_name`` and ``site_text`` make an owner and a call site text as
    the table shows them.  The distinct texts are made on the first
    search and kept, as are the addresses' texts once a needle needs them.
    """

    __slots__ = ("_addresses", "_owner_name", "_owners", "_rows", "_site_text", "_sites")

    def __init__(self, rows: Sequence[Row], owner_name: Callable[[Any], str], site_text: Callable[[Any], str]) -> None:
        """Search ``rows`` (allocation rows of a ledger, which must not change)."""
        self._rows = rows
        self._owner_name = owner_name
        self._site_text = site_text
        self._owners: _Column | None = None
        self._sites: _Column | None = None
        self._addresses: list[str] | None = None

    def matching(self, wanted: str) -> list[Row]:
        """The rows whose ``"<address> <owner> <call site>"`` text contains ``wanted``.

        ``wanted`` must already be casefolded and not empty; the rows keep
        their order.
        """
        if not wanted or wanted != wanted.casefold():
            raise ValueError(f"wanted must be casefolded text, not empty, not {wanted!r}")
        if self._owners is None or self._sites is None:
            self._owners = _Column(self._rows, _OWNER, self._owner_name, by_value=True)
            self._sites = _Column(self._rows, _SITE, self._site_text, by_value=False)
        owners, sites = self._owners, self._sites
        if " " not in wanted:
            # Fields are joined by spaces, so a needle without one lies within one field.
            masks = self._field_masks(wanted, owners, sites)
        else:
            masks = self._spanning_masks(wanted, owners, sites)
        if masks is None:
            return list(self._rows)
        if not masks:
            return []
        return list(compress(self._rows, masks[0] if len(masks) == 1 else map(any, zip(*masks, strict=True))))

    def _field_masks(self, wanted: str, owners: _Column, sites: _Column) -> list[Iterable[bool]] | None:
        """Per-row truth of "``wanted`` is in the address, owner or call site"; None when every row holds it."""
        masks: list[Iterable[bool]] = []
        for column in (owners, sites):
            keys = column.holding(wanted)
            if len(keys) == len(column.texts):
                return None
            if keys:
                masks.append(map(keys.__contains__, column.keys))
        if _HEX_CHARS.issuperset(wanted):
            masks.append(map(str.__contains__, self._address_texts(), repeat(wanted)))
        return masks

    def _spanning_masks(self, wanted: str, owners: _Column, sites: _Column) -> list[Iterable[bool]] | None:
        """The same for a needle with a space, which may run from one field into the next.

        Such a match either lies in ``"<owner> <call site>"``, or starts in
        the address (which has no space): then the needle's first space
        is the one after the address, what comes before it ends the
        address and what follows begins ``"<owner> <call site>"``.
        """
        pairs = list(zip(owners.keys, sites.keys, strict=True))
        texts = {pair: f"{owners.texts[pair[0]]} {sites.texts[pair[1]]}" for pair in dict.fromkeys(pairs)}
        inside = {pair for pair, text in texts.items() if wanted in text}
        if len(inside) == len(texts):
            return None
        masks: list[Iterable[bool]] = [map(inside.__contains__, pairs)] if inside else []
        head, _, tail = wanted.partition(" ")
        if _HEX_CHARS.issuperset(head):
            after = {pair for pair, text in texts.items() if text.startswith(tail)}
            if after:
                ends = map(str.endswith, self._address_texts(), repeat(head))
                masks.append(map(and_, map(after.__contains__, pairs), ends))
        return masks

    def _address_texts(self) -> Iterator[str]:
        if self._addresses is None:
            self._addresses = list(map("{:#x}".format, map(itemgetter(_ADDR), self._rows)))
        return iter(self._addresses)
