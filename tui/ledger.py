"""The allocations-and-owners table as data: rows, groups, sort, filter, mark and export.

One :class:`Ledger` is a snapshot of one pool's outstanding allocations
(from the trackers' records through :meth:`genpool.Pool.extents`, which
builds no record object, so 100,000 allocations take a few tens of
milliseconds) or, for a pool without a tracker, of its runs of allocated
granules.  It shows them one a row or grouped per owner or per call
site, with each group's count, bytes, share of the used bytes and growth
since a mark the user sets (the leak signal).  Rows are plain tuples so
that sorting and filtering 100,000 of them stays under a frame or two.

Nothing here imports Textual.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import genpool

from .owners import callsite_text, owner_text
from .row_search import RowSearch

__all__ = ["GROUPINGS", "Ledger", "Mark", "Table"]

#: The table's views: one row per allocation, or totals per owner or per call site.
GROUPINGS = ("allocations", "owner", "call site")
#: Columns of the allocations view; ``age`` counts the pool's events after the allocation's own.
ALLOCATION_COLUMNS = ("address", "size", "owner", "call site", "age")
#: Columns of a grouped view.
GROUP_COLUMNS = ("{group}", "count", "bytes", "share", "growth")
# Row tuple layout of the allocations view (the last two place the bitmap cursor).
_ADDR, _SIZE, _OWNER, _SITE, _BIRTH, _CHUNK, _BIT = range(7)


@dataclass(frozen=True, slots=True)
class Mark:
    """Bytes and count per owner and per call site at the moment the user set the mark."""

    owner: Mapping[str, tuple[int, int]]
    callsite: Mapping[str, tuple[int, int]]
    events: int


@dataclass(frozen=True, slots=True)
class Table:
    """What the table shows: its columns and rows (tuples of raw values, made text by the ledger)."""

    grouping: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


class Ledger:
    """The outstanding allocations of a pool, ready to show grouped, sorted and filtered.

    An allocations row is ``(address, size, owner, call site, birth,
    chunk index, granule)`` with the trackers' own owner and call-site
    objects, made text (and remembered) only when a row is shown, sorted,
    searched or grouped: opening the table on 100,000 allocations builds
    tuples and nothing else.  ``birth`` is the index of the event that
    made the allocation, -1 when it came before the TUI began watching.
    """

    def __init__(
        self,
        pool: genpool.Pool,
        chunks: Sequence[genpool.Chunk],
        births: Mapping[int, int] | None = None,
        events: int = 0,
    ) -> None:
        """Snapshot ``pool``; ``births`` maps an address to the index of the event that allocated it.

        ``events`` is the number of the pool's events the TUI has seen, so
        an allocation's age is the count of events after its own.
        """
        self.pool = pool
        self.tracked = bool(pool.trackers)
        self.events = events
        self.used = pool.size - pool.avail
        with _collector_paused():
            self.rows = self._rows(pool, chunks, births or {})
        self._owners: dict[Any, str] = {}
        self._sites: dict[Any, str] = {}
        self._search: RowSearch | None = None

    def _rows(
        self, pool: genpool.Pool, chunks: Sequence[genpool.Chunk], births: Mapping[int, int]
    ) -> list[tuple[Any, ...]]:
        born = births.get
        site_index = pool.trackers.index("callsite") if "callsite" in pool.trackers else None
        rows: list[tuple[Any, ...]] = []
        order = pool.min_alloc_order
        for index, chunk in enumerate(chunks):
            start = chunk.start_addr
            if not self.tracked:
                rows += [
                    (start + (first << order), length << order, None, None, -1, index, first)
                    for first, length, is_set in chunk.bitmap.runs()
                    if is_set
                ]
            elif site_index is None:
                rows += [
                    (addr, length << order, owner, None, born(addr, -1), index, head)
                    for head, length, owner, _ in pool.extents(chunk, 0, chunk.nbits)
                    for addr in (start + (head << order),)
                ]
            else:
                rows += [
                    (addr, length << order, owner, values[site_index], born(addr, -1), index, head)
                    for head, length, owner, values in pool.extents(chunk, 0, chunk.nbits)
                    for addr in (start + (head << order),)
                ]
        return rows

    # -- rows as text ------------------------------------------------------------

    def owner_name(self, owner: Any) -> str:
        """An owner as the table shows it (``-`` for none), remembered."""
        try:
            text = self._owners.get(owner)
        except TypeError:  # an unhashable owner
            return owner_text(owner)
        if text is None:  # first seen (a miss costs no exception: all owners may differ)
            text = self._owners[owner] = owner_text(owner) if self.tracked else "-"
        return text

    def site_text(self, site: Any) -> str:
        """A call site as the table shows it (``file.py:12 in func``, ``-`` for none), remembered."""
        try:
            return self._sites[site]
        except KeyError:
            text = self._sites[site] = callsite_text({"callsite": site})
            return text
        except TypeError:
            return callsite_text({"callsite": site})

    def age(self, birth: int) -> int | None:
        """Events since an allocation's own, or None for one made before the TUI began watching."""
        return None if birth < 0 else self.events - 1 - birth

    # -- views -------------------------------------------------------------------

    def table(
        self,
        grouping: str = "allocations",
        *,
        sort: int = 0,
        reverse: bool = False,
        query: str = "",
        mark: Mark | None = None,
    ) -> Table:
        """The rows of ``grouping`` (one of :data:`GROUPINGS`) matching ``query``, sorted by column ``sort``.

        Sorting by age puts the youngest first (allocations older than the
        TUI's watch last).
        """
        if grouping not in GROUPINGS:
            raise ValueError(f"grouping must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
        rows = self.matching(query)
        columns: tuple[str, ...]
        if grouping == "allocations":
            columns = ALLOCATION_COLUMNS
        else:
            columns = tuple(name.format(group=grouping) for name in GROUP_COLUMNS)
            rows = self._groups(rows, _OWNER if grouping == "owner" else _SITE, mark, grouping)
        if not 0 <= sort < len(columns):
            raise ValueError(f"sort column must be 0..{len(columns) - 1}, not {sort!r}")
        key: Callable[[tuple[Any, ...]], Any] = itemgetter(sort)
        if grouping == "allocations" and sort == _OWNER:
            owner_name = self.owner_name
            key = lambda row: owner_name(row[_OWNER])  # noqa: E731
        elif grouping == "allocations" and sort == _SITE:
            site_text = self.site_text
            key = lambda row: site_text(row[_SITE])  # noqa: E731
        elif grouping == "allocations" and sort == _BIRTH:
            key = lambda row: -row[_BIRTH]  # noqa: E731
        return Table(grouping, columns, sorted(rows, key=key, reverse=reverse))

    def matching(self, query: str) -> list[tuple[Any, ...]]:
        """The allocation rows whose address, owner or call site contains ``query`` (case ignored).

        A row's text is ``"<address in hex> <owner> <call site>"``, so text
        with a space may run from one field into the next.
        """
        wanted = query.strip().casefold()
        if not wanted:
            return self.rows
        if self._search is None:
            self._search = RowSearch(self.rows, self.owner_name, self.site_text)
        return self._search.matching(wanted)

    def _groups(
        self, rows: list[tuple[Any, ...]], column: int, mark: Mark | None, grouping: str
    ) -> list[tuple[Any, ...]]:
        totals = self._totals(rows, column)
        before = (mark.owner if grouping == "owner" else mark.callsite) if mark is not None else None
        used = self.used or 1
        result: list[tuple[Any, ...]] = []
        for name, (count, nbytes) in totals.items():
            growth = None if before is None else nbytes - before.get(name, (0, 0))[1]
            result.append((name, count, nbytes, nbytes / used, growth))
        if before is not None:
            # Groups that are gone since the mark shrank to nothing: a leak hunt wants to see that too.
            for name, (_, nbytes) in before.items():
                if name not in totals:
                    result.append((name, 0, 0, 0.0, -nbytes))
        return result

    def _totals(self, rows: list[tuple[Any, ...]], column: int) -> dict[str, tuple[int, int]]:
        """Count and bytes of ``rows`` per owner (``column`` 2) or per call site (3), by their text."""
        totals: dict[Any, list[int]] = {}
        unhashable: list[tuple[Any, ...]] = []
        for row in rows:
            try:
                total = totals.get(row[column])
            except TypeError:
                unhashable.append(row)
                continue
            if total is None:
                total = totals[row[column]] = [0, 0]
            total[0] += 1
            total[1] += row[_SIZE]
        text = self.owner_name if column == _OWNER else self.site_text
        merged: dict[str, tuple[int, int]] = {}
        pieces = [(key, count, nbytes) for key, (count, nbytes) in totals.items()]
        pieces += [(row[column], 1, row[_SIZE]) for row in unhashable]
        for key, count, nbytes in pieces:
            name = text(key)
            known = merged.get(name, (0, 0))
            merged[name] = (known[0] + count, known[1] + nbytes)
        return merged

    def mark(self) -> Mark:
        """The totals now, to measure growth against."""
        return Mark(self._totals(self.rows, _OWNER), self._totals(self.rows, _SITE), self.events)

    # -- where a row is ----------------------------------------------------------

    @staticmethod
    def cursor_of(row: tuple[Any, ...]) -> tuple[int, int]:
        """The bitmap cursor ``(chunk index, granule)`` of an allocations-view row."""
        return row[_CHUNK], row[_BIT]

    # -- export ------------------------------------------------------------------

    def records(self, table: Table) -> list[dict[str, Any]]:
        """The table's rows as dicts keyed by column: numbers as numbers, an unknown age None."""
        if table.grouping != "allocations":
            return [dict(zip(table.columns, row, strict=True)) for row in table.rows]
        owner_name, site_text, age = self.owner_name, self.site_text, self.age
        return [
            dict(
                zip(
                    table.columns,
                    (row[_ADDR], row[_SIZE], owner_name(row[_OWNER]), site_text(row[_SITE]), age(row[_BIRTH])),
                    strict=True,
                )
            )
            for row in table.rows
        ]

    def to_csv(self, table: Table) -> str:
        """The table as CSV text, with a header row; addresses in hex."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        for record in self.records(table):
            writer.writerow([_export_value(name, value) for name, value in record.items()])
        return out.getvalue()

    def to_json(self, table: Table) -> str:
        """The table as a JSON document: its view, columns and rows (addresses as hex strings)."""
        rows = [{name: _export_value(name, value) for name, value in record.items()} for record in self.records(table)]
        return json.dumps({"view": table.grouping, "columns": list(table.columns), "rows": rows}, indent=1) + "\n"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector off while a table's rows are built.

    Building 100,000 tuples would otherwise run the collector dozens of
    times over the whole heap (the pool's records included), which costs
    twice as much as building them; plain tuples of numbers, strings and
    the trackers' values form no cycle for it to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _export_value(column: str, value: Any) -> Any:
    if column == "address":
        return f"{value:#x}"
    return value
