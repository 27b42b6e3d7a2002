"""Device-tree addresses: ``reg`` read with its cells and translated to a CPU physical address.

The kernel's ``drivers/of/address.c`` for the default bus: a node's
``#address-cells`` / ``#size-cells`` come from its parent (searched
upwards, 1 and 1 at the root), and an address is translated through every
ancestor's ``ranges`` (empty means 1:1, absent means untranslatable).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from .devicetree import DeviceNode

__all__ = ["Resource", "ResourceError", "address_to_resource", "n_addr_cells", "n_size_cells"]

_MAX_ADDR_CELLS = 4  # OF_MAX_ADDR_CELLS
_MASK64 = (1 << 64) - 1


class ResourceError(Exception):
    """Why a node's ``reg`` gives no resource; ``errno`` is what ``of_address_to_resource`` returns."""

    def __init__(self, message: str, code: int = errno.EINVAL) -> None:
        super().__init__(message)
        self.errno = code


@dataclass(frozen=True)
class Resource:
    """A ``struct resource``: ``start`` to ``end`` inclusive (a zero size ends just before it starts)."""

    start: int
    end: int

    @property
    def size(self) -> int:
        """``resource_size``."""
        return (self.end - self.start + 1) & _MASK64


def _bus_cells(node: DeviceNode | None, name: str) -> int:
    while node is not None:
        cells = node.cells(name)
        if cells:
            return cells[0]
        node = node.parent
    return 1  # OF_ROOT_NODE_{ADDR,SIZE}_CELLS_DEFAULT


def n_addr_cells(node: DeviceNode) -> int:
    """``of_n_addr_cells``: the ``#address-cells`` that applies to the node's ``reg``."""
    return _bus_cells(node.parent or node, "#address-cells")


def n_size_cells(node: DeviceNode) -> int:
    """``of_n_size_cells``: the ``#size-cells`` that applies to the node's ``reg``."""
    return _bus_cells(node.parent or node, "#size-cells")


def _number(cells: tuple[int, ...]) -> int:
    """``of_read_number``: big-endian cells, kept to 64 bits."""
    value = 0
    for cell in cells:
        value = ((value << 32) | cell) & _MASK64
    return value


def address_to_resource(node: DeviceNode, index: int = 0) -> Resource:
    """``of_address_to_resource``: the ``index``-th entry of the node's ``reg``, translated.

    Raises :class:`ResourceError` (EINVAL, or EOVERFLOW past 64 bits) with
    the reason, where the kernel only returns the error code.
    """
    if node.parent is None:
        raise ResourceError("the root node has no address")
    na, ns = n_addr_cells(node), n_size_cells(node)
    if not 0 < na <= _MAX_ADDR_CELLS:
        raise ResourceError(f"#address-cells = <{na}> is not in 1..{_MAX_ADDR_CELLS}")
    reg = node.raw("reg")
    if reg is None:
        raise ResourceError("no reg property")
    cells = node.cells("reg") or ()
    entry = cells[index * (na + ns) : (index + 1) * (na + ns)]
    if len(entry) < na + ns:
        raise ResourceError(
            f"reg has {len(reg)} bytes, too few for entry {index} of #address-cells = <{na}> "
            f"plus #size-cells = <{ns}> cells"
        )
    start = _translate(node, entry[:na], na, ns)
    size = _number(entry[na:])
    if size and start + size - 1 > _MASK64:
        raise ResourceError(f"reg 0x{start:x} + 0x{size:x} ends past the 64-bit address space", errno.EOVERFLOW)
    return Resource(start, (start + size - 1) & _MASK64)


def _translate(node: DeviceNode, addr: tuple[int, ...], na: int, ns: int) -> int:
    """``of_translate_address`` on the default bus: up through each ancestor's ``ranges``."""
    bus = node.parent
    assert bus is not None
    while bus.parent is not None:
        pna, pns = n_addr_cells(bus), n_size_cells(bus)
        if not 0 < pna <= _MAX_ADDR_CELLS or pns < 0:
            raise ResourceError(f"{bus.path}: bad #address-cells or #size-cells")
        ranges = bus.raw("ranges")
        if ranges is None:
            raise ResourceError(f"{bus.path} has no ranges: its children's addresses cannot be translated")
        if not ranges:
            offset, base = _number(addr), (0,) * pna
        else:
            entries = bus.cells("ranges") or ()
            width = na + pna + ns
            for i in range(0, len(entries) - width + 1, width):
                child_base, size = _number(entries[i : i + na]), _number(entries[i + na + pna : i + width])
                if child_base <= _number(addr) < child_base + size:
                    offset, base = _number(addr) - child_base, entries[i + na : i + na + pna]
                    break
            else:
                raise ResourceError(f"address 0x{_number(addr):x} is outside every range of {bus.path}")
        value = (_number(base) + offset) & _MASK64
        addr = tuple((value >> (32 * (pna - 1 - i))) & 0xFFFFFFFF for i in range(pna))
        na, ns, bus = pna, pns, bus.parent
    return _number(addr)
