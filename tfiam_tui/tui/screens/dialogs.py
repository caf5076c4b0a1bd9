"""Modal dialogs: a yes/no confirmation (Cancel is the default), a confirmation by typing a
name (for plans that delete or replace), and a save-as path."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..widgets.button import Button
from ..widgets.input import Input


class ConfirmScreen(ModalScreen[bool]):
    """Ask once; Cancel has the focus, so Enter alone never confirms."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str = "", *, confirm: str = "Confirm", cancel: str = "Cancel",
                 danger: bool = False) -> None:
        super().__init__()
        self.title_text, self.body, self.confirm_label, self.cancel_label = title, body, confirm, cancel
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            if self.body:
                yield Static(self.body, id="dialog-body", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(self.cancel_label, id="cancel", variant="primary")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "default")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)


class TypeToConfirmScreen(ModalScreen[bool]):
    """A dangerous change is confirmed by typing ``expected`` (the user name): no key
    pressed out of habit applies it.  Confirm stays disabled until the name matches."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str, *, expected: str, confirm: str = "Apply") -> None:
        super().__init__()
        self.title_text, self.body, self.expected, self.confirm_label = title, body, expected, confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.body, id="dialog-body", markup=False)
            yield Label(f"To apply it anyway, type {self.expected}:")
            yield Input("", id="type-to-confirm")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#type-to-confirm", Input).focus()

    def _matches(self) -> bool:
        return self.query_one("#type-to-confirm", Input).value.strip() == self.expected

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not self._matches()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._matches():
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm" and self._matches())

    def action_cancel(self) -> None:
        self.dismiss(False)


class SavePathScreen(ModalScreen[Path | None]):
    """Where to save the answers file."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Save the answers file (it holds no secrets)", id="dialog-title")
            yield Input(str(self.default), id="save-path")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        value = self.query_one("#save-path", Input).value.strip()
        self.dismiss(Path(value).expanduser() if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TooSmallScreen(ModalScreen[None]):
    """Shown over the wizard while the terminal is smaller than the wizard's 80x24: the
    step underneath keeps its answers and comes back when the window grows.  Keys typed
    here are dropped (typing into a form nobody can see helps nobody); ctrl+q quits."""

    MIN_WIDTH, MIN_HEIGHT = 80, 24

    def compose(self) -> ComposeResult:
        yield Static("", id="too-small", markup=False)

    def on_mount(self) -> None:
        self.describe()

    def describe(self) -> None:
        width, height = self.app.size
        for notice in self.query("#too-small").results(Static):  # none until it has mounted
            notice.update(
                f"This terminal is {width}x{height}; the wizard needs at least "
                f"{self.MIN_WIDTH}x{self.MIN_HEIGHT}.\n\n"
                "Make the window bigger: the wizard comes back where you were, answers kept.\n\n"
                "Or quit (ctrl+q) and run `tfiam ask`: the same questions, one a line, at any size."
            )

    @classmethod
    def fits(cls, width: int, height: int) -> bool:
        return width >= cls.MIN_WIDTH and height >= cls.MIN_HEIGHT
