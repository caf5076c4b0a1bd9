"""Step 5: where Terraform keeps its state: this folder (default) or an S3 bucket.

The S3 fields are the engine's ``S3Backend`` (bucket, key, region, encrypt, kms_key_id,
use_lockfile, dynamodb_table, profile); each is checked by ``answers.parse`` as it is
typed, and its rule shows under it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static

from ...engine import choices
from ...engine.answers import S3Backend
from ..widgets.field import Field
from .base import StepScreen

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
        self._show()
        self.query_one("#backend-type", RadioSet).focus()

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
            self.query_one("#s3-key", Input).value = data["key"]
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


SCREEN = BackendScreen
