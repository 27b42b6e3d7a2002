"""Reading device trees from files: DTS sources through the C preprocessor and dtlib, DTBs through fdt.

dtlib (the ``devicetree`` distribution, Zephyr's parser) resolves
``/include/``, labels, phandles, ``&label { }`` overrides,
``/delete-node/`` and ``/delete-property/`` as dtc does; ``fdt`` reads the
flattened form.  Both trees become :class:`~genpool.devicetree.DeviceNode`
trees with the same property values, except that only a DTS source says
which cells are phandles.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .devicetree import DeviceNode, DeviceTreeError

__all__ = ["FDT_MAGIC", "decode_value", "load_tree"]

FDT_MAGIC = b"\xd0\x0d\xfe\xed"
# The flags the kernel's build passes to the preprocessor (scripts/Makefile.dtbs).
CPP_FLAGS = ("-nostdinc", "-undef", "-D__DTS__", "-x", "assembler-with-cpp")
_CPP_ERROR = re.compile(r"^(?P<where>.+?:\d+)(?::\d+)?: (?:fatal )?error: (?P<message>.*)$", re.MULTILINE)
_PRINTABLE = re.compile(rb"[\x20-\x7e\t\n\r]+")


def load_tree(path: str | os.PathLike[str], include_dirs: Iterable[str | os.PathLike[str]]) -> DeviceNode:
    """Read the DTS or DTB at ``path``; see :func:`genpool.devicetree.load`."""
    if not isinstance(path, (str, os.PathLike)):
        raise DeviceTreeError(f"path must be a file path, not {type(path).__name__}")
    if isinstance(include_dirs, (str, bytes, os.PathLike)) or not isinstance(include_dirs, Iterable):
        raise DeviceTreeError("include_dirs must be a sequence of directory paths")
    dirs = [Path(directory) for directory in include_dirs]
    source = Path(path)
    for directory in dirs:
        if not directory.is_dir():
            raise DeviceTreeError(f"include directory {str(directory)!r} is not a directory")
    try:
        with source.open("rb") as file:
            magic = file.read(4)
    except OSError as exc:
        raise DeviceTreeError(f"cannot read {str(source)!r}: {exc.strerror}") from None
    if magic == FDT_MAGIC:
        return _from_fdt(source)
    return _from_dts(source, dirs)


def _from_fdt(source: Path) -> DeviceNode:
    import fdt

    try:
        tree = fdt.parse_dtb(source.read_bytes())
    except Exception as exc:  # fdt raises bare Exception, ValueError or struct.error on a damaged blob
        raise DeviceTreeError(f"{source}: not a valid DTB: {exc}") from None
    root = DeviceNode("")
    stack = [(tree.root, root)]
    while stack:
        item, node = stack.pop()
        for prop in item.props:
            node.properties[prop.name] = decode_value(_fdt_bytes(prop))
        for child in item.nodes:
            stack.append((child, DeviceNode(child.name, parent=node)))
    return root


def _fdt_bytes(prop: Any) -> bytes:
    """The raw value of an ``fdt`` property, which the library keeps decoded."""
    import fdt

    if isinstance(prop, fdt.PropWords):
        return b"".join(word.to_bytes(4, "big") for word in prop.data)
    if isinstance(prop, fdt.PropStrings):
        return b"".join(text.encode() + b"\0" for text in prop.data)
    if isinstance(prop, fdt.PropBytes):
        return bytes(prop.data)
    return b""


def _from_dts(source: Path, include_dirs: list[Path]) -> DeviceNode:
    from devicetree import dtlib

    cpp = shutil.which("cpp")
    if cpp is None:
        raise DeviceTreeError("reading a DTS source needs the C preprocessor 'cpp' (Debian: apt-get install cpp)")
    search = [source.parent, *include_dirs]
    with tempfile.TemporaryDirectory(prefix="genpool-dt-") as scratch:
        preprocessed = Path(scratch) / (source.name + ".pp")
        command = [cpp, *CPP_FLAGS, *(f"-I{directory}" for directory in include_dirs), "-o", str(preprocessed)]
        result = subprocess.run([*command, str(source)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DeviceTreeError(_cpp_error(result.stderr))
        try:
            tree = dtlib.DT(str(preprocessed), include_path=[str(directory) for directory in search])
        except dtlib.DTError as exc:
            raise DeviceTreeError(f"{source}: {exc}" if not re.match(r"\S+:\d+", str(exc)) else str(exc)) from None
        except UnicodeDecodeError as exc:
            raise DeviceTreeError(f"{source}: not a DTS source or DTB ({exc.reason})") from None
    return _from_dtlib(tree)


def _cpp_error(stderr: str) -> str:
    """The preprocessor's first error, as ``file:line: message``."""
    match = _CPP_ERROR.search(stderr)
    if match is None:
        lines = [line for line in stderr.splitlines() if line.strip()]
        return "C preprocessor failed: " + (lines[0] if lines else "no message")
    message = match["message"]
    if "no include path" in message:
        message += " (pass its directory with include_dirs, or -I DIR on the command line)"
    return f"{match['where']}: {message}"


def _from_dtlib(tree: Any) -> DeviceNode:
    from devicetree.dtlib import Type

    nodes: dict[int, DeviceNode] = {}
    for item in tree.node_iter():
        parent = nodes[id(item.parent)] if item.parent is not None else None
        nodes[id(item)] = DeviceNode(item.name if parent is not None else "", parent=parent)
    for item in tree.node_iter():
        node = nodes[id(item)]
        for name, prop in item.props.items():
            if prop.type == Type.PHANDLE:
                node.properties[name] = [nodes[id(prop.to_node())]]
            elif prop.type == Type.PHANDLES:
                node.properties[name] = [nodes[id(target)] for target in prop.to_nodes()]
            elif prop.type in (Type.NUM, Type.NUMS, Type.PHANDLES_AND_NUMS):
                node.properties[name] = _cells(prop.value)
            elif prop.type == Type.BYTES:
                node.properties[name] = bytes(prop.value)
            else:
                node.properties[name] = decode_value(bytes(prop.value))
    return nodes[id(tree.root)]


def _cells(value: bytes) -> tuple[int, ...]:
    return tuple(int.from_bytes(value[i : i + 4], "big") for i in range(0, len(value), 4))


def decode_value(value: bytes) -> Any:
    """A property's value from its flattened bytes, guessed as dtc guesses when it decompiles.

    Empty is True; printable NUL-terminated strings are a ``str`` (a tuple
    of them when there are several); a multiple of four bytes is a tuple
    of cells; anything else stays bytes.
    """
    if not value:
        return True
    if value.endswith(b"\0") and b"\0\0" not in value and not value.startswith(b"\0"):
        parts = value[:-1].split(b"\0")
        if all(_PRINTABLE.fullmatch(part) for part in parts):
            texts = tuple(part.decode("ascii") for part in parts)
            return texts[0] if len(texts) == 1 else texts
    if len(value) % 4 == 0:
        return _cells(value)
    return value
