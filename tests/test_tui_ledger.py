"""The allocations table as data: rows, groups, growth since a mark, sort, filter, export."""

from __future__ import annotations

import csv
import io
import json

import genpool
import pytest
from genpool.tui.ledger import Ledger
from hypothesis import given, settings
from hypothesis import strategies as st


def tracked_pool() -> genpool.Pool:
    pool = genpool.Pool(3, name="p", trackers=("tag", "callsite"))
    pool.add(0x1000, 1024)
    return pool


def test_rows_hold_address_size_owner_call_site_and_age() -> None:
    pool = tracked_pool()
    a = pool.alloc(20, owner="dma")  # 24 bytes
    b = pool.alloc(8, owner="irq")
    ledger = Ledger(pool, pool.chunks, births={b: 5}, events=9)
    table = ledger.table()
    assert table.columns == ("address", "size", "owner", "call site", "age")
    (row_a, row_b) = table.rows
    assert row_a[:2] == (a, 24) and ledger.owner_name(row_a[2]) == "dma"
    assert ledger.site_text(row_a[3]).startswith("test_tui_ledger.py:")
    assert ledger.age(row_a[4]) is None  # allocated before watching began
    assert ledger.age(row_b[4]) == 3  # events 6, 7 and 8 came after it
    assert Ledger.cursor_of(row_b) == (0, 3)
    assert ledger.records(table)[0]["age"] is None and ledger.records(table)[1]["age"] == 3


def test_untracked_pools_show_runs() -> None:
    pool = genpool.Pool(3)
    pool.add(0x1000, 256)
    pool.alloc(8)
    pool.alloc(16)  # adjacent: one run
    ledger = Ledger(pool, pool.chunks)
    assert not ledger.tracked
    assert [row[:2] for row in ledger.table().rows] == [(0x1000, 24)]
    assert ledger.records(ledger.table()) == [
        {"address": 0x1000, "size": 24, "owner": "-", "call site": "-", "age": None}
    ]


def test_groups_count_bytes_share_and_growth_since_the_mark() -> None:
    pool = tracked_pool()
    pool.alloc(16, owner="dma")
    pool.alloc(32, owner="irq")
    mark = Ledger(pool, pool.chunks).mark()
    pool.alloc(64, owner="dma")
    leak = pool.alloc(8, owner="new")
    pool.free(pool.allocations()[1].addr, 32)  # irq is gone
    ledger = Ledger(pool, pool.chunks)
    table = ledger.table("owner", sort=2, reverse=True, mark=mark)
    assert table.columns == ("owner", "count", "bytes", "share", "growth")
    assert table.rows == [
        ("dma", 2, 80, 80 / 88, 64),
        ("new", 1, 8, 8 / 88, 8),
        ("irq", 0, 0, 0.0, -32),
    ]
    assert leak
    without_mark = ledger.table("call site")
    # One call site per line that allocated what is still outstanding; no mark, no growth.
    assert len(without_mark.rows) == 3 and all(row[4] is None for row in without_mark.rows)


def test_bad_views_and_columns_are_refused() -> None:
    ledger = Ledger(tracked_pool(), ())
    with pytest.raises(ValueError, match="grouping must be one of"):
        ledger.table("chunk")
    with pytest.raises(ValueError, match="sort column must be 0..4"):
        ledger.table(sort=5)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.tuples(st.integers(1, 64), st.sampled_from(["rx", "tx", "dma"])), max_size=30),
    sort=st.integers(0, 4),
    reverse=st.booleans(),
    query=st.sampled_from(["", "rx", "x", "0x10", "DMA"]),
)
def test_sort_and_filter_match_a_plain_model(sizes, sort: int, reverse: bool, query: str) -> None:
    pool = tracked_pool()
    for size, owner in sizes:
        try:
            pool.alloc(size, owner=owner)
        except genpool.NoSpace:
            break
    ledger = Ledger(pool, pool.chunks)
    table = ledger.table(sort=sort, reverse=reverse, query=query)
    wanted = query.casefold()
    model = [row for row in ledger.rows if wanted in f"{row[0]:#x} {row[2]} {ledger.site_text(row[3])}".casefold()]
    assert sorted(table.rows, key=lambda row: row[0]) == sorted(model, key=lambda row: row[0])
    column = table.columns[sort]
    keys = [record[column] for record in ledger.records(table)]
    if column == "age":
        assert all(key is None for key in keys)  # nothing was seen being allocated
    else:
        assert keys == sorted(keys, reverse=reverse)


def test_export_as_csv_and_json() -> None:
    pool = tracked_pool()
    pool.alloc(16, owner="dma")
    ledger = Ledger(pool, pool.chunks)
    table = ledger.table()
    rows = list(csv.reader(io.StringIO(ledger.to_csv(table))))
    assert rows[0] == ["address", "size", "owner", "call site", "age"]
    assert rows[1][:3] == ["0x1000", "16", "dma"]
    document = json.loads(ledger.to_json(table))
    assert document["view"] == "allocations" and document["rows"][0]["address"] == "0x1000"
    assert document["rows"][0]["age"] is None


def test_unhashable_owners_are_shown_grouped_and_searched() -> None:
    pool = tracked_pool()
    pool.alloc(8, owner=["a", "list"])
    pool.alloc(8, owner=["a", "list"])
    ledger = Ledger(pool, pool.chunks)
    assert ledger.owner_name(ledger.rows[0][2]) == "['a', 'list']"
    assert ledger.table("owner").rows == [("['a', 'list']", 2, 16, 1.0, None)]
    assert len(ledger.table(query="LIST").rows) == 2
