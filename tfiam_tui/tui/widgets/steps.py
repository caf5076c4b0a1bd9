"""The step list on the left: where you are and what is done."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..form import STEPS


class StepList(Static):
    """Renders the steps with ✓ done, » current, · to do (▸ is the focus mark)."""

    def __init__(self, current: str, done: set[str], **kwargs) -> None:
        super().__init__(self._render_steps(current, done), **kwargs)

    @staticmethod
    def _render_steps(current: str, done: set[str]) -> Text:
        text = Text()
        for n, (key, title, _prefixes) in enumerate(STEPS, 1):
            mark = "»" if key == current else ("✓" if key in done else "·")
            style = "bold reverse" if key == current else ("green" if key in done else "dim")
            text.append(f" {mark} {n} {title} \n", style=style)
        return text
