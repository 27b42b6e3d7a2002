"""The chunk bitmap: the search primitives of the kernel's ``lib/bitmap.c``.

The concrete cases below were worked out by hand from the kernel's loop
(quoted in :func:`kernel_find_next_zero_area_off`).  The property tests
compare :meth:`genpool.Bitmap.find_next_zero_area_off` with that loop on
random bitmaps, with each kind of internal index (a list of long free
runs, per-block bounds) on small bitmaps and on bitmaps large enough to
keep it for real, and requests longer than 255 and than 65535 bits: an
index must never change an answer.
"""

from __future__ import annotations

import genpool
import pytest
from genpool import Bitmap, InvalidArgument
from genpool.runindex import RunIndex
from genpool.runlist import RunList
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from index_kinds import INDEX_KINDS, index_kind, threshold

MASK64 = (1 << 64) - 1


# -- a literal transcription of lib/bitmap.c ------------------------------


def _find_next_bit(bits: bytes, size: int, offset: int) -> int:
    """``find_next_bit``: first set bit in ``[offset, size)``, else ``size``."""
    if offset >= size:
        return size
    found = bits.find(1, offset, size)
    return size if found < 0 else found


def _find_next_zero_bit(bits: bytes, size: int, offset: int) -> int:
    """``find_next_zero_bit``: first clear bit in ``[offset, size)``, else ``size``."""
    if offset >= size:
        return size
    found = bits.find(0, offset, size)
    return size if found < 0 else found


def kernel_find_next_zero_area_off(
    bits: bytes, size: int, start: int, nr: int, align_mask: int, align_offset: int
) -> int:
    """``bitmap_find_next_zero_area_off``, line by line, in 64-bit unsigned arithmetic::

    again:
        index = find_next_zero_bit(map, size, start);
        index = __ALIGN_MASK(index + align_offset, align_mask) - align_offset;
        end = index + nr;
        if (end > size) return end;
        i = find_next_bit(map, end, index);
        if (i < end) { start = i + 1; goto again; }
        return index;
    """
    while True:  # again:
        index = _find_next_zero_bit(bits, size, start)
        x = (index + align_offset) & MASK64
        index = ((x + align_mask) & MASK64) & ~align_mask & MASK64  # __ALIGN_MASK
        index = (index - align_offset) & MASK64
        end = (index + nr) & MASK64
        if end > size:
            return end
        i = _find_next_bit(bits, end, index)
        if i < end:
            start = i + 1
            continue  # goto again
        return index


def bitmap_of(picture: str) -> Bitmap:
    """A bitmap from a picture such as ``"1111 0010"`` (spaces ignored), built with set()."""
    picture = picture.replace(" ", "")
    bitmap = Bitmap(len(picture))
    for i, c in enumerate(picture):
        if c == "1":
            assert bitmap.set(i, 1)
    return bitmap


def picture(bitmap: Bitmap) -> str:
    return "".join("1" if b else "0" for b in bitmap.to_bytes())


# bits: 0-3 set, 4-5 clear, 6 set, 7-15 clear
SAMPLE = "1111 0010 0000 0000"


# -- single bits and scans --------------------------------------------------


def test_basic_accessors() -> None:
    bitmap = bitmap_of(SAMPLE)
    assert len(bitmap) == bitmap.nbits == 16
    assert bitmap.test_bit(0) and bitmap.test_bit(6)
    assert not bitmap.test_bit(4) and not bitmap.test_bit(15)
    assert bitmap.weight() == 5
    assert bitmap.weight(2, 7) == 3
    assert bitmap.to_bytes() == bytes([1, 1, 1, 1, 0, 0, 1] + [0] * 9)
    with pytest.raises(IndexError):
        bitmap.test_bit(16)
    with pytest.raises(IndexError):
        bitmap.test_bit(-1)


@pytest.mark.parametrize(
    ("size", "offset", "expected"),
    [
        (16, 0, 0),
        (16, 4, 6),
        (16, 6, 6),
        (16, 7, 16),  # nothing set after 6: returns size
        (6, 4, 6),  # bit 6 is not below size 6
        (16, 16, 16),
        (16, 40, 16),  # offset past size returns size
        (0, 0, 0),
    ],
)
def test_find_next_bit(size: int, offset: int, expected: int) -> None:
    assert bitmap_of(SAMPLE).find_next_bit(size, offset) == expected


@pytest.mark.parametrize(
    ("size", "offset", "expected"),
    [
        (16, 0, 4),
        (16, 5, 5),
        (16, 6, 7),
        (4, 0, 4),  # bits 0-3 all set: returns size
        (16, 16, 16),
        (16, 99, 16),
    ],
)
def test_find_next_zero_bit(size: int, offset: int, expected: int) -> None:
    assert bitmap_of(SAMPLE).find_next_zero_bit(size, offset) == expected


def test_scans_refuse_a_size_past_the_bitmap() -> None:
    bitmap = Bitmap(16)
    for call in (
        lambda: bitmap.find_next_bit(17, 0),
        lambda: bitmap.find_next_zero_bit(17, 0),
        lambda: bitmap.find_next_zero_area(17, 0, 1),
        lambda: bitmap.find_next_zero_area_off(17, 0, 1, 0, 0),
        lambda: bitmap.find_next_zero_area_off(-1, 0, 1, 0, 0),
        lambda: bitmap.find_next_zero_area_off(16, -1, 1, 0, 0),
        lambda: bitmap.find_next_zero_area_off(16, 0, -1, 0, 0),
        lambda: bitmap.find_next_zero_area_off(16, 0, 1, -1, 0),
        lambda: bitmap.find_next_zero_area_off(16, 0, 1, 0, -1),
    ):
        with pytest.raises(InvalidArgument):
            call()


# -- area search: answers and the kernel's failure values -------------------


@pytest.mark.parametrize(
    ("size", "start", "nr", "mask", "offset", "expected"),
    [
        # plain first fit
        (16, 0, 1, 0, 0, 4),
        (16, 0, 2, 0, 0, 4),
        (16, 0, 3, 0, 0, 7),  # 4..6 is blocked by bit 6: resume at 7
        (16, 0, 9, 0, 0, 7),  # 7..15 is exactly 9 bits
        (16, 5, 1, 0, 0, 5),  # starting inside a free run
        (16, 5, 2, 0, 0, 7),
        # failures: index + nr for the first candidate that no longer fits
        (16, 0, 10, 0, 0, 17),  # candidate 4 blocked at 6, candidate 7: 7 + 10
        (16, 0, 13, 0, 0, 17),  # candidate 4: 4 + 13 = 17 > 16 straight away
        (16, 0, 12, 0, 0, 19),  # 4 + 12 = 16 fits the size but is blocked at 6; then 7 + 12
        (6, 0, 3, 0, 0, 7),  # size 6: candidate 4 + 3 = 7 > 6
        (16, 20, 1, 0, 0, 17),  # start past size: find_next_zero_bit gives 16, 16 + 1
        (16, 16, 4, 0, 0, 20),
        # alignment
        (16, 0, 2, 3, 0, 4),  # first zero 4 is already a multiple of 4
        (16, 0, 3, 3, 0, 8),  # 4..6 blocked at 6, next zero 7 aligns up to 8
        (16, 0, 2, 3, 1, 7),  # (index + 1) & 3 == 0: 4 -> align(5) - 1 = 7
        (16, 0, 9, 7, 0, 17),  # 4 aligns to 8, 8 + 9 = 17 > 16
        (16, 0, 1, 7, 3, 5),  # align(4 + 3) - 3 = 5
        # nr == 0 returns the first aligned clear bit
        (16, 0, 0, 0, 0, 4),
        (16, 0, 0, 3, 0, 4),
    ],
)
def test_find_next_zero_area_off_concrete(size, start, nr, mask, offset, expected) -> None:
    bitmap = bitmap_of(SAMPLE)
    assert kernel_find_next_zero_area_off(bitmap.to_bytes(), size, start, nr, mask, offset) == expected
    assert bitmap.find_next_zero_area_off(size, start, nr, mask, offset) == expected
    if offset == 0:
        assert bitmap.find_next_zero_area(size, start, nr, mask) == expected


def test_failure_values_on_a_full_and_an_empty_bitmap() -> None:
    full = Bitmap(16)
    assert full.set(0, 16)
    assert full.find_next_zero_area(16, 0, 1) == 17
    assert full.find_next_zero_area(16, 0, 5) == 21
    assert full.find_next_zero_area(16, 0, 0) == 16
    empty = Bitmap(16)
    assert empty.find_next_zero_area(16, 0, 16) == 0
    assert empty.find_next_zero_area(16, 0, 17) == 17
    assert empty.find_next_zero_area(16, 3, 14) == 17
    assert empty.find_next_zero_area(10, 0, 11) == 11


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_failure_value_of_a_long_fragmented_bitmap(kind: str) -> None:
    # Every third bit set over 9000 bits: no run of 3 exists.
    with index_kind(kind):
        bitmap = Bitmap(9000)
    assert type(bitmap._index) is INDEX_KINDS[kind]
    for i in range(2, 9000, 3):
        assert bitmap.set(i, 1)
    expected = kernel_find_next_zero_area_off(bitmap.to_bytes(), 9000, 0, 3, 0, 0)
    # the last candidate that fits the size is 8997 (blocked at 8999); the next
    # free run would start at 9000 == size, so the kernel returns 9000 + 3.
    assert expected == 9003
    assert bitmap.find_next_zero_area(9000, 0, 3) == 9003
    assert bitmap.find_next_zero_area(9000, 0, 2) == 0
    assert bitmap.find_next_zero_area(9000, 1, 2) == 3
    assert bitmap.find_next_zero_area(9000, 1, 3) == 9003
    # size 8999: the run 8997-8998 ends at the size; 8997 + 3 > 8999
    assert bitmap.find_next_zero_area(8999, 0, 3) == 9000


def test_find_next_zero_area_is_the_off_variant_with_offset_zero() -> None:
    bitmap = bitmap_of(SAMPLE)
    for nr in range(0, 18):
        for mask in (0, 1, 3, 7):
            for start in range(0, 18):
                assert bitmap.find_next_zero_area(16, start, nr, mask) == bitmap.find_next_zero_area_off(
                    16, start, nr, mask, 0
                )


def test_search_never_changes_the_bits() -> None:
    bitmap = bitmap_of(SAMPLE)
    before = bitmap.to_bytes()
    bitmap.find_next_zero_area(16, 0, 3)
    bitmap.find_next_zero_area_off(16, 0, 3, 3, 1)
    bitmap.find_next_zero_area(16, 0, 40)
    assert bitmap.to_bytes() == before


# -- set and clear: all or nothing ---------------------------------------------


def test_set_is_all_or_nothing() -> None:
    bitmap = bitmap_of(SAMPLE)
    before = bitmap.to_bytes()
    assert bitmap.set(4, 3) is False  # bit 6 is already set
    assert bitmap.set(3, 2) is False  # bit 3 is already set
    assert bitmap.set(14, 3) is False  # past the end
    assert bitmap.set(-1, 2) is False
    assert bitmap.to_bytes() == before
    assert bitmap.set(4, 2) is True
    assert picture(bitmap) == "1111111000000000"
    assert bitmap.set(7, 9) is True
    assert bitmap.weight() == 16


def test_clear_is_all_or_nothing() -> None:
    bitmap = bitmap_of(SAMPLE)
    before = bitmap.to_bytes()
    assert bitmap.clear(2, 3) is False  # bit 4 is clear
    assert bitmap.clear(6, 2) is False  # bit 7 is clear
    assert bitmap.clear(15, 2) is False  # past the end
    assert bitmap.clear(-1, 2) is False
    assert bitmap.to_bytes() == before
    assert bitmap.clear(1, 2) is True
    assert picture(bitmap) == "1001001000000000"
    assert bitmap.clear(6, 1) is True
    assert picture(bitmap) == "1001000000000000"
    assert bitmap.find_next_zero_area(16, 0, 12) == 4  # 1..3 blocked at 3, then 4..15
    assert bitmap.find_next_zero_area(16, 0, 2) == 1


def test_set_and_clear_keep_the_first_fit_right() -> None:
    # Exercise the first-clear-bit hint: fill from the front, punch a hole, refill.
    bitmap = Bitmap(64)
    for expected in range(0, 64, 8):
        assert bitmap.find_next_zero_area(64, 0, 8) == expected
        assert bitmap.set(expected, 8)
    assert bitmap.find_next_zero_area(64, 0, 1) == 65
    assert bitmap.clear(16, 8)
    assert bitmap.find_next_zero_area(64, 0, 1) == 16
    assert bitmap.clear(3, 1)
    assert bitmap.find_next_zero_area(64, 0, 1) == 3
    assert bitmap.find_next_zero_area(64, 0, 2) == 16
    assert bitmap.find_next_zero_area(64, 4, 1) == 16


# -- reading for display ---------------------------------------------------------


def test_runs() -> None:
    bitmap = bitmap_of(SAMPLE)
    assert list(bitmap.runs()) == [(0, 4, True), (4, 2, False), (6, 1, True), (7, 9, False)]
    assert list(bitmap.runs(5, 8)) == [(5, 1, False), (6, 1, True), (7, 1, False)]
    assert list(bitmap.runs(2, 100)) == [(2, 2, True), (4, 2, False), (6, 1, True), (7, 9, False)]
    assert list(bitmap.runs(8, 8)) == []
    assert list(Bitmap(5).runs()) == [(0, 5, False)]
    assert list(Bitmap(0).runs()) == []


def test_counts() -> None:
    bitmap = bitmap_of(SAMPLE)
    assert bitmap.counts(4) == [4, 1, 0, 0]
    assert bitmap.counts(5) == [4, 1, 0, 0]  # [0,5) [5,10) [10,15) [15,16)
    assert bitmap.counts(3, 2, 8) == [2, 1]
    assert bitmap.counts(16) == [5]
    assert bitmap.counts(100) == [5]
    assert bitmap.counts(1) == [1, 1, 1, 1, 0, 0, 1] + [0] * 9
    for bad in (0, -1):
        with pytest.raises(InvalidArgument):
            bitmap.counts(bad)


def test_runs_and_counts_agree_with_the_bits_of_a_large_bitmap() -> None:
    bitmap = Bitmap(10_000)
    for start, nr in ((0, 5), (127, 1), (128, 300), (4096, 4000), (9999, 1)):
        assert bitmap.set(start, nr)
    runs = list(bitmap.runs())
    assert sum(length for _, length, _ in runs) == 10_000
    assert [r for r in runs if r[2]] == [(0, 5, True), (127, 301, True), (4096, 4000, True), (9999, 1, True)]
    assert sum(bitmap.counts(128)) == bitmap.weight() == 5 + 1 + 300 + 4000 + 1


# -- the run index never changes an answer -----------------------------------------


def test_each_size_of_bitmap_keeps_its_kind_of_index() -> None:
    # White-box guard: the index tests below are only meaningful if bitmaps
    # really go through each index, and index_kind() really moves the lines.
    listed, blocks = threshold("list"), threshold("blocks")
    assert listed < blocks
    assert Bitmap(listed - 1)._index is None
    assert type(Bitmap(listed)._index) is RunList
    assert type(Bitmap(blocks - 1)._index) is RunList
    assert type(Bitmap(blocks)._index) is RunIndex
    for kind, index_type in INDEX_KINDS.items():
        with index_kind(kind):
            assert type(Bitmap(100)._index) is index_type
    assert (threshold("list"), threshold("blocks")) == (listed, blocks)


@pytest.mark.parametrize("kind", ["list", "blocks"])
@pytest.mark.parametrize("nr", [255, 256, 4095, 4096, 4097, 65535, 65536, 70000])
def test_index_finds_long_runs(kind: str, nr: int) -> None:
    nbits = 300_000
    with index_kind(kind):
        bitmap = Bitmap(nbits)
    assert type(bitmap._index) is INDEX_KINDS[kind]
    # Set everything but one clear bit every 101, by first fits from the front,
    # then clear one long hole of nr bits at 200_000.
    pos = 0
    while pos < nbits:
        assert bitmap.set(pos, min(100, nbits - pos))
        pos += 101
    hole = 200_000
    for first, length, is_set in list(bitmap.runs(hole, hole + nr)):
        if is_set:
            assert bitmap.clear(first, length)
    bits = bitmap.to_bytes()
    assert kernel_find_next_zero_area_off(bits, nbits, 0, nr, 0, 0) == hole
    assert bitmap.find_next_zero_area(nbits, 0, nr) == hole
    # one bit more than the hole holds: the kernel's answer (here a failure)
    assert bitmap.find_next_zero_area(nbits, 0, nr + 1) == kernel_find_next_zero_area_off(bits, nbits, 0, nr + 1, 0, 0)
    # take the hole: the same request fails with the kernel's value
    assert bitmap.set(hole, nr)
    bits = bitmap.to_bytes()
    assert bitmap.find_next_zero_area(nbits, 0, nr) == kernel_find_next_zero_area_off(bits, nbits, 0, nr, 0, 0)
    # give it back: found again
    assert bitmap.clear(hole, nr)
    assert bitmap.find_next_zero_area(nbits, 0, nr) == hole


@pytest.mark.parametrize("kind", ["list", "blocks"])
@pytest.mark.parametrize("lowered", [False, True], ids=["real-threshold", "lowered-threshold"])
def test_index_after_many_first_fit_allocations_and_frees(kind: str, lowered: bool) -> None:
    """First fits and whole frees, as a pool with first_fit does them."""
    nbits = 50_000 if lowered else threshold(kind) + 10_000
    if lowered:
        with index_kind(kind):
            bitmap = Bitmap(nbits)
    else:
        bitmap = Bitmap(nbits)
    assert type(bitmap._index) is INDEX_KINDS[kind]
    live = []
    sizes = [1, 3, 128, 129, 255, 256, 1000, 4095, 4096, 5000]
    for step in range(300):
        nr = sizes[step % len(sizes)]
        bits = bitmap.to_bytes()
        expected = kernel_find_next_zero_area_off(bits, nbits, 0, nr, 0, 0)
        assert bitmap.find_next_zero_area(nbits, 0, nr) == expected
        if expected < nbits:
            assert bitmap.set(expected, nr)
            live.append((expected, nr))
        if step % 3 == 2 and live:
            start, length = live.pop((step * 7) % len(live))
            assert bitmap.clear(start, length)


# Minimal cases the property tests below found, worked through by hand.


@pytest.mark.parametrize("kind", ["list", "blocks"])
def test_index_sees_the_run_after_a_set_inside_a_longer_run(kind: str) -> None:
    nbits = threshold(kind)
    bitmap = Bitmap(nbits)
    assert type(bitmap._index) is INDEX_KINDS[kind]
    # bit 210 set in an empty bitmap: runs 0..209 (210 bits) and 211..end.
    assert bitmap.set(210, 1)
    # kernel: index 0, end 300, blocked at 210 -> start 211 -> index 211 fits.
    assert kernel_find_next_zero_area_off(bitmap.to_bytes(), nbits, 0, 300, 0, 0) == 211
    assert bitmap.find_next_zero_area(nbits, 0, 300) == 211


@pytest.mark.parametrize("kind", ["list", "blocks"])
def test_index_sees_the_run_after_a_set_inside_a_longer_run_small(kind: str) -> None:
    with index_kind(kind):
        bitmap = Bitmap(600)
    assert bitmap.set(210, 1)
    assert bitmap.find_next_zero_area(600, 0, 300) == 211


# -- the property tests: the kernel's loop versus genpool's ------------------------

SPECIAL_NR = [
    0, 1, 2, 3, 127, 128, 129, 255, 256, 257, 4094, 4095, 4096, 4097, 8191, 65535, 65536, 65537, 70000,
]  # fmt: skip
SPECIAL_RUNS = [
    127, 128, 129, 255, 256, 257, 4094, 4095, 4096, 4097, 32767, 32768, 65535, 65536, 70000, 150000,
]  # fmt: skip


@st.composite
def bitmaps(draw: st.DrawFn, kind: str, loaded: bool | None = None) -> Bitmap:
    """A bitmap built the way a pool builds it, keeping an index of ``kind``.

    Indexed bitmaps are either large enough to keep that index for real or
    small with the threshold lowered.  The picture is a sequence of clear
    and set runs whose lengths mix short values with values past 255, the
    indexes' cap and their block and group sizes; it is applied with
    :meth:`Bitmap.set` (keeping an index in step as a pool would) or loaded
    at once (``loaded``: True, False, or None for either).
    """
    if kind == "plain":
        nbits = draw(st.one_of(st.integers(0, 300), st.integers(4000, 20_000), st.just(70_000)))
        lowered = True
    else:
        real = threshold(kind)
        nbits = draw(st.one_of(st.integers(1, 20_000), st.integers(1, 600), st.integers(real, real + 80_000)))
        lowered = nbits < real
    run_length = st.one_of(st.integers(1, 8), st.integers(1, 300), st.sampled_from(SPECIAL_RUNS))
    pairs = draw(st.lists(st.tuples(run_length, run_length), max_size=30))
    bits = bytearray()
    for clear, busy in pairs:
        bits += bytes(clear) + b"\x01" * busy
        if len(bits) >= nbits:
            break
    bits = bytes(bits[:nbits]) + bytes(max(0, nbits - len(bits)))
    if lowered:
        with index_kind(kind):
            bitmap = Bitmap(nbits)
    else:
        bitmap = Bitmap(nbits)
    assert type(bitmap._index) is INDEX_KINDS[kind if nbits else "plain"]
    if loaded if loaded is not None else draw(st.booleans()):
        bitmap._load(bits)
        assert type(bitmap._index) is INDEX_KINDS[kind if nbits else "plain"]
    else:
        pos = 0
        while (one := bits.find(1, pos)) >= 0:
            zero = bits.find(0, one)
            end = nbits if zero < 0 else zero
            assert bitmap.set(one, end - one)
            pos = end
    assert bitmap.to_bytes() == bits
    return bitmap


def some_index(draw: st.DrawFn, n: int) -> int:
    """An index in 0..n, with both ends likely."""
    return draw(st.one_of(st.integers(0, max(n, 0)), st.sampled_from([0, max(n, 0)])))


@st.composite
def queries(draw: st.DrawFn, bitmap: Bitmap) -> tuple[int, int, int, int, int]:
    """``(size, start, nr, align_mask, align_offset)`` for ``bitmap``.

    ``nr`` is often the length of one of the bitmap's free runs (or one
    more), so that long requests are found as well as refused.
    """
    nbits = bitmap.nbits
    size = draw(st.one_of(st.just(nbits), st.integers(0, nbits)))
    start = draw(st.one_of(st.just(0), st.integers(0, nbits + 8)))
    free_runs = [length for _, length, is_set in bitmap.runs() if not is_set]
    nr_choices = [st.sampled_from(SPECIAL_NR), st.integers(0, nbits + 2), st.integers(0, 64)]
    if free_runs:
        run = st.sampled_from(free_runs)
        nr_choices += [run, run, st.builds(lambda n, d: max(0, n + d), run, st.integers(-2, 1))]
    nr = draw(st.one_of(nr_choices))
    k = draw(st.one_of(st.integers(0, 6), st.integers(0, 16), st.sampled_from([32, 63])))
    mask = (1 << k) - 1
    offset = draw(st.one_of(st.just(0), st.integers(0, mask), st.integers(0, 300), st.integers(0, MASK64)))
    return size, start, nr, mask, offset


def note_outcome(bitmap: Bitmap, nr: int, expected: int, size: int) -> str:
    """A label for hypothesis' statistics: which paths the examples reached."""
    kind = type(bitmap._index).__name__
    big = "real-size " if bitmap._index is not None and bitmap.nbits >= threshold("list") else ""
    length = "nr>65535" if nr > 65535 else "nr>4095" if nr > 4095 else "nr>255" if nr > 255 else "nr<=255"
    return f"{big}{kind} {length} {'found' if expected < size else 'failed'}"


def change_and_compare(data: st.DataObject, bitmap: Bitmap, steps: int) -> None:
    """Interleave set/clear changes with searches, each checked against the kernel loop.

    Changes go through set and clear, which keep an index in step; the
    searches themselves may also update the index (they lower bounds found
    too high), so the order matters.
    """
    nbits = bitmap.nbits
    for _ in range(steps):
        action = data.draw(st.sampled_from(["query", "query", "set", "clear"]))
        if action == "set" and nbits:
            first_clear = bitmap.find_next_zero_bit(nbits, some_index(data.draw, nbits - 1))
            if first_clear < nbits:
                run_end = bitmap.find_next_bit(nbits, first_clear)
                first = data.draw(st.integers(first_clear, run_end - 1))  # anywhere in the run
                nr = data.draw(st.integers(1, run_end - first))
                assert bitmap.set(first, nr)
        elif action == "clear" and nbits:
            busy = bitmap.find_next_bit(nbits, some_index(data.draw, nbits - 1))
            if busy < nbits:
                run_end = bitmap.find_next_zero_bit(nbits, busy)
                first = data.draw(st.integers(busy, run_end - 1))
                nr = data.draw(st.integers(1, run_end - first))
                assert bitmap.clear(first, nr)
        size, start, nr, mask, offset = data.draw(queries(bitmap))
        bits = bitmap.to_bytes()
        expected = kernel_find_next_zero_area_off(bits, size, start, nr, mask, offset)
        got = bitmap.find_next_zero_area_off(size, start, nr, mask, offset)
        assert got == expected, dict(size=size, start=start, nr=nr, mask=mask, offset=offset)
        event(note_outcome(bitmap, nr, expected, size))
        if offset == 0:
            assert bitmap.find_next_zero_area(size, start, nr, mask) == expected
        # the request a pool makes with first_fit: from bit 0 over the whole bitmap
        assert bitmap.find_next_zero_area(nbits, 0, nr) == kernel_find_next_zero_area_off(bits, nbits, 0, nr, 0, 0)
        assert bitmap.to_bytes() == bits  # searching never changes the bits


@settings(max_examples=250, deadline=None)
@given(st.data())
def test_plain_search_matches_the_kernel_loop(data: st.DataObject) -> None:
    """Without an index: the scans and the failure-value shortcut."""
    bitmap = data.draw(bitmaps("plain"))
    change_and_compare(data, bitmap, data.draw(st.integers(1, 6)))


@pytest.mark.parametrize("kind", ["list", "blocks"])
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_indexed_search_matches_the_kernel_loop(kind: str, data: st.DataObject) -> None:
    """With each index (really large bitmaps, or small ones with the threshold lowered).

    The most important property of the bitmap: an index must never change
    an answer, found or failed.
    """
    bitmap = data.draw(bitmaps(kind))
    change_and_compare(data, bitmap, data.draw(st.integers(1, 6)))


@pytest.mark.parametrize("kind", ["list", "blocks"])
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_indexed_search_on_a_loaded_bitmap_matches_the_kernel_loop(kind: str, data: st.DataObject) -> None:
    """With an index built from a whole picture at once, searches only.

    (Bitmaps built with set() belong to the test above.)
    """
    bitmap = data.draw(bitmaps(kind, loaded=True))
    nbits = bitmap.nbits
    bits = bitmap.to_bytes()
    for _ in range(data.draw(st.integers(1, 5))):
        size, start, nr, mask, offset = data.draw(queries(bitmap))
        expected = kernel_find_next_zero_area_off(bits, size, start, nr, mask, offset)
        assert bitmap.find_next_zero_area_off(size, start, nr, mask, offset) == expected
        event(note_outcome(bitmap, nr, expected, size))
        assert bitmap.find_next_zero_area(nbits, 0, nr) == kernel_find_next_zero_area_off(bits, nbits, 0, nr, 0, 0)


def test_kernel_reference_is_itself_the_kernel_loop() -> None:
    """Sanity checks of the reference on values worked out by hand."""
    bits = bitmap_of(SAMPLE).to_bytes()
    assert kernel_find_next_zero_area_off(bits, 16, 0, 3, 0, 0) == 7
    assert kernel_find_next_zero_area_off(bits, 16, 0, 10, 0, 0) == 17
    # __ALIGN_MASK wraps in 64 bits: index 4 + offset 2**64-4 is 0 (mod 2**64),
    # aligned stays 0, minus the offset is 4 again.
    assert kernel_find_next_zero_area_off(bits, 16, 0, 2, 7, MASK64 - 3) == 4
    assert bitmap_of(SAMPLE).find_next_zero_area_off(16, 0, 2, 7, MASK64 - 3) == 4
    # on an empty bitmap: 0 + 2**64-4 + 7 wraps to 3, aligns down to 0, and
    # 0 - (2**64-4) is 4 (mod 2**64): (4 + offset) & 7 == 0 indeed
    assert kernel_find_next_zero_area_off(bytes(16), 16, 0, 2, 7, MASK64 - 3) == 4
    assert Bitmap(16).find_next_zero_area_off(16, 0, 2, 7, MASK64 - 3) == 4


def test_bitmap_is_exported() -> None:
    assert genpool.Bitmap is Bitmap


@settings(max_examples=1500, deadline=None)
@given(
    bits=st.binary(min_size=1, max_size=160).map(lambda raw: bytes(byte & 1 for byte in raw)),
    data=st.data(),
)
@example(
    bits=bytes.fromhex("00010100000101000100000000000101010001000000000100000000000000000101010100000100000001000000"),
    data=None,
)
def test_aligned_failure_values_match_the_kernel_loop(bits: bytes, data: st.DataObject | None) -> None:
    """Aligned searches that find nothing return what the kernel's loop returns.

    genpool resumes the loop at the last aligned set bit it can (see
    genpool.kernelloop.last_merge); dense small bitmaps with every mask and offset
    check that shortcut.  The example is one it once got wrong (the set
    bit at an aligned index just past ``size - nr``).
    """
    if data is None:
        size, start, nr, mask, offset = 29, 15, 12, 15, 14
    else:
        size = data.draw(st.integers(0, len(bits)))
        start = data.draw(st.integers(0, size))
        nr = data.draw(st.integers(1, 40))
        mask = (1 << data.draw(st.integers(0, 5))) - 1
        offset = data.draw(st.integers(0, mask))
    bitmap = Bitmap(len(bits))
    bitmap._load(bits)
    expected = kernel_find_next_zero_area_off(bits, size, start, nr, mask, offset)
    assert bitmap.find_next_zero_area_off(size, start, nr, mask, offset) == expected


def true_longest_runs(bits: bytes, block: int, cap: int) -> list[int]:
    """For each block of ``block`` bits, the longest run of clear bits starting in it (capped)."""
    longest = [0] * -(-len(bits) // block)
    pos = bits.find(0)
    while pos >= 0:
        end = bits.find(1, pos)
        end = len(bits) if end < 0 else end
        longest[pos // block] = max(longest[pos // block], min(cap, end - pos))
        pos = bits.find(0, end)
    return longest


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_index_bounds_never_understate_a_run(data: st.DataObject) -> None:
    """The invariant every indexed search relies on, after every kind of change.

    Includes blocks of many short runs, whose bound is recomputed by
    searching for longer stretches rather than run by run.
    """
    from genpool import levels, runindex

    with index_kind("blocks"):
        bitmap = Bitmap(data.draw(st.integers(64, 1500)))
    nbits = bitmap.nbits
    for _ in range(data.draw(st.integers(1, 40))):
        start = data.draw(st.integers(0, nbits - 1))
        nr = data.draw(st.integers(1, min(300, nbits - start)))
        if data.draw(st.booleans()):
            bitmap.set(start, nr)
        else:
            bitmap.clear(start, nr)
        if data.draw(st.booleans()):  # a hole every other bit, then a search that rescans
            for bit in range(start, min(nbits, start + nr), 2):
                bitmap.set(bit, 1)
            bitmap.find_next_zero_area(nbits, 0, data.draw(st.integers(1, 300)))
        truth = true_longest_runs(bitmap.to_bytes(), 1 << runindex._SHIFT, levels.CAP)
        bounds = list(bitmap._index._longest)
        assert all(bound >= real for bound, real in zip(bounds, truth, strict=True)), (bounds, truth)
        # The high-water mark a fill relies on: no bit at or past it is set.
        assert bitmap.to_bytes().find(1, bitmap._index._top) < 0


def true_long_runs(bits: bytes, shortest: int) -> list[tuple[int, int]]:
    """``(start, length)`` of every maximal run of at least ``shortest`` clear bits."""
    runs = []
    pos = bits.find(0)
    while pos >= 0:
        end = bits.find(1, pos)
        end = len(bits) if end < 0 else end
        if end - pos >= shortest:
            runs.append((pos, end - pos))
        pos = bits.find(0, end)
    return runs


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_run_list_is_exactly_the_long_runs(data: st.DataObject) -> None:
    """The RunList's invariant after every change: every long run listed, in order, at its level.

    Changes mix first fits (which take the head of the run a search just
    found), sets and clears anywhere (partial and merged frees included),
    and searches that find nothing.
    """
    from genpool import levels, runlist

    with index_kind("list"):
        bitmap = Bitmap(data.draw(st.integers(1, 6000)))
    nbits = bitmap.nbits
    for _ in range(data.draw(st.integers(1, 40))):
        action = data.draw(st.sampled_from(["first_fit", "first_fit", "set", "clear", "search"]))
        nr = data.draw(st.one_of(st.integers(1, 40), st.integers(1, 700), st.sampled_from([39, 40, 41, 128, 4096])))
        if action == "first_fit":
            found = bitmap.find_next_zero_area(nbits, 0, nr)
            if found < nbits:
                assert bitmap.set(found, nr)
        elif action == "search":
            bitmap.find_next_zero_area(nbits, data.draw(st.integers(0, nbits)), nr)
        else:
            start = data.draw(st.integers(0, nbits - 1))
            nr = min(nr, nbits - start)
            bits = bitmap.to_bytes()
            want = 0 if action == "set" else 1
            stop = bits.find(1 - want, start, start + nr)
            nr = (start + nr if stop < 0 else stop) - start
            if nr:
                assert (bitmap.set if action == "set" else bitmap.clear)(start, nr)
        runs = true_long_runs(bitmap.to_bytes(), runlist.SHORTEST)
        assert list(bitmap._index._starts) == [start for start, _ in runs]
        assert list(bitmap._index._lengths) == [length for _, length in runs]
        assert bytes(bitmap._index._levels) == bytes(levels.LEVEL[min(n, levels.CAP)] for _, n in runs)


@pytest.mark.parametrize("kind", INDEX_KINDS)
@pytest.mark.parametrize("gap", [1, 2, 40, 41, 1000])
def test_bitmap_and_index_take_at_most_1_25_bytes_a_bit(kind: str, gap: int) -> None:
    """The memory target holds for any picture, the worst for a RunList included.

    The list's worst is free runs just long enough to be listed, one set
    bit apart; the footprint counts the index's entries, not the arrays'
    spare capacity.
    """
    from genpool import runlist

    period = runlist.SHORTEST + 1 if gap == 41 else gap + 1
    nbits = 200_000
    picture = (bytes(period - 1) + b"\x01") * (nbits // period)
    picture += bytes(nbits - len(picture))
    with index_kind(kind):
        bitmap = Bitmap(nbits)
    bitmap._load(picture)
    assert type(bitmap._index) is INDEX_KINDS[kind]
    assert bitmap.footprint() / nbits <= 1.25


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_index_bounds_hold_while_filling_a_real_size_bitmap(data: st.DataObject) -> None:
    """The RunIndex shortcut for first fits at the head of a long run keeps every bound.

    Only bitmaps with runs past the cap (4095 bits) take it, so this one is
    real-size; first fits of assorted sizes cross block boundaries, and
    frees now and then open holes behind the front.
    """
    from genpool import levels, runindex

    nbits = threshold("blocks")
    bitmap = Bitmap(nbits)
    assert type(bitmap._index) is RunIndex
    live = []
    for _ in range(data.draw(st.integers(1, 60))):
        nr = data.draw(st.one_of(st.integers(1, 600), st.sampled_from([511, 512, 513, 1024, 4095, 4096, 5000])))
        if live and data.draw(st.integers(0, 4)) == 0:
            start, length = live.pop(data.draw(st.integers(0, len(live) - 1)))
            assert bitmap.clear(start, length)
            continue
        found = bitmap.find_next_zero_area(nbits, 0, nr)
        if found < nbits:
            assert bitmap.set(found, nr)
            live.append((found, nr))
    truth = true_longest_runs(bitmap.to_bytes(), 1 << runindex._SHIFT, levels.CAP)
    bounds = list(bitmap._index._longest)
    assert all(bound >= real for bound, real in zip(bounds, truth, strict=True))
    assert bitmap.to_bytes().find(1, bitmap._index._top) < 0
