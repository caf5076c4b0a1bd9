"""A labelled form field whose error line sits right under it."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static

from .toggles import FOCUS_MARK


class FieldError(Static):
    """The rule a field breaks, shown under it; ``path`` is the answers path it reports on.
    Plain text (no markup): messages quote what was typed, brackets and all."""

    def __init__(self, path: str, **kwargs) -> None:
        super().__init__("", classes="field-error", markup=False, **kwargs)
        self.path = path
        self.display = False

    def show(self, messages: list[str]) -> None:
        self.update("\n".join(f"✗ {m}" for m in messages))
        self.display = bool(messages)


class Field(Vertical):
    """Label, the input widget, an optional hint and the error line for ``path``.

    While the field has the keyboard focus its label starts with ``▸``: where typing goes
    shows without colour (NO_COLOR, a monochrome terminal, a screen capture)."""

    DEFAULT_CSS = "Field { height: auto; }"

    def __init__(self, label: str, widget: Widget, path: str, hint: str = "", **kwargs) -> None:
        super().__init__(classes="field", **kwargs)
        self.label = label
        self.widget = widget
        self.path = path
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label", markup=False)
        yield self.widget
        if self.hint:
            yield Static(self.hint, classes="field-hint", markup=False)
        yield FieldError(self.path)

    def _mark(self, focused: bool) -> None:
        self.query_one(".field-label", Label).update(f"{FOCUS_MARK} {self.label}" if focused else self.label)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark(True)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark(False)
