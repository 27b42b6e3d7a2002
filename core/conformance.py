"""Conformance checks for an allocation algorithm, for plugin authors' tests.

::

    from genpool.conformance import check_algorithm

    def test_worst_fit_conforms():
        check_algorithm(worst_fit)

:func:`check_algorithm` runs the algorithm on many random bitmaps and
through a real pool, and raises AssertionError naming the first broken
rule of the ``genpool_algo_t`` contract:

- it returns an ``int``;
- a result below ``size`` starts ``nr`` clear bits that end by ``size``,
  at or after ``start`` (so with no room, the result is ``>= size``);
- it never changes the bitmap;
- in a pool, allocating until the pool is full and freeing everything
  leaves the pool as it started.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .bitmap import Bitmap
from .errors import InvalidArgument, NoSpace
from .pool import Pool

__all__ = ["check_algorithm"]


def check_algorithm(
    search: Callable[..., int],
    data: Any = None,
    *,
    order: int = 3,
    rounds: int = 300,
    seed: int = 0,
) -> None:
    """Raise AssertionError unless ``search`` keeps the algorithm contract.

    ``data`` is passed to every call (give an ``AlignData`` to an aligning
    algorithm); ``rounds`` random bitmaps are tried.
    """
    if not callable(search):
        raise InvalidArgument(f"search must be callable, not {type(search).__name__}")
    rng = random.Random(seed)
    pool = Pool(order)
    for round_number in range(rounds):
        nbits = rng.choice((1, 7, 64, 300, 1000))
        bitmap = _random_bitmap(rng, nbits)
        before = bitmap.to_bytes()
        size = rng.randint(0, nbits)
        start = rng.randint(0, size)
        nr = rng.randint(1, max(1, size // 2 + 1))
        result = search(bitmap, size, start, nr, data, pool, 0x1000)
        where = f"round {round_number}: size={size} start={start} nr={nr} bits={before[:size].hex()}"
        assert type(result) is int, f"{where}: returned {result!r}, not an int"
        assert bitmap.to_bytes() == before, f"{where}: the algorithm changed the bitmap"
        if result < size:
            assert result >= start, f"{where}: chose bit {result}, before start"
            assert result + nr <= size, f"{where}: chose bits {result}..{result + nr - 1}, past size"
            busy = bitmap.find_next_bit(result + nr, result)
            assert busy >= result + nr, f"{where}: chose bits {result}..{result + nr - 1}, but bit {busy} is set"
    _check_in_a_pool(search, data, order, rng)


def _random_bitmap(rng: random.Random, nbits: int) -> Bitmap:
    bitmap = Bitmap(nbits)
    density = rng.random()
    pos = 0
    while pos < nbits:
        length = rng.randint(1, 8)
        if rng.random() < density:
            bitmap.set(pos, min(length, nbits - pos))
        pos += length
    return bitmap


def _check_in_a_pool(search: Callable[..., int], data: Any, order: int, rng: random.Random) -> None:
    pool = Pool(order, algo=search, data=data)
    pool.add(0x10000, 64 << order)
    pool.add(0x20000, (32 << order) + 5)
    live = []
    for _ in range(200):
        size = rng.randint(1, 6 << order)
        try:
            live.append((pool.alloc(size), size))
        except NoSpace:
            break
    for addr, size in live:
        pool.free(addr, size)
    assert pool.avail == pool.size, f"after freeing everything avail is {pool.avail}, size {pool.size}"
