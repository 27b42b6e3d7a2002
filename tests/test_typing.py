"""``mypy --strict`` passes on the whole package: the core, the plugins and the TUI.

The repository lays the package out as ``core/`` (``genpool``),
``plugins/`` (``genpool.plugins``) and ``tui/`` (``genpool.tui``), which
mypy cannot map by itself, so the test checks a tree of links laid out as
the package installs: what a user of the wheel's ``py.typed`` sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def installed_layout(folder: Path) -> Path:
    """``folder/genpool`` as installed, made of links to the sources."""
    package = folder / "genpool"
    package.mkdir()
    for source in (ROOT / "core").iterdir():
        if source.suffix == ".py" or source.name == "py.typed":
            (package / source.name).symlink_to(source)
    (package / "plugins").symlink_to(ROOT / "plugins", target_is_directory=True)
    (package / "tui").symlink_to(ROOT / "tui", target_is_directory=True)
    return package


def test_the_package_is_marked_typed() -> None:
    assert (ROOT / "core" / "py.typed").is_file()


def test_mypy_strict_passes(tmp_path: Path) -> None:
    installed_layout(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "genpool",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    # Errors name the installed paths; say where they are in the repository.
    report = result.stdout.replace("genpool/plugins/", "plugins/").replace("genpool/tui/", "tui/")
    report = report.replace("genpool/", "core/")
    assert result.returncode == 0, report
    assert "Success: no issues found" in result.stdout
