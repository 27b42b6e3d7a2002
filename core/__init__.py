"""genpool: the Linux kernel's gen_pool allocator, in Python.

``import genpool`` gives the Pythonic API (:class:`Pool`); the kernel's
own functions, under their kernel names, are in :mod:`genpool.kernel`.
"""

__version__ = "0.1.0"

from .algorithm import ANY_DATA, Algorithm, AlignData, FixedData
from .bitmap import Bitmap
from .chunk import Chunk
from .device import Device
from .errors import GenPoolError, InvalidArgument, KernelWarning, NoSpace, PluginError, PoolBug
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
