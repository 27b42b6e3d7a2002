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
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import genpool

from .owners import callsite_text, owner_text

__all__ = ["GROUPINGS", "Ledger", "Mark", "Table"]

#: The table's views: one row per allocation, or totals per owner or per call site.
GROUPINGS = ("allocations", "owner", "call site")
#: Columns of the allocations view; ``age`` counts the pool's events after the allocation's own.
ALLOCATION_COLUMNS = ("address", "size", "owner", "call site", "age")
#: Columns of a grouped view.
GROUP_COLUMNS = ("{group}", "count", "bytes", "share", "growth")
# Row tuple layout of the allocations view (the last two place the bitmap cursor).
_ADDR, _SIZE, _OWNER, _SITE, _AGE, _CHUNK, _BIT = range(7)


@dataclass(frozen=True, slots=True)
class Mark:
    """Bytes and count per owner and per call site at the moment the user set the mark."""

    owner: Mapping[str, tuple[int, int]]
    callsite: Mapping[str, tuple[int, int]]
    events: int


@dataclass(frozen=True, slots=True)
class Table:
    """What the table shows: its columns and rows (tuples of raw values, display done by the view)."""

    grouping: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    #: The ``age`` of an allocation made before the TUI began watching (it is at least this minus one).
    unknown_age: int = 0


class Ledger:
    """The outstanding allocations of a pool, ready to show grouped, sorted and filtered."""

    def __init__(
        self,
        pool: genpool.Pool,
        chunks: Sequence[genpool.Chunk],
        births: Mapping[int, int] | None = None,
        events: int = 0,
    ) -> None:
        """Snapshot ``pool``; ``births`` maps an address to the index of the event that allocated it.

        ``events`` is the pool's event count now (both counted by the TUI's
        feed since it began watching); an allocation older than that shows
        its age as at least ``events``.
        """
        self.pool = pool
        self.tracked = bool(pool.trackers)
        self.events = events
        self.used = pool.size - pool.avail
        births = births or {}
        site_index = pool.trackers.index("callsite") if "callsite" in pool.trackers else None
        owners: dict[Any, str] = {}
        sites: dict[Any, str] = {}
        rows: list[tuple[Any, ...]] = []
        order = pool.min_alloc_order
        unknown = events + 1  # sorts after every known age
        for index, chunk in enumerate(chunks):
            start = chunk.start_addr
            if self.tracked:
                for head, length, owner, values in pool.extents(chunk, 0, chunk.nbits):
                    addr = start + (head << order)
                    key = owner if isinstance(owner, (str, int, type(None))) else repr(owner)
                    name = owners.get(key)
                    if name is None:
                        name = owners[key] = owner_text(owner)
                    site = values[site_index] if site_index is not None else None
                    text = sites.get(site)
                    if text is None:
                        text = sites[site] = callsite_text({"callsite": site})
                    born = births.get(addr)
                    rows.append(
                        (addr, length << order, name, text, unknown if born is None else events - 1 - born, index, head)
                    )
            else:
                for first, length, is_set in chunk.bitmap.runs():
                    if is_set:
                        rows.append((start + (first << order), length << order, "-", "-", unknown, index, first))
        self.rows = rows
        self._haystack: list[str] | None = None

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
        """The rows of ``grouping`` (one of :data:`GROUPINGS`) matching ``query``, sorted by column ``sort``."""
        if grouping not in GROUPINGS:
            raise ValueError(f"grouping must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
        rows = self.matching(query)
        if grouping == "allocations":
            columns = ALLOCATION_COLUMNS
        else:
            columns = tuple(name.format(group=grouping) for name in GROUP_COLUMNS)
            rows = self._groups(rows, _OWNER if grouping == "owner" else _SITE, mark, grouping)
        if not 0 <= sort < len(columns):
            raise ValueError(f"sort column must be 0..{len(columns) - 1}, not {sort!r}")
        rows = sorted(rows, key=itemgetter(sort), reverse=reverse)
        return Table(grouping, columns, rows, self.events + 1)

    def matching(self, query: str) -> list[tuple[Any, ...]]:
        """The allocation rows whose address, owner or call site contains ``query`` (case ignored)."""
        wanted = query.strip().casefold()
        if not wanted:
            return self.rows
        if self._haystack is None:
            self._haystack = [f"{row[_ADDR]:#x} {row[_OWNER]} {row[_SITE]}".casefold() for row in self.rows]
        return [row for row, text in zip(self.rows, self._haystack, strict=True) if wanted in text]

    def _groups(
        self, rows: list[tuple[Any, ...]], column: int, mark: Mark | None, grouping: str
    ) -> list[tuple[Any, ...]]:
        totals: dict[str, list[int]] = {}
        for row in rows:
            total = totals.get(row[column])
            if total is None:
                total = totals[row[column]] = [0, 0]
            total[0] += 1
            total[1] += row[_SIZE]
        before = (mark.owner if grouping == "owner" else mark.callsite) if mark is not None else None
        used = self.used or 1
        result = []
        for name, (count, nbytes) in totals.items():
            growth = None if before is None else nbytes - before.get(name, (0, 0))[1]
            result.append((name, count, nbytes, nbytes / used, growth))
        if before is not None:
            # Groups that are gone since the mark shrank to nothing: a leak hunt wants to see that too.
            for name, (_, nbytes) in before.items():
                if name not in totals:
                    result.append((name, 0, 0, 0.0, -nbytes))
        return result

    def mark(self) -> Mark:
        """The totals now, to measure growth against."""
        owner: dict[str, list[int]] = {}
        site: dict[str, list[int]] = {}
        for row in self.rows:
            for totals, key in ((owner, row[_OWNER]), (site, row[_SITE])):
                total = totals.setdefault(key, [0, 0])
                total[0] += 1
                total[1] += row[_SIZE]
        return Mark(
            {key: (c, b) for key, (c, b) in owner.items()}, {key: (c, b) for key, (c, b) in site.items()}, self.events
        )

    # -- where a row is ----------------------------------------------------------

    @staticmethod
    def cursor_of(row: tuple[Any, ...]) -> tuple[int, int]:
        """The bitmap cursor ``(chunk index, granule)`` of an allocations-view row."""
        return row[_CHUNK], row[_BIT]

    # -- export ------------------------------------------------------------------

    @staticmethod
    def records(table: Table) -> list[dict[str, Any]]:
        """The table's rows as dicts of raw values, keyed by column (an unknown age is None)."""
        width = len(table.columns)
        records = [dict(zip(table.columns, row[:width], strict=True)) for row in table.rows]
        if table.grouping == "allocations":
            for record in records:
                if record["age"] == table.unknown_age:
                    record["age"] = None  # allocated before the TUI began watching
        return records

    @classmethod
    def to_csv(cls, table: Table) -> str:
        """The table as CSV text, with a header row; addresses in hex."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        for record in cls.records(table):
            writer.writerow([_export_value(name, value) for name, value in record.items()])
        return out.getvalue()

    @classmethod
    def to_json(cls, table: Table) -> str:
        """The table as a JSON document: its view, columns and rows (addresses as hex strings)."""
        rows = [{name: _export_value(name, value) for name, value in record.items()} for record in cls.records(table)]
        return json.dumps({"view": table.grouping, "columns": list(table.columns), "rows": rows}, indent=1) + "\n"


def _export_value(column: str, value: Any) -> Any:
    if column == "address":
        return f"{value:#x}"
    return value
