"""Step 7: write the workspace, plan (streamed live), a summary, a confirmation, apply
with per-resource progress.  terraform runs in the engine, in worker threads; this
screen only renders the messages they post.  Stop = one interrupt, then wait.

What terraform is doing is said at every moment, with a clock that ticks while it is
quiet (:mod:`..activity`, shown by :mod:`.progress`); exit codes are said in words.
Everything shown is also written to the workspace's redacted run log (Session.log)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from ...engine.terraform.events import Diagnostic, Finished, exit_words
from ..activity import SYMBOLS
from ..messages import RunPhase, TerraformEvent, TerraformLines
from ..stream import Batcher, drain
from ..widgets.button import Button
from .base import StepScreen
from .dialogs import ConfirmScreen, TypeToConfirmScreen
from .progress import RunProgress


class RunScreen(StepScreen):
    STEP = "run"
    INTRO = ""
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the review (not while terraform runs)"),
        Binding("ctrl+c", "stop", "Stop terraform", priority=True, tooltip="One interrupt; terraform saves state"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.phase = "starting"
        self.running = False
        self.summary: Any = None
        self.diagnostics: list[Diagnostic] = []
        self.overwrite_edits = False

    @property
    def rows(self) -> dict[str, str]:
        """{resource address: waiting, running, done or failed} for the planned changes."""
        return {address: row.state for address, row in self.progress.activity.rows.items()}

    @property
    def progress(self) -> RunProgress:
        return self.query_one("#progress", RunProgress)

    def form_fields(self) -> ComposeResult:
        yield Static("Starting…", id="run-status", markup=False)
        yield Static("", id="run-errors", markup=False)  # up here: at 80x24 the errors are in sight
        with Vertical(id="plan-box"):
            yield Static("", id="plan-headline", markup=False)
        yield RunProgress(self.wizard.session.clock, id="progress")
        yield RichLog(id="log", max_lines=20000, auto_scroll=True, wrap=True, min_width=20, markup=False,
                      highlight=False)

    def nav_buttons(self) -> ComposeResult:
        yield Button("← Back", id="back", compact=True)
        yield Button("Stop (ctrl+c)", id="stop", variant="error", compact=True)
        yield Static("", classes="spacer")
        yield Button("Plan again", id="replan", compact=True)
        yield Button("Apply…", id="apply", variant="warning", compact=True)
        yield Button("Continue →", id="next", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#step-errors").display = False
        self.query_one("#plan-box").display = False
        self.query_one("#run-errors").display = False
        self.set_interval(1.0, self._tick)  # the clocks tick while terraform is quiet
        self.start_plan()
        self.call_after_refresh(self.wizard.step_ready)  # keys typed while the step opened

    # ---- state of the buttons

    def _buttons(self) -> None:
        can_apply = bool(not self.running and self.summary is not None and self.summary.has_changes
                         and self.phase == "planned")
        self.query_one("#stop", Button).display = self.running
        self.query_one("#back", Button).display = not self.running
        self.query_one("#apply", Button).display = can_apply
        self.query_one("#replan", Button).display = not self.running and self.phase in ("failed", "interrupted")
        self.query_one("#next", Button).display = self.phase in ("applied", "nothing to do")

    def _status(self, text: str) -> None:
        self.query_one("#run-status", Static).update(text)
        self.wizard.session.log(text)

    def _tick(self) -> None:
        if self.running:
            self.progress.show()

    def _write_log(self, lines: list[str]) -> None:
        log = self.query_one("#log", RichLog)
        for line in lines:
            log.write(line)

    # ---- plan

    def start_plan(self) -> None:
        form = self.form
        try:
            answers = form.answers()
        except Exception as exc:
            self._status(f"The answers have problems: {exc}")
            return
        if form.path is None or form.dirty:
            target, _problems = form.save(form.path or self._default_answers_path(answers))
            self.notify(f"Answers saved to {target}")
        ws = form.workspace_dir(self.wizard.session.workspace_override)
        self.summary, self.diagnostics = None, []
        self.progress.activity.plan_rows([])
        self.progress.show_bar(False)
        self.query_one("#plan-box").display = False
        self.query_one("#run-errors").display = False
        self.running, self.phase = True, "plan"
        self._status("Planning: nothing changes in AWS yet.")
        self._buttons()
        self.plan_worker(answers, ws, self.overwrite_edits)

    def _default_answers_path(self, answers):
        from pathlib import Path

        return Path.cwd() / f"{answers.user.name}.answers.yaml"

    def _sink(self) -> Batcher:
        """terraform's lines and events, to this screen and (lines, outcome) to the run log."""
        log = self.wizard.session.log

        def lines(batch: list[str]) -> None:
            for line in batch:
                log(f"    {line}" if line else "")
            self.post_message(TerraformLines(batch))

        def event(item: object) -> None:
            if isinstance(item, Finished):
                log(finished_words(item))
            self.post_message(TerraformEvent(item))

        return Batcher(lines, event)

    @work(thread=True, exclusive=True, group="terraform", exit_on_error=False)
    def plan_worker(self, answers, ws, overwrite_edits: bool) -> None:
        from ...engine.aws import preflight
        from ...engine.terraform.workspace import WorkspaceEdited

        session = self.wizard.session
        post = self.post_message
        try:
            post(RunPhase("status", "Checking the PGP key, terraform and the workspace folder…"))
            pipeline = session.new_pipeline(answers, ws)
            pipeline.check()
            if session.init_state == "running":
                post(RunPhase("status", "Waiting for terraform init, started in the background, to finish…"))
            with session.workspace_lock:  # a background init writes the folder preflight checks
                post(RunPhase("status", "Asking AWS who we are (STS)…"))
                identity = pipeline.preflight()
            post(RunPhase("identity", identity))
            edited = pipeline.edited_files()
            if edited and not overwrite_edits:
                post(RunPhase("edited", ", ".join(edited)))
                return
            sink = self._sink()
            if session.init_state == "done":
                post(RunPhase("status", "terraform init (already done in the background)…"))
            else:
                post(RunPhase("begin", "init"))
            ran = session.ensure_init(pipeline.answers, ws, sink)
            sink.flush()
            if not ran:
                post(TerraformLines(["[init was done in the background while you answered]"]))
            pipeline.prepare(overwrite_edits=overwrite_edits)
            session.open_run_log(ws)  # the workspace is tfiam's now: the log goes into it
            if recovered := pipeline.recover().lines():
                post(TerraformLines(recovered))
            post(RunPhase("begin", "plan"))
            finished = drain(pipeline.plan(), sink)
            if finished.ok:
                post(RunPhase("status", "Asking IAM whether the users, groups and policies the plan creates exist…"))
                conflicts, unchecked = pipeline.name_conflicts()
                if unchecked:
                    post(TerraformLines([f"[could not check for existing users, groups or policies: {unchecked}]"]))
                if conflicts:
                    post(RunPhase("failed", preflight.format_conflicts(conflicts, ws)))
                    return
                post(RunPhase("planned"))
            else:
                post(RunPhase("interrupted" if finished.interrupted else "failed",
                              f"terraform plan {exit_words('plan', finished.returncode)}"))
        except (preflight.PreflightError, WorkspaceEdited) as exc:
            post(RunPhase("failed", str(exc)))
        except Exception as exc:  # every engine error is worded for the operator; no traceback
            post(RunPhase("failed", str(exc)))

    # ---- apply

    def confirm_apply(self) -> None:
        review = self.wizard.session.current_pipeline().review
        lines = [*review.danger_lines(), ""] if review is not None and review.dangers else []
        lines += [self.summary.headline(), ""]
        lines += [f"  {SYMBOLS.get(a, a):<11} {addr}" for a, addr in self.summary.changes[:12]]
        if len(self.summary.changes) > 12:
            lines.append(f"  … and {len(self.summary.changes) - 12} more (listed on the run screen)")
        if review is not None and review.dangers:
            self.app.push_screen(
                TypeToConfirmScreen("This plan deletes, replaces or takes away something live",
                                    "\n".join(lines), expected=self.wizard.session.current_pipeline().answers.user.name),
                self._confirmed,
            )
            return
        self.app.push_screen(
            ConfirmScreen("Apply exactly this plan?", "\n".join(lines), confirm="Apply", cancel="Cancel", danger=True),
            self._confirmed,
        )

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            self._status("Not applied. Apply… when you are ready, or go back to change the answers.")
            return
        self.running, self.phase = True, "apply"
        self._buttons()
        self.progress.activity.plan_rows(self.summary.changes)
        self.progress.activity.begin("apply")
        self.progress.show_bar(True)
        self.progress.show()
        self._status("Applying exactly the plan you confirmed…")
        self.apply_worker()

    @work(thread=True, exclusive=True, group="terraform", exit_on_error=False)
    def apply_worker(self) -> None:
        pipeline = self.wizard.session.current_pipeline()
        try:
            finished = drain(pipeline.apply(), self._sink())
        except Exception as exc:
            self.post_message(RunPhase("failed", str(exc)))
            return
        if finished.ok:
            self.post_message(RunPhase("applied"))
        else:
            self.post_message(RunPhase("interrupted" if finished.interrupted else "failed",
                                       f"terraform apply {exit_words('apply', finished.returncode)}"))

    def action_stop(self) -> None:
        pipeline = self.wizard.session.current_pipeline()
        if not self.running or pipeline is None:
            self.notify("terraform is not running.")
            return
        if pipeline.runner.interrupt():
            self._status("Stopping: asked terraform once to stop; waiting for it to save state and release the lock…")
        else:
            self.notify("Already asked terraform to stop; waiting for it (killing it could lose state).")

    # ---- messages from the workers

    def on_terraform_lines(self, message: TerraformLines) -> None:
        self._write_log(message.lines)

    def on_terraform_event(self, message: TerraformEvent) -> None:
        event = message.event
        self.progress.feed(event)
        if isinstance(event, Diagnostic):
            self.diagnostics.append(event)
            if event.severity == "error":
                self._show_diagnostics()
        elif isinstance(event, Finished):
            self._write_log([f"[{finished_words(event)}]"])

    def _show_diagnostics(self) -> None:
        box = self.query_one("#run-errors", Static)
        parts = []
        for d in self.diagnostics:
            if d.severity != "error":
                continue
            where = f" ({d.address})" if d.address else ""
            parts.append(f"✗ Error{where}: {d.summary}" + (f"\n  {d.detail.strip()}" if d.detail.strip() else ""))
        box.update("\n".join(parts))
        box.display = bool(parts)
        for part in parts:
            self.wizard.session.log(part)

    @on(RunPhase)
    def on_run_phase(self, message: RunPhase) -> None:
        phase, detail = message.phase, message.detail
        if phase == "status":
            self.progress.activity.note(detail)
            self.progress.show()
            self.wizard.session.log(detail)
            return
        if phase == "begin":
            self.progress.activity.begin(detail)
            self.progress.show()
            return
        if phase == "identity":
            self._write_log([f"[acting as {detail}]"])
            self.wizard.session.log(f"acting as {detail}")
            return
        if phase == "edited":
            self.running, self.phase = False, "failed"
            self._buttons()
            self.app.push_screen(
                ConfirmScreen("Overwrite hand edits?",
                              f"These workspace files were edited by hand since tfiam wrote them: {detail}.\n"
                              "Rewriting them from the answers loses those edits.", confirm="Overwrite"),
                self._overwrite_answer,
            )
            return
        self.running = False
        self.progress.activity.stop()  # the clocks stop; "Asking IAM…" is not left on screen
        self.progress.show()
        if phase == "planned":
            self._planned()
        elif phase == "applied":
            self.phase = "applied"
            self.wizard.finished_run = True
            self._status("✓ Applied. Continue to verify the user and hand over its credentials.")
            self.query_one("#next", Button).focus()
        elif phase in ("failed", "interrupted"):
            self.phase = phase
            self._failed(phase, detail)
        self._buttons()
        if phase in ("failed", "interrupted"):
            self.query_one("#replan", Button).focus()  # Enter plans again; the errors are above it

    def _overwrite_answer(self, yes: bool | None) -> None:
        if yes:
            self.overwrite_edits = True
            self.start_plan()
        else:
            self._status("Nothing was written. Move your edits into the answers, or confirm the overwrite.")

    def _planned(self) -> None:
        self.summary = self.wizard.session.current_pipeline().summary
        self.query_one("#plan-box").display = True
        review = self.wizard.session.current_pipeline().review
        danger = review.danger_lines() if review is not None else []
        self.query_one("#plan-headline", Static).update("\n".join([*danger, self.summary.headline()]))
        self.wizard.session.log("\n".join([*danger, self.summary.headline()]))
        self.progress.activity.plan_rows(self.summary.changes)
        self.progress.show()
        if self.summary.has_changes:
            self.phase = "planned"
            self._status("Plan ready. Review the changes, then Apply… (you confirm once more).")
            self._buttons()
            self.query_one("#apply", Button).focus()
        else:
            self.phase = "nothing to do"
            self.wizard.finished_run = True
            self._status("No changes: the account already matches the answers.")
            self._buttons()
            self.query_one("#next", Button).focus()

    def _failed(self, phase: str, detail: str) -> None:
        rows = self.rows
        done = [a for a, s in rows.items() if s == "done"]
        failed = [a for a, s in rows.items() if s == "failed"]
        left = [a for a in rows if a not in done and a not in failed]
        if phase == "interrupted":
            head = "Stopped. terraform saved its state and released the lock."
        else:
            head = f"✗ {detail}" if detail else "✗ terraform failed"
        lines = [head]
        if self.phase in ("interrupted", "failed") and rows and self.summary is not None:
            lines.append(f"Created/changed: {', '.join(done) or 'nothing'}")
            if failed:
                lines.append(f"Failed: {', '.join(failed)}")
                if phase == "interrupted":
                    lines.append("(A call cut off by the stop may still have finished in AWS; the verification "
                                 "after the next run names anything left over.)")
            lines.append(f"Not done: {', '.join(left) or 'nothing'}")
            lines.append("'Plan again' plans the rest from the saved state.")
        self._status("\n".join(lines))
        self._show_diagnostics()

    # ---- buttons

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        button = event.button.id
        if button == "apply":
            event.stop()
            self.confirm_apply()
        elif button == "stop":
            event.stop()
            self.action_stop()
        elif button == "replan":
            event.stop()
            self.start_plan()
        elif button == "next":
            event.stop()
            self.wizard.goto("result")
        else:
            super().on_button_pressed(event)

    def action_back(self) -> None:
        if self.running:
            self.notify("terraform is running; Stop it first (ctrl+c).", severity="warning")
            self.wizard.release_keys()  # staying: keys typed after escape go on here
            return
        super().action_back()

    def action_next(self) -> None:
        if self.phase in ("applied", "nothing to do"):
            self.wizard.goto("result")
        else:
            self.wizard.release_keys()  # nothing applied yet: staying


def finished_words(event: Finished) -> str:
    """terraform plan: changes to apply (exit code 2) after 6.3 s"""
    words = exit_words(event.command, event.returncode, interrupted=event.interrupted)
    return f"terraform {event.command}: {words} after {event.duration:.1f} s"


SCREEN = RunScreen
