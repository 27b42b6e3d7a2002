"""Accessibility of every shipped theme: contrast of free marks and of the cursor (WCAG 2 formula)."""

from __future__ import annotations

import pytest
from genpool.tui.owners import OWNER_SLOTS
from genpool.tui.themes import load_themes
from textual.color import Color

THEMES = {theme.name: theme for theme in load_themes()[0]}


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    parsed = Color.parse(colour)

    def channel(value: int) -> float:
        value_01 = value / 255
        return value_01 / 12.92 if value_01 <= 0.03928 else ((value_01 + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(parsed.r) + 0.7152 * channel(parsed.g) + 0.0722 * channel(parsed.b)


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_matches_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffff00", "#ffff00") == 1.0


def test_every_shipped_theme_is_checked() -> None:
    assert {"genpool-dark", "genpool-light", "genpool-high-contrast", "genpool-colorblind"} <= set(THEMES)


@pytest.mark.parametrize("name", sorted(THEMES))
def test_free_marks_reach_three_to_one_against_the_background(name: str) -> None:
    theme = THEMES[name]
    assert theme.background is not None
    assert contrast(theme.variables["genpool-free"], theme.background) >= 3.0


@pytest.mark.parametrize("name", sorted(THEMES))
def test_the_cursor_is_distinct_from_every_owner_colour(name: str) -> None:
    variables = THEMES[name].variables
    cursor = variables["genpool-selection"]
    # A high-contrast theme keeps 3:1 from every owner; every theme keeps at least 1.5:1.
    least = 3.0 if "high-contrast" in name else 1.5
    for slot in range(OWNER_SLOTS):
        owner = variables[f"genpool-owner-{slot}"]
        assert cursor.lower() != owner.lower(), f"cursor equals owner colour {slot}"
        assert contrast(cursor, owner) >= least, f"cursor vs owner colour {slot}: {contrast(cursor, owner):.2f}"


@pytest.mark.parametrize("name", sorted(THEMES))
def test_the_cursor_text_reads_on_the_cursor_and_the_cursor_on_the_background(name: str) -> None:
    theme = THEMES[name]
    variables = theme.variables
    cursor = variables["genpool-selection"]
    assert contrast(variables["genpool-selection-text"], cursor) >= 4.5
    assert theme.background is not None
    assert contrast(cursor, theme.background) >= 3.0
