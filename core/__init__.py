"""genpool: the Linux kernel's gen_pool allocator, in Python.

``import genpool`` gives the Pythonic API (:class:`Pool`); the kernel's
own functions, under their kernel names, are in :mod:`genpool.kernel`.
"""

import os as _os

__version__ = "0.1.0"

from .algorithm import ANY_DATA, Algorithm, AlignData, FixedData
from .bitmap import Bitmap
from .chunk import Chunk
from .device import Device
from .errors import CorruptTrace, GenPoolError, InvalidArgument, KernelWarning, NoSpace, PluginError, PoolBug
from .events import ObserverWarning
from .hookspecs import hookimpl
from .host import PluginWarning
from .pool import Pool
from .tracking import Allocation

__all__ = [
    "ANY_DATA",
    "AlignData",
    "Algorithm",
    "Allocation",
    "Bitmap",
    "Chunk",
    "CorruptTrace",
    "Device",
    "FixedData",
    "GenPoolError",
    "InvalidArgument",
    "KernelWarning",
    "NoSpace",
    "ObserverWarning",
    "PluginError",
    "PluginWarning",
    "Pool",
    "PoolBug",
    "__version__",
    "hookimpl",
]

# Opt-in only: with neither variable set, importing genpool starts no thread and opens nothing.
if _os.environ.get("GENPOOL_TRACE") or _os.environ.get("GENPOOL_WATCH"):
    from .autostart import start_from_environment

    start_from_environment()
