"""The wizard's first choice (create a user, or manage one tfiam made) and the Manage screen.

Managing shows what ``tfiam status`` shows and the rotation steps open now, read in a
worker (AWS calls).  A step runs as ``tfiam rotate`` itself: the wizard steps aside
(``App.suspend``) and the command runs on the plain terminal with its own plan, questions,
live output and verification, then the wizard comes back with the status re-read.  The
front that starts the wizard hands in the :class:`~tfiam_tui.tui.manage.Manages` object that does both, so this
package reaches neither the command line nor terraform.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...engine.exitcodes import Exit
from ..widgets.button import Button
from ..widgets.input import Input


def _topbar(app: Any, title: str) -> ComposeResult:
    with Horizontal(id="topbar"):
        yield Static(f"tfiam · {title}", id="title")
        if app.session.sandbox:
            yield Static(" SANDBOX · nothing touches a real AWS account ", id="sandbox-marker")


class WelcomeScreen(Screen):
    """What the operator came for: a new user, or one tfiam already manages."""

    SAVES = False  # no answers to save here (WizardApp.check_action)

    def compose(self) -> ComposeResult:
        yield from _topbar(self.app, "Start")
        with VerticalScroll(id="form"):
            yield Static("What do you want to do?", classes="field-label")
            yield Button("Create a new IAM user", id="create", variant="primary", compact=True)
            yield Static("The steps: provider, user, permissions, authentication, state, review, run.",
                         classes="field-hint")
            yield Button("Manage a user tfiam made", id="manage", compact=True)
            yield Static("Its status (keys, password, MFA, drift, expiry) and access key rotation, "
                         "from its answers file.", classes="field-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#create", Button).focus()
        self.call_after_refresh(self.app.step_ready, self)  # type: ignore[attr-defined]  # keys typed ahead, here now

    def enter_moves_on(self, widget: Any) -> bool:
        return isinstance(widget, Button)  # both choices open another screen

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        wizard: Any = self.app  # the WizardApp (not imported: it imports this package)
        if event.button.id == "create":
            wizard.goto("provider")
        elif event.button.id == "manage":
            wizard.open_screen(ManageScreen())


class ManageScreen(Screen):
    SAVES = False
    BINDINGS = [Binding("escape", "back", "Back", tooltip="Back to the first choice")]

    def __init__(self) -> None:
        super().__init__()
        self.path: str | None = None
        self.choices: list[Any] = []

    @property
    def wizard(self) -> Any:
        """The WizardApp, with its ``manager`` (not imported: it imports this package)."""
        return self.app

    def compose(self) -> ComposeResult:
        yield from _topbar(self.wizard, "Manage a user")
        with VerticalScroll(id="form"):
            yield Static("Answers file of the user (Enter shows its status)", classes="field-label")
            yield Input(value=str(self.wizard.form.path or ""), id="manage-path", placeholder="e.g. ci-bot.yaml",
                        compact=True)
            yield Static("", id="manage-error", classes="field-error", markup=False)
            yield Static("", id="manage-status", markup=False)
        yield Horizontal(id="manage-actions")  # outside the scroll: the steps stay in sight at 80x24
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", compact=True)
            yield Static("", classes="spacer")
            yield Button("Show status", id="show", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#manage-error").display = False
        self.query_one("#manage-path", Input).focus()
        self.call_after_refresh(self.wizard.step_ready, self)  # keys typed ahead, here now

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button == "back":
            self.action_back()
        elif button == "show":
            self.show()
        elif button.startswith("step-"):
            self.run_choice(self.choices[int(button.removeprefix("step-"))])

    def action_back(self) -> None:
        self.wizard.open_screen(WelcomeScreen())

    def _error(self, text: str) -> None:
        box = self.query_one("#manage-error", Static)
        box.update(f"✗ {text}" if text else "")
        box.display = bool(text)

    def show(self) -> None:
        path = self.query_one("#manage-path", Input).value.strip()
        problem = self.wizard.manager.problem(path) if path else "give the answers file the user was made from"
        self._error(problem or "")
        if problem:
            return
        self.path = path
        self.query_one("#manage-status", Static).update(f"Reading the status of the user in {path} ...")
        self._actions([])
        self._read(path, self.query_one("#manage-status", Static).content_size.width or 76)

    @work(thread=True, group="manage", exclusive=True, exit_on_error=False)
    def _read(self, path: str, width: int) -> None:
        try:
            found = self.wizard.manager.overview(path, width)
        except Exception as exc:  # AWS, the state, the sandbox: shown, never a crash
            self.app.call_from_thread(self._error, str(exc))
            self.app.call_from_thread(self.query_one("#manage-status", Static).update, "")
            return
        self.app.call_from_thread(self._shown, found)

    def _shown(self, found: Any) -> None:
        self.query_one("#manage-status", Static).update("\n".join(found.lines()))
        self._actions(found.choices)

    def _actions(self, choices: list[Any]) -> None:
        self.choices = list(choices)
        row = self.query_one("#manage-actions", Horizontal)
        row.remove_children()
        row.mount_all([Button(c.label, id=f"step-{i}", compact=True, variant="warning" if c.flags else "primary")
                       for i, c in enumerate(self.choices)])
        if self.choices:
            self.call_after_refresh(lambda: row.children[0].focus() if row.children else None)

    def run_choice(self, choice: Any) -> None:
        """The step as ``tfiam rotate`` runs it, on the plain terminal; then the status again."""
        assert self.path is not None
        with self.app.suspend():
            print(f"\ntfiam: {choice.label}: {choice.doing}.", flush=True)
            code = self._step_on_the_terminal(self.path, choice.flags)
            print(f"\ntfiam rotate: {_ENDED.get(code, f'ended with exit code {code} (see above)')}. "
                  "Press Enter to return to the wizard.", flush=True)
            with contextlib.suppress(EOFError, KeyboardInterrupt):
                input()
        self.show()

    def _step_on_the_terminal(self, path: str, flags: tuple[str, ...]) -> int:
        """The step's own questions are prompt_toolkit prompts, which start an event loop of
        their own: not on this thread, whose loop (Textual's) is only paused.  Ctrl-C reaches
        terraform from the terminal as well, so here it only waits for the step to stop."""
        result: list[int] = []
        runner = threading.Thread(target=lambda: result.append(self.wizard.manager.run_step(path, flags)),
                                  name="tfiam-rotate-step", daemon=True)
        runner.start()
        while runner.is_alive():
            try:
                runner.join()
            except KeyboardInterrupt:
                print("\ntfiam: stopping the step; terraform saves its state first ...", flush=True)
        return result[0] if result else int(Exit.ERROR)


_ENDED: dict[int, str] = {
    Exit.OK: "the step is applied and verified",
    Exit.REFUSED: "nothing was applied (refused or not confirmed; the reason is above)",
    Exit.VERIFY_FAILED: "applied, but a check against AWS failed (see [FAIL] above)",
    Exit.INTERRUPTED: "interrupted; the same step again finishes what it left",
}
