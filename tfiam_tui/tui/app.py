"""The wizard's App: holds the form and the session, switches step screens, saves.

Thin on purpose: every step lives in ``screens/<step>.py``; everything that runs
terraform or gpg lives in the engine and is reached through workers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from .form import STEP_KEYS, STEPS, Form
from .manage import Manages
from .screens import step_screen
from .screens.dialogs import ConfirmScreen, SavePathScreen, TooSmallScreen
from .session import Session


class WizardApp(App):
    """``tfiam wizard``.  ``form`` holds the answers; ``session`` the run-time options."""

    TITLE = "tfiam"
    CSS_PATH = "styles/wizard.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save", tooltip="Save the answers file (no secrets in it)"),
        Binding("ctrl+q", "quit_wizard", "Quit", id="quit", priority=True),
        # Priority: the focus moves when the App reads Tab, before the next key is handed on.
        # As the Screen's ordinary binding, Tab ran only after bubbling up from the focused
        # field, so text typed straight after it ("platform" Tab "ci") went to the old field.
        Binding("tab", "focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", show=False, priority=True),
    ]

    def __init__(self, form: Form, session: Session, *, start: str = "provider", manager: Manages | None = None) -> None:
        super().__init__()
        self.form = form
        self.session = session
        self.manager = manager  # takes the Manage screen's steps (the CLI hands it in); None: create only
        self.start_step = start
        self.current = start
        self.visited: set[str] = set()
        self.finished_run = False
        self._held_keys: list[events.Key] | None = None  # type-ahead while a step changes
        self._hold_timer: Timer | None = None
        self._hold_started = 0.0
        self._switching = False  # goto() ran; the new step has not mounted yet
        self._deciding = False  # a step checks something slow before it lets the operator on

    def on_mount(self) -> None:
        if self.session.sandbox:
            self.start_sandbox()
        if self.start_step == "welcome" and self.manager is not None:
            from .manage.screens import WelcomeScreen

            self.push_screen(WelcomeScreen())
            self.call_after_refresh(self._fit_to_size)
            return
        self.start_step = self.current = "provider" if self.start_step == "welcome" else self.start_step
        self.push_screen(step_screen(self.start_step))
        self.visited.add(self.start_step)
        self.kick_preinit()
        self.call_after_refresh(self._fit_to_size)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._fit_to_size)

    def _fit_to_size(self) -> None:
        """Below 80x24 a notice covers the wizard (and points to ``tfiam ask``); it goes when
        the window is big enough again."""
        width, height = self.size
        shown = isinstance(self.screen, TooSmallScreen)
        if not TooSmallScreen.fits(width, height):
            if shown:
                self.screen.describe()  # type: ignore[attr-defined]
            elif len(self.screen_stack) > 1:  # the first screen is up
                self.push_screen(TooSmallScreen())
        elif shown:
            self.pop_screen()

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
        self._switching, self._deciding = True, False
        self.hold_keys()  # released once the new step has focused its first field (step_ready)
        self._switch(step_screen(step))

    def _switch(self, screen: Screen) -> None:
        """Replace the step, under the too-small notice if it is up (it goes back on top
        once the step is ready), never replacing a dialog's screen with it."""
        while isinstance(self.screen, TooSmallScreen):
            self.pop_screen()
        self.switch_screen(screen)

    def open_screen(self, screen: Screen) -> None:
        """Switch to a screen that is not a step (the first choice, Manage); keys typed
        meanwhile wait for it, as for a step (it calls :meth:`step_ready` once focused)."""
        self._switching, self._deciding = True, False
        self.hold_keys()
        self._switch(screen)

    def step_ready(self, screen: Screen | None = None) -> None:
        """A step screen has mounted and focused its first field: replay what was typed.
        From a screen already replaced (a burst moved on before it was ready): nothing."""
        if screen is not None and screen is not self.screen:
            return
        self._fit_to_size()
        self._switching = False
        self._release()

    # ---- type-ahead: keys typed while the step changes belong to the next step

    HOLD_LIMIT = 1.0  # seconds a step may take to decide; a step change may take up to SWITCH_LIMIT
    SWITCH_LIMIT = 10.0

    def hold_keys(self) -> None:
        """Keep the keys typed from now on, until :meth:`release_keys`.

        Between Enter (or ctrl+n) and the next step's first field taking the focus, keys
        used to reach the old step: an operator typing the user name straight after the
        region had it appended to the region.  Held keys are replayed, in order, to what
        has the focus on release."""
        if self._held_keys is None:
            self._held_keys = []
            self._hold_started = time.monotonic()
            self._hold_timer = self.set_timer(self.HOLD_LIMIT, self._hold_expired)

    def _hold_expired(self) -> None:
        """The safety net: a step that stayed without saying so.  While a new step is still
        opening (slow on a busy machine) keep holding, up to SWITCH_LIMIT."""
        if (self._switching or self._deciding) and time.monotonic() - self._hold_started < self.SWITCH_LIMIT:
            self._hold_timer = self.set_timer(self.HOLD_LIMIT / 4, self._hold_expired)
            return
        self._switching = self._deciding = False
        self._release()

    def deciding(self) -> None:
        """The step checks something slow before leaving (gpg, in a worker): the held keys
        wait for its verdict, :meth:`stay` or the next step's :meth:`step_ready`."""
        self._deciding = True

    def stay(self) -> None:
        """The step decided to stay: the held keys go on where they were typed."""
        self._deciding = False
        self.release_keys()

    def keep_if_held(self, event: events.Key) -> bool:
        """Hold ``event`` if keys are being held (True: the caller must drop it)."""
        # Stopping terraform never waits.  Quitting waits too: its question, asked while the
        # step is changing, would be replaced with the step (at most SWITCH_LIMIT).
        if self._held_keys is None or event.key == "ctrl+c":
            return False
        self._held_keys.append(event)
        return True

    def release_keys(self) -> None:
        """The step stays (problems, or nothing to go back to): replay what was typed, here.
        While a step change is under way the new step replays them instead (step_ready)."""
        if not (self._switching or self._deciding):
            self._release()

    def _release(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        # Replayed from the App's own queue: keys still on their way are held until then, and
        # the replayed keys are the App's, so Next/Back bubble up to the bindings as typed keys
        # do (posted from a screen's callback, a key stops bubbling at that screen).
        self.call_later(self._replay)

    def _replay(self) -> None:
        held, self._held_keys = self._held_keys, None
        for key in held or ():  # in the order the App read them, which is the order typed
            self.post_message(events.Key(key.key, key.character))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self.keep_if_held(event):
                return  # quitting (ctrl+q) and stopping terraform (ctrl+c) never wait
            if self._moves_on(event.key):
                # Decided here, as the key arrives, not when the focused widget gets round to
                # it: in a burst the keys after Enter are read before the button or field
                # handles the Enter, and Tab (a priority binding) would move the focus first.
                self.hold_keys()
        await super().on_event(event)

    def _moves_on(self, key: str) -> bool:
        """Whether ``key`` leaves the current screen for another one (Next, Back, Enter on
        a field or button that moves on): the keys after it are for the next screen."""
        screen = self.screen
        if key == "enter":
            moves = getattr(screen, "enter_moves_on", None)
            return bool(moves is not None and self.focused is not None and moves(self.focused))
        return any(binding.action in ("next", "back") for binding in screen._bindings.key_to_bindings.get(key, ()))

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
        else:
            self.release_keys()  # no step to go back to: keys typed after Back stay here

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

    def findings_text(self, step: str) -> str:
        """The linter's findings about ``step``'s answers, one line each, most severe first."""
        from .findings import findings_for

        found = findings_for(self.form, step)
        if found is None:
            return "Findings appear once the answers above (and on the earlier steps) are valid."
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
        if self.form.problems(("provider",)):
            return
        self._preinit(dict(self.form.data), self.form.workspace_dir(self.session.workspace_override))

    @work(thread=True, group="preinit", exit_on_error=False)
    def _preinit(self, data: dict, workspace_dir: Path | None) -> None:
        self.session.preinit(data, workspace_dir)

    # ---- saving and quitting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The first choice and the Manage screen edit no answers: nothing to save there.  Under
        # the too-small notice nothing opens (a dialog would stand over the notice).
        if isinstance(self.screen, TooSmallScreen) and action in ("save", "command_palette", "focus_next",
                                                                  "focus_previous"):
            return False
        return action != "save" or bool(getattr(self.screen, "SAVES", True))

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
    manager: Manages | None = None,
) -> WizardApp:
    """The wizard, for the CLI and for tests.  Raises AnswersError for unreadable answers files."""
    form = Form.from_file(Path(answers_path)) if answers_path else Form()
    session = session or Session(
        workspace=workspace, sandbox=sandbox, plugin_dir=plugin_dir, terraform_bin=terraform_bin
    )
    # With a manager, the first screen asks whether to create a user or manage one.
    return WizardApp(form, session, start="welcome" if manager is not None else "provider", manager=manager)
