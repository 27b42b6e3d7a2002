"""Every built-in algorithm against a literal transcription of the kernel, on every kind of index.

``best_fit``, ``fixed_alloc``, ``first_fit_align`` and
``first_fit_order_align`` answer from indexes on large bitmaps (runs by
length, aligned slots, per-block bounds); here each is compared with the
kernel's own loop, written out from ``lib/genalloc.c`` over the kernel
search of ``lib/bitmap.c`` (:func:`test_bitmap.kernel_find_next_zero_area_off`),
on random bitmaps that keep each kind of index, while bits are set and
cleared between searches -- failing searches and align masks that are not
powers of two included.  The public free-run summaries of
:class:`genpool.Bitmap` are checked the same way against plain scans.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from genpool import AlignData, Bitmap, FixedData, InvalidArgument
from genpool.plugins.best_fit import best_fit
from genpool.plugins.first_fit_align import first_fit_align
from genpool.plugins.first_fit_order_align import first_fit_order_align
from genpool.plugins.fixed_alloc import fixed_alloc
from genpool.runsizes import RunSizes
from hypothesis import event, given, settings
from hypothesis import strategies as st
from index_kinds import INDEX_KINDS, index_kind
from test_bitmap import _find_next_bit, bitmaps, kernel_find_next_zero_area_off

# -- the kernel's algorithms, line by line --------------------------------------


def kernel_best_fit(bits: bytes, size: int, start: int, nr: int) -> int:
    """``gen_pool_best_fit``::

    start_bit = size; len = size + 1;
    index = bitmap_find_next_zero_area(map, size, start, nr, 0);
    while (index < size) {
        next_bit = find_next_bit(map, size, index + nr);
        if ((next_bit - index) < len) {
            len = next_bit - index; start_bit = index;
            if (len == nr) return start_bit;
        }
        index = bitmap_find_next_zero_area(map, size, next_bit + 1, nr, 0);
    }
    return start_bit;
    """
    start_bit = size
    length = size + 1
    index = kernel_find_next_zero_area_off(bits, size, start, nr, 0, 0)
    while index < size:
        next_bit = _find_next_bit(bits, size, index + nr)
        if next_bit - index < length:
            length = next_bit - index
            start_bit = index
            if length == nr:
                return start_bit
        index = kernel_find_next_zero_area_off(bits, size, next_bit + 1, nr, 0, 0)
    return start_bit


def kernel_fixed_alloc(bits: bytes, size: int, start: int, nr: int, offset_bit: int) -> int:
    """``gen_pool_fixed_alloc`` for an offset that is a whole number of granules."""
    start_bit = kernel_find_next_zero_area_off(bits, size, start + offset_bit, nr, 0, 0)
    return start_bit if start_bit == offset_bit else size


def kernel_first_fit_align(bits: bytes, size: int, start: int, nr: int, align: int, order: int, start_addr: int) -> int:
    """``gen_pool_first_fit_align``."""
    align_mask = ((align + (1 << order) - 1) >> order) - 1
    align_off = (start_addr & (align - 1)) >> order
    return kernel_find_next_zero_area_off(bits, size, start, nr, align_mask, align_off)


def kernel_first_fit_order_align(bits: bytes, size: int, start: int, nr: int) -> int:
    """``gen_pool_first_fit_order_align``: ``roundup_pow_of_two(nr) - 1`` as the mask."""
    align_mask = (1 << (nr - 1).bit_length()) - 1 if nr else 0
    return kernel_find_next_zero_area_off(bits, size, start, nr, align_mask, 0)


# -- drawing requests -------------------------------------------------------------


def free_run_lengths(bitmap: Bitmap) -> list[int]:
    return [length for _, length in bitmap.free_runs()]


@st.composite
def requests(draw: st.DrawFn, bitmap: Bitmap) -> tuple[int, int, int]:
    """``(size, start, nr)``: mostly what a pool asks (from bit 0, the whole bitmap), ``nr`` often a run's length."""
    nbits = bitmap.nbits
    whole = draw(st.integers(0, 3)) > 0
    size = nbits if whole else draw(st.integers(0, nbits))
    start = 0 if whole else draw(st.one_of(st.just(0), st.integers(0, nbits + 4)))
    choices = [st.integers(0, 40), st.integers(1, 600), st.integers(0, nbits + 2), st.sampled_from([1, 4095, 4096])]
    runs = free_run_lengths(bitmap)
    if runs:
        run = st.sampled_from(runs)
        choices += [run, run, st.builds(lambda n, d: max(0, n + d), run, st.integers(-2, 1))]
    return size, start, draw(st.one_of(choices))


def change(data: st.DataObject, bitmap: Bitmap) -> None:
    """Set part of a free run or clear part of a busy one, as a pool would."""
    nbits = bitmap.nbits
    if not nbits:
        return
    bits = bitmap.to_bytes()
    pos = data.draw(st.integers(0, nbits - 1))
    want = data.draw(st.sampled_from([0, 1]))
    first = bits.find(want, pos)
    if first < 0:
        return
    run_end = bits.find(1 - want, first)
    run_end = nbits if run_end < 0 else run_end
    nr = data.draw(st.integers(1, run_end - first))
    assert (bitmap.set if want == 0 else bitmap.clear)(first, nr)


def run_and_compare(data: st.DataObject, kind: str, check) -> None:
    """Draw a bitmap keeping an index of ``kind``, then alternate changes with ``check(bitmap, bits)``."""
    bitmap = data.draw(bitmaps(kind))
    for _ in range(data.draw(st.integers(1, 6))):
        if data.draw(st.booleans()):
            change(data, bitmap)
        bits = bitmap.to_bytes()
        check(bitmap, bits)
        assert bitmap.to_bytes() == bits  # searching never changes the bits


KINDS = list(INDEX_KINDS)


# -- best fit ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=120)
@given(data=st.data())
def test_best_fit_is_the_kernels(kind: str, data: st.DataObject) -> None:
    def check(bitmap: Bitmap, bits: bytes) -> None:
        size, start, nr = data.draw(requests(bitmap))
        expected = kernel_best_fit(bits, size, start, nr)
        assert best_fit(bitmap, size, start, nr, None, None, 0) == expected, (size, start, nr)
        event(f"{kind} {'found' if expected < size else 'failed'}")

    run_and_compare(data, kind, check)


@pytest.mark.parametrize("kind", ["list", "blocks"])
def test_best_fit_takes_the_lowest_of_the_shortest_runs(kind: str) -> None:
    """Runs of 5, 3, 7, 3 and 9000 free bits: 3 fits best, the first 3 wins, 9000 is found past the cap."""
    picture = bytes(5) + b"\x01" + bytes(3) + b"\x01" + bytes(7) + b"\x01" + bytes(3) + b"\x01" + bytes(9000)
    with index_kind(kind):
        bitmap = Bitmap(len(picture))
    bitmap._load(picture)
    size = bitmap.nbits
    assert best_fit(bitmap, size, 0, 3, None, None, 0) == 6
    assert best_fit(bitmap, size, 0, 4, None, None, 0) == 0
    assert best_fit(bitmap, size, 0, 6, None, None, 0) == 10
    assert best_fit(bitmap, size, 0, 8, None, None, 0) == 22
    assert best_fit(bitmap, size, 0, 9001, None, None, 0) == size
    assert bitmap.set(6, 3)  # the first 3 taken: now the second
    assert best_fit(bitmap, size, 0, 3, None, None, 0) == 18
    assert bitmap.clear(6, 3)
    assert best_fit(bitmap, size, 0, 3, None, None, 0) == 6


@pytest.mark.parametrize("kind", ["list", "blocks"])
@settings(max_examples=60)
@given(data=st.data())
def test_run_sizes_know_every_free_run(kind: str, data: st.DataObject) -> None:
    """The index of runs by length holds exactly the bitmap's free runs after any changes.

    Searches in between drop stale marks of short runs, so they run too.
    """
    bitmap = data.draw(bitmaps(kind))
    bitmap.smallest_free_run(1)  # made on first use
    for _ in range(data.draw(st.integers(0, 8))):
        change(data, bitmap)
        bitmap.smallest_free_run(data.draw(st.integers(0, 50)))
    sizes = bitmap._sizes
    fresh = RunSizes(bytearray(bitmap.to_bytes()))
    if sizes is None:
        assert fresh.largest() == (-1, 0) or not bitmap.nbits
        return
    assert dict(sizes._starts) == dict(fresh._starts)
    assert list(sizes._lengths) == list(fresh._lengths)
    assert list(sizes._long) == list(fresh._long)
    assert list(sizes._long_lengths) == list(fresh._long_lengths)
    # Short runs are counted exactly; their marks may be stale, never missing.
    assert sizes._counts == fresh._counts
    for length, (kept, true) in enumerate(zip(sizes._marks, fresh._marks, strict=True)):
        assert all(k >= t for k, t in zip(kept, true, strict=True)), length


# -- fixed_alloc --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=100)
@given(data=st.data())
def test_fixed_alloc_is_the_kernels(kind: str, data: st.DataObject) -> None:
    order = data.draw(st.integers(0, 4))
    pool = SimpleNamespace(min_alloc_order=order)

    def check(bitmap: Bitmap, bits: bytes) -> None:
        size, start, nr = data.draw(requests(bitmap))
        offset_bit = data.draw(st.one_of(st.integers(0, bitmap.nbits + 2), st.sampled_from([0, size])))
        fixed = FixedData(offset_bit << order)
        expected = kernel_fixed_alloc(bits, size, start, nr, offset_bit)
        assert fixed_alloc(bitmap, size, start, nr, fixed, pool, 0) == expected

    run_and_compare(data, kind, check)


# -- aligned first fits ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=120)
@given(data=st.data())
def test_first_fit_order_align_is_the_kernels(kind: str, data: st.DataObject) -> None:
    def check(bitmap: Bitmap, bits: bytes) -> None:
        size, start, nr = data.draw(requests(bitmap))
        expected = kernel_first_fit_order_align(bits, size, start, nr)
        assert first_fit_order_align(bitmap, size, start, nr, None, None, 0) == expected, (size, start, nr)
        event(f"{kind} {'found' if expected < size else 'failed'}{' with slot index' if bitmap._aligned else ''}")

    run_and_compare(data, kind, check)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=120)
@given(data=st.data())
def test_first_fit_align_is_the_kernels(kind: str, data: st.DataObject) -> None:
    order = data.draw(st.integers(0, 4))
    pool = SimpleNamespace(min_alloc_order=order)

    def check(bitmap: Bitmap, bits: bytes) -> None:
        size, start, nr = data.draw(requests(bitmap))
        align = 1 << data.draw(st.integers(0, 14))
        start_addr = data.draw(st.one_of(st.just(0), st.integers(0, 1 << 20), st.integers(0, (1 << 64) - 1)))
        expected = kernel_first_fit_align(bits, size, start, nr, align, order, start_addr)
        got = first_fit_align(bitmap, size, start, nr, AlignData(align), pool, start_addr)
        assert got == expected, (size, start, nr, align, start_addr)
        event(f"{kind} {'found' if expected < size else 'failed'}{' with slot index' if bitmap._aligned else ''}")

    run_and_compare(data, kind, check)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=100)
@given(data=st.data())
def test_any_align_mask_and_offset_is_the_kernels(kind: str, data: st.DataObject) -> None:
    """``bitmap_find_next_zero_area_off`` with masks that are not one less than a power of two, and any offset."""

    def check(bitmap: Bitmap, bits: bytes) -> None:
        size, start, nr = data.draw(requests(bitmap))
        mask = data.draw(st.one_of(st.integers(0, 600), st.sampled_from([5, 6, 10, 12, 31, 33, 100, 511, 513])))
        offset = data.draw(st.one_of(st.integers(0, 2 * mask + 2), st.integers(0, (1 << 64) - 1)))
        expected = kernel_find_next_zero_area_off(bits, size, start, nr, mask, offset)
        assert bitmap.find_next_zero_area_off(size, start, nr, mask, offset) == expected
        event(f"{kind} mask {'2**k-1' if mask & (mask + 1) == 0 else 'other'}")

    run_and_compare(data, kind, check)


@pytest.mark.parametrize("stride", [16, 64, 512])
def test_aligned_fits_in_slots_stay_right_while_bits_change(stride: int) -> None:
    """The aligned-slot index on a real-size bitmap: taking the fit it found, freeing, finding again."""
    nbits = 1 << 20
    bitmap = Bitmap(nbits)
    picture = bytearray(b"\x01" * nbits)
    for hole in range(3, nbits - stride, 7 * stride + 5):
        picture[hole : hole + stride] = bytes(stride)  # mostly misaligned holes of one slot
    bitmap._load(bytes(picture))
    nr = stride // 2 + 1
    found = []
    for _ in range(5):
        bits = bitmap.to_bytes()
        expected = kernel_find_next_zero_area_off(bits, nbits, 0, nr, stride - 1, 0)
        assert bitmap.find_next_zero_area(nbits, 0, nr, stride - 1) == expected
        assert expected < nbits
        assert bitmap.set(expected, nr)
        found.append(expected)
    for first in found:
        assert bitmap.clear(first, nr)
        bits = bitmap.to_bytes()
        assert bitmap.find_next_zero_area(nbits, 0, nr, stride - 1) == kernel_find_next_zero_area_off(
            bits, nbits, 0, nr, stride - 1, 0
        )
    assert bitmap.find_next_zero_area(nbits, 0, nr, stride - 1) == found[0]


# -- the public free-run summaries ------------------------------------------------------


def plain_runs(bits: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    end = len(bits) if end is None else min(end, len(bits))
    runs, pos = [], start
    while pos < end:
        if bits[pos] == 0:
            stop = pos
            while stop < end and bits[stop] == 0:
                stop += 1
            runs.append((pos, stop - pos))
            pos = stop
        else:
            pos += 1
    return runs


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=80)
@given(data=st.data())
def test_free_run_summaries_match_plain_scans(kind: str, data: st.DataObject) -> None:
    def check(bitmap: Bitmap, bits: bytes) -> None:
        nbits = bitmap.nbits
        size, start, nr = data.draw(requests(bitmap))
        end = data.draw(st.one_of(st.none(), st.integers(0, nbits + 3)))
        assert list(bitmap.free_runs(start, end)) == plain_runs(bits, start, end)
        runs = plain_runs(bits, start, size)
        fitting = [run for run in runs if run[1] >= nr and run[1] > 0]
        assert bitmap.next_free_run(size, start, nr) == (fitting[0] if fitting else (size, 0))
        whole = plain_runs(bits)
        fitting = [run for run in whole if run[1] >= nr]
        smallest = min(fitting, key=lambda run: (run[1], run[0])) if fitting else (nbits, 0)
        assert bitmap.smallest_free_run(nr) == smallest
        largest = min(whole, key=lambda run: (-run[1], run[0])) if whole else (nbits, 0)
        assert bitmap.largest_free_run() == largest

    run_and_compare(data, kind, check)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda b: list(b.free_runs(-1)), "start"),
        (lambda b: list(b.free_runs(0, -1)), "end"),
        (lambda b: list(b.free_runs("0")), "start"),
        (lambda b: b.next_free_run(65, 0, 1), "size"),
        (lambda b: b.next_free_run(64, -1, 1), "start"),
        (lambda b: b.next_free_run(64, 0, -2), "nr"),
        (lambda b: b.next_free_run(64, 0, 1.5), "nr"),
        (lambda b: b.smallest_free_run(-1), "nr"),
        (lambda b: b.smallest_free_run(None), "nr"),
    ],
)
def test_free_run_summaries_refuse_bad_arguments(call, name: str) -> None:
    bitmap = Bitmap(64)
    assert bitmap.set(3, 5)
    with pytest.raises(InvalidArgument, match=name):
        call(bitmap)
    assert bitmap.to_bytes() == bytes(3) + b"\x01" * 5 + bytes(56)


# -- the example third-party worst fit ---------------------------------------------------


def plain_worst_fit(bits: bytes, size: int, start: int, nr: int) -> int:
    """The example plugin's contract as a plain scan: the largest run of at least ``nr`` bits, lowest on ties."""
    best_start, best_length = size, 0
    for first, length in plain_runs(bits, start, size):
        if length >= nr and length > best_length:
            best_start, best_length = first, length
    return best_start


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=80)
@given(data=st.data())
def test_example_worst_fit_matches_a_plain_scan(kind: str, data: st.DataObject) -> None:
    worst_fit = pytest.importorskip("genpool_extras").worst_fit

    def check(bitmap: Bitmap, bits: bytes) -> None:
        size, start, nr = data.draw(requests(bitmap))
        assert worst_fit(bitmap, size, start, nr, None, None, 0) == plain_worst_fit(bits, size, start, nr)

    run_and_compare(data, kind, check)
