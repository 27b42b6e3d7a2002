"""Themes from TOML files, and the settings file that remembers the chosen one.

A theme file holds the fields of :class:`textual.theme.Theme` (``name``,
``primary``, ``background``, ``dark`` ...) and a ``[variables]`` table.
The bitmap's colours are the ``genpool-*`` variables; a theme may leave
any of them out and gets :data:`BITMAP_VARIABLES`.  The shipped themes
are the ``*.toml`` files of the ``genpool.themes`` package; a person adds
their own in the ``themes`` folder of the settings directory.

The settings directory is ``$GENPOOL_CONFIG_DIR`` if set, else the
user's config directory from :mod:`platformdirs`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from importlib import resources
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

__all__ = [
    "BITMAP_VARIABLES",
    "DEFAULT_THEME",
    "ThemeError",
    "config_dir",
    "load_setting",
    "load_theme",
    "load_themes",
    "save_setting",
]

DEFAULT_THEME = "genpool-dark"
CONFIG_ENV = "GENPOOL_CONFIG_DIR"
_SETTINGS = "settings.json"

#: The bitmap's theme variables and the colours a theme that omits them gets.
BITMAP_VARIABLES = {
    "genpool-free": "#5c6370",
    "genpool-used": "#c8ccd4",
    "genpool-boundary": "#000000",
    "genpool-selection": "#ffffff",
    "genpool-selection-text": "#000000",
    "genpool-owner-0": "#61afef",
    "genpool-owner-1": "#e5c07b",
    "genpool-owner-2": "#98c379",
    "genpool-owner-3": "#c678dd",
    "genpool-owner-4": "#56b6c2",
    "genpool-owner-5": "#e06c75",
    "genpool-owner-6": "#d19a66",
    "genpool-owner-7": "#abb2bf",
    "genpool-cell-text": "#000000",
}

_FIELDS = {field.name for field in dataclasses.fields(Theme)} - {"variables"}
#: The theme fields that hold colours (the rest are a name and flags).
_COLOUR_FIELDS = (
    *("primary", "secondary", "warning", "error", "success", "accent"),
    *("foreground", "background", "surface", "panel", "boost"),
)


class ThemeError(ValueError):
    """A theme file that cannot be read."""


def load_theme(text: str, source: str = "<theme>") -> Theme:
    """A :class:`Theme` from the TOML ``text`` of a theme file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{source}: {exc}") from None
    variables = data.pop("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(f"{source}: [variables] must map names to colour strings")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ThemeError(f"{source}: unknown theme field(s) {', '.join(unknown)}")
    if not isinstance(data.get("name"), str) or not isinstance(data.get("primary"), str):
        raise ThemeError(f"{source}: a theme needs a name and a primary colour")
    # Checked here, where the file is named, rather than when the theme is chosen (which crashed the app).
    colours = [(key, data[key]) for key in _COLOUR_FIELDS if data.get(key) is not None]
    colours += [(f"variables.{key}", value) for key, value in variables.items() if key in BITMAP_VARIABLES]
    for key, value in colours:
        try:
            Color.parse(value)
        except (ColorParseError, TypeError, ValueError):
            raise ThemeError(f"{source}: {key} = {value!r} is not a colour") from None
    try:
        return Theme(**data, variables={**BITMAP_VARIABLES, **variables})
    except TypeError as exc:  # pragma: no cover - guarded by the field check
        raise ThemeError(f"{source}: {exc}") from None


def config_dir() -> Path:
    """Where settings and user themes live."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("genpool", appauthor=False))


def load_themes() -> tuple[list[Theme], list[Theme], list[str]]:
    """The shipped themes, the user's, and a message for each user file that failed."""
    shipped: list[Theme] = []
    user: list[Theme] = []
    errors: list[str] = []
    package = resources.files("genpool.themes")
    for entry in sorted(package.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            shipped.append(load_theme(entry.read_text(encoding="utf-8"), entry.name))
    folder = config_dir() / "themes"
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            try:
                user.append(load_theme(path.read_text(encoding="utf-8"), str(path)))
            except (OSError, UnicodeDecodeError, ThemeError) as exc:
                errors.append(str(exc))
    return shipped, user, errors


def load_setting(name: str, default: str | None = None) -> str | None:
    """A remembered setting, or ``default`` (an unreadable file counts as none)."""
    try:
        data = json.loads((config_dir() / _SETTINGS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else default


def save_setting(name: str, value: str) -> None:
    """Remember a setting; a settings directory that cannot be written is ignored."""
    path = config_dir() / _SETTINGS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[name] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass
