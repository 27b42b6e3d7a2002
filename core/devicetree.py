"""Device-tree nodes, as far as ``of_gen_pool_get`` needs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .device import Device

__all__ = ["DeviceNode"]


class DeviceNode:
    """A node of a device tree (``struct device_node``).

    ``properties`` maps names to values; a phandle-list property (such as
    ``sram = <&sram0 &sram1>``) holds a sequence of the nodes it points to.
    ``device`` is the platform device created for the node, if any.
    """

    __slots__ = ("name", "parent", "properties", "device", "children")

    def __init__(
        self,
        name: str,
        *,
        parent: DeviceNode | None = None,
        properties: Mapping[str, Any] | None = None,
        device: Device | None = None,
    ) -> None:
        self.name = name
        self.parent = parent
        self.properties = dict(properties or {})
        self.device = device
        self.children: list[DeviceNode] = []
        if parent is not None:
            parent.children.append(self)

    def __repr__(self) -> str:
        return f"<DeviceNode {self.path}>"

    @property
    def full_name(self) -> str:
        """``of_node_full_name``: the node's name with its unit address ("/" for the root).

        Since Linux 4.14 this is the node's own name, not its path; SRAM
        partitions without a ``label`` are named after it.
        """
        return self.name if self.parent is not None else "/"

    @property
    def path(self) -> str:
        """The node's path from the root."""
        if self.parent is None:
            return "/"
        return f"{self.parent.path.rstrip('/')}/{self.name}"

    def parse_phandle(self, propname: str, index: int) -> DeviceNode | None:
        """``of_parse_phandle``: the ``index``-th node the property points to, or None."""
        targets = self.properties.get(propname)
        if not isinstance(targets, Sequence) or isinstance(targets, (str, bytes)):
            return None
        if not 0 <= index < len(targets) or not isinstance(targets[index], DeviceNode):
            return None
        target: DeviceNode = targets[index]
        return target
