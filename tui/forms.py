"""What every form shares: fields, a place for the refusal, OK and Cancel.

A form is a modal screen.  Pressing OK (or Enter in a field) calls
:meth:`FormScreen.apply`, which reads the fields and acts on the pool.
A bad value (``ValueError``, ``genpool.InvalidArgument``), no room
(``genpool.NoSpace``) or a kernel warning is refused in place: the
message shows under the fields and the form stays open.  A
``genpool.PoolBug`` opens the BUG modal over the form.  Either way the
pool is unchanged, because genpool checks before it changes anything.
"""

from __future__ import annotations

import warnings
from typing import Any

import genpool
from genpool.host import get_host
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from .bug_screen import BugScreen
from .values import parse_number

__all__ = ["FormScreen", "algorithm_options", "data_kind", "field", "make_data"]


def field(label: str, widget: Input | Select[Any], *, row_id: str | None = None) -> Horizontal:
    """A labelled row of a form."""
    return Horizontal(Label(label, classes="field-label"), widget, classes="field", id=row_id)


def algorithm_options(default: str | None = None) -> list[tuple[str, str]]:
    """``(prompt, name)`` for every registered algorithm, plugins' included.

    With ``default``, the first option (value ``""``) means "the pool's
    default algorithm", which is ``default``.
    """
    options = [(f"pool default ({default})", "")] if default is not None else []
    for registration in get_host().registrations("algorithm"):
        source = "" if registration.distribution == "genpool" else f" [{registration.distribution}]"
        options.append((f"{registration.name}{source}", registration.name))
    return options


def data_kind(name: str) -> str | None:
    """``"align"``, ``"offset"`` or None: the data field algorithm ``name`` takes."""
    if not name:
        return None
    try:
        algorithm = get_host().algorithm(name)
    except genpool.InvalidArgument:
        return None
    if algorithm.data_type is genpool.AlignData:
        return "align"
    if algorithm.data_type is genpool.FixedData:
        return "offset"
    return None


def make_data(kind: str | None, text: str) -> object:
    """The data object for a data field's text (None when the algorithm takes none)."""
    if kind == "align":
        return genpool.AlignData(parse_number(text, "align", minimum=1))
    if kind == "offset":
        return genpool.FixedData(parse_number(text, "offset"))
    return None


class FormScreen(ModalScreen[object]):
    """A modal form; subclasses give :meth:`fields` and :meth:`apply`."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    #: The form's heading.
    heading = "Form"
    #: The OK button's label.
    submit_label = "OK"

    def compose(self) -> ComposeResult:
        """The heading, the fields, the error line and the buttons."""
        with Vertical(classes="dialog form"):
            yield Label(self.heading, classes="dialog-title")
            yield from self.fields()
            yield Label("", id="form-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def fields(self) -> ComposeResult:
        """The form's fields."""
        yield from ()

    def apply(self) -> object:
        """Read the fields and act; raise to refuse.  The result is what the form dismisses with."""
        raise NotImplementedError

    def on_mount(self) -> None:
        """Focus the first field."""
        inputs = self.query(Input)
        if self.app.is_headless:
            # A blinking cursor would make screenshots of a form depend on timing.
            for widget in inputs:
                widget.cursor_blink = False
        if inputs:
            inputs.first().focus()

    def value(self, selector: str) -> str:
        """The text of the Input matching ``selector``."""
        return self.query_one(selector, Input).value

    def refuse(self, message: str) -> None:
        """Show why the form cannot be accepted; the form stays open."""
        label = self.query_one("#form-error", Label)
        label.update(message)
        label.display = True

    def submit(self) -> None:
        """Apply the form, or refuse it in place."""
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = self.apply()
        except genpool.PoolBug as bug:
            self.refuse(f"BUG: {str(bug).splitlines()[0]}")
            self.app.push_screen(BugScreen(bug))
            return
        except (ValueError, genpool.GenPoolError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            notices = [str(w.message) for w in caught if issubclass(w.category, genpool.KernelWarning)]
            self.refuse(f"WARN: {notices[0]}; {message}" if notices else message)
            return
        self.dismiss(result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field submits the form."""
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Submit or cancel."""
        event.stop()
        if event.button.id == "form-ok":
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape: close the form, changing nothing."""
        self.dismiss(None)
