"""A labelled form field whose error line sits right under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


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
    """Label, the input widget, an optional hint and the error line for ``path``."""

    DEFAULT_CSS = "Field { height: auto; }"

    def __init__(self, label: str, widget: Widget, path: str, hint: str = "", **kwargs) -> None:
        super().__init__(classes="field", **kwargs)
        self.label = label
        self.widget = widget
        self.path = path
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.widget
        if self.hint:
            yield Static(self.hint, classes="field-hint")
        yield FieldError(self.path)
