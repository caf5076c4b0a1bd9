"""Step 5: where Terraform keeps its state: this folder (default) or an S3 bucket.

The S3 fields are the engine's ``S3Backend`` (bucket, key, region, encrypt, kms_key_id,
use_lockfile, dynamodb_table, profile); each is checked by ``answers.parse`` as it is
typed, and its rule shows under it.

With S3 chosen, "Create the bucket (and lock table) if missing…" does what
``tfiam backend bootstrap`` does (:mod:`..bootstrap_job`, the engine's bootstrap): it
looks and plans in a worker, asks before applying, streams terraform's lines into the
log below the button and reports what existed and what was created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Log, RadioSet, Static

from ...engine.answers import S3Backend, choices

if TYPE_CHECKING:  # the job module is imported when a bootstrap starts
    from ..bootstrap_job import BootstrapJob
from ..messages import RunPhase, TerraformLines
from ..stream import Batcher
from ..widgets.button import Button
from ..widgets.field import Field
from ..widgets.input import Input
from ..widgets.toggles import Checkbox, RadioButton
from .base import StepScreen
from .dialogs import ConfirmScreen, TypeToConfirmScreen

# Text fields that must be given (an empty one shows its rule, not "None is not a string").
REQUIRED = ("bucket", "key")
# Text fields where empty means "not set" (null in the answers file).
OPTIONAL = ("region", "kms_key_id", "dynamodb_table", "profile")
FLAGS = {"encrypt": True, "use_lockfile": True}


def default_key(user_name: str | None) -> str:
    return f"iam/users/{user_name or 'USER'}.tfstate"


class BackendScreen(StepScreen):
    STEP = "backend"
    INTRO = ("The state records what Terraform made (including the encrypted secrets). Local state stays in the "
             "workspace folder (owner-only); S3 shares it with your team, encrypted and locked.")

    def __init__(self) -> None:
        super().__init__()
        self._s3: dict = {}  # the S3 answers, kept while Local is picked (back to S3 restores them)
        self._job: BootstrapJob | None = None  # the BootstrapJob in progress (its scratch workspace lives until it is done)
        self.bootstrapping = False  # a bootstrap worker runs terraform

    def form_fields(self) -> ComposeResult:
        backend = self.form.get("backend") or {"type": "local"}
        s3 = backend.get("type") == "s3"
        self._s3 = dict(backend) if s3 else {}
        with RadioSet(id="backend-type"):
            yield RadioButton("Local (this folder)", value=not s3, id="type-local")
            yield RadioButton("S3 bucket", value=s3, id="type-s3")
        with Vertical(id="s3-box"):
            yield Field("Bucket", self._input("bucket"), "backend.bucket",
                        hint="create one, versioned and encrypted: tfiam backend bootstrap")
            yield Field("Key (the state object's path in the bucket)", self._input("key"), "backend.key")
            yield Field("Bucket region (empty = the provider's region)",
                        self._input("region", suggester=SuggestFromList([r.code for r in choices.regions()])),
                        "backend.region")
            yield Field("Encryption", self._flag("encrypt", "Encrypt the state at rest (always on)"),
                        "backend.encrypt")
            yield Field("KMS key (empty = S3's own key, SSE-S3)",
                        self._input("kms_key_id", placeholder="alias/terraform-state or a key ARN"),
                        "backend.kms_key_id")
            yield Field("Locking", self._flag("use_lockfile", "Lock the state while Terraform runs (S3 lock file)"),
                        "backend.use_lockfile")
            yield Field("DynamoDB lock table (deprecated; only for Terraform < 1.10 sharing this state)",
                        self._input("dynamodb_table"), "backend.dynamodb_table")
            yield Field("AWS profile for the bucket (empty = the provider's credentials)",
                        self._input("profile"), "backend.profile")
            with Horizontal(id="bootstrap-row"):
                yield Button("Create the bucket (and lock table) if missing…", id="bootstrap", compact=True)
            yield Static("", id="bootstrap-status", markup=False)
            yield Log(id="bootstrap-log", max_lines=5000, auto_scroll=True)
        yield Static("", id="backend-note", markup=False, classes="warning")

    def _input(self, key: str, **kwargs) -> Input:
        value = self._s3.get(key)
        return Input("" if value is None else str(value), name=f"backend.{key}", id=f"s3-{key.replace('_', '-')}",
                     compact=True, **kwargs)

    def _flag(self, key: str, label: str) -> Checkbox:
        value = self._s3.get(key, FLAGS[key])
        return Checkbox(label, bool(value), name=f"backend.{key}", id=f"s3-{key.replace('_', '-')}", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#bootstrap-status").display = False
        self.query_one("#bootstrap-log").display = False
        self._show()
        self.query_one("#backend-type", RadioSet).focus(scroll_visible=False)

    def _show(self) -> None:
        self.query_one("#s3-box").display = self.form.get("backend.type") == "s3"
        note = self.query_one("#backend-note", Static)
        notes: list[str] = []
        if self.form.get("backend.type") == "s3":
            try:
                notes = S3Backend.model_validate(self.form.get("backend")).notes()
            except Exception:  # noqa: BLE001 - invalid answers show their problems under the fields
                notes = []
        note.update("\n".join(f"⚠ {n}" for n in notes))
        note.display = bool(notes)

    # ---- answers in

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.pressed.id == "type-s3":
            data = {"type": "s3", "bucket": "", "key": default_key(self.form.get("user.name")),
                    **{k: None for k in OPTIONAL}, **FLAGS}
            data.update({k: v for k, v in self._s3.items() if k != "type"})
            self.form.set("backend", data)
            self.query_one("#s3-key", Input).value = str(data["key"])
        else:
            if self.form.get("backend.type") == "s3":
                self._s3 = dict(self.form.get("backend"))
            self.form.set("backend", {"type": "local"})
        self.touched.add("backend.type")
        self._show()
        self.refresh_problems()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        key = (event.input.name or "").removeprefix("backend.")
        if key in REQUIRED and self.form.get("backend.type") == "s3":
            event.stop()
            self.form.set(f"backend.{key}", event.value.strip())  # empty stays "" so its rule shows
            self.touched.add(f"backend.{key}")
            self._show()
            self.refresh_problems()
            return
        if key in OPTIONAL and self.form.get("backend.type") != "s3":
            event.stop()  # typed while Local is picked (cannot happen: the box is hidden)
            return
        super().on_input_changed(event)
        self._show()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if self.form.get("backend.type") != "s3":
            event.stop()
            return
        super().on_checkbox_changed(event)
        self._show()

    # ---- create the bucket (and lock table) if missing

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bootstrap":
            event.stop()
            self.start_bootstrap()
        else:
            super().on_button_pressed(event)

    def _bootstrap_status(self, text: str) -> None:
        status = self.query_one("#bootstrap-status", Static)
        status.update(text)
        status.display = True

    def start_bootstrap(self) -> None:
        """Look (read-only) and plan in a worker; the confirmation comes with the plan."""
        from ...engine.terraform import backends
        from ..bootstrap_job import BootstrapJob
        from ..session import provisional_answers

        if self.bootstrapping:
            self.notify("The bucket set-up is already running.", severity="warning")
            return
        answers = provisional_answers(dict(self.form.data))
        if answers is None or backends.s3_backend(answers) is None:
            self.show_all = True
            self.refresh_problems()
            self.notify("Fix the provider step and the S3 fields first; each problem is shown under its field.",
                        severity="error", timeout=4)
            return
        self._close_job()
        self._job = BootstrapJob.for_session(self.wizard.session, answers)
        self.query_one("#bootstrap-log", Log).clear()
        self.query_one("#bootstrap-log").display = True
        self._set_running(True)
        self._bootstrap_status("Starting…")
        self.bootstrap_plan_worker(self._job)

    def _set_running(self, running: bool) -> None:
        self.bootstrapping = running
        self.query_one("#bootstrap", Button).disabled = running

    def _sink(self) -> Batcher:
        return Batcher(lambda lines: self.post_message(TerraformLines(lines)), lambda _event: None)

    @work(thread=True, exclusive=True, group="bootstrap", exit_on_error=False)
    def bootstrap_plan_worker(self, job) -> None:
        from ...engine.terraform import backends

        post = self.post_message
        try:
            backend = backends.s3_backend(job.answers)
            assert backend is not None  # a bootstrap job exists only for an S3 backend
            post(RunPhase("status", f"Looking for s3://{backend.bucket} in {backends.region(job.answers)}…"))
            inventory = job.detect()
            post(RunPhase("found", "\n".join(inventory.lines())))
            post(RunPhase("status", "terraform init and plan (a scratch workspace that only manages the bucket "
                                    "and table)…"))
            sink = self._sink()
            finished = job.plan(sink)
            sink.flush()
        except Exception as exc:  # every engine and AWS error is worded for the operator; no traceback
            post(RunPhase("failed", f"{exc}. Nothing was created."))
            return
        if not finished.ok:
            post(RunPhase("failed", f"terraform exit {finished.returncode}. Nothing was created."))
        elif job.has_changes:
            post(RunPhase("planned"))
        else:
            post(RunPhase("ready", "Nothing to create or change."))

    @work(thread=True, exclusive=True, group="bootstrap", exit_on_error=False)
    def bootstrap_apply_worker(self, job) -> None:
        sink = self._sink()
        try:
            finished = job.apply(sink)
            sink.flush()
        except Exception as exc:
            self.post_message(RunPhase("failed", str(exc)))
            return
        if finished.ok:
            self.post_message(RunPhase("ready", "Applied."))
        else:
            self.post_message(RunPhase("failed", f"terraform apply exit {finished.returncode}"))

    def on_terraform_lines(self, message: TerraformLines) -> None:
        self.query_one("#bootstrap-log", Log).write_lines(message.lines)

    def on_run_phase(self, message: RunPhase) -> None:
        job = self._job
        if job is None:
            return
        if message.phase == "status":
            self._bootstrap_status(message.detail)
        elif message.phase == "found":
            self._bootstrap_status(f"Found:\n{message.detail}")
        elif message.phase == "planned":
            counts = job.counts
            assert job.inventory is not None  # found before planned
            lines = [f"s3://{job.inventory.bucket} in {job.inventory.region}", "",
                     f"Plan: {counts.add} to create, {counts.change} to change, {counts.remove} to destroy.", ""]
            lines += job.changes()[:12]
            if job.review is not None and job.review.dangers:
                self.app.push_screen(
                    TypeToConfirmScreen("This plan deletes, replaces or takes away something live",
                                        "\n".join([*job.review.danger_lines(), "", *lines]),
                                        expected=job.inventory.bucket),
                    self._bootstrap_confirmed,
                )
                return
            self.app.push_screen(
                ConfirmScreen("Apply exactly this plan?", "\n".join(lines), confirm="Apply", cancel="Cancel",
                              danger=True),
                self._bootstrap_confirmed,
            )
        elif message.phase == "ready":
            report = "\n".join(job.report().lines())
            self._end_job(f"✓ {message.detail} The backend is ready.\n{report}")
        elif message.phase == "failed":
            self._end_job(f"✗ {message.detail}")

    def _bootstrap_confirmed(self, yes: bool | None) -> None:
        if not yes:
            self._end_job("Not applied: nothing was created.")
            return
        self._bootstrap_status("terraform apply (exactly the plan you confirmed)…")
        self.bootstrap_apply_worker(self._job)

    def _end_job(self, status: str) -> None:
        """The bootstrap is over (done, failed or declined): say how, free the button and
        remove the scratch workspace."""
        self._bootstrap_status(status)
        self._set_running(False)
        self._close_job()

    def _close_job(self) -> None:
        if self._job is not None:
            self._job.close()
            self._job = None

    def on_unmount(self) -> None:
        if not self.bootstrapping:
            self._close_job()

    def action_back(self) -> None:
        if self.bootstrapping:
            self.notify("The bucket set-up is running; wait for it to finish.", severity="warning")
            return
        super().action_back()

    def action_next(self) -> None:
        if self.bootstrapping:
            self.notify("The bucket set-up is running; wait for it to finish.", severity="warning")
            return
        super().action_next()


SCREEN = BackendScreen
