"""Device-tree nodes, and the loading and probing of real device trees.

:class:`DeviceNode` is the kernel's ``struct device_node`` as far as
genpool needs it.  :func:`load` reads a DTS source or a DTB into a tree of
them; :func:`probe_sram` runs the kernel's ``mmio-sram`` driver over such a
tree, creating a :class:`~genpool.Device` with its pools for every SRAM
node, so that :func:`genpool.kernel.of_gen_pool_get` works on it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument

if TYPE_CHECKING:
    from .device import Device
    from .sram import SramDevice

__all__ = ["DeviceNode", "DeviceTreeError", "load", "probe_sram"]


class DeviceTreeError(InvalidArgument):
    """A device tree that cannot be read or used: the message names the file and line where it can."""


class DeviceNode:
    """A node of a device tree (``struct device_node``).

    ``properties`` maps names to values.  A loaded tree gives ``True`` for
    an empty property, a ``str`` (or a tuple of them) for strings, a tuple
    of ints for 32-bit cells, ``bytes`` for anything else, and for a
    phandle-list property of a DTS source (such as ``sram = <&sram0
    &sram1>``) a sequence of the nodes it points to.  ``device`` is the
    platform device created for the node, if any.
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

    @property
    def root(self) -> DeviceNode:
        """The root of the tree the node is in."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def walk(self) -> Iterator[DeviceNode]:
        """The node and every node below it, depth first in source order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, path: str) -> DeviceNode | None:
        """``of_find_node_by_path``: the node at ``path``, or None.

        An absolute path is looked up from the root of this node's tree,
        component by component (each one a full name such as
        ``sram@10000000``); a path that does not start with "/" starts with
        an alias from ``/aliases``.
        """
        if not isinstance(path, str) or not path:
            raise DeviceTreeError(f"path must be a non-empty string, not {path!r}")
        root = self.root
        if path.startswith("/"):
            node: DeviceNode | None = root
            rest = path
        else:
            alias, _, rest = path.partition("/")
            aliases = next((child for child in root.children if child.name == "aliases"), None)
            target = aliases.properties.get(alias) if aliases is not None else None
            node = root.find(target) if isinstance(target, str) and target.startswith("/") else None
        for component in filter(None, rest.split("/")):
            if node is None:
                return None
            node = next((child for child in node.children if child.name == component), None)
        return node

    def parse_phandle(self, propname: str, index: int) -> DeviceNode | None:
        """``of_parse_phandle``: the ``index``-th node the property points to, or None.

        Each entry is a node, or (as in a DTB, where nothing records which
        cells are phandles) a 32-bit cell looked up among the tree's
        ``phandle`` properties.
        """
        targets = self.properties.get(propname)
        if not isinstance(targets, Sequence) or isinstance(targets, (str, bytes)):
            return None
        if not 0 <= index < len(targets):
            return None
        target = targets[index]
        if isinstance(target, DeviceNode):
            return target
        if type(target) is int and target != 0:
            return next((node for node in self.root.walk() if node.phandle == target), None)
        return None

    @property
    def phandle(self) -> int | None:
        """The node's phandle (its ``phandle`` or ``linux,phandle`` cell), or None."""
        for name in ("phandle", "linux,phandle"):
            value = self.raw(name)
            if value is not None and len(value) == 4:
                return int.from_bytes(value, "big")
        return None

    @property
    def available(self) -> bool:
        """``of_device_is_available``: no ``status``, or ``status`` "okay" or "ok"."""
        status = self.raw("status")
        return status is None or status in (b"okay\0", b"ok\0")

    def raw(self, name: str) -> bytes | None:
        """The property's value as the bytes a flattened tree holds, or None when it is absent.

        This is what the kernel reads: strings are NUL-terminated, cells
        big-endian, and a node in a phandle list is its phandle.
        """
        if name not in self.properties:
            return None
        return encode_value(self.properties[name])

    def read_string(self, name: str) -> str | None:
        """``of_property_read_string``: the property's first string, or None when it is absent.

        A value that is not a NUL-terminated string raises
        :class:`DeviceTreeError` with the kernel's errno: ``ENODATA`` when
        it is empty, ``EILSEQ`` when no NUL ends it.
        """
        value = self.raw(name)
        if value is None:
            return None
        if not value:
            raise DeviceTreeError(f"{self.path}: property {name!r} is empty, not a string", errno=errno.ENODATA)
        if b"\0" not in value:
            raise DeviceTreeError(f"{self.path}: property {name!r} is not NUL-terminated", errno=errno.EILSEQ)
        return value.partition(b"\0")[0].decode(errors="replace")

    def cells(self, name: str) -> tuple[int, ...] | None:
        """The property's 32-bit big-endian cells (a short tail ignored), or None when it is absent."""
        value = self.raw(name)
        if value is None:
            return None
        return tuple(int.from_bytes(value[i : i + 4], "big") for i in range(0, len(value) - 3, 4))


def encode_value(value: Any) -> bytes:
    """The bytes of a flattened tree for a property value of a :class:`DeviceNode`."""
    if value is True:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode() + b"\0"
    if isinstance(value, int):
        return (value & 0xFFFFFFFF).to_bytes(4, "big")
    if isinstance(value, DeviceNode):
        return (value.phandle or 0).to_bytes(4, "big")
    if isinstance(value, Iterable):
        return b"".join(encode_value(item) for item in value)
    raise DeviceTreeError(f"cannot encode a property value of type {type(value).__name__}")


def load(path: str | os.PathLike[str], *, include_dirs: Iterable[str | os.PathLike[str]] = ()) -> DeviceNode:
    """Read a device tree and return its root node.

    A DTS source goes through the C preprocessor first, as the kernel's
    build runs it (``cpp -nostdinc -undef -D__DTS__ -x
    assembler-with-cpp``), with ``include_dirs`` searched for ``#include``
    and ``/include/``; then labels, phandles, ``&label { }`` overrides,
    ``/delete-node/`` and ``/delete-property/`` are resolved.  A DTB (a
    file starting with the FDT magic) is read as it is.  Any error, from a
    missing file to a syntax error (with its file and line), raises
    :class:`DeviceTreeError`.
    """
    from .dtsource import load_tree

    return load_tree(path, include_dirs)


def probe_sram(root: DeviceNode) -> list[SramDevice]:
    """Run the kernel's ``drivers/misc/sram.c`` over a tree: one device per enabled SRAM node.

    See :func:`genpool.sram.probe_sram` for exactly what it does.
    """
    from .sram import probe_sram as probe

    return probe(root)
