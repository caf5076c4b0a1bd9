"""Step 5: where Terraform keeps its state: this folder (default) or an S3 bucket."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static

from ..widgets.field import Field
from .base import StepScreen

S3_DEFAULTS = {"bucket": "", "key": "", "region": None, "use_lockfile": True}


class BackendScreen(StepScreen):
    STEP = "backend"
    INTRO = ("The state records what Terraform made (including the encrypted secrets). Local state stays in the "
             "workspace folder (owner-only); S3 shares it with your team, with locking.")

    def form_fields(self) -> ComposeResult:
        backend = self.form.get("backend") or {"type": "local"}
        s3 = backend.get("type") == "s3"
        with RadioSet(id="backend-type"):
            yield RadioButton("Local (this folder)", value=not s3, id="type-local")
            yield RadioButton("S3 bucket", value=s3, id="type-s3")
        with Vertical(id="s3-box"):
            yield Field("Bucket", Input(backend.get("bucket") or "", name="backend.bucket", id="s3-bucket",
                                        compact=True), "backend.bucket")
            name = self.form.get("user.name") or "USER"
            yield Field("Key (state object path)", Input(backend.get("key") or "", name="backend.key", id="s3-key",
                        placeholder=f"iam/{name}/terraform.tfstate", compact=True), "backend.key")
            yield Field("Bucket region (empty = the provider's region)",
                        Input(backend.get("region") or "", name="backend.region", id="s3-region", compact=True),
                        "backend.region")
            yield Checkbox("Lock the state while Terraform runs (S3 lock file)", backend.get("use_lockfile", True),
                           name="backend.use_lockfile", id="s3-lock", compact=True)
        yield Static("", id="backend-note")

    def on_mount(self) -> None:
        super().on_mount()
        self._show()
        self.query_one("#backend-type", RadioSet).focus()

    def _show(self) -> None:
        self.query_one("#s3-box").display = (self.form.get("backend.type") == "s3")

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.pressed.id == "type-s3":
            data = {"type": "s3", **S3_DEFAULTS}
            for key in S3_DEFAULTS:
                widget_value = self.form.get(f"backend.{key}")
                if widget_value is not None:
                    data[key] = widget_value
            data["bucket"] = self.query_one("#s3-bucket", Input).value.strip()
            data["key"] = self.query_one("#s3-key", Input).value.strip()
            data["region"] = self.query_one("#s3-region", Input).value.strip() or None
            data["use_lockfile"] = self.query_one("#s3-lock", Checkbox).value
            self.form.set("backend", data)
        else:
            self.form.set("backend", {"type": "local"})
        self.touched.add("backend")
        self._show()
        self.refresh_problems()


SCREEN = BackendScreen
