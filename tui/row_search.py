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
from functools import partial, reduce
from itertools import compress, repeat
from operator import add, and_, itemgetter, mul, or_
from typing import Any

__all__ = ["RowSearch"]

# Row tuple layout of the ledger's allocations view.
_ADDR, _OWNER, _SITE = 0, 2, 3
# Every character that ``f"{address:#x}"`` can hold.
_HEX_CHARS = frozenset("0123456789abcdefx")

Row = tuple[Any, ...]


class _Column:
    """One column's distinct values, each made casefolded text once.

    ``keys[i]`` is row ``i``'s key and ``texts`` maps a key to its text.
    Owners are their own keys (the common ones, strings and numbers, hash
    in C); call sites, and a column holding an unhashable value, are
    keyed by identity: the ``callsite`` tracker hands out one object per
    line, whose dataclass hash would cost a Python call per row.  Objects
    equal in value but not identical still read the same, since the
    ledger remembers ``text`` per value.
    """

    __slots__ = ("_codes", "keys", "texts")

    def __init__(self, rows: Sequence[Row], index: int, text: Callable[[Any], str], by_value: bool) -> None:
        values = list(map(itemgetter(index), rows))
        one_each: dict[Any, Any] | None = None  # a value for each key
        if by_value:
            try:
                one_each = dict(zip(values, values, strict=True))
                self.keys: list[Any] = values
            except TypeError:  # an unhashable value: tell them all apart by identity
                pass
        if one_each is None:
            self.keys = list(map(id, values))
            one_each = dict(zip(self.keys, values, strict=True))
        self.texts = dict(zip(one_each, map(str.casefold, map(text, one_each.values())), strict=True))
        self._codes: list[int] | None = None

    def holding(self, wanted: str) -> set[Any]:
        """The keys whose text contains ``wanted``."""
        return {key for key, text in self.texts.items() if wanted in text}

    def codes(self) -> list[int]:
        """Each row's key as its place in ``texts``: small ints, which the cycle collector never walks."""
        if self._codes is None:
            position = dict(zip(self.texts, range(len(self.texts)), strict=True))
            self._codes = list(map(position.__getitem__, self.keys))
        return self._codes


class RowSearch:
    """The filter over one snapshot of allocation rows; made once, asked at every keystroke.

    ``owner_name`` and ``site_text`` make an owner and a call site text as
    the table shows them.  Each distinct one is made text here, once, and
    the functions are not kept: a ledger's own methods held here would
    make a cycle, and a ledger of 100,000 rows, taken twice a second
    while the pool changes, would then wait for the cycle collector to
    be freed.  The addresses' texts are made once a needle needs them.
    """

    __slots__ = ("_addresses", "_owners", "_rows", "_sites")

    def __init__(self, rows: Sequence[Row], owner_name: Callable[[Any], str], site_text: Callable[[Any], str]) -> None:
        """Search ``rows`` (allocation rows of a ledger, which must not change)."""
        self._rows = rows
        self._owners = _Column(rows, _OWNER, owner_name, by_value=True)
        self._sites = _Column(rows, _SITE, site_text, by_value=False)
        self._addresses: list[str] | None = None

    def matching(self, wanted: str) -> list[Row]:
        """The rows whose ``"<address> <owner> <call site>"`` text contains ``wanted``.

        ``wanted`` must already be casefolded and not empty; the rows keep
        their order.
        """
        if not wanted or wanted != wanted.casefold():
            raise ValueError(f"wanted must be non-empty casefolded text, not {wanted!r}")
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
        return list(compress(self._rows, reduce(partial(map, or_), masks)))

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
        # A pair of codes as one int, not a tuple: 100,000 tuples would wake the cycle collector.
        owner_texts, site_texts = list(owners.texts.values()), list(sites.texts.values())
        width = len(site_texts)
        pairs = list(map(add, map(mul, owners.codes(), repeat(width)), sites.codes()))
        texts = {pair: f"{owner_texts[pair // width]} {site_texts[pair % width]}" for pair in set(pairs)}
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
            # hex() reads as f"{address:#x}" does, in a quarter of the time.
            self._addresses = list(map(hex, map(itemgetter(_ADDR), self._rows)))
        return iter(self._addresses)
