"""``genpool dt FILE``: the SRAM pools a device tree gives, as the kernel's mmio-sram driver makes them.

``--list`` prints every SRAM device, its pools and chunks, its reserved
blocks, and every property whose phandle leads to one of them; ``--json``
prints the same as JSON; with neither, the visual debugger opens on the
pools.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_command", "describe"]


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``dt`` to the ``genpool`` command's subparsers."""
    parser = commands.add_parser(
        "dt",
        help="show the SRAM pools of a device tree (DTS or DTB)",
        description="Load a device tree (a DTS through the C preprocessor, as the kernel's build does, or a DTB), "
        "probe its SRAM nodes as drivers/misc/sram.c does, and show the pools. "
        "With neither --list nor --json, opens the visual debugger on them.",
    )
    parser.add_argument("file", metavar="FILE", help="a .dts source or a .dtb blob")
    parser.add_argument(
        "-I",
        dest="include_dirs",
        action="append",
        default=[],
        metavar="DIR",
        help="search DIR for #include and /include/ files (repeatable)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--list", action="store_true", help="print the devices, pools, chunks and consumers")
    output.add_argument("--json", action="store_true", help="print the same as JSON")
    parser.set_defaults(run=_run, subparser=parser)


def _run(args: argparse.Namespace) -> int:
    from .devicetree import DeviceTreeError, load, probe_sram

    try:
        root = load(args.file, include_dirs=args.include_dirs)
    except DeviceTreeError as exc:
        print(f"genpool dt: {exc}", file=sys.stderr)
        return 1
    devices = probe_sram(root)
    report = describe(root, devices)
    if not report["devices"] and not report["disabled"]:
        print(f"genpool dt: {args.file}: no SRAM node (none is compatible with mmio-sram or the like)", file=sys.stderr)
        return 1
    failed = [device for device in report["devices"] if device["error"]]
    for device in failed:
        print(f"genpool dt: sram {device['name']}: probe failed: {device['error']}", file=sys.stderr)
    if args.json:
        json.dump({"file": args.file, **report}, sys.stdout, indent=2)
        print()
    elif args.list:
        _print(args.file, report)
    else:
        from .tui.app import GenpoolApp

        GenpoolApp([pool for device in devices for pool in device.pools]).run()
    return 1 if failed else 0


def describe(root: Any, devices: list[Any]) -> dict[str, Any]:
    """The devices, disabled SRAM nodes and consumers of a probed tree, as plain data."""
    from .kernel import of_gen_pool_get
    from .sram import sram_compatible

    report: dict[str, Any] = {"devices": [], "disabled": [], "consumers": []}
    for device in devices:
        resource = device.resource
        report["devices"].append(
            {
                "name": device.name,
                "node": device.of_node.path,
                "compatible": device.compatible,
                "start": resource.start if resource else None,
                "size": resource.size if resource else None,
                "no_memory_wc": device.no_memory_wc,
                "error": device.probe_error,
                "pools": [_pool(pool) for pool in device.pools],
                "reserved": [
                    {"node": node.path, "start": res.start, "size": res.size} for node, res in device.reserved
                ],
                "partitions": [
                    {
                        "node": part.node.path,
                        "label": part.label,
                        "start": part.start,
                        "size": part.size,
                        "pool": part.pool,
                        "export": part.export,
                        "protect_exec": part.protect_exec,
                    }
                    for part in device.partitions
                ],
            }
        )
    for node in root.walk():
        if node.device is None and sram_compatible(node):
            status = node.properties.get("status")
            report["disabled"].append({"node": node.path, "status": status if isinstance(status, str) else None})
        for name, value in node.properties.items():
            if not isinstance(value, list):
                continue
            for index, target in enumerate(value):
                if target is not None and (sram_compatible(target) or target.parent and sram_compatible(target.parent)):
                    pool = of_gen_pool_get(node, name, index)
                    owner = target.device or (target.parent.device if target.parent else None)
                    report["consumers"].append(
                        {
                            "node": node.path,
                            "property": name,
                            "index": index,
                            "target": target.path,
                            "device": owner.name if owner is not None else None,
                            "pool": None if pool is None else pool.name,
                            "resolves": pool is not None,
                        }
                    )
    return report


def _pool(pool: Any) -> dict[str, Any]:
    chunks = sorted(pool.chunks, key=lambda chunk: chunk.start_addr)
    return {
        "name": pool.name,
        "granule": pool.granule,
        "size": pool.size,
        "avail": pool.avail,
        "chunks": [
            {"start": chunk.start_addr, "end": chunk.end_addr, "phys": chunk.phys_addr, "size": chunk.size}
            for chunk in chunks
        ],
    }


def human(size: int) -> str:
    """``1 KiB``, ``3.75 KiB``, ``768 B``: a byte count in binary units."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.4g} {unit}"
    return f"{size} B"


def _print(path: str, report: dict[str, Any]) -> None:
    devices = report["devices"]
    print(f"{path}: {len(devices)} SRAM device(s), {len(report['disabled'])} disabled SRAM node(s)")
    for device in devices:
        where = f"{human(device['size'])} at 0x{device['start']:x}" if device["start"] is not None else "no usable reg"
        print(f"\n{device['name']}  {device['node']}  [{device['compatible']}]  {where}")
        if device["error"]:
            print(f"  probe failed: {device['error']}")
        for pool in device["pools"]:
            name = "(unnamed)" if pool["name"] is None else repr(pool["name"])
            print(
                f"  pool {name}: {human(pool['size'])} in {len(pool['chunks'])} chunk(s), "
                f"{human(pool['avail'])} free, {pool['granule']}-byte granules"
            )
            for chunk in pool["chunks"]:
                print(f"    0x{chunk['start']:x}-0x{chunk['end']:x}  {human(chunk['size'])}  phys 0x{chunk['phys']:x}")
        for block in device["reserved"]:
            print(f"  reserved {block['node']}  0x{block['start']:x}  {human(block['size'])}")
        for part in device["partitions"]:
            flags = [flag for flag in ("pool", "protect_exec") if part[flag]]
            if part["export"]:
                flags.append(f"export {part['export']}")
            print(f"  partition {part['label']!r}: {', '.join(flags)}")
    for node in report["disabled"]:
        print(f"\ndisabled: {node['node']} (status {node['status']!r}, or a disabled parent): not probed")
    if report["consumers"]:
        print("\nconsumers:")
    for use in report["consumers"]:
        pool = "no pool" if not use["resolves"] else "unnamed pool" if use["pool"] is None else f"pool {use['pool']!r}"
        owner = f"of {use['device']}" if use["device"] else "(no device)"
        print(f"  {use['node']} {use['property']}[{use['index']}] -> {use['target']}: {pool} {owner}")
