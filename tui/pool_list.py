"""The list of pools the TUI knows, with how full each is."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

__all__ = ["PoolList"]


class PoolList(OptionList):
    """One line per pool: its name and used percentage; the highlighted one is drawn."""

    def show(self, rows: list[tuple[str, float]], selected: int | None) -> None:
        """Show ``(label, used fraction)`` rows, highlighting row ``selected``."""
        prompts = [self._prompt(label, used) for label, used in rows]
        if prompts == getattr(self, "_shown", None):
            if selected is not None and self.highlighted != selected:
                self.highlighted = selected
            return
        self._shown = prompts
        if self.option_count == len(prompts):
            for index, prompt in enumerate(prompts):
                self.replace_option_prompt_at_index(index, prompt)
        else:
            self.clear_options()
            self.add_options([Option(prompt, id=f"pool-{index}") for index, prompt in enumerate(prompts)])
        if selected is not None and self.highlighted != selected:
            self.highlighted = selected

    @staticmethod
    def _prompt(label: str, used: float) -> Text:
        shown = label if len(label) <= 16 else label[:15] + "…"
        text = Text(f"{shown:<16}", no_wrap=True)
        text.append(f"{used * 100:4.0f}%", style="dim")
        return text
