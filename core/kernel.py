"""The gen_pool API under its kernel names, for prototyping kernel code.

Arguments come in the C order and the pools are ordinary
:class:`genpool.Pool` objects, so both APIs can be mixed.  The kernel's
conventions carry over:

- out-parameters become return values: ``gen_pool_alloc_owner(pool, size)
  -> (addr, owner)``, ``gen_pool_dma_alloc(pool, size) -> (vaddr, dma)``,
  ``gen_pool_free_owner(pool, addr, size) -> owner``;
- failures are the kernel's values: an alloc returns 0, a DMA alloc
  ``(None, None)``, ``gen_pool_virt_to_phys`` all ones (``2**64 - 1``);
- ``BUG``/``BUG_ON`` raise :class:`genpool.PoolBug` (with the pool left
  as it was), a returned ``ERR_PTR`` raises :class:`genpool.InvalidArgument`
  carrying the errno, ``WARN_ON`` emits a :class:`genpool.KernelWarning`;
- chunks may overlap, as the kernel allows; a chunk added without a
  physical address has the kernel's ``phys_addr = -1``.

Arguments a C compiler would reject (a string for a size, a negative
address) raise :class:`genpool.InvalidArgument`.

Every input the kernel handles without corrupting itself gets the
kernel's answer; a test compares the two on random traces against the
real ``lib/genalloc.c``.  Where the kernel would corrupt its own state
(a chunk or a free that wraps past ``2**64``, an allocation that rounds
to zero granules or past 32 bits of them, an alignment that loops),
genpool raises instead.  The documentation's "Differences from the kernel"
page (https://genpool.readthedocs.io/en/latest/kernel-differences.html) lists each of
these differences with the kernel's behaviour beside genpool's, and
where the Pythonic API is stricter than this one.
"""

from __future__ import annotations

import dataclasses
import errno
from collections.abc import Callable
from typing import Any

from .algorithm import ANY_DATA, Algorithm, AlignData, FixedData, lookup
from .args import ADDRESS_LIMIT, MASK64, check_address, check_size, integer
from .bitmap import Bitmap
from .chunk import Chunk
from .device import Device
from .devicetree import DeviceNode
from .errors import InvalidArgument, NoSpace
from .host import get_host
from .pool import Pool

__all__ = [
    "addr_in_gen_pool",
    "devm_gen_pool_create",
    "gen_pool_add",
    "gen_pool_add_owner",
    "gen_pool_add_virt",
    "gen_pool_alloc",
    "gen_pool_alloc_algo",
    "gen_pool_alloc_algo_owner",
    "gen_pool_alloc_owner",
    "gen_pool_avail",
    "gen_pool_best_fit",
    "gen_pool_create",
    "gen_pool_destroy",
    "gen_pool_dma_alloc",
    "gen_pool_dma_alloc_algo",
    "gen_pool_dma_alloc_align",
    "gen_pool_dma_zalloc",
    "gen_pool_dma_zalloc_algo",
    "gen_pool_dma_zalloc_align",
    "gen_pool_first_fit",
    "gen_pool_first_fit_align",
    "gen_pool_first_fit_order_align",
    "gen_pool_fixed_alloc",
    "gen_pool_for_each_chunk",
    "gen_pool_free",
    "gen_pool_free_owner",
    "gen_pool_get",
    "gen_pool_has_addr",
    "gen_pool_set_algo",
    "gen_pool_size",
    "gen_pool_virt_to_phys",
    "genpool_data_align",
    "genpool_data_fixed",
    "of_gen_pool_get",
]

_ALL_ONES = ADDRESS_LIMIT - 1

_INT_MAX = (1 << 31) - 1
_UINT_MAX = (1 << 32) - 1


@dataclasses.dataclass(frozen=True, slots=True)
class genpool_data_align(AlignData):  # noqa: N801 -- the kernel's name
    """``struct genpool_data_align``: ``genpool_data_align(align=...)``.

    As in C, ``align`` is an ``int`` and need not be a power of two:
    ``gen_pool_first_fit_align`` places it with the kernel's mask
    arithmetic.  It must be positive: with 0 or a negative alignment the
    kernel's search can loop for ever.
    """

    def __post_init__(self) -> None:
        align = integer(self.align, "align")
        if not 0 < align <= _INT_MAX:
            raise InvalidArgument(f"align {align} is outside 1 .. 2**31-1 (a positive C int)")
        object.__setattr__(self, "align", align)


#: ``struct genpool_data_fixed``: ``genpool_data_fixed(offset=...)``.
genpool_data_fixed = FixedData


def _pool(pool: object) -> Pool:
    if not isinstance(pool, Pool):
        raise InvalidArgument(f"pool must be a genpool.Pool, not {type(pool).__name__}")
    return pool


def _algorithm(algo: object, data: object) -> Algorithm:
    """The Algorithm for ``algo`` called with ``data``, as C passes it.

    C hands ``data`` to every algorithm; those that take none ignore it,
    so any data is accepted for them.  Data of the wrong kind for an
    algorithm that reads it is refused: the kernel would read it as the
    wrong structure.
    """
    if algo is None:
        raise InvalidArgument("algo must be an algorithm, not None")
    algorithm = lookup(algo)
    if algorithm.data_type is None and data is not None:
        return dataclasses.replace(algorithm, data_type=ANY_DATA)
    algorithm.check_data(data)
    return algorithm


# -- creating and destroying -----------------------------------------------


def gen_pool_create(min_alloc_order: int, nid: int) -> Pool:
    """Create a pool whose granule is ``2**min_alloc_order`` bytes."""
    return Pool(min_alloc_order, nid)


def devm_gen_pool_create(dev: Device, min_alloc_order: int, nid: int, name: str | None) -> Pool:
    """Create a pool managed by ``dev``; a duplicate name raises InvalidArgument (EINVAL)."""
    if not isinstance(dev, Device):
        raise InvalidArgument(f"dev must be a genpool.Device, not {type(dev).__name__}")
    return dev.create_pool(min_alloc_order, nid, name)


def gen_pool_get(dev: Device, name: str | None) -> Pool | None:
    """The pool named ``name`` managed by ``dev``, or None."""
    if not isinstance(dev, Device):
        raise InvalidArgument(f"dev must be a genpool.Device, not {type(dev).__name__}")
    return dev.get_pool(name)


def of_gen_pool_get(np: DeviceNode, propname: str, index: int) -> Pool | None:
    """The pool of the SRAM node that property ``propname`` of ``np`` points to.

    As in the kernel: the pool is the target node's device's unnamed pool,
    or, when the target is a child partition of an SRAM node, the parent
    device's pool named by the child's ``label`` (else its full name).
    """
    if not isinstance(np, DeviceNode):
        raise InvalidArgument(f"np must be a DeviceNode, not {type(np).__name__}")
    np_pool = np.parse_phandle(propname, index)
    if np_pool is None:
        return None
    name = None
    device = np_pool.device
    if device is None:
        parent = np_pool.parent
        device = parent.device if parent is not None else None
        try:
            name = np_pool.read_string("label")
        except InvalidArgument:  # of_property_read_string failed: name stays NULL
            name = None
        name = name if name is not None else np_pool.full_name
    return device.get_pool(name) if device is not None else None


def gen_pool_destroy(pool: Pool) -> None:
    """Destroy ``pool``; PoolBug if it still has allocations."""
    _pool(pool).destroy()


# -- adding memory ---------------------------------------------------------


def gen_pool_add_owner(pool: Pool, virt: int, phys: int, size: int, nid: int, owner: object) -> int:
    """Add a chunk with physical address ``phys`` (-1 for none) and an owner cookie.

    Returns 0, or ``-ENOMEM`` when the chunk's bitmap cannot be allocated.
    A chunk of size 0 is added, as in the kernel, and never satisfies
    anything.
    """
    phys = _ALL_ONES if type(phys) is int and phys == -1 else check_address(phys, "phys")
    try:
        _pool(pool)._add_chunk(virt, None if phys == _ALL_ONES else phys, size, nid, owner, None, overlap_ok=True)
    except NoSpace:
        return -errno.ENOMEM
    return 0


def gen_pool_add_virt(pool: Pool, virt: int, phys: int, size: int, nid: int) -> int:
    """Add a chunk at ``virt`` whose physical address is ``phys``; returns 0."""
    return gen_pool_add_owner(pool, virt, phys, size, nid, None)


def gen_pool_add(pool: Pool, addr: int, size: int, nid: int) -> int:
    """Add a chunk with no physical address; returns 0."""
    return gen_pool_add_owner(pool, addr, -1, size, nid, None)


def gen_pool_virt_to_phys(pool: Pool, addr: int) -> int:
    """Physical address of ``addr``; all ones outside the pool.

    In a chunk added without a physical address this is the kernel's
    ``-1 + offset``, modulo ``2**64``.
    """
    addr = check_address(addr)
    for chunk in _pool(pool).chunks:
        if chunk.start_addr <= addr <= chunk.end_addr:
            phys = _ALL_ONES if chunk.phys_addr is None else chunk.phys_addr
            return (phys + addr - chunk.start_addr) & _ALL_ONES
    return _ALL_ONES


# -- allocating ------------------------------------------------------------


def gen_pool_alloc_algo_owner(
    pool: Pool, size: int, algo: Callable[..., int] | Algorithm, data: object
) -> tuple[int, object]:
    """Allocate with ``algo``; return ``(addr, chunk owner)``, or ``(0, None)``."""
    chunk, addr = _allocate(pool, size, algo, data)
    return (addr, chunk.owner) if chunk is not None else (0, None)


def _allocate(pool: Pool, size: int, algo: Callable[..., int] | Algorithm, data: object) -> tuple[Chunk | None, int]:
    """``gen_pool_alloc_algo_owner``'s checks, then the pool's allocation: ``(chunk, addr)`` or ``(None, 0)``.

    Where a chunk has room for ``size`` but the kernel's granule count
    would wrap past ``2**64`` or be cut to the 32 bits of an algorithm's
    ``nr``, the kernel allocates the wrong bits: InvalidArgument instead.
    """
    pool = _pool(pool)
    size = check_size(size)
    algorithm = _algorithm(algo, data)
    if size == 0:
        return None, 0
    if size >> 32:  # only a size of 2**32 bytes or more can wrap or reach 2**32 granules
        order = pool.min_alloc_order
        rounded = size + (1 << order) - 1
        if (rounded > MASK64 or rounded >> order > _UINT_MAX) and any(size <= chunk.avail for chunk in pool.chunks):
            granules = (rounded & MASK64) >> order if rounded > MASK64 else (rounded >> order) & _UINT_MAX
            raise InvalidArgument(
                f"size {size:#x} is {rounded >> order} granules, which the kernel would compute as {granules}"
            )
    return pool._allocate(size, algorithm, data, None)


def gen_pool_alloc_algo(pool: Pool, size: int, algo: Callable[..., int] | Algorithm, data: object) -> int:
    """Allocate ``size`` bytes with ``algo`` and ``data``; 0 on failure."""
    return gen_pool_alloc_algo_owner(pool, size, algo, data)[0]


def gen_pool_alloc_owner(pool: Pool, size: int) -> tuple[int, object]:
    """Allocate with the pool's algorithm; return ``(addr, chunk owner)``, or ``(0, None)``."""
    pool = _pool(pool)
    return gen_pool_alloc_algo_owner(pool, size, *pool.algorithm_choice)


def gen_pool_alloc(pool: Pool, size: int) -> int:
    """Allocate ``size`` bytes with the pool's algorithm; 0 on failure."""
    return gen_pool_alloc_owner(pool, size)[0]


def gen_pool_dma_alloc_algo(
    pool: Pool | None, size: int, algo: Callable[..., int] | Algorithm, data: object
) -> tuple[int | None, int | None]:
    """Allocate for DMA with ``algo``; return ``(vaddr, dma)``, or ``(None, None)``.

    As in the kernel, an allocation at address 0 reads as a failure.
    """
    if pool is None:
        return None, None
    vaddr = gen_pool_alloc_algo(pool, size, algo, data)
    if not vaddr:
        return None, None
    return vaddr, gen_pool_virt_to_phys(pool, vaddr)


def gen_pool_dma_alloc(pool: Pool | None, size: int) -> tuple[int | None, int | None]:
    """Allocate for DMA with the pool's algorithm: ``(vaddr, dma)`` or ``(None, None)``."""
    if pool is None:
        return None, None
    pool = _pool(pool)
    return gen_pool_dma_alloc_algo(pool, size, *pool.algorithm_choice)


def gen_pool_dma_alloc_align(pool: Pool | None, size: int, align: int) -> tuple[int | None, int | None]:
    """Allocate for DMA at an address aligned to ``align`` bytes."""
    return gen_pool_dma_alloc_algo(pool, size, gen_pool_first_fit_align, genpool_data_align(align))


def gen_pool_dma_zalloc_algo(
    pool: Pool | None, size: int, algo: Callable[..., int] | Algorithm, data: object
) -> tuple[int | None, int | None]:
    """:func:`gen_pool_dma_alloc_algo`, then zero the ``size`` bytes of backing memory.

    A failed allocation returns ``(None, None)``.  An allocation from a
    chunk added without memory (genpool has nothing to zero there) is
    undone and raises InvalidArgument.
    """
    if pool is None:
        return None, None
    chunk, vaddr = _allocate(pool, size, algo, data)
    if chunk is None or not vaddr:
        return None, None
    pool._zero(chunk, vaddr, size)
    return vaddr, gen_pool_virt_to_phys(pool, vaddr)


def gen_pool_dma_zalloc(pool: Pool | None, size: int) -> tuple[int | None, int | None]:
    """Zeroed DMA allocation with the pool's algorithm."""
    if pool is None:
        return None, None
    pool = _pool(pool)
    return gen_pool_dma_zalloc_algo(pool, size, *pool.algorithm_choice)


def gen_pool_dma_zalloc_align(pool: Pool | None, size: int, align: int) -> tuple[int | None, int | None]:
    """Zeroed DMA allocation at an address aligned to ``align`` bytes."""
    return gen_pool_dma_zalloc_algo(pool, size, gen_pool_first_fit_align, genpool_data_align(align))


# -- freeing ---------------------------------------------------------------


def gen_pool_free_owner(pool: Pool, addr: int, size: int) -> object:
    """Free ``size`` bytes at ``addr``; return the chunk's owner cookie.

    PoolBug (pool unchanged) on a double free, an address outside every
    chunk, or a range past its chunk's end.
    """
    return _pool(pool).free_owner(addr, size)


def gen_pool_free(pool: Pool, addr: int, size: int) -> None:
    """Free ``size`` bytes at ``addr``."""
    gen_pool_free_owner(pool, addr, size)


# -- walking and asking ----------------------------------------------------


def gen_pool_for_each_chunk(pool: Pool, func: Callable[[Pool, Chunk, object], object], data: object) -> None:
    """Call ``func(pool, chunk, data)`` for every chunk, newest first."""
    _pool(pool).for_each_chunk(func, data)


def gen_pool_has_addr(pool: Pool, start: int, size: int) -> bool:
    """Whether ``[start, start + size)`` lies in one chunk (end computed modulo 2**64)."""
    return _pool(pool).has_addr(start, size)


#: The old name of :func:`gen_pool_has_addr`.
addr_in_gen_pool = gen_pool_has_addr


def gen_pool_avail(pool: Pool) -> int:
    """Unallocated bytes in the pool: a ``size_t`` sum, modulo ``2**64``."""
    return _pool(pool).avail & MASK64


def gen_pool_size(pool: Pool) -> int:
    """Bytes in all the pool's chunks: a ``size_t`` sum, modulo ``2**64``."""
    return _pool(pool).size & MASK64


def gen_pool_set_algo(pool: Pool, algo: Callable[..., int] | None, data: object) -> None:
    """Make ``algo`` (None: first fit) the pool's algorithm, with ``data`` kept either way."""
    _pool(pool).set_algo(_algorithm(gen_pool_first_fit if algo is None else algo, data), data)


# -- the algorithms ----------------------------------------------------------


def _kernel_algorithm(name: str, summary: str) -> Callable[..., int]:
    """The registered algorithm ``name`` as a checked kernel function.

    The function looks the algorithm up when called, so importing this
    module loads no plugin.
    """

    def search(map: Bitmap, size: int, start: int, nr: int, data: Any, pool: Pool, start_addr: int) -> int:
        if not isinstance(map, Bitmap):
            raise InvalidArgument(f"map must be a genpool.Bitmap, not {type(map).__name__}")
        size, start, nr = check_size(size, "size"), check_size(start, "start"), check_size(nr, "nr")
        check_address(start_addr, "start_addr")
        if size > map.nbits:
            raise InvalidArgument(f"size {size} exceeds the bitmap's {map.nbits} bits")
        algorithm = _algorithm(get_host().algorithm(name), data)
        return algorithm.search(map, size, start, nr, data, _pool(pool), start_addr)

    search.__name__ = search.__qualname__ = f"gen_pool_{name}"
    search.__doc__ = f"``gen_pool_{name}``: {summary}"
    search.genpool_algorithm_name = name  # type: ignore[attr-defined]
    return search


gen_pool_first_fit = _kernel_algorithm("first_fit", "the first free area that fits.")
gen_pool_first_fit_align = _kernel_algorithm(
    "first_fit_align", "the first free area at an address aligned to ``data.align`` (a genpool_data_align)."
)
gen_pool_first_fit_order_align = _kernel_algorithm(
    "first_fit_order_align", "the first free area aligned to its size rounded up to a power of two."
)
gen_pool_best_fit = _kernel_algorithm("best_fit", "the smallest free area that fits, lowest on ties.")
gen_pool_fixed_alloc = _kernel_algorithm(
    "fixed_alloc", "the area ``data.offset`` bytes into the chunk (a genpool_data_fixed), if free."
)
