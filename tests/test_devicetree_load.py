"""genpool.devicetree.load: DTS sources through the preprocessor and dtlib, DTBs through fdt, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from dt_helpers import BOARDS, INCLUDE, TREES, compile_dtb, write_dts
from genpool.devicetree import DeviceNode, DeviceTreeError, load
from genpool.dtsource import decode_value


def board() -> DeviceNode:
    return load(TREES / "board.dts", include_dirs=[INCLUDE])


def test_the_board_goes_through_the_preprocessor_and_its_includes() -> None:
    root = board()
    sram = root.find("/soc/sram@20000000")
    assert sram is not None
    # GENPOOL_SRAM_BASE and GENPOOL_SRAM_SIZE come from the dt-bindings header.
    assert sram.properties["reg"] == (0x20000000, 0x10000)
    assert sram.properties["ranges"] == (0, 0x20000000, 0x10000)
    # /include/ (dtc's own, no preprocessor) brought /chosen.
    assert root.find("/chosen").properties == {"stdout-path": "serial0:115200n8"}
    assert root.properties["model"] == "genpool test board"
    assert root.properties["compatible"] == ("genpool,board", "genpool,soc")


def test_labels_overrides_and_deletions_are_resolved() -> None:
    root = board()
    dsp = root.find("/soc/dsp@40000000")
    assert dsp.properties["status"] == "okay"  # &dsp { status = "okay"; }
    firmware = root.find("/soc/sram@20000000/firmware-sram@4000")
    assert firmware.properties["label"] == "dsp-firmware"  # &fw_sram overrides the SoC's label
    assert dsp.properties["sram"] == [firmware]  # a phandle list is a list of nodes
    assert firmware.phandle == firmware.properties["phandle"][0]
    assert root.find("/soc/sram@20000000/scratch-sram@8000") is None  # /delete-node/ &scratch_sram
    assert "clocks" not in root.find("/soc/sram@20000000").properties  # /delete-property/ clocks
    assert root.find("/soc/dsp@40000000").properties["clocks"] == (
        root.find("/soc/clock-controller@10000000").phandle,
        13,
    )


def test_find_follows_paths_and_aliases() -> None:
    root = board()
    sram = root.find("/soc/sram@20000000")
    assert root.find("/") is root
    assert root.find("sram0") is sram  # /aliases/sram0 = &ocram
    assert root.find("sram0/boot-sram@0") is sram.children[0]
    assert sram.find("/soc") is sram.parent  # absolute paths start at the root of any node's tree
    assert root.find("/soc/sram") is None  # components are full names, unit address included
    assert root.find("no-such-alias") is None
    assert sram.path == "/soc/sram@20000000" and sram.full_name == "sram@20000000"
    with pytest.raises(DeviceTreeError, match="path"):
        root.find("")


@pytest.mark.parametrize("name", BOARDS)
def test_a_dtb_gives_the_same_tree_as_its_source(name: str, tmp_path: Path) -> None:
    source = load(TREES / f"{name}.dts", include_dirs=[INCLUDE])
    blob = load(compile_dtb(TREES / f"{name}.dts", tmp_path))

    def flattened(root: DeviceNode) -> dict[str, dict[str, bytes]]:
        return {node.path: {key: node.raw(key) for key in node.properties} for node in root.walk()}

    assert flattened(blob) == flattened(source)
    # Only the source says which cells are phandles; the DTB's are cells the lookup resolves.
    for node in source.walk():
        for key, value in node.properties.items():
            if isinstance(value, list):
                twin = blob.find(node.path)
                assert [twin.parse_phandle(key, i).path for i in range(len(value))] == [t.path for t in value]


def test_decoding_flattened_values() -> None:
    assert decode_value(b"") is True
    assert decode_value(b"okay\0") == "okay"
    assert decode_value(b"a,b\0mmio-sram\0") == ("a,b", "mmio-sram")
    assert decode_value(b"\0\0\0\x01\0\0\x10\0") == (1, 0x1000)
    assert decode_value(b"\x01\x02\x03") == b"\x01\x02\x03"


def test_parse_phandle_on_cells_and_nodes(tmp_path: Path) -> None:
    root = load(
        write_dts(
            tmp_path,
            "\ta: a { };\n\tb: b { x = <1>; };\n\tuser { one = <&a>; two = <&a &b>; mixed = <&b 7>; zero = <0>; };\n",
        )
    )
    user, a, b = root.find("/user"), root.find("/a"), root.find("/b")
    assert user.parse_phandle("one", 0) is a and user.parse_phandle("one", 1) is None
    assert user.parse_phandle("two", 1) is b
    assert user.properties["mixed"] == (b.phandle, 7)  # cells mixed with numbers stay cells
    assert user.parse_phandle("mixed", 0) is b
    assert user.parse_phandle("mixed", 1) is None  # no node has phandle 7
    assert user.parse_phandle("zero", 0) is None  # phandle 0 is the empty entry
    assert user.parse_phandle("missing", 0) is None


# -- bad input ------------------------------------------------------------------


def error_of(path: Path, include_dirs: tuple[Path, ...] = ()) -> str:
    with pytest.raises(DeviceTreeError) as info:
        load(path, include_dirs=include_dirs)
    return str(info.value)


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_dts(tmp_path, "\tsram@0 {\n\t\treg = <0 0x1000;\n\t};\n")
    assert error_of(path).startswith(f"{path}:6 (column 18): parse error")


def test_a_syntax_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "soc.dtsi").write_text("/ {\n\tbroken = <1 2;\n};\n")
    path = tmp_path / "board.dts"
    path.write_text('/dts-v1/;\n#include "soc.dtsi"\n/ { };\n')
    assert error_of(path).startswith(f"{tmp_path / 'soc.dtsi'}:2 ")


def test_a_missing_include_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "board.dts"
    path.write_text('/dts-v1/;\n#include "no-such.dtsi"\n/ { };\n')
    assert error_of(path) == f"{path}:2: no-such.dtsi: No such file or directory"
    path.write_text("/dts-v1/;\n#include <dt-bindings/clock/no-such.h>\n/ { };\n")
    assert "dt-bindings/clock/no-such.h" in error_of(path, (INCLUDE,))
    path.write_text("/dts-v1/;\n#include <dt-bindings/clock/genpool-board.h>\n/ { };\n")
    assert "include_dirs" in error_of(path)  # no include directory given: say how to give one
    path.write_text('/dts-v1/;\n/include/ "no-such.dtsi"\n/ { };\n')
    assert error_of(path) == f"{path}:2 (column 1): parse error: 'no-such.dtsi' could not be found"


def test_an_unresolved_label_or_path_is_named(tmp_path: Path) -> None:
    path = write_dts(tmp_path, "\tuser { sram = <&no_such_sram>; };\n")
    assert "undefined node label 'no_such_sram'" in error_of(path)
    path = write_dts(tmp_path, "\tuser { sram = <&{/no/such/node}>; };\n")
    assert "/no/such/node" in error_of(path)
    path.write_text('/dts-v1/;\n/ { };\n&no_such_node { status = "okay"; };\n')
    assert "no_such_node" in error_of(path)


def test_an_unresolved_phandle_in_a_dtb_resolves_to_nothing(tmp_path: Path) -> None:
    source = write_dts(tmp_path, "\tuser { sram = <0x42>; };\n")
    root = load(compile_dtb(source, tmp_path))
    assert root.find("/user").parse_phandle("sram", 0) is None


def test_files_that_are_not_device_trees(tmp_path: Path) -> None:
    assert "cannot read" in error_of(tmp_path / "missing.dts")
    assert "cannot read" in error_of(tmp_path)
    garbage = tmp_path / "garbage.dtb"
    garbage.write_bytes(b"\xd0\x0d\xfe\xed" + b"\x00" * 12)
    assert "not a valid DTB" in error_of(garbage)
    binary = tmp_path / "binary.dts"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 8)
    assert str(binary) in error_of(binary)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    path = write_dts(tmp_path, "")
    with pytest.raises(DeviceTreeError, match="path must be a file path"):
        load(42)  # type: ignore[arg-type]
    with pytest.raises(DeviceTreeError, match="include_dirs must be a sequence"):
        load(path, include_dirs=str(INCLUDE))  # type: ignore[arg-type]
    with pytest.raises(DeviceTreeError, match="is not a directory"):
        load(path, include_dirs=[tmp_path / "nowhere"])
