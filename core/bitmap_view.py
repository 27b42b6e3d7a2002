"""What a plugin algorithm is handed instead of a chunk's bitmap: a view it cannot write through.

The pool alone sets and clears bits, and keeps ``avail`` and the
trackers in step with them.  An algorithm that changed the bitmap it
searched would corrupt that accounting without a word, so algorithms
from outside genpool get a :class:`ReadOnlyBitmap`: every reading method
of :class:`~genpool.Bitmap`, no ``set`` or ``clear``, and ``raw`` as a
read-only memoryview.  The built-in algorithms, which are known not to
write, are in :data:`TRUSTED_SEARCHES` and get the bitmap itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .bitmap import Bitmap

__all__ = ["TRUSTED_SEARCHES", "ReadOnlyBitmap", "read_only"]

#: Search functions handed the bitmap itself (filled by the plugin host with the built-ins).
TRUSTED_SEARCHES: set[object] = set()

_WRITERS = frozenset({"set", "clear"})


class ReadOnlyBitmap:
    """A :class:`~genpool.Bitmap` seen through a window that only reads.

    Every public attribute of the bitmap is available except the ones
    that change bits; ``raw`` is a read-only memoryview of the live bits.
    """

    __slots__ = ("_bitmap",)

    def __init__(self, bitmap: Bitmap) -> None:
        self._bitmap = bitmap

    def __getattr__(self, name: str) -> Any:
        if name in _WRITERS or name.startswith("_"):
            raise AttributeError(f"an algorithm's bitmap is read-only: it has no {name!r}")
        if name == "raw":
            return memoryview(self._bitmap.raw).toreadonly()
        return getattr(self._bitmap, name)

    def __len__(self) -> int:
        return len(self._bitmap)

    def __repr__(self) -> str:
        return f"<read-only {self._bitmap!r}>"


def read_only(bitmap: Bitmap) -> Bitmap:
    """``bitmap`` as an algorithm from outside genpool sees it: a :class:`ReadOnlyBitmap`, typed as what it reads as."""
    return cast("Bitmap", ReadOnlyBitmap(bitmap))
