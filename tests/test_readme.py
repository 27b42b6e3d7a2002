"""The Python examples in README.md and docs/ run, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


README_BLOCKS = python_blocks(ROOT / "README.md")


def test_readme_has_examples() -> None:
    assert len(README_BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(README_BLOCKS)))
def test_readme_example_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(README_BLOCKS[index], f"README.md example {index + 1}", "exec"), {"__name__": "readme_example"})


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- test-command -->\n```sh\n(.*?)\n```", readme).group(1)  # type: ignore[union-attr]
    assert "pytest" in command and "genpool-extras" in command
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text()
