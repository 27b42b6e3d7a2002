"""Random sequences of good and bad calls against a literal reference model.

The model keeps each chunk as a Python list of bools and implements the
allocation loop and the five algorithms the obvious way, straight from
``lib/genalloc.c``: no search primitive, no index, no shortcut.  After
every step the pool and the model must agree on every return value and
exception type, on avail and size, and on every chunk's bits.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field

import genpool
import genpool.kernel as K
import hypothesis.strategies as st
from genpool import AlignData, FixedData, InvalidArgument, KernelWarning, NoSpace, Pool, PoolBug
from hypothesis import Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from index_kinds import INDEX_KINDS, index_kind

MASK64 = (1 << 64) - 1
ALGORITHMS = ("first_fit", "first_fit_align", "first_fit_order_align", "best_fit", "fixed_alloc")
DATA_TYPES = {"first_fit_align": AlignData, "fixed_alloc": FixedData}


# -- the reference model ------------------------------------------------------------------------


@dataclass
class ModelChunk:
    start: int
    size: int
    order: int
    owner: str
    bits: list[bool] = field(default_factory=list)
    avail: int = 0

    def __post_init__(self) -> None:
        self.bits = [False] * (self.size >> self.order)  # floor: the tail has no bit
        self.avail = self.size  # avail starts at the byte size

    @property
    def end(self) -> int:
        return self.start + self.size - 1

    def fits(self, i: int, nr: int) -> bool:
        return i + nr <= len(self.bits) and not any(self.bits[i : i + nr])


def first_fit(chunk: ModelChunk, nr: int, data: object) -> int | None:
    for i in range(len(chunk.bits)):
        if chunk.fits(i, nr):
            return i
    return None


def first_fit_align(chunk: ModelChunk, nr: int, data: AlignData) -> int | None:
    # align_mask = ((align + (1UL << order) - 1) >> order) - 1;
    # align_off = (start_addr & (align - 1)) >> order;  index + align_off is a multiple of align_mask + 1
    mask = ((data.align + (1 << chunk.order) - 1) >> chunk.order) - 1
    off = (chunk.start & (data.align - 1)) >> chunk.order
    for i in range(len(chunk.bits)):
        if (i + off) & mask == 0 and chunk.fits(i, nr):
            return i
    return None


def first_fit_order_align(chunk: ModelChunk, nr: int, data: object) -> int | None:
    step = 1
    while step < nr:  # roundup_pow_of_two(nr)
        step *= 2
    for i in range(0, len(chunk.bits), step):
        if chunk.fits(i, nr):
            return i
    return None


def best_fit(chunk: ModelChunk, nr: int, data: object) -> int | None:
    holes = []  # maximal runs of clear bits: (start, length)
    i = 0
    while i < len(chunk.bits):
        if chunk.bits[i]:
            i += 1
            continue
        j = i
        while j < len(chunk.bits) and not chunk.bits[j]:
            j += 1
        holes.append((i, j - i))
        i = j
    best = None
    for start, length in holes:
        if length >= nr and (best is None or length < best[1]):
            best = (start, length)
    return None if best is None else best[0]


def fixed_alloc(chunk: ModelChunk, nr: int, data: FixedData) -> int | None:
    # the warning is counted by the caller
    bit = data.offset >> chunk.order
    return bit if chunk.fits(bit, nr) else None


SEARCH = {
    "first_fit": first_fit,
    "first_fit_align": first_fit_align,
    "first_fit_order_align": first_fit_order_align,
    "best_fit": best_fit,
    "fixed_alloc": fixed_alloc,
}


class Model:
    """The pool as lists of bools; methods return what the pool must return or raise."""

    def __init__(self, order: int) -> None:
        self.order = order
        self.chunks: list[ModelChunk] = []  # newest first
        self.algo = "first_fit"
        self.data: object = None
        self.warnings = 0

    @property
    def granule(self) -> int:
        return 1 << self.order

    def add(self, addr: int, size: int, owner: str) -> type[Exception] | None:
        if size <= 0:
            return InvalidArgument
        for chunk in self.chunks:
            if addr <= chunk.end and chunk.start <= addr + size - 1:
                return InvalidArgument
        self.chunks.insert(0, ModelChunk(addr, size, self.order, owner))
        return None

    def alloc(self, size: object, algo: str | None, data: object, kernel: bool = False) -> tuple[str, object]:
        """('ok', addr) or ('raise', exception type); counts KernelWarnings in self.warnings.

        ``kernel``: the kernel API, where an algorithm that takes no data ignores any it is given.
        """
        self.warnings = 0
        if type(size) is not int or size <= 0:
            return "raise", InvalidArgument
        if algo is None:
            algo = self.algo
            if data is None:
                data = self.data
        if algo not in SEARCH:
            return "raise", InvalidArgument
        wanted = DATA_TYPES.get(algo)
        if (wanted is None and data is not None and not kernel) or (
            wanted is not None and not isinstance(data, wanted)
        ):
            return "raise", InvalidArgument
        nr = -(-size // self.granule)
        for chunk in self.chunks:
            if size > chunk.avail:  # the unrounded size
                continue
            if algo == "fixed_alloc" and data.offset % self.granule:
                self.warnings += 1
                continue
            start = SEARCH[algo](chunk, nr, data)
            if start is None:
                continue
            chunk.bits[start : start + nr] = [True] * nr
            chunk.avail -= nr * self.granule  # the rounded size
            return "ok", chunk.start + start * self.granule
        return "raise", NoSpace

    def free(self, addr: object, size: object) -> tuple[str, object]:
        """('ok', chunk owner) or ('raise', exception type)."""
        for value in (addr, size):
            if type(value) is not int or not 0 <= value <= MASK64:
                return "raise", InvalidArgument
        for chunk in self.chunks:
            if chunk.start <= addr <= chunk.end:
                last = (addr + size - 1) & MASK64
                if addr + size - 1 > chunk.end or last > chunk.end:
                    return "raise", PoolBug
                nr = -(-size // self.granule)
                first = (addr - chunk.start) >> self.order
                if first + nr > len(chunk.bits) or not all(chunk.bits[first : first + nr]):
                    return "raise", PoolBug
                chunk.bits[first : first + nr] = [False] * nr
                chunk.avail += nr * self.granule
                return "ok", chunk.owner
        return "raise", PoolBug


# -- the machine -------------------------------------------------------------------------------------

SLOT = 0x10_0000  # chunks in different slots never overlap


def call(function, *args, **kwargs) -> tuple[tuple[str, object], int]:
    """Run ``function``; return (('ok', value) or ('raise', type), number of KernelWarnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = ("ok", function(*args, **kwargs))
        except genpool.GenPoolError as exc:
            outcome = ("raise", type(exc))
    kernel_warnings = [w for w in caught if issubclass(w.category, KernelWarning)]
    assert len(kernel_warnings) == len(caught), [str(w.message) for w in caught]
    return outcome, len(kernel_warnings)


@st.composite
def algorithm_and_data(draw: st.DrawFn) -> tuple[str | None, object]:
    algo = draw(st.sampled_from((None, *ALGORITHMS, "best_fit", "best_fit", "no_such_algorithm")))
    if algo == "first_fit_align":
        data = draw(st.one_of(st.builds(AlignData, st.sampled_from([1 << k for k in range(11)])), st.none()))
    elif algo == "fixed_alloc":
        offsets = st.one_of(st.integers(0, 40).map(lambda n: n * 64), st.integers(0, 48), st.integers(0, 2600))
        data = draw(st.one_of(st.builds(FixedData, offsets), st.just(AlignData(8))))
    elif algo is None:
        data = draw(st.one_of(st.none(), st.none(), st.just(AlignData(16)), st.just(FixedData(0))))
    else:
        data = draw(st.one_of(st.none(), st.none(), st.none(), st.just(FixedData(0))))
    return algo, data


class PoolMachine(RuleBasedStateMachine):
    """A pool and its model, driven with allocs, frees and chunks, good and bad."""

    def __init__(self) -> None:
        super().__init__()
        self.live: list[tuple[int, int]] = []  # allocations made and not freed (addr, size)
        self.freed: list[tuple[int, int]] = []  # allocations freed: for double frees
        self.slots: list[int] = []

    @initialize(order=st.integers(0, 6), kernel=st.booleans())
    def create(self, order: int, kernel: bool) -> None:
        self.pool = K.gen_pool_create(order, -1) if kernel else Pool(order)
        self.model = Model(order)

    # -- chunks ---------------------------------------------------------------------------

    STRETCH = False  # chunks of up to 48 granules; the indexed machines go up to 576
    INDEX: str | None = None  # the kind of index every chunk's bitmap keeps (None: as its size decides)

    @precondition(lambda self: len(self.model.chunks) < 4)
    @rule(
        slot=st.integers(0, 5),
        nbits=st.integers(1, 48),
        stretch=st.integers(1, 12),
        tail=st.integers(0, 63),
        misalign=st.sampled_from([0, 0, 8, 24, 40, 72, 200]),
    )
    def add_chunk(self, slot: int, nbits: int, stretch: int, tail: int, misalign: int) -> None:
        granule = self.model.granule
        addr = SLOT * (slot + 1) + misalign
        size = nbits * (stretch if self.STRETCH else 1) * granule + tail % granule
        owner = f"chunk{len(self.slots)}"
        expected = self.model.add(addr, size, owner)
        with index_kind(self.INDEX) if self.INDEX is not None else contextlib.nullcontext():
            outcome, _ = call(self.pool.add_owner, addr, None, size, owner=owner)
        assert outcome[0] == ("raise" if expected else "ok")
        if expected:
            assert outcome[1] is expected
        else:
            self.slots.append(slot)

    @rule(size=st.sampled_from([0, -1, 1.5, True]))
    def add_bad_chunk(self, size: object) -> None:
        outcome, _ = call(self.pool.add, SLOT * 9, size)
        assert outcome == ("raise", InvalidArgument)

    # -- allocating --------------------------------------------------------------------------

    def _size(self, granules: int, trim: int) -> int:
        granule = self.model.granule
        return max(1, granules * granule - trim % granule)

    def _record(self, addr: int, size: int) -> None:
        self.live.append((addr, size))

    @rule(
        granules=st.one_of(st.integers(1, 4), st.integers(1, 14)),
        stretch=st.integers(1, 40),
        trim=st.integers(0, 63),
        choice=algorithm_and_data(),
    )
    def alloc(self, granules: int, stretch: int, trim: int, choice: tuple) -> None:
        algo, data = choice
        if self.STRETCH:
            granules *= stretch
        self._alloc(self._size(granules, trim), algo, data)

    @rule(granules=st.integers(1, 14), trim=st.integers(0, 63), choice=algorithm_and_data())
    def kernel_alloc(self, granules: int, trim: int, choice: tuple) -> None:
        size = self._size(granules, trim)
        algo, data = choice
        if algo is None:
            # gen_pool_alloc: the pool's own algorithm and data
            expected = self.model.alloc(size, None, None)
            outcome, warned = call(K.gen_pool_alloc_owner, self.pool, size)
        else:
            expected = self.model.alloc(size, algo, data, kernel=True)
            outcome, warned = call(K.gen_pool_alloc_algo_owner, self.pool, size, algo, data)
        assert warned == self.model.warnings
        if expected == ("raise", NoSpace):
            assert outcome == ("ok", (0, None))  # the kernel's failure value
        elif expected[0] == "ok":
            addr = expected[1]
            owner = next(c.owner for c in self.model.chunks if c.start <= addr <= c.end)
            assert outcome == ("ok", (addr, owner))
            self._record(addr, size)
        else:
            assert outcome == expected

    @rule(
        granules=st.integers(1, 4),
        count=st.integers(2, 8),
        nr=st.integers(1, 4),
        algo=st.sampled_from(ALGORITHMS[:4]),
    )
    def checkerboard(self, granules: int, count: int, nr: int, algo: str) -> None:
        """Equal holes (first fits, every other one freed), then a request smaller than a hole.

        Ties between equal holes are where best fit's "lowest address" rule shows.
        """
        size = granules * self.model.granule
        made = []
        for _ in range(count):
            expected = self.model.alloc(size, "first_fit", None)
            outcome, _ = call(self.pool.alloc, size, algo="first_fit")
            assert outcome == expected
            if outcome[0] == "ok":
                made.append(outcome[1])
        for addr in made[::2]:
            assert self._free(addr, size)[0] == "ok"
        self.live.extend((addr, size) for addr in made[1::2])
        data = AlignData(self.model.granule) if algo == "first_fit_align" else None
        self._alloc(self._size(nr, 0), algo, data)

    @rule(
        k=st.integers(2, 9),
        fixed=st.booleans(),
        granules=st.integers(1, 14),
        stretch=st.integers(1, 30),
        algo=st.sampled_from(ALGORITHMS[:4]),
    )
    def place_then_fill(self, k: int, fixed: bool, granules: int, stretch: int, algo: str) -> None:
        """An allocation placed inside a free run (aligned, or at a fixed offset), then a larger one.

        Placing inside a run splits it in two; the larger request may only
        fit in the part after the placed allocation.
        """
        granule = self.model.granule
        if fixed:
            self._alloc(granule, "fixed_alloc", FixedData(granule << k))
        else:
            self._alloc(granule, "first_fit_align", AlignData(granule << k))
        if self.STRETCH:
            granules *= stretch
        data = AlignData(granule) if algo == "first_fit_align" else None
        self._alloc(granules * granule, algo, data)

    def _alloc(self, size: int, algo: str | None, data: object) -> None:
        expected = self.model.alloc(size, algo, data)
        outcome, warned = call(self.pool.alloc, size, algo=algo, data=data)
        assert outcome == expected
        assert warned == self.model.warnings
        if outcome[0] == "ok":
            self._record(outcome[1], size)

    @rule(size=st.sampled_from([0, -8, 2.5, True, "8", None]))
    def alloc_bad_size(self, size: object) -> None:
        expected = self.model.alloc(size, None, None)
        assert call(self.pool.alloc, size)[0] == expected
        if size == 0 and type(size) is int:
            assert call(K.gen_pool_alloc, self.pool, 0)[0] == ("ok", 0)
        else:
            assert call(K.gen_pool_alloc, self.pool, size)[0] == ("raise", InvalidArgument)

    @rule(choice=algorithm_and_data())
    def set_algo(self, choice: tuple) -> None:
        algo, data = choice
        outcome, _ = call(self.pool.set_algo, algo, data)
        algo = "first_fit" if algo is None else algo
        wanted = DATA_TYPES.get(algo)
        valid = algo in SEARCH and (isinstance(data, wanted) if wanted else data is None)
        if valid:
            assert outcome == ("ok", None)
            self.model.algo, self.model.data = algo, data
        else:
            assert outcome == ("raise", InvalidArgument)

    # -- freeing ---------------------------------------------------------------------------

    def _free(self, addr: object, size: object, kernel: bool = False) -> tuple[str, object]:
        expected = self.model.free(addr, size)
        if kernel:
            outcome, _ = call(K.gen_pool_free_owner, self.pool, addr, size)
        else:
            outcome, _ = call(self.pool.free_owner, addr, size)
        assert outcome == expected
        return outcome

    @precondition(lambda self: self.live)
    @rule(index=st.integers(0, 1000), kernel=st.booleans())
    def free_live(self, index: int, kernel: bool) -> None:
        addr, size = self.live.pop(index % len(self.live))
        assert self._free(addr, size, kernel)[0] == "ok"
        self.freed.append((addr, size))

    @precondition(lambda self: self.live)
    @rule(index=st.integers(0, 1000), cut=st.integers(0, 1000), length=st.integers(1, 1000), byte=st.integers(0, 63))
    def free_part(self, index: int, cut: int, length: int, byte: int) -> None:
        """Free some granules inside a live allocation, from an address inside a granule."""
        granule = self.model.granule
        addr, size = self.live.pop(index % len(self.live))
        granules = -(-size // granule)
        first = cut % granules
        count = 1 + length % (granules - first)
        start = addr + first * granule
        assert self._free(start + byte % granule, count * granule - byte % granule)[0] == "ok"
        if first:
            self.live.append((addr, first * granule))
        if first + count < granules:
            self.live.append((start + count * granule, (granules - first - count) * granule))

    @precondition(lambda self: self.freed)
    @rule(index=st.integers(0, 1000))
    def double_free(self, index: int) -> None:
        # usually a PoolBug; legal again if the granules were allocated anew meanwhile
        addr, size = self.freed[index % len(self.freed)]
        self._free_and_forget(addr, size)

    @rule(slot=st.integers(0, 6), offset=st.integers(-128, 4000), size=st.integers(0, 600))
    def free_anywhere(self, slot: int, offset: int, size: int) -> None:
        """A free at any address near or in the chunks: the model decides what must happen."""
        self._free_and_forget(max(0, SLOT * (slot + 1) + offset), size)

    def _free_and_forget(self, addr: int, size: int) -> None:
        """Free; if it worked, forget every allocation that shared a granule with it."""
        granule = self.model.granule
        chunk = next((c for c in self.model.chunks if c.start <= addr <= c.end), None)
        if self._free(addr, size)[0] != "ok" or not size:
            return
        low = chunk.start + ((addr - chunk.start) >> self.model.order) * granule
        high = low + -(-size // granule) * granule

        def untouched(a: int, s: int) -> bool:
            return a + -(-s // granule) * granule <= low or high <= a

        self.live = [(a, s) for a, s in self.live if untouched(a, s)]
        self.freed = [(a, s) for a, s in self.freed if untouched(a, s)]

    @rule(addr=st.sampled_from([-1, True, 1.0, 1 << 64]), size=st.sampled_from([8, -1, False]))
    def free_bad_arguments(self, addr: object, size: object) -> None:
        self._free(addr, size)

    # -- checks ------------------------------------------------------------------------------

    @invariant()
    def pool_matches_model(self) -> None:
        pool, model = self.pool, self.model
        assert pool.avail == sum(c.avail for c in model.chunks)
        assert pool.size == sum(c.size for c in model.chunks)
        assert len(pool.chunks) == len(model.chunks)
        for chunk, mine in zip(pool.chunks, model.chunks, strict=True):
            assert (chunk.start_addr, chunk.end_addr, chunk.owner) == (mine.start, mine.end, mine.owner)
            assert chunk.avail == mine.avail
            assert chunk.bitmap.to_bytes() == bytes(mine.bits)
            # avail counts the tail: it is the size less the allocated granules
            assert chunk.avail == chunk.size - sum(mine.bits) * model.granule

    def teardown(self) -> None:
        # free what is left through the model's bits, then destroy
        if not hasattr(self, "pool"):
            return
        for chunk in self.pool.chunks:
            for first, length, is_set in list(chunk.bitmap.runs()):
                if is_set:
                    self.pool.free(chunk.address_of(first), length * self.model.granule)
        assert self.pool.avail == self.pool.size
        self.pool.destroy()


PoolMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_pool_against_the_model = PoolMachine.TestCase


class ListedPoolMachine(PoolMachine):
    """The same, with chunks of up to 576 granules whose bitmaps all keep a RunList.

    Real pools only index chunks of ``genpool.bitmap._LISTED_FROM`` granules
    or more; lowering the threshold puts the index under the same model.
    """

    STRETCH = True
    INDEX: str | None = "list"

    @invariant()
    def chunks_are_indexed(self) -> None:
        assert all(type(chunk.bitmap._index) is INDEX_KINDS[self.INDEX] for chunk in self.pool.chunks)


class BlockIndexedPoolMachine(ListedPoolMachine):
    """The same again, with a RunIndex of per-block bounds in every bitmap."""

    INDEX = "blocks"


for machine in (ListedPoolMachine, BlockIndexedPoolMachine):
    machine.TestCase.settings = settings(
        max_examples=250,
        stateful_step_count=40,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),
    )
test_listed_pool_against_the_model = ListedPoolMachine.TestCase
test_block_indexed_pool_against_the_model = BlockIndexedPoolMachine.TestCase
