"""What every step screen shares: the frame, back/next, and errors next to their fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.widgets import Input as TextualInput

from ..form import STEPS, Problem, belongs, default_data, split_path
from ..widgets.button import Button
from ..widgets.field import FieldError
from ..widgets.input import Input
from ..widgets.steps import StepList
from ..widgets.toggles import Checkbox

if TYPE_CHECKING:
    from ..app import WizardApp


def _default_at(path: str) -> Any:
    node: Any = default_data()
    for part in split_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


class StepScreen(Screen):
    """A wizard step.  Subclasses set STEP and INTRO and yield their fields in ``form_fields``.

    Inputs and checkboxes whose ``name`` is an answers path (``user.name``) write
    straight into the App's form as they change; problems come from the engine's
    answers model and are shown under the field whose path they name.
    """

    STEP: ClassVar[str] = ""
    INTRO: ClassVar[str] = ""
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Previous step (answers are kept)"),
        Binding("ctrl+n", "next", "Next", tooltip="Next step, when this one has no problems"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.touched: set[str] = set()
        self.show_all = False

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def form(self):
        return self.wizard.form

    @property
    def title_text(self) -> str:
        n = [key for key, *_ in STEPS].index(self.STEP) + 1
        return f"Step {n}/{len(STEPS)}: {STEPS[n - 1][1]}"

    # ---- layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static(f"tfiam · {self.title_text}", id="title")
            if self.wizard.session.sandbox:
                yield Static(" SANDBOX · nothing touches a real AWS account ", id="sandbox-marker")
        with Horizontal(id="main"):
            yield StepList(self.STEP, self.wizard.done_steps(), id="steps")
            with VerticalScroll(id="form"):
                if self.INTRO:
                    yield Static(self.INTRO, classes="intro")
                yield Static("", id="step-errors", markup=False)
                yield from self.form_fields()
        with Horizontal(id="nav"):
            yield from self.nav_buttons()
        yield Footer()

    def form_fields(self) -> ComposeResult:  # pragma: no cover - every step overrides it
        yield from ()

    def nav_buttons(self) -> ComposeResult:
        yield Button("← Back", id="back", compact=True, disabled=STEPS[0][0] == self.STEP)
        yield Static("", classes="spacer")
        yield Button("Next →", id="next", variant="primary", compact=True)

    def on_mount(self) -> None:
        # Steps focus their first field on mount with focus(scroll_visible=False): the field
        # is at the top of the form, and Textual's "scroll the focused widget into view",
        # when it runs before the first layout on a busy machine, scrolled the form a line
        # or two past the step's introduction.
        self.query_one("#step-errors").display = False
        self.refresh_problems()
        self.call_after_refresh(self.wizard.step_ready, self)  # after the step has focused its field

    # ---- answers in, problems out

    def on_input_changed(self, event: Input.Changed) -> None:
        path = event.input.name
        if not path or "." not in path:
            return
        value: Any = event.value.strip() if path != "provider.region" else event.value.strip()
        if value == "" and _default_at(path) is None:
            value = None
        self.form.set(path, value)
        self.touched.add(path)
        self.changed(path)
        self.refresh_problems()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        path = event.checkbox.name
        if path and "." in path:
            self.form.set(path, event.value)
            self.touched.add(path)
            self.changed(path)
            self.refresh_problems()

    def advances_on_enter(self, field: TextualInput) -> bool:
        """Whether Enter in ``field`` means Next (True for every field unless a step uses
        Enter there for something else, e.g. a filter that moves into its list).  On Run
        and Result, Enter acts on its own field (the passphrase decrypts)."""
        return self.STEP not in ("run", "result")

    def enter_moves_on(self, widget: Widget) -> bool:
        """Whether Enter on the focused ``widget`` leaves this step (WizardApp holds the keys
        typed after it for the next step)."""
        if isinstance(widget, TextualInput):
            return self.advances_on_enter(widget)
        return isinstance(widget, Button) and widget.id in ("next", "back") and not widget.disabled

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.advances_on_enter(event.input):
            event.stop()
            self.action_next()
            self.wizard.release_keys()  # unless the step is changing: then the next step gets them

    def changed(self, path: str) -> None:
        """Hook: an answer at ``path`` changed (update previews, findings...)."""

    def problems(self) -> list[Problem]:
        """This step's problems: the engine's, plus any a step adds (``extra_problems``)."""
        return self.form.step_problems(self.STEP) + self.extra_problems()

    def extra_problems(self) -> list[Problem]:
        return []

    def refresh_problems(self) -> list[Problem]:
        """Show each problem under the field it names (only touched fields until Next)."""
        problems = self.problems()
        errors = list(self.query(FieldError))
        by_field: dict[int, list[str]] = {id(e): [] for e in errors}
        loose: list[str] = []
        for problem in problems:
            owners = [e for e in errors if belongs(problem.field, e.path)]
            if not owners:
                if self.show_all:
                    loose.append(str(problem))
                continue
            owner = max(owners, key=lambda e: len(e.path))
            if self.show_all or any(belongs(t, owner.path) or belongs(owner.path, t) for t in self.touched):
                by_field[id(owner)].append(problem.message)
        for error in errors:
            error.show(by_field[id(error)])
        box = self.query_one("#step-errors", Static)
        box.update("\n".join(f"✗ {m}" for m in loose))
        box.display = bool(loose)
        return problems

    # ---- navigation

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next":
            event.stop()
            self.action_next()
        elif event.button.id == "back":
            event.stop()
            self.action_back()

    def action_back(self) -> None:
        self.wizard.go_back(self.STEP)

    def action_next(self) -> None:
        self.show_all = True
        problems = self.refresh_problems()
        if problems:
            self.wizard.release_keys()  # staying: keys typed after Next go on here
            # The focus goes to the first field with a problem, scrolled into view, its rule
            # under it.  (A toast said so too, and covered that very rule at 80x24.)
            self.focus_first_error()
            self.app.bell()
            return
        self.leave_forward()

    def leave_forward(self) -> None:
        """Hook for steps that check something slow before moving on (in a worker)."""
        self.wizard.go_next(self.STEP)

    def focus_first_error(self) -> None:
        for error in self.query(FieldError):
            if error.display:
                field = error.parent
                focusable = [w for w in field.query("*") if isinstance(w, Widget) and w.focusable] if field else []
                if focusable:
                    focusable[0].focus()
                error.scroll_visible()
                return
