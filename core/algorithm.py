"""What an allocation algorithm is, and the data two built-in ones take.

An algorithm is the kernel's ``genpool_algo_t`` in Python: a callable
``search(bitmap, size, start, nr, data, pool, start_addr) -> int`` that
looks in one chunk's :class:`~genpool.bitmap.Bitmap` (``size`` bits long)
for ``nr`` clear bits at or after bit ``start`` and returns the first bit
of the area it chose.  A result ``>= size`` means no room in this chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .args import check_size
from .errors import InvalidArgument

if TYPE_CHECKING:
    from .bitmap import Bitmap
    from .pool import Pool

__all__ = ["ANY_DATA", "AlignData", "Algorithm", "FixedData", "SearchFunction", "lookup", "resolve"]

SearchFunction = Callable[["Bitmap", int, int, int, Any, "Pool", int], int]


class _AnyData:
    """Marker for an algorithm that accepts whatever data it is given."""

    def __repr__(self) -> str:
        return "ANY_DATA"


ANY_DATA: Any = _AnyData()


@dataclass(frozen=True, slots=True)
class AlignData:
    """Data for ``first_fit_align`` (the kernel's ``struct genpool_data_align``).

    ``align`` is the byte alignment of the returned address: a power of two.
    """

    align: int

    def __post_init__(self) -> None:
        align = check_size(self.align, "align")
        if align == 0 or align & (align - 1):
            raise InvalidArgument(f"align {align} is not a power of two")
        object.__setattr__(self, "align", align)


@dataclass(frozen=True, slots=True)
class FixedData:
    """Data for ``fixed_alloc`` (the kernel's ``struct genpool_data_fixed``).

    ``offset`` is the byte offset from each chunk's start to allocate at.
    """

    offset: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "offset", check_size(self.offset, "offset"))


@dataclass(frozen=True, slots=True)
class Algorithm:
    """A named allocation algorithm.

    ``data_type`` is the class its ``data`` must be an instance of, ``None``
    if it takes no data, or :data:`ANY_DATA` if it takes anything (as an
    arbitrary kernel ``genpool_algo_t`` does).

    ``builtin_first_fit`` is true only for the ``first_fit`` that genpool's
    own plugin registers (the plugin host sets it when it loads that
    plugin): a pool answers it with the bitmap's own first fit, without
    calling ``search``, and takes the area found without checking it again.
    An algorithm made any other way is called, and its answer checked.
    """

    name: str
    search: SearchFunction
    data_type: type | None | _AnyData = None
    builtin_first_fit: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not callable(self.search):
            raise InvalidArgument(f"algorithm {self.name!r}: search {self.search!r} is not callable")

    def check_data(self, data: object) -> None:
        """Raise InvalidArgument unless ``data`` is what this algorithm takes."""
        wanted = self.data_type
        if wanted is ANY_DATA:
            return
        if wanted is None:
            if data is not None:
                raise InvalidArgument(f"algorithm {self.name!r} takes no data, got {type(data).__name__}")
        elif not isinstance(data, wanted):  # type: ignore[arg-type]
            got = "no data" if data is None else type(data).__name__
            raise InvalidArgument(f"algorithm {self.name!r} needs {wanted.__name__}, got {got}")  # type: ignore[union-attr]


def resolve(algo: Any, data: object) -> Algorithm:
    """Turn a registered name, an Algorithm or a search function into an Algorithm checked against ``data``."""
    algorithm = lookup(algo)
    algorithm.check_data(data)
    return algorithm


def lookup(algo: Any) -> Algorithm:
    """Turn a registered name, an Algorithm or a search function into an Algorithm.

    A bare function takes any data, as a kernel ``genpool_algo_t`` does;
    the kernel API's algorithm functions stand for the registered
    algorithm they name.
    """
    if isinstance(algo, Algorithm):
        algorithm = algo
    elif isinstance(algo, str):
        from .host import get_host

        algorithm = get_host().algorithm(algo)
    elif isinstance(getattr(algo, "genpool_algorithm_name", None), str):
        from .host import get_host

        algorithm = get_host().algorithm(algo.genpool_algorithm_name)
    elif callable(algo):
        algorithm = Algorithm(getattr(algo, "__name__", repr(algo)), algo, ANY_DATA)
    else:
        raise InvalidArgument(f"algorithm must be a name, an Algorithm or a function, not {type(algo).__name__}")
    return algorithm
