"""Shared by the device-tree tests: where the test trees are, and writing small ones."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TREES = Path(__file__).parent / "devicetree"
INCLUDE = TREES / "include"
BOARDS = ("imx-ocram", "reserved-pool", "sunxi-sram", "rockchip-pool", "board")


def write_dts(directory: Path, body: str, name: str = "test.dts") -> Path:
    """A DTS file holding ``body`` after the version tag, with one address and size cell at the root."""
    path = directory / name
    path.write_text("/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n" + body + "};\n")
    return path


def compile_dtb(source: Path, directory: Path) -> Path:
    """``source`` built to a DTB as the kernel builds one: cpp, then dtc (skips when dtc is missing)."""
    dtc = shutil.which("dtc")
    if dtc is None:
        pytest.skip("dtc is not installed (Debian: device-tree-compiler)")
    preprocessed = directory / (source.stem + ".dts.tmp")
    subprocess.run(
        ["cpp", "-nostdinc", "-undef", "-D__DTS__", "-x", "assembler-with-cpp", f"-I{INCLUDE}", "-P"]
        + ["-o", str(preprocessed), str(source)],
        check=True,
    )
    blob = directory / (source.stem + ".dtb")
    subprocess.run(
        [dtc, "-q", "-i", str(source.parent), "-I", "dts", "-O", "dtb", "-o", str(blob), str(preprocessed)], check=True
    )
    return blob
