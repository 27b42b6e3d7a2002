"""The kernel's ``mmio-sram`` driver (``drivers/misc/sram.c``), emulated on a device tree.

:func:`probe_sram` does what the kernel does at boot for every enabled SRAM
node, in tree order: create the platform device (named as
``of_device_make_bus_id`` names it), map the node's first ``reg`` and
create the unnamed pool (granule 32 bytes), read the enabled children as
reserved blocks, sort them by start, and walk them: the gaps become chunks
of the unnamed pool, and a child with ``pool``, ``export`` or
``protect-exec`` becomes a partition (a named pool for ``pool`` and
``protect-exec``, named by its ``label``, else its full node name).

The memory is not really mapped: a chunk's virtual address is its physical
one.  Where ``sram.c`` fails the probe, the failure is the kernel's: the
device exists with no pools, and its :attr:`SramDevice.probe_error` holds
the ``dev_err`` message and errno.  Other devices probe on regardless.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

from . import kernel
from .device import Device
from .devicetree import DeviceNode, DeviceTreeError
from .of_address import Resource, ResourceError, address_to_resource

__all__ = ["SRAM_COMPATIBLES", "SRAM_GRANULARITY", "Partition", "SramDevice", "probe_sram", "sram_compatible"]

SRAM_GRANULARITY = 32
_ORDER = SRAM_GRANULARITY.bit_length() - 1
PAGE_SIZE = 4096
# sram_dt_ids: compatible -> (map_only_reserved, needs the secure-module syscon before it is usable).
SRAM_COMPATIBLES: dict[str, tuple[bool, bool]] = {
    "mmio-sram": (False, False),
    "atmel,sama5d2-securam": (False, True),
    "nvidia,tegra186-sysram": (True, False),
    "nvidia,tegra194-sysram": (True, False),
    "nvidia,tegra234-sysram": (True, False),
}


@dataclass
class Partition:
    """A reserved child that ``sram.c`` made into a partition (``struct sram_partition``)."""

    node: DeviceNode
    label: str
    start: int
    size: int
    pool: bool
    export: str | None
    protect_exec: bool


@dataclass
class _Block:
    """``struct sram_reserve``: a reserved child, or the end marker, relative to the SRAM's start."""

    start: int
    size: int
    node: DeviceNode | None = None
    res: Resource | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    label: str = ""

    @property
    def partition(self) -> bool:
        return bool(self.size) and any(self.flags.values())


class _ProbeFailed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.errno = code


class SramDevice(Device):
    """The platform device of an SRAM node, with what ``sram_probe`` found.

    ``compatible`` is the entry of ``sram_dt_ids`` the node matched;
    ``resource`` its mapped ``reg`` (None when mapping failed);
    ``reserved`` the enabled children's ranges in the order walked;
    ``partitions`` the partitions made; ``probe_error`` None, or the
    kernel's error message ending in the errno name, in which case the
    device has no pools.
    """

    __slots__ = ("compatible", "resource", "reserved", "partitions", "probe_error", "no_memory_wc")

    def __init__(self, name: str, node: DeviceNode, compatible: str) -> None:
        super().__init__(name, of_node=node)
        self.compatible = compatible
        self.resource: Resource | None = None
        self.reserved: list[tuple[DeviceNode, Resource]] = []
        self.partitions: list[Partition] = []
        self.probe_error: str | None = None
        self.no_memory_wc = "no-memory-wc" in node.properties


def sram_compatible(node: DeviceNode) -> str | None:
    """The ``sram_dt_ids`` entry the node matches best (its first matching compatible), or None."""
    return next((name for name in _compatibles(node) if name in SRAM_COMPATIBLES), None)


def _compatibles(node: DeviceNode) -> tuple[str, ...]:
    value = node.properties.get("compatible")
    return (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()


def probe_sram(root: DeviceNode) -> list[SramDevice]:
    """Create a device and its pools for every enabled SRAM node under ``root``, in tree order.

    A node is probed when it matches ``sram_dt_ids`` and it and all its
    ancestors are available (its bus is assumed to populate it, as
    ``simple-bus`` does).  Refuses (changing nothing) a tree that was
    already probed.
    """
    if not isinstance(root, DeviceNode):
        raise DeviceTreeError(f"root must be a DeviceNode, not {type(root).__name__}")
    nodes = [node for node in root.walk() if sram_compatible(node) and _enabled(node)]
    probed = [node for node in nodes if node.device is not None]
    if probed:
        raise DeviceTreeError(f"{probed[0].path} already has a device: the tree was probed before")
    claimed: list[Resource] = []
    devices = []
    for node in nodes:
        compatible = sram_compatible(node)
        assert compatible is not None
        device = SramDevice(_bus_id(node), node, compatible)
        node.device = device
        try:
            _probe(device, claimed)
        except _ProbeFailed as exc:
            device.probe_error = f"{exc} ({errno.errorcode[exc.errno]})"
            device.release()  # devres frees whatever the failed probe had created
        devices.append(device)
    return devices


def _enabled(node: DeviceNode) -> bool:
    return all(ancestor.available for ancestor in _lineage(node))


def _lineage(node: DeviceNode | None) -> list[DeviceNode]:
    nodes = []
    while node is not None:
        nodes.append(node)
        node = node.parent
    return nodes


def _bus_id(node: DeviceNode) -> str:
    """``of_device_make_bus_id``: ``<address>.<name>``, prefixed to the names below the first translatable node."""
    name: str | None = None
    current = node
    while current.parent is not None:
        try:
            prefix = f"{address_to_resource(current).start:x}.{current.name.partition('@')[0]}"
        except ResourceError:
            name = current.name if name is None else f"{current.name}:{name}"
            current = current.parent
            continue
        return prefix if name is None else f"{prefix}:{name}"
    return name or node.name


def _request(resource: Resource, claimed: list[Resource], what: str) -> None:
    """``devm_request_mem_region``: a region already claimed by another device is busy."""
    for other in claimed:
        if resource.start <= other.end and other.start <= resource.end:
            raise _ProbeFailed(f"can't request region for resource {what}: busy", errno.EBUSY)
    claimed.append(resource)


def _probe(device: SramDevice, claimed: list[Resource]) -> None:
    """``sram_probe``."""
    node = device.of_node
    assert node is not None
    map_only_reserved, needs_secumod = SRAM_COMPATIBLES[device.compatible]
    try:
        device.resource = address_to_resource(node)
    except ResourceError as exc:
        raise _ProbeFailed(f"could not map SRAM registers: {exc}", exc.errno) from None
    if not map_only_reserved:
        _request(device.resource, claimed, _range(device.resource))
        device.create_pool(_ORDER, -1, None)
    _reserve_regions(device, device.resource, claimed, map_only_reserved)
    if needs_secumod and not any(
        "atmel,sama5d2-secumod" in _compatibles(other) for other in node.root.walk()
    ):  # atmel_securam_wait: syscon_regmap_lookup_by_compatible fails
        raise _ProbeFailed("no atmel,sama5d2-secumod node to wait for", errno.ENODEV)


def _range(resource: Resource) -> str:
    return f"[mem 0x{resource.start:08x}-0x{resource.end:08x}]"


def _reserve_regions(device: SramDevice, res: Resource, claimed: list[Resource], map_only_reserved: bool) -> None:
    """``sram_reserve_regions``: read the enabled children, sort them, and walk the gaps."""
    node = device.of_node
    assert node is not None
    blocks = []
    for child in (child for child in node.children if child.available):
        try:
            child_res = address_to_resource(child)
        except ResourceError as exc:
            raise _ProbeFailed(f"could not get address for node {child.path}: {exc}", exc.errno) from None
        if child_res.start < res.start or child_res.end > res.end:
            raise _ProbeFailed(f"reserved block {child.path} outside the sram area", errno.EINVAL)
        flags = {name: name in child.properties for name in ("export", "pool", "protect-exec")}
        block = _Block(child_res.start - res.start, child_res.size, child, child_res, flags)
        if block.partition:
            block.label = _label(child)
        blocks.append(block)
        device.reserved.append((child, child_res))
    blocks.append(_Block(res.size, 0))  # the end marker
    blocks.sort(key=lambda block: block.start)  # list_sort is stable, as sort() is
    virt_base = res.start  # the emulated mapping is the identity
    pool = device.get_pool(None) if not map_only_reserved else None
    cur_start = 0
    for block in blocks:
        if block.start < cur_start:
            raise _ProbeFailed(f"block at 0x{block.start:x} starts after current offset 0x{cur_start:x}", errno.EINVAL)
        if block.partition:
            _add_partition(device, block, res.start + block.start, claimed, map_only_reserved)
        if block.start != cur_start and pool is not None:
            kernel.gen_pool_add_virt(pool, virt_base + cur_start, res.start + cur_start, block.start - cur_start, -1)
        cur_start = block.start + block.size


def _label(child: DeviceNode) -> str:
    """The partition's name: its ``label``, else its full node name; a label that is no string fails the probe."""
    try:
        label = child.read_string("label")
    except DeviceTreeError as exc:
        raise _ProbeFailed(f"{child.path} has invalid label name", exc.errno) from None
    return child.full_name if label is None else label


def _add_partition(
    device: SramDevice, block: _Block, start: int, claimed: list[Resource], map_only_reserved: bool
) -> None:
    """``sram_add_partition``: a named pool for ``pool`` and for ``protect-exec``, a file for ``export``."""
    assert block.node is not None and block.res is not None
    if map_only_reserved:
        _request(block.res, claimed, _range(block.res))
    base = start  # virt_base + block.start, with the identity mapping
    if block.flags["pool"]:
        _add_pool(device, block.label, base, start, block.size)
    if block.flags["protect-exec"]:
        if base % PAGE_SIZE or (base + block.size) % PAGE_SIZE:
            raise _ProbeFailed(
                "SRAM pool marked with 'protect-exec' is not page aligned and will not be created.", errno.ENOMEM
            )
        _add_pool(device, block.label, base, start, block.size)
    device.partitions.append(
        Partition(
            node=block.node,
            label=block.label,
            start=start,
            size=block.size,
            pool=block.flags["pool"] or block.flags["protect-exec"],
            export=f"{start:x}.sram" if block.flags["export"] else None,
            protect_exec=block.flags["protect-exec"],
        )
    )


def _add_pool(device: SramDevice, label: str, virt: int, phys: int, size: int) -> None:
    """``sram_add_pool``: a second pool of the same name is refused, as devm_gen_pool_create refuses it."""
    if device.get_pool(label) is not None:
        raise _ProbeFailed(f"a pool named {label!r} already exists on this device", errno.EINVAL)
    pool = device.create_pool(_ORDER, -1, label)
    kernel.gen_pool_add_virt(pool, virt, phys, size, -1)
