"""``genpool dt FILE``: --list, --json, the TUI on the pools, and bad input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dt_helpers import INCLUDE, TREES, compile_dtb, write_dts
from genpool.cli import main
from genpool.dtcli import human
from genpool.tui.app import GenpoolApp
from tui_helpers import tui_config  # noqa: F401  (autouse fixture)

BOARD = [str(TREES / "board.dts"), "-I", str(INCLUDE)]


def test_list_shows_devices_pools_chunks_and_consumers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dt", *BOARD, "--list"]) == 0
    out = capsys.readouterr().out
    assert "1 SRAM device(s), 1 disabled SRAM node(s)" in out
    assert "20000000.sram  /soc/sram@20000000  [mmio-sram]  64 KiB at 0x20000000" in out
    assert "pool (unnamed): 47 KiB in 2 chunk(s), 47 KiB free, 32-byte granules" in out
    assert "    0x20000400-0x20003fff  15 KiB  phys 0x20000400" in out
    assert "pool 'dsp-firmware': 16 KiB in 1 chunk(s)" in out
    assert "reserved /soc/sram@20000000/boot-sram@0  0x20000000  1 KiB" in out
    assert "disabled: /soc/sram@30000000 (status 'disabled'" in out
    assert (
        "/soc/dsp@40000000 sram[0] -> /soc/sram@20000000/firmware-sram@4000: pool 'dsp-firmware' of 20000000.sram"
        in out
    )
    assert "/codec@50000000 sram[0] -> /soc/sram@20000000: unnamed pool of 20000000.sram" in out


def test_json_says_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dt", str(TREES / "reserved-pool.dts"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [device] = report["devices"]
    assert device["name"] == "40300000.sram" and device["start"] == 0x40300000 and device["size"] == 0x10000
    assert device["error"] is None
    main_pool, firmware = device["pools"]
    assert main_pool["name"] is None and main_pool["granule"] == 32
    assert [(c["start"], c["end"], c["phys"], c["size"]) for c in main_pool["chunks"]] == [
        (0x40300100, 0x40300FFF, 0x40300100, 0xF00),
        (0x40302000, 0x4030FFFF, 0x40302000, 0xE000),
    ]
    assert firmware["name"] == "pm-firmware" and firmware["avail"] == 0x1000
    assert device["partitions"] == [
        {
            "node": "/soc/sram@40300000/pm-sram@1000",
            "label": "pm-firmware",
            "start": 0x40301000,
            "size": 0x1000,
            "pool": True,
            "export": "40301000.sram",
            "protect_exec": False,
        }
    ]
    assert [(c["node"], c["index"], c["pool"], c["resolves"]) for c in report["consumers"]] == [
        ("/soc/dsp@40400000", 0, "pm-firmware", True),
        ("/soc/crypto@40500000", 0, None, True),
        ("/soc/crypto@40500000", 1, "pm-firmware", True),
    ]


def test_a_dtb_lists_the_same_devices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blob = compile_dtb(TREES / "sunxi-sram.dts", tmp_path)
    assert main(["dt", str(blob), "--json"]) == 0
    from_blob = json.loads(capsys.readouterr().out)
    assert main(["dt", str(TREES / "sunxi-sram.dts"), "--json"]) == 0
    from_source = json.loads(capsys.readouterr().out)
    assert from_blob["devices"] == from_source["devices"]
    assert from_blob["consumers"] == []  # a DTB does not say which cells are phandles


def test_a_disabled_sram_pointed_at_is_listed_with_no_pool(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dt", str(TREES / "rockchip-pool.dts"), "--list"]) == 0
    out = capsys.readouterr().out
    assert "/memory-controller pmu-sram[0] -> /sram@ff3b0000: no pool (no device)" in out
    assert "pool 'ddr-sram@1000': 16 KiB" in out


@pytest.mark.asyncio
async def test_the_tui_opens_on_the_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[GenpoolApp] = []
    monkeypatch.setattr(GenpoolApp, "run", lambda self, *args, **kwargs: opened.append(self))
    assert main(["dt", *BOARD]) == 0
    [app] = opened
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert [entry.label for entry in app.entries] == ["pool1", "dsp-firmware"]
        assert app.current is app.entries[0]
        assert [chunk.start_addr for chunk in app.current.pool.chunks] == [0x20008000, 0x20000400]
        await pilot.press("a")  # the pools are live: allocate from the SRAM through the form
        await pilot.press(*"64", "enter")
        await pilot.pause()
        assert app.current.pool.avail == 47 * 1024 - 64


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("\tfoo = <1;\n", "test.dts:5 (column 10): parse error"),
        ("\tuser { sram = <&nowhere>; };\n", "undefined node label 'nowhere'"),
        ('\tnode { compatible = "other"; };\n', "no SRAM node"),
    ],
    ids=["syntax", "label", "no-sram"],
)
def test_bad_trees_exit_1_with_one_line(tmp_path: Path, body: str, message: str, capsys) -> None:
    path = write_dts(tmp_path, body)
    assert main(["dt", str(path), "--list"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("genpool dt: ") and message in captured.err
    assert captured.err.count("\n") == 1


def test_a_failed_probe_is_listed_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_dts(
        tmp_path,
        '\tsram@0 { compatible = "mmio-sram"; reg = <0 0x1000>; #address-cells = <1>; #size-cells = <1>;\n'
        "\t\tranges = <0 0 0x1000>; big@0 { reg = <0 0x2000>; };\n\t};\n",
    )
    assert main(["dt", str(path), "--list"]) == 1
    captured = capsys.readouterr()
    assert "probe failed: reserved block /sram@0/big@0 outside the sram area (EINVAL)" in captured.out
    assert (
        captured.err
        == "genpool dt: sram 0.sram: probe failed: reserved block /sram@0/big@0 outside the sram area (EINVAL)\n"
    )


def test_command_line_errors_have_no_traceback(tmp_path: Path) -> None:
    for args in (
        ["dt", str(tmp_path / "missing.dts"), "--list"],
        ["dt", "--list"],
        ["dt", "x.dts", "--list", "--json"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "genpool.cli", *args], capture_output=True, text=True, check=False
        )
        assert result.returncode in (1, 2) and "Traceback" not in result.stderr and result.stderr.strip()


def test_human_sizes() -> None:
    assert [human(n) for n in (0, 1023, 1024, 3840 + 1024 * 0, 61184, 1 << 20, 3 << 30)] == [
        "0 B",
        "1023 B",
        "1 KiB",
        "3.75 KiB",
        "59.75 KiB",
        "1 MiB",
        "3 GiB",
    ]
