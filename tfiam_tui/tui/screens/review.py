"""Step 6: the answers summarised, every finding with its severity, and the workspace
files themselves in tabs, highlighted.  Next starts the run."""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from ...engine.terraform import workspace
from ..form import STEPS
from ..widgets.button import Button
from .base import StepScreen

SHOWN_FILES = ["terraform.tfvars.json", "main.tf", "versions.tf", "backend.tf", "provider.tf", "variables.tf", "outputs.tf"]
PGP_PLACEHOLDER = "<your PGP public key, base64: filled in when the run starts>"


def summary_text(data: dict, workspace_dir, answers_path) -> str:
    """The answers in a few lines an admin can check at a glance."""
    p, u, perm, auth = data["provider"], data["user"], data["permissions"], data["authentication"]
    lines = [
        f"User        {u['name']} (path {u['path']}) in {p['region']}"
        + (f", profile {p['profile']}" if p.get("profile") else ", default credentials"),
        "Tags        " + (", ".join(f"{k}={v}" for k, v in (u.get("tags") or {}).items()) or "none"),
    ]
    if u.get("permissions_boundary"):
        lines.append(f"Boundary    {u['permissions_boundary']}")
    for group in perm.get("groups") or []:
        policies = [a.rsplit("/", 1)[-1] for a in group.get("managed_policies") or []]
        if group.get("custom_policy"):
            cp = group["custom_policy"]
            policies.append(f"{cp.get('name')} (custom, {len(cp.get('statements') or [])} statement(s))")
        lines.append(f"Group       {group['name']} (new): {', '.join(policies) or 'no policies'}")
    if perm.get("existing_groups"):
        lines.append(f"Joins       {', '.join(perm['existing_groups'])}")
    if perm.get("user_managed_policies"):
        lines.append(f"Direct      {', '.join(perm['user_managed_policies'])}")
    kinds = [k for k, on in (("access key", auth["access_key"]), ("console password", auth["console"])) if on]
    lines.append(f"Sign-in     {' and '.join(kinds) or 'none'}"
                 + (", MFA required" if auth.get("enforce_mfa") else "")
                 + (f", encrypted to {auth['pgp_key']}" if kinds else ""))
    backend = data["backend"]
    if backend.get("type") == "s3":
        lock = "S3 lock file" if backend.get("use_lockfile") else f"DynamoDB {backend.get('dynamodb_table')}"
        lines.append(f"State       s3://{backend.get('bucket')}/{backend.get('key')} "
                     f"({backend.get('region') or p['region']}, {lock})")
    else:
        lines.append("State       local (in the workspace folder)")
    lines.append(f"Workspace   {workspace_dir}")
    lines.append(f"Answers     {answers_path or 'not saved yet (saved when the run starts)'}")
    return "\n".join(lines)


class ReviewScreen(StepScreen):
    STEP = "review"
    INTRO = "Check everything once more. Next writes the workspace and runs terraform plan (nothing changes yet)."

    def form_fields(self) -> ComposeResult:
        form = self.form
        ws = form.workspace_dir(self.wizard.session.workspace_override)
        yield Static(summary_text(form.data, ws, form.path), id="summary", markup=False)
        yield Static(self.wizard.findings_text("review"), id="review-findings", markup=False)
        try:
            answers = form.answers()
            secrets = answers.authentication.access_key or answers.authentication.console
            files = workspace.render(answers, PGP_PLACEHOLDER if secrets else None)
        except Exception as exc:  # problems are listed above; the files need valid answers
            yield Static(f"The workspace files appear when the answers are complete ({exc.__class__.__name__}).")
            return
        with TabbedContent(id="files"):
            for name in SHOWN_FILES:
                if name in files:
                    lexer = "json" if name.endswith(".json") else "terraform"
                    with TabPane(name, id=f"file-{name.replace('.', '-')}"), VerticalScroll(classes="file-view"):
                        yield Static(Syntax(files[name].decode(), lexer, theme="ansi_dark",
                                            background_color="default", line_numbers=True))

    def nav_buttons(self) -> ComposeResult:
        yield Button("← Back", id="back", compact=True)
        yield Button("Save answers (ctrl+s)", id="save", compact=True)
        yield Static("", classes="spacer")
        yield Button("Run plan →", id="next", variant="primary", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#next", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.button.id == "save":
            event.stop()
            self.wizard.action_save()
            return
        super().on_button_pressed(event)

    def problems(self):
        return self.form.step_problems("review")

    def leave_forward(self) -> None:
        for key, title, _prefixes in STEPS[:5]:
            if self.form.step_problems(key):
                self.notify(f"'{title}' has problems; fix them first.", severity="error")
                self.wizard.goto(key)
                return
        self.wizard.go_next(self.STEP)


SCREEN = ReviewScreen
