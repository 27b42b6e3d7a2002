"""Seeded random traces for the differential test, run on both sides by :func:`run_trace`.

A trace is a pool layout -- one to three chunks, spread, adjacent,
overlapping, near ``2**32`` or ``2**63`` or ending at the top of the
address space, with sizes that are not granule multiples, now and then a
chunk of size 0 or one whose bitmap cannot be had -- at an order from 0 to
6 or, for some traces, up to 48, then a random sequence of allocations
(every algorithm, with random data; the owner and DMA variants; zeroing
ones where the chunks have memory), exact, partial, merged, unaligned
and stray frees, queries and ``set_algo``, and a destroy.

The traces keep to inputs on which the kernel does not corrupt itself;
the inputs where it does are the deliberate differences of
``docs/kernel-differences.md``, tested on their own.
"""

from __future__ import annotations

import ctypes
import random
from ctypes import byref, c_uint64, c_ulong, c_void_p
from dataclasses import dataclass

import genpool.kernel as K
from kernel_diff import ALGORITHMS, MASK64, TOP, AlignC, FixedC, Stats, Trace, call_both


@dataclass
class _Chunk:
    virt: int
    phys: int
    size: int
    owner: int
    memory: bytearray | None = None


def _layout(rng: random.Random, order: int, backed: bool) -> list[_Chunk]:
    """One to three chunks: spread, adjacent, overlapping, near 2**32 or 2**63, or at the top."""
    granule = 1 << order
    count = rng.choice((1, 1, 2, 2, 3))
    kind = rng.choice(("spread", "adjacent", "overlap", "near32", "near63", "top") if not backed else ("spread",))
    sizes = []
    for _ in range(count):
        bits = rng.choice((rng.randrange(1, 70), rng.randrange(1, 400)))
        if order > 40:
            bits = rng.randrange(1, 64)
        tail = rng.randrange(granule) if rng.random() < 0.5 else 0
        sizes.append(bits * granule + tail)
    total = sum(sizes)
    base = {
        "spread": rng.randrange(0, max(1, TOP - 4 * total - 4 * granule)) if order > 30 else rng.randrange(1 << 40),
        "adjacent": rng.randrange(0, max(1, TOP - total)),
        "overlap": rng.randrange(0, max(1, TOP - 2 * total)),
        "near32": max(0, (1 << 32) - rng.randrange(total + 1)),
        "near63": max(0, (1 << 63) - rng.randrange(total + 1)),
        "top": TOP - total,
    }[kind]
    if rng.random() < 0.6:
        base -= base % granule  # mostly granule-aligned chunks, some not
    chunks = []
    addr = base
    for index, size in enumerate(sizes):
        if kind == "spread" and index:
            addr = min(addr + rng.randrange(4 * size + granule), TOP - size)
        elif kind == "overlap" and index:
            addr = max(0, addr - rng.randrange(size + 1))
        addr = min(addr, TOP - size)
        phys = -1 if rng.random() < 0.5 else rng.randrange(TOP)
        owner = 0 if rng.random() < 0.3 else 0x1000 + index
        memory = bytearray(rng.randbytes(size)) if backed else None
        chunks.append(_Chunk(addr, phys, size, owner, memory))
        addr += size
    if not backed and order <= 20 and rng.random() < 0.1:
        # A chunk whose bitmap cannot be allocated: -ENOMEM on both sides.
        size = 1 << rng.randrange(order + 42, 63)
        chunks.insert(rng.randrange(len(chunks) + 1), _Chunk(rng.randrange(1 << 62), -1, size, 0))
    if not backed and rng.random() < 0.1:
        # A chunk of size 0 (never at address 0, whose end would wrap): a chunk that never matches.
        chunks.insert(rng.randrange(len(chunks) + 1), _Chunk(rng.randrange(1, TOP), -1, 0, 0))
    return chunks


def _add(trace: Trace, chunk: _Chunk) -> None:
    lib, cpool, gpool = trace.lib, trace.cpool, trace.gpool
    virt, phys, size, owner = chunk.virt, chunk.phys, chunk.size, chunk.owner or None
    # gen_pool_add and gen_pool_add_virt are the header's inline functions, called through the harness.
    kind = "add_owner" if owner or chunk.memory is not None else "add_virt" if phys != -1 else "add"
    trace.op = f"{kind} {virt:#x}+{size:#x}"
    if kind == "add":
        c_call = lambda: lib.h_add(cpool, virt, size, -1)  # noqa: E731
        g_call = lambda: K.gen_pool_add(gpool, virt, size, -1)  # noqa: E731
    elif kind == "add_virt":
        c_call = lambda: lib.h_add_virt(cpool, virt, phys, size, -1)  # noqa: E731
        g_call = lambda: K.gen_pool_add_virt(gpool, virt, phys, size, -1)  # noqa: E731
    else:
        c_call = lambda: lib.gen_pool_add_owner(cpool, virt, phys & MASK64, size, -1, owner)  # noqa: E731
        g_call = lambda: K.gen_pool_add_owner(gpool, virt, phys, size, -1, owner)  # noqa: E731
    if chunk.memory is None:
        call_both(trace, c_call, g_call)
        return
    # Memory behind the chunk, for gen_pool_dma_zalloc: the same bytes on both sides.
    c_memory = ctypes.create_string_buffer(bytes(chunk.memory), size)
    trace.cmemory.append(c_memory)
    lib.h_map(virt, size, ctypes.addressof(c_memory))
    g_phys = None if phys == -1 else phys
    call_both(trace, c_call, lambda: gpool.add_owner(virt, g_phys, size, -1, owner, memory=chunk.memory) and 0)


# -- operations ----------------------------------------------------------------


def _size(trace: Trace) -> int:
    rng, granule = trace.rng, trace.granule
    roll = rng.random()
    if roll < 0.03:
        return 0
    if roll < 0.06:
        return rng.choice((MASK64, 1 << 63, min(MASK64, TOP - granule + 1), min(MASK64, trace.gpool.size + 1)))
    count = rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 8, 16, rng.randrange(1, 64)))
    return max(1, count * granule - (rng.randrange(granule) if rng.random() < 0.5 else 0))


def _data(trace: Trace, kind: str) -> tuple[str, int]:
    rng, granule = trace.rng, trace.granule
    if kind == "align":
        align = rng.choice((1 << rng.randrange(min(31, trace.order + 7)), rng.randrange(1, 8 * granule + 2)))
        return "align", min(align, (1 << 31) - 1)
    largest = max((chunk.size for chunk in trace.gpool.chunks), default=granule)
    offset = rng.randrange(0, largest + 2 * granule, granule)
    if trace.order and rng.random() < 0.1:
        offset += rng.randrange(1, granule)  # not a granule multiple: WARN_ON
    return "fixed", offset


def _g_data(data: tuple[str, int] | None) -> object:
    if data is None:
        return None
    kind, value = data
    return K.genpool_data_align(align=value) if kind == "align" else K.genpool_data_fixed(offset=value)


def _c_data(trace: Trace, data: tuple[str, int] | None) -> int | None:
    if data is None:
        return None
    kind, value = data
    struct = AlignC(value) if kind == "align" else FixedC(value)
    trace.keep.append(struct)
    return ctypes.addressof(struct)


def _algorithm(trace: Trace) -> tuple[str, tuple[str, int] | None]:
    """An algorithm and data it can take: the two that read data get theirs, the rest anything."""
    name = trace.rng.choice(tuple(ALGORITHMS))
    if name == "first_fit_align":
        return name, _data(trace, "align")
    if name == "fixed_alloc":
        return name, _data(trace, "fixed")
    return name, trace.rng.choice((None, None, _data(trace, "align"), _data(trace, "fixed")))


def _op_alloc(trace: Trace) -> None:
    rng, lib, cpool, gpool = trace.rng, trace.lib, trace.cpool, trace.gpool
    size = _size(trace)
    kinds = ["alloc", "alloc", "alloc_owner", "alloc_algo", "alloc_algo_owner", "dma_alloc", "dma_alloc_algo"]
    kinds.append("dma_align")
    if trace.backed:
        kinds += ["dma_zalloc", "dma_zalloc_algo", "dma_zalloc_align"]
    kind = rng.choice(kinds)
    trace.op = f"{kind} {size:#x}"
    owner, dma = c_void_p(), c_uint64()

    def c_dma(vaddr: int | None) -> tuple[int | None, int | None]:
        return (vaddr, dma.value) if vaddr else (None, None)

    if kind == "alloc":
        c_call, g_call = (lambda: lib.h_alloc(cpool, size)), (lambda: K.gen_pool_alloc(gpool, size))
    elif kind == "alloc_owner":
        c_call = lambda: (lib.h_alloc_owner(cpool, size, byref(owner)), owner.value)  # noqa: E731
        g_call = lambda: K.gen_pool_alloc_owner(gpool, size)  # noqa: E731
    elif kind in ("alloc_algo", "alloc_algo_owner", "dma_alloc_algo", "dma_zalloc_algo"):
        name, data = _algorithm(trace)
        trace.op += f" {name} {data}"
        algo, c_data, g_algo = trace.c_algo(name), _c_data(trace, data), ALGORITHMS[name][1]
        if kind == "alloc_algo":
            c_call = lambda: lib.h_alloc_algo(cpool, size, algo, c_data)  # noqa: E731
            g_call = lambda: K.gen_pool_alloc_algo(gpool, size, g_algo, _g_data(data))  # noqa: E731
        elif kind == "alloc_algo_owner":
            c_call = lambda: (lib.gen_pool_alloc_algo_owner(cpool, size, algo, c_data, byref(owner)), owner.value)  # noqa: E731
            g_call = lambda: K.gen_pool_alloc_algo_owner(gpool, size, g_algo, _g_data(data))  # noqa: E731
        else:
            c_function = getattr(lib, f"gen_pool_{kind}")
            g_function = getattr(K, f"gen_pool_{kind}")
            c_call = lambda: c_dma(c_function(cpool, size, byref(dma), algo, c_data))  # noqa: E731
            g_call = lambda: g_function(gpool, size, g_algo, _g_data(data))  # noqa: E731
    elif kind in ("dma_align", "dma_zalloc_align"):
        align = _data(trace, "align")[1]
        trace.op += f" align {align}"
        function = "gen_pool_dma_alloc_align" if kind == "dma_align" else "gen_pool_dma_zalloc_align"
        c_call = lambda: c_dma(getattr(lib, function)(cpool, size, byref(dma), align))  # noqa: E731
        g_call = lambda: getattr(K, function)(gpool, size, align)  # noqa: E731
    else:
        c_call = lambda: c_dma(getattr(lib, f"gen_pool_{kind}")(cpool, size, byref(dma)))  # noqa: E731
        g_call = lambda: getattr(K, f"gen_pool_{kind}")(gpool, size)  # noqa: E731
    c_value, _ = call_both(trace, c_call, g_call)
    addr = c_value[0] if isinstance(c_value, tuple) else c_value
    if addr:
        trace.allocations.append((addr, size))


def _free_args(trace: Trace) -> tuple[int, int] | None:
    """An exact, partial, merged, unaligned or random free, or None when there is nothing to pick."""
    rng, granule, chunks = trace.rng, trace.granule, trace.gpool.chunks
    kind = rng.choice(("exact", "exact", "exact", "run", "run", "random"))
    if kind == "exact" and trace.allocations:
        return trace.allocations.pop(rng.randrange(len(trace.allocations)))
    busy = [(chunk, run) for chunk in chunks for run in chunk.bitmap.runs() if run[2]]
    if kind == "run" and busy:
        # Part of a run of allocated granules, or all of it (which may merge several allocations).
        chunk, (first, length, _) = rng.choice(busy)
        start = first + rng.randrange(length)
        end = rng.randrange(start + 1, first + length + 1)
        addr = chunk.address_of(start) + (rng.randrange(granule) if rng.random() < 0.3 else 0)
        size = (end - start) * granule - rng.randrange(granule)
        return addr, max(size, 1)
    if not chunks:
        return None
    chunk = rng.choice(chunks)
    addr = min(MASK64, max(0, chunk.start_addr + rng.randrange(-2 * granule, chunk.size + 2 * granule)))
    size = rng.choice((0, rng.randrange(1, 4 * granule), rng.randrange(1, chunk.size + 2 * granule)))
    return addr, size


def _op_free(trace: Trace) -> None:
    args = _free_args(trace)
    # An end that wraps past 2**64 gets past the kernel's BUG_ON: one of the
    # deliberate differences (docs/kernel-differences.md), left out here.
    if args is not None and args[0] + args[1] - 1 <= MASK64:
        _free(trace, *args, with_owner=trace.rng.random() < 0.3)


def _free(trace: Trace, addr: int, size: int, *, with_owner: bool) -> None:
    lib, cpool = trace.lib, trace.cpool
    trace.op = f"free{'_owner' if with_owner else ''} {addr:#x} {size:#x}"
    owner = c_void_p()

    def c_call() -> object:
        # BUG leaves the kernel's bitmap half cleared: put it back as it was before the call.
        saved = [
            (lib.h_chunk_bits(lib.h_chunk(cpool, index)), bits) for index, (_, bits) in enumerate(trace.c_chunks())
        ]
        if lib.h_free_owner(cpool, addr, size, byref(owner)) if with_owner else lib.h_free(cpool, addr, size):
            for pointer, bits in saved:
                raw = bits.to_bytes(max(8, (bits.bit_length() + 63) // 64 * 8), "little")
                ctypes.memmove(pointer, raw, len(raw))
            return "BUG"
        return owner.value if with_owner else None

    def g_call() -> object:
        result = K.gen_pool_free_owner(trace.gpool, addr, size)
        return result if with_owner else None

    call_both(trace, c_call, g_call)


def _op_query(trace: Trace) -> None:
    rng, lib, cpool, gpool, granule = trace.rng, trace.lib, trace.cpool, trace.gpool, trace.granule
    chunks = gpool.chunks
    anchor = rng.choice(chunks).start_addr if chunks else rng.randrange(TOP)
    addr = min(MASK64, max(0, anchor + rng.randrange(-2 * granule, 400 * granule)))
    if rng.random() < 0.5:
        size = rng.choice((0, 1, granule, rng.randrange(1, 64 * granule), MASK64, TOP - addr))
        trace.op = f"has_addr {addr:#x} {size:#x}"
        call_both(
            trace, lambda: lib.gen_pool_has_addr(cpool, addr, size), lambda: K.gen_pool_has_addr(gpool, addr, size)
        )
    else:
        trace.op = f"virt_to_phys {addr:#x}"
        call_both(trace, lambda: lib.gen_pool_virt_to_phys(cpool, addr), lambda: K.gen_pool_virt_to_phys(gpool, addr))


def _op_set_algo(trace: Trace) -> None:
    name, data = _algorithm(trace)
    if trace.rng.random() < 0.2:
        name = None  # NULL: first fit, keeping the data
    trace.op = f"set_algo {name} {data}"
    algo, c_data = trace.c_algo(name), _c_data(trace, data)
    g_algo = None if name is None else ALGORITHMS[name][1]
    call_both(
        trace,
        lambda: trace.lib.gen_pool_set_algo(trace.cpool, algo, c_data),
        lambda: K.gen_pool_set_algo(trace.gpool, g_algo, _g_data(data)),
    )
    trace.same("algorithm", name or "first_fit", trace.gpool.algorithm.name)
    trace.same("algorithm data", _g_data(data), trace.gpool.algorithm_data)
    trace.same("C pool->algo", trace.c_algo(name or "first_fit"), trace.lib.h_pool_algo(trace.cpool))
    trace.same("C pool->data", c_data, trace.lib.h_pool_data(trace.cpool))


_OPERATIONS = (_op_alloc,) * 9 + (_op_free,) * 6 + (_op_query,) * 2 + (_op_set_algo,)


def run_trace(lib: ctypes.CDLL, seed: int, stats: Stats) -> None:
    """Run trace ``seed`` on both sides, comparing after every operation; raises Divergence."""
    rng = random.Random(seed)
    order = rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 6)) if rng.random() < 0.85 else rng.randrange(7, 49)
    backed = order <= 6 and rng.random() < 0.25
    lib.h_unmap_all()
    trace = Trace(lib, seed, rng, order, backed, lib.gen_pool_create(order, -1), K.gen_pool_create(order, -1))
    trace.stats = stats
    for chunk in _layout(rng, order, backed):
        _add(trace, chunk)
        trace.compare_state()
    steps = rng.randrange(10, 120)
    warned = c_ulong.in_dll(lib, "kshim_warnings")
    before = warned.value
    for trace.step in range(1, steps + 1):
        if rng.random() < 0.1 and not backed and len(trace.gpool.chunks) < 4:
            _add(trace, _layout(rng, order, False)[0])
        else:
            rng.choice(_OPERATIONS)(trace)
        trace.compare_state()
    if lib.h_faults():
        trace.fail("gen_pool_dma_zalloc zeroed memory outside every chunk")
    trace.step, trace.op = steps + 1, "destroy"
    if rng.random() < 0.5:
        for chunk in trace.gpool.chunks:
            for first, length, busy in list(chunk.bitmap.runs()):
                if busy:
                    _free(trace, chunk.address_of(first), length * trace.granule, with_owner=False)
    trace.op = "destroy"
    call_both(trace, lambda: "BUG" if lib.h_destroy(trace.cpool) else None, lambda: K.gen_pool_destroy(trace.gpool))
    stats.traces += 1
    stats.warnings += warned.value - before
