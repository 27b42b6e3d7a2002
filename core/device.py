"""Devices that own managed pools (the kernel's ``devm_*`` resources)."""

from __future__ import annotations

import errno
import threading
from typing import TYPE_CHECKING

from .errors import InvalidArgument
from .pool import Pool

if TYPE_CHECKING:
    from .devicetree import DeviceNode

__all__ = ["Device"]


class Device:
    """A device whose managed pools live as long as it does.

    ``devm_gen_pool_create`` ties a pool to a device; :meth:`release` (the
    driver going away) destroys the device's pools, newest first, as
    devres does.  ``of_node`` is the device-tree node the device was made
    for, if any.
    """

    __slots__ = ("_name", "_of_node", "_pools", "_lock", "_released")

    def __init__(self, name: str, *, of_node: DeviceNode | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidArgument("a device needs a non-empty name")
        self._name = name
        self._of_node = of_node
        self._pools: list[Pool] = []
        self._lock = threading.Lock()
        self._released = False

    def __repr__(self) -> str:
        return f"<Device {self._name!r} pools={len(self._pools)}>"

    @property
    def name(self) -> str:
        """The device's name."""
        return self._name

    @property
    def of_node(self) -> DeviceNode | None:
        """The device-tree node of the device, if any."""
        return self._of_node

    @property
    def pools(self) -> tuple[Pool, ...]:
        """The device's managed pools, oldest first."""
        return tuple(self._pools)

    def create_pool(self, min_alloc_order: int, nid: int = -1, name: str | None = None) -> Pool:
        """``devm_gen_pool_create``: a new pool managed by this device.

        A second pool with the same ``name`` (None counts as a name) is
        refused with InvalidArgument carrying ``EINVAL``.
        """
        if name is not None and not isinstance(name, str):
            raise InvalidArgument(f"pool name must be a string or None, not {type(name).__name__}")
        with self._lock:
            if self._released:
                raise InvalidArgument(f"device {self._name!r} was released")
            if self._find(name) is not None:
                raise InvalidArgument(f"device {self._name!r} already has a pool named {name!r}", errno=errno.EINVAL)
            pool = Pool(min_alloc_order, nid, name)
            self._pools.append(pool)
        return pool

    def get_pool(self, name: str | None = None) -> Pool | None:
        """``gen_pool_get``: the managed pool named ``name``, or None."""
        with self._lock:
            return self._find(name)

    def _find(self, name: str | None) -> Pool | None:
        for pool in self._pools:
            if pool.name == name and not pool.destroyed:
                return pool
        return None

    def release(self) -> None:
        """Destroy every managed pool, newest first.

        Raises PoolBug, destroying none of them, if any still has
        allocations.
        """
        with self._lock:
            for pool in self._pools:
                if not pool.destroyed and any(chunk.avail != chunk.size for chunk in pool.chunks):
                    pool.destroy()  # raises the PoolBug that names the outstanding allocations
            for pool in reversed(self._pools):
                pool.destroy()
            self._pools.clear()
            self._released = True
