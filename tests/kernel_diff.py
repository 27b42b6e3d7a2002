"""Both sides of the differential test: the C library's calls, one trace's state, and the comparison.

:func:`bind` declares the signatures of the library :mod:`kernel_build`
builds; a :class:`Trace` holds a C pool and a genpool pool made alike;
:func:`call_both` runs one operation on each side and
:meth:`Trace.compare_state` compares them after it: return values, the
WARN_ON count, ``gen_pool_avail``, ``gen_pool_size`` and every chunk's
fields and bits (and, where chunks have memory behind them, that memory).
A difference raises :class:`Divergence` naming the seed and the
operation.  The traces themselves are made in :mod:`kernel_traces`.
"""

from __future__ import annotations

import ctypes
import random
import warnings
from collections import Counter
from ctypes import POINTER, Structure, c_bool, c_int, c_size_t, c_uint64, c_ulong, c_void_p
from dataclasses import dataclass, field

import genpool
import genpool.kernel as K

ENOMEM = -12
MASK64 = (1 << 64) - 1
TOP = 1 << 64
_TO_ASCII = bytes.maketrans(b"\x00\x01", b"01")


class Divergence(AssertionError):
    """genpool and the kernel answered an operation differently."""


class AlignC(Structure):
    """``struct genpool_data_align``."""

    _fields_ = [("align", c_int)]


class FixedC(Structure):
    """``struct genpool_data_fixed``."""

    _fields_ = [("offset", c_ulong)]


def bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Declare the C signatures of the functions the traces call."""
    pool, ulong, size = c_void_p, c_ulong, c_size_t
    owner_out, dma_out = POINTER(c_void_p), POINTER(c_uint64)
    signatures = {
        "gen_pool_create": (pool, [c_int, c_int]),
        "gen_pool_add_owner": (c_int, [pool, ulong, c_uint64, size, c_int, c_void_p]),
        "h_add": (c_int, [pool, ulong, size, c_int]),
        "h_add_virt": (c_int, [pool, ulong, c_uint64, size, c_int]),
        "h_alloc": (ulong, [pool, size]),
        "h_alloc_algo": (ulong, [pool, size, c_void_p, c_void_p]),
        "h_alloc_owner": (ulong, [pool, size, owner_out]),
        "gen_pool_alloc_algo_owner": (ulong, [pool, size, c_void_p, c_void_p, owner_out]),
        "gen_pool_dma_alloc": (c_void_p, [pool, size, dma_out]),
        "gen_pool_dma_alloc_algo": (c_void_p, [pool, size, dma_out, c_void_p, c_void_p]),
        "gen_pool_dma_alloc_align": (c_void_p, [pool, size, dma_out, c_int]),
        "gen_pool_dma_zalloc": (c_void_p, [pool, size, dma_out]),
        "gen_pool_dma_zalloc_algo": (c_void_p, [pool, size, dma_out, c_void_p, c_void_p]),
        "gen_pool_dma_zalloc_align": (c_void_p, [pool, size, dma_out, c_int]),
        "h_free": (c_int, [pool, ulong, size]),
        "h_free_owner": (c_int, [pool, ulong, size, owner_out]),
        "h_pool_algo": (c_void_p, [pool]),
        "h_pool_data": (c_void_p, [pool]),
        "h_destroy": (c_int, [pool]),
        "gen_pool_has_addr": (c_bool, [pool, ulong, size]),
        "gen_pool_virt_to_phys": (c_uint64, [pool, ulong]),
        "gen_pool_avail": (size, [pool]),
        "gen_pool_size": (size, [pool]),
        "gen_pool_set_algo": (None, [pool, c_void_p, c_void_p]),
        "h_chunk": (c_void_p, [pool, c_int]),
        "h_chunk_fields": (None, [c_void_p, ulong * 5]),
        "h_chunk_bits": (c_void_p, [c_void_p]),
        "h_map": (c_int, [ulong, size, c_void_p]),
        "h_unmap_all": (None, []),
        "h_faults": (ulong, []),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


#: The kernel's algorithms by genpool name: (C symbol, genpool.kernel function).
ALGORITHMS = {
    "first_fit": ("gen_pool_first_fit", K.gen_pool_first_fit),
    "first_fit_align": ("gen_pool_first_fit_align", K.gen_pool_first_fit_align),
    "first_fit_order_align": ("gen_pool_first_fit_order_align", K.gen_pool_first_fit_order_align),
    "best_fit": ("gen_pool_best_fit", K.gen_pool_best_fit),
    "fixed_alloc": ("gen_pool_fixed_alloc", K.gen_pool_fixed_alloc),
}


@dataclass
class Stats:
    """What a run of traces compared."""

    traces: int = 0
    #: Operations compared: every call made on both sides.
    operations: int = 0
    bugs: int = 0
    warnings: int = 0
    #: How many times each kind of operation ran ("alloc", "free_owner", "set_algo", ...).
    kinds: Counter = field(default_factory=Counter)


@dataclass
class Trace:
    """Both sides of one trace, and what the generator needs to know of them."""

    lib: ctypes.CDLL
    seed: int
    rng: random.Random
    order: int
    backed: bool
    cpool: int
    gpool: genpool.Pool
    keep: list = field(default_factory=list)
    cmemory: list = field(default_factory=list)
    allocations: list = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    step: int = 0
    op: str = ""

    @property
    def granule(self) -> int:
        """Bytes per bit of the trace's pools."""
        return 1 << self.order

    def fail(self, message: str) -> None:
        """Raise :class:`Divergence` for the current operation."""
        raise Divergence(f"seed {self.seed}, operation {self.step} {self.op}: {message}")

    # -- data for both sides ---------------------------------------------

    def c_algo(self, name: str | None) -> int | None:
        """The address of the C algorithm ``name`` (None for NULL)."""
        return None if name is None else ctypes.cast(getattr(self.lib, ALGORITHMS[name][0]), c_void_p).value

    # -- comparing ---------------------------------------------------------

    def same(self, what: str, c_value: object, g_value: object) -> None:
        """Fail unless the kernel's and genpool's ``what`` are equal."""
        if c_value != g_value:
            self.fail(f"{what}: kernel {_show(c_value)}, genpool {_show(g_value)}")

    def c_chunks(self) -> list[tuple[tuple[int, ...], int]]:
        """Every C chunk's (start, end, avail, phys, owner) and its bitmap words as one int."""
        chunks = []
        fields = (c_ulong * 5)()
        while (chunk := self.lib.h_chunk(self.cpool, len(chunks))) is not None:
            self.lib.h_chunk_fields(chunk, fields)
            start, end = fields[0], fields[1]
            nbits = ((end - start + 1) & MASK64) >> self.order
            # The words of the bitmap and the spare word after them: bits past
            # nbits must stay clear.
            words = (nbits + 63) // 64 + 1
            bits = int.from_bytes(ctypes.string_at(self.lib.h_chunk_bits(chunk), 8 * words), "little")
            chunks.append((tuple(fields), bits))
        return chunks

    def compare_state(self) -> None:
        """Compare everything both pools hold; fail at the first difference."""
        lib, pool = self.lib, self.gpool
        self.same("gen_pool_avail", lib.gen_pool_avail(self.cpool), K.gen_pool_avail(pool))
        self.same("gen_pool_size", lib.gen_pool_size(self.cpool), K.gen_pool_size(pool))
        c_chunks = self.c_chunks()
        self.same("number of chunks", len(c_chunks), len(pool.chunks))
        for index, ((c_fields, c_bits), chunk) in enumerate(zip(c_chunks, pool.chunks, strict=True)):
            phys = MASK64 if chunk.phys_addr is None else chunk.phys_addr
            g_fields = (chunk.start_addr, chunk.end_addr, chunk.avail & MASK64, phys, chunk.owner or 0)
            self.same(f"chunk {index} (start, end, avail, phys, owner)", c_fields, g_fields)
            raw = chunk.bitmap.raw
            g_bits = int(raw[::-1].translate(_TO_ASCII), 2) if raw else 0
            if c_bits != g_bits:
                self.fail(f"chunk {index} bits differ: kernel {c_bits:#x}, genpool {g_bits:#x}")
        for index, (c_memory, chunk) in enumerate(zip(self.cmemory, self.c_chunk_order(), strict=True)):
            if bytes(c_memory) != bytes(chunk.memory):
                self.fail(f"chunk {index}'s memory differs")

    def c_chunk_order(self) -> list:
        """genpool's backed chunks in the order their C memory was mapped (oldest first)."""
        return [chunk for chunk in reversed(self.gpool.chunks) if chunk.memory is not None]


def _show(value: object) -> str:
    return f"{value:#x}" if isinstance(value, int) and not isinstance(value, bool) else repr(value)


def call_both(trace: Trace, c_call, g_call) -> tuple[object, object]:
    """Both sides of one operation, with their WARN_ON counts compared; a genpool PoolBug reads "BUG"."""
    warned = c_ulong.in_dll(trace.lib, "kshim_warnings")
    before = warned.value
    c_value = c_call()
    c_warned = warned.value - before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            g_value = g_call()
        except genpool.PoolBug:
            g_value = "BUG"
        except Exception as error:  # noqa: BLE001 -- any exception is a divergence to report
            trace.fail(f"genpool raised {error!r} where the kernel returned {_show(c_value)}")
    g_warned = sum(issubclass(caught_warning.category, genpool.KernelWarning) for caught_warning in caught)
    trace.same("WARN_ON count", c_warned, g_warned)
    trace.same("return value", c_value, g_value)
    trace.stats.bugs += c_value == "BUG"
    trace.stats.kinds[trace.op.split()[0]] += 1
    trace.stats.operations += 1
    return c_value, g_value
