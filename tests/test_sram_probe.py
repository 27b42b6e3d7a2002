"""genpool.devicetree.probe_sram: the kernel's drivers/misc/sram.c on the test boards and on bad trees."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from dt_helpers import INCLUDE, TREES, compile_dtb, write_dts
from genpool import kernel as K
from genpool.devicetree import DeviceNode, DeviceTreeError, load, probe_sram
from genpool.sram import SramDevice
from hypothesis import given
from hypothesis import strategies as st

KIB = 1024


def probed(name: str) -> tuple[DeviceNode, list[SramDevice]]:
    root = load(TREES / f"{name}.dts", include_dirs=[INCLUDE])
    return root, probe_sram(root)


def chunks(pool) -> list[tuple[int, int, int]]:
    """(virt, phys, size) of each chunk, in the kernel's order (newest first)."""
    return [(chunk.start_addr, chunk.phys_addr, chunk.size) for chunk in pool.chunks]


def test_an_ocram_with_no_children_is_one_chunk() -> None:
    root, [device] = probed("imx-ocram")
    assert device.name == "900000.sram" and device.of_node is root.find("/soc/sram@900000")
    assert device.probe_error is None and device.compatible == "mmio-sram"
    [pool] = device.pools
    assert pool.name is None and pool.min_alloc_order == 5  # SRAM_GRANULARITY 32
    assert chunks(pool) == [(0x900000, 0x900000, 256 * KIB)]
    assert K.of_gen_pool_get(root.find("/soc/vpu@2040000"), "iram", 0) is pool


def test_a_reserved_block_and_a_labelled_pool() -> None:
    root, [device] = probed("reserved-pool")
    main, firmware = device.pools
    base = 0x40300000
    # The gaps around the reserved blocks, added in address order (so the later one walks first).
    assert chunks(main) == [(base + 0x2000, base + 0x2000, 0xE000), (base + 0x100, base + 0x100, 0xF00)]
    assert firmware.name == "pm-firmware"
    assert chunks(firmware) == [(base + 0x1000, base + 0x1000, 0x1000)]
    [partition] = device.partitions
    assert partition.label == "pm-firmware" and partition.export == "40301000.sram" and partition.pool
    assert [node.name for node, _ in device.reserved] == ["smp-sram@0", "pm-sram@1000"]
    # Two consumers: one at the partition, one at both the parent and the partition.
    dsp, crypto = root.find("/soc/dsp@40400000"), root.find("/soc/crypto@40500000")
    assert K.of_gen_pool_get(dsp, "sram", 0) is firmware
    assert K.of_gen_pool_get(crypto, "sram", 0) is main
    assert K.of_gen_pool_get(crypto, "sram", 1) is firmware
    assert K.of_gen_pool_get(crypto, "sram", 2) is None


def test_allwinner_sections_disabled_sections_and_partitions() -> None:
    root, devices = probed("sunxi-sram")
    a, d, c = devices
    assert [device.name for device in devices] == ["0.sram", "10000.sram", "1d00000.sram"]
    # The disabled EMAC section is not reserved: its range stays in the pool.
    assert [node.name for node, _ in a.reserved] == ["sram-section@4000"]
    assert chunks(a.get_pool(None)) == [(0x6000, 0x6000, 0x6000), (0, 0, 0x4000)]
    assert chunks(a.get_pool("arisc")) == [(0x4000, 0x4000, 0x2000)]
    # A section covering the whole SRAM leaves its pool empty.
    assert d.get_pool(None).size == 0 and d.pools == (d.get_pool(None),)
    # An unlabelled exported pool section is named after its node.
    assert chunks(c.get_pool("sram-section@80000")) == [(0x1D80000, 0x1D80000, 0x10000)]
    assert chunks(c.get_pool(None)) == [(0x1D90000, 0x1D90000, 0x40000)]
    assert c.partitions[0].export == "1d80000.sram"
    mailbox, codec = root.find("/soc/mailbox@1c17000"), root.find("/soc/video-codec@1c0e000")
    assert K.of_gen_pool_get(mailbox, "sram", 0) is a.get_pool("arisc")
    # The codec points at a plain section (not a partition): there is no pool by its name.
    assert codec.parse_phandle("allwinner,sram", 0) is root.find(
        "/soc/sram-controller@1c00000/sram@1d00000/sram-section@0"
    )
    assert K.of_gen_pool_get(codec, "allwinner,sram", 0) is None


def test_an_unlabelled_pool_child_is_named_by_its_full_name_and_a_disabled_sram_is_skipped() -> None:
    root, [device] = probed("rockchip-pool")
    assert device.name == "ff8c0000.sram"
    ddr = device.get_pool("ddr-sram@1000")
    assert chunks(ddr) == [(0xFF8C1000, 0xFF8C1000, 0x4000)]
    assert chunks(device.get_pool(None)) == [(0xFF8C5000, 0xFF8C5000, 0x1B000), (0xFF8C0050, 0xFF8C0050, 0xFB0)]
    dmc = root.find("/memory-controller")
    assert K.of_gen_pool_get(dmc, "sram", 0) is ddr
    assert root.find("/sram@ff3b0000").device is None  # status = "disabled": no device
    assert K.of_gen_pool_get(dmc, "pmu-sram", 0) is None


def test_the_board_with_includes_overrides_and_deletions() -> None:
    root, [device] = probed("board")
    firmware = device.get_pool("dsp-firmware")  # the board's label, not the SoC's
    assert device.get_pool("firmware") is None and device.get_pool("scratch-sram@8000") is None  # deleted
    assert chunks(device.get_pool(None)) == [(0x20008000, 0x20008000, 0x8000), (0x20000400, 0x20000400, 0x3C00)]
    assert K.of_gen_pool_get(root.find("/soc/dsp@40000000"), "sram", 0) is firmware
    assert K.of_gen_pool_get(root.find("/codec@50000000"), "sram", 0) is device.get_pool(None)
    assert root.find("/soc/sram@30000000").device is None


@pytest.mark.parametrize("name", ["reserved-pool", "sunxi-sram", "rockchip-pool", "board"])
def test_a_dtb_probes_as_its_source_does(name: str, tmp_path: Path) -> None:
    source_root, source = probed(name)
    blob_root = load(compile_dtb(TREES / f"{name}.dts", tmp_path))
    blob = probe_sram(blob_root)

    def picture(devices: list[SramDevice]) -> list[object]:
        return [(d.name, [(p.name, chunks(p)) for p in d.pools], d.probe_error) for d in devices]

    assert picture(blob) == picture(source)
    for node in source_root.walk():
        for key, value in node.properties.items():
            if isinstance(value, list):  # each consumer finds the same pool in both
                for index in range(len(value)):
                    mine, twin = (
                        K.of_gen_pool_get(node, key, index),
                        K.of_gen_pool_get(blob_root.find(node.path), key, index),
                    )
                    assert (mine and (mine.name, chunks(mine))) == (twin and (twin.name, chunks(twin)))


def test_probing_twice_or_a_non_node_is_refused() -> None:
    root, devices = probed("imx-ocram")
    with pytest.raises(DeviceTreeError, match="already has a device"):
        probe_sram(root)
    assert root.find("/soc/sram@900000").device is devices[0]
    with pytest.raises(DeviceTreeError, match="root must be a DeviceNode"):
        probe_sram("/")  # type: ignore[arg-type]


# -- what sram.c refuses: the device fails to probe and keeps no pool; others go on ---------


SRAM = """
	sram@10000 {{
		compatible = "mmio-sram";
		reg = <0x10000 0x8000>;
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0 0x10000 0x8000>;
{children}
	}};
	good: sram@90000 {{
		compatible = "mmio-sram";
		reg = <0x90000 0x1000>;
	}};
"""


def probe_children(tmp_path: Path, children: str, extra: str = "") -> tuple[SramDevice, SramDevice]:
    root = load(write_dts(tmp_path, SRAM.format(children=children) + extra))
    bad, good, *_ = probe_sram(root)
    assert good.probe_error is None and good.get_pool(None).size == 0x1000  # the next device still probes
    return bad, good


def failed(device: SramDevice) -> str:
    assert device.pools == () and device.probe_error is not None  # devres freed the pools made so far
    return device.probe_error


@pytest.mark.parametrize(
    ("children", "message"),
    [
        (
            "\t\tfw@7000 { reg = <0x7000 0x2000>; pool; };",
            "reserved block /sram@10000/fw@7000 outside the sram area (EINVAL)",
        ),
        (
            "\t\ta@0 { reg = <0x0 0x2000>; };\n\t\tb@1000 { reg = <0x1000 0x100>; };",
            "block at 0x1000 starts after current offset 0x2000 (EINVAL)",
        ),
        ("\t\ta@0 { reg = <0x0>; };", "could not get address for node /sram@10000/a@0: reg has 4 bytes, too few"),
        ("\t\ta@0 { };", "could not get address for node /sram@10000/a@0: no reg property (EINVAL)"),
        ("\t\ta@0 { reg = <0 0x100>; pool; label; };", "/sram@10000/a@0 has invalid label name (ENODATA)"),
        ("\t\ta@0 { reg = <0 0x100>; pool; label = [41 42]; };", "/sram@10000/a@0 has invalid label name (EILSEQ)"),
        (
            '\t\ta@0 { reg = <0 0x100>; pool; label = "x"; };\n\t\tb@100 { reg = <0x100 0x100>; pool; label = "x"; };',
            "a pool named 'x' already exists on this device (EINVAL)",
        ),
        (
            "\t\ta@20 { reg = <0x20 0x1000>; protect-exec; };",
            "'protect-exec' is not page aligned and will not be created. (ENOMEM)",
        ),
        (
            "\t\ta@0 { reg = <0 0x1000>; protect-exec; pool; };",
            "a pool named 'a@0' already exists on this device (EINVAL)",
        ),
    ],
    ids=[
        "outside",
        "overlap",
        "short-reg",
        "no-reg",
        "empty-label",
        "unterminated-label",
        "same-label",
        "exec-unaligned",
        "exec-and-pool",
    ],
)
def test_bad_children_fail_the_probe_as_the_kernel_does(tmp_path: Path, children: str, message: str) -> None:
    bad, _ = probe_children(tmp_path, children)
    assert message in failed(bad)


def test_overlap_is_judged_after_sorting_by_start(tmp_path: Path) -> None:
    # Out of order in the source, but disjoint: fine once sorted, as list_sort makes them.
    bad, _ = probe_children(tmp_path, "\t\tb@4000 { reg = <0x4000 0x100>; };\n\t\ta@0 { reg = <0x0 0x100>; };")
    assert bad.probe_error is None
    assert chunks(bad.get_pool(None)) == [(0x14100, 0x14100, 0x3F00), (0x10100, 0x10100, 0x3F00)]


def test_a_page_aligned_protect_exec_child_is_a_pool(tmp_path: Path) -> None:
    root = load(
        write_dts(
            tmp_path,
            '\tsram@10000 { compatible = "mmio-sram"; reg = <0x10000 0x4000>;\n'
            "\t\t#address-cells = <1>; #size-cells = <1>; ranges = <0 0x10000 0x4000>;\n"
            "\t\texec@1000 { reg = <0x1000 0x1000>; protect-exec; };\n\t};\n",
        )
    )
    [device] = probe_sram(root)
    assert chunks(device.get_pool("exec@1000")) == [(0x11000, 0x11000, 0x1000)]
    assert device.partitions[0].protect_exec and device.partitions[0].pool


def test_an_sram_reg_the_cells_do_not_fit(tmp_path: Path) -> None:
    root = load(write_dts(tmp_path, '\tsram@10000 { compatible = "mmio-sram"; reg = <0x10000>; };\n'))
    [device] = probe_sram(root)
    assert failed(device) == (
        "could not map SRAM registers: reg has 4 bytes, too few for entry 0 of #address-cells = <1> "
        "plus #size-cells = <1> cells (EINVAL)"
    )
    assert device.resource is None


def test_an_sram_behind_a_bus_without_ranges_cannot_be_mapped(tmp_path: Path) -> None:
    root = load(
        write_dts(
            tmp_path,
            "\tbus { #address-cells = <1>; #size-cells = <1>;\n"
            '\t\tsram@10000 { compatible = "mmio-sram"; reg = <0x10000 0x1000>; };\n\t};\n',
        )
    )
    [device] = probe_sram(root)
    assert "could not map SRAM registers: /bus has no ranges" in failed(device)
    assert device.name == "bus:sram@10000"  # of_device_make_bus_id: no address to translate


def test_overlapping_srams_the_second_is_busy(tmp_path: Path) -> None:
    extra = '\tsram@90800 { compatible = "mmio-sram"; reg = <0x90800 0x1000>; };\n'
    root = load(write_dts(tmp_path, SRAM.format(children="") + extra))
    *_, busy = probe_sram(root)
    assert "can't request region for resource [mem 0x00090800-0x000917ff]: busy (EBUSY)" in failed(busy)


def test_tegra_sysram_maps_only_its_reserved_blocks(tmp_path: Path) -> None:
    root = load(
        write_dts(
            tmp_path,
            '\tsysram@40000000 { compatible = "nvidia,tegra194-sysram", "mmio-sram";\n'
            "\t\treg = <0x40000000 0x50000>; #address-cells = <1>; #size-cells = <1>;\n"
            "\t\tranges = <0 0x40000000 0x50000>;\n"
            '\t\tcpu-bpmp-tx@4e000 { reg = <0x4e000 0x1000>; label = "cpu-bpmp-tx"; pool; };\n'
            '\t\tcpu-bpmp-rx@4f000 { reg = <0x4f000 0x1000>; label = "cpu-bpmp-rx"; pool; };\n\t};\n',
        )
    )
    [device] = probe_sram(root)
    assert device.compatible == "nvidia,tegra194-sysram"  # the first compatible matched wins
    assert [pool.name for pool in device.pools] == ["cpu-bpmp-tx", "cpu-bpmp-rx"]  # no unnamed pool
    assert chunks(device.get_pool("cpu-bpmp-rx")) == [(0x4004F000, 0x4004F000, 0x1000)]


def test_atmel_securam_needs_its_secure_module(tmp_path: Path) -> None:
    sram = '\tsram@f8044000 { compatible = "atmel,sama5d2-securam", "mmio-sram"; reg = <0xf8044000 0x1420>; };\n'
    [device] = probe_sram(load(write_dts(tmp_path, sram)))
    assert "atmel,sama5d2-secumod" in failed(device) and failed(device).endswith("(ENODEV)")
    secumod = '\tsecumod@fc040000 { compatible = "atmel,sama5d2-secumod", "syscon"; reg = <0xfc040000 0x100>; };\n'
    [device] = probe_sram(load(write_dts(tmp_path, sram + secumod)))
    assert device.probe_error is None and device.get_pool(None).size == 0x1420


# -- against a simple model: every granule of the SRAM is in exactly one place ---------------


@st.composite
def srams(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int, bool, bool]]]:
    """An SRAM (start, size) and disjoint children (offset, size, is a pool, enabled), in any order."""
    units = draw(st.integers(1, 24))
    start = draw(st.integers(0, 1 << 20)) * 0x100
    cuts = sorted(draw(st.sets(st.integers(0, units), max_size=12)))
    children = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        if draw(st.booleans()):
            children.append((left * 0x100, (right - left) * 0x100, draw(st.booleans()), draw(st.booleans())))
    return start, units * 0x100, draw(st.permutations(children))


@given(srams())
def test_probe_matches_a_granule_model(case: tuple[int, int, list[tuple[int, int, bool, bool]]]) -> None:
    start, size, children = case
    root = DeviceNode("", properties={"#address-cells": (1,), "#size-cells": (1,)})
    sram = DeviceNode(
        "sram@0",
        parent=root,
        properties={
            "compatible": "mmio-sram",
            "reg": (start, size),
            "#address-cells": (1,),
            "#size-cells": (1,),
            "ranges": (0, start, size),
        },
    )
    for offset, length, is_pool, enabled in children:
        properties: dict[str, object] = {"reg": (offset, length)}
        if is_pool:
            properties["pool"] = True
        if not enabled:
            properties["status"] = "disabled"
        DeviceNode(f"part@{offset:x}", parent=sram, properties=properties)
    [device] = probe_sram(root)
    assert device.probe_error is None
    # The model: which byte of the SRAM goes where, worked out byte by byte.
    owner: dict[int, str | None] = dict.fromkeys(range(start, start + size))
    for offset, length, is_pool, enabled in children:
        for address in range(start + offset, start + offset + length):
            owner[address] = f"part@{offset:x}" if is_pool and enabled else "reserved" if enabled else None
    for pool in device.pools:
        for chunk in pool.chunks:
            assert chunk.phys_addr == chunk.start_addr
            for address in range(chunk.start_addr, chunk.end_addr + 1):
                assert owner.pop(address) == pool.name
    assert set(owner.values()) <= {"reserved"}


def test_a_label_is_read_as_the_kernel_reads_a_string(tmp_path: Path) -> None:
    # of_property_read_string takes the first of several strings, in sram.c and of_gen_pool_get alike.
    root = load(
        write_dts(
            tmp_path,
            '\tsram@0 { compatible = "mmio-sram"; reg = <0 0x1000>; #address-cells = <1>; #size-cells = <1>;\n'
            '\t\tranges = <0 0 0x1000>; fw: fw@0 { reg = <0 0x100>; pool; label = "first", "second"; };\n\t};\n'
            "\tuser { sram = <&fw>; };\n",
        )
    )
    [device] = probe_sram(root)
    assert [pool.name for pool in device.pools] == [None, "first"]
    assert K.of_gen_pool_get(root.find("/user"), "sram", 0) is device.get_pool("first")


def test_of_gen_pool_get_falls_back_to_the_full_name_when_the_label_is_no_string() -> None:
    root = DeviceNode("")
    sram = DeviceNode("sram@0", parent=root)
    part = DeviceNode("part@0", parent=sram, properties={"label": b"\x01\x02"})
    sram.device = SramDevice("0.sram", sram, "mmio-sram")
    pool = sram.device.create_pool(5, -1, "part@0")
    user = DeviceNode("user", parent=root, properties={"sram": [part]})
    assert K.of_gen_pool_get(user, "sram", 0) is pool
    with pytest.raises(DeviceTreeError, match="not NUL-terminated") as info:
        part.read_string("label")
    assert info.value.errno == errno.EILSEQ
    assert part.read_string("missing") is None


def test_errors_come_in_the_kernels_order(tmp_path: Path) -> None:
    # sram.c reads each child's label in the same pass that checks its range, in source order.
    children = "\t\ta@0 { reg = <0 0x100>; pool; label; };\n\t\tb@7000 { reg = <0x7000 0x2000>; };"
    bad, _ = probe_children(tmp_path, children)
    assert "/sram@10000/a@0 has invalid label name" in failed(bad)
    bad, _ = probe_children(tmp_path, "\n".join(reversed(children.split("\n"))))
    assert "reserved block /sram@10000/b@7000 outside the sram area" in failed(bad)
