"""Every registered algorithm keeps the genpool_algo_t contract; the checker catches those that do not."""

from __future__ import annotations

import genpool
import pytest
from genpool.conformance import check_algorithm
from genpool.host import get_host

DATA = {"first_fit_align": genpool.AlignData(64), "fixed_alloc": genpool.FixedData(16)}


# genpool-hostile's algorithms break the contract on purpose (tests/test_hostile_plugins.py).
@pytest.mark.parametrize(
    "name", [r.name for r in get_host().registrations("algorithm") if r.distribution != "genpool-hostile"]
)
def test_registered_algorithm_conforms(name: str) -> None:
    check_algorithm(get_host().algorithm(name).search, DATA.get(name))


def busy_bits(bitmap, size, start, nr, data, pool, start_addr):
    busy = bitmap.find_next_bit(size, start)
    return busy if busy + nr <= size else size


def mutating(bitmap, size, start, nr, data, pool, start_addr):
    found = bitmap.find_next_zero_area(size, start, nr)
    if found < size:
        bitmap.set(found, nr)
    return found


def past_the_end(bitmap, size, start, nr, data, pool, start_addr):
    return size - 1 if size else size


def not_an_int(bitmap, size, start, nr, data, pool, start_addr):
    return float(size)


@pytest.mark.parametrize(
    ("search", "message"),
    [(busy_bits, "is set"), (mutating, "changed the bitmap"), (past_the_end, "past size"), (not_an_int, "not an int")],
)
def test_checker_catches_broken_algorithms(search, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_algorithm(search)


def test_checker_refuses_what_is_not_an_algorithm() -> None:
    with pytest.raises(genpool.InvalidArgument, match="must be callable"):
        check_algorithm(5)  # type: ignore[arg-type]
