"""The wizard's App: holds the form and the session, switches step screens, saves.

Thin on purpose: every step lives in ``screens/<step>.py``; everything that runs
terraform or gpg lives in the engine and is reached through workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .form import STEP_KEYS, STEPS, Form
from .screens import step_screen
from .screens.dialogs import ConfirmScreen, SavePathScreen
from .session import Session


class WizardApp(App):
    """``tfiam wizard``.  ``form`` holds the answers; ``session`` the run-time options."""

    TITLE = "tfiam"
    CSS_PATH = "styles/wizard.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save", tooltip="Save the answers file (no secrets in it)"),
        Binding("ctrl+q", "quit_wizard", "Quit", id="quit", priority=True),
    ]

    def __init__(self, form: Form, session: Session, *, start: str = "provider") -> None:
        super().__init__()
        self.form = form
        self.session = session
        self.start_step = start
        self.current = start
        self.visited: set[str] = set()
        self.finished_run = False

    def on_mount(self) -> None:
        if self.session.sandbox:
            self.start_sandbox()
        self.push_screen(step_screen(self.start_step))
        self.visited.add(self.start_step)
        self.kick_preinit()

    def on_unmount(self) -> None:
        self.session.close()

    # ---- steps

    def done_steps(self) -> set[str]:
        """Steps visited and without problems."""
        seen = set(STEP_KEYS[:6]) if self.form.path is not None else self.visited  # a loaded file answered them
        done = {key for key in seen if key not in ("run", "result") and not self.form.step_problems(key)}
        if self.finished_run:
            done.add("run")
        return done

    def goto(self, step: str) -> None:
        self.current = step
        self.visited.add(step)
        self.switch_screen(step_screen(step))

    def go_next(self, step: str) -> None:
        if step in ("provider", "user"):
            self.kick_preinit()
        index = STEP_KEYS.index(step)
        if index + 1 < len(STEP_KEYS):
            self.goto(STEP_KEYS[index + 1])

    def go_back(self, step: str) -> None:
        index = STEP_KEYS.index(step)
        if index > 0 and step not in ("result",):
            self.goto(STEP_KEYS[index - 1])

    def jump(self, step: str) -> None:
        """Go to ``step`` if every step before it is complete (else to the first that is not)."""
        for key in STEP_KEYS[: STEP_KEYS.index(step)]:
            if key in ("run", "result"):
                break
            if self.form.step_problems(key):
                self.notify(f"Finish '{dict((k, t) for k, t, _ in STEPS)[key]}' first.", severity="warning")
                self.goto(key)
                return
        self.goto(step)

    def findings_text(self, prefixes: tuple[str, ...]) -> str:
        """The linter's findings for fields under ``prefixes``, one line each, most severe first."""
        from .findings import findings_for

        found = findings_for(self.form, prefixes)
        if found is None:
            return "Findings appear when the answers on the earlier steps are complete."
        if not found:
            return "✓ No findings."
        return "\n".join(found)

    # ---- background work

    @work(thread=True, group="sandbox", exit_on_error=False)
    def start_sandbox(self) -> None:
        try:
            self.session.sandbox_endpoint()
        except Exception as exc:  # the run screen retries and shows the error
            self.call_from_thread(self.notify, f"The sandbox did not start: {exc}", severity="error")

    def kick_preinit(self) -> None:
        """terraform init in the background once the provider step is complete."""
        if self.form.step_problems("provider"):
            return
        self._preinit(dict(self.form.data), self.form.workspace_dir(self.session.workspace_override))

    @work(thread=True, group="preinit", exit_on_error=False)
    def _preinit(self, data: dict, workspace_dir: Path | None) -> None:
        self.session.preinit(data, workspace_dir)

    # ---- saving and quitting

    def action_save(self) -> None:
        if self.form.path is None:
            name = self.form.get("user.name") or "tfiam"
            self.push_screen(SavePathScreen(Path.cwd() / f"{name}.answers.yaml"), self._save_to)
        else:
            self._save_to(self.form.path)

    def _save_to(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            target, problems = self.form.save(path)
        except OSError as exc:
            self.notify(f"Could not save {path}: {exc.strerror or exc}", severity="error")
            return
        if problems:
            self.notify(f"Saved {target} (incomplete: {len(problems)} problem(s) left).", severity="warning")
        else:
            self.notify(f"Saved {target}.")

    def action_quit_wizard(self) -> None:
        if self.form.dirty:
            self.push_screen(
                ConfirmScreen("Quit without saving?", "Your answers have changed since they were last saved.",
                              confirm="Quit", cancel="Keep editing"),
                lambda yes: self.exit() if yes else None,
            )
        else:
            self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Save answers", "Save the answers file (ctrl+s)", self.action_save)
        for n, (key, title, _p) in enumerate(STEPS, 1):
            if key not in ("run", "result"):
                yield SystemCommand(f"Go to step {n}: {title}", f"Jump to the {title} step", lambda k=key: self.jump(k))
        yield SystemCommand("Quit tfiam", "Quit (asks first when answers are unsaved)", self.action_quit_wizard)

    # ---- secrets never reach a traceback

    def _fatal_error(self) -> None:
        """Textual's crash report shows local variables; ours never does (a local could hold
        a decrypted secret)."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()


def create_app(
    *,
    answers_path: str | None = None,
    workspace: str | None = None,
    sandbox: bool = False,
    plugin_dir: str | None = None,
    terraform_bin: str = "terraform",
    session: Session | None = None,
) -> WizardApp:
    """The wizard, for the CLI and for tests.  Raises AnswersError for unreadable answers files."""
    form = Form.from_file(Path(answers_path)) if answers_path else Form()
    session = session or Session(
        workspace=workspace, sandbox=sandbox, plugin_dir=plugin_dir, terraform_bin=terraform_bin
    )
    return WizardApp(form, session)
