"""Step 8: the verification checklist, decrypting the new secrets (masked until revealed),
copying them (OSC 52), saving them owner-only, a command that tries the saved key against
the endpoint (the sandbox's, when there is one), and the command that repeats this run.

No secret goes into a command shown here or into the run log: the try command reads the
key from the credentials profile the operator saved."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from ...engine.pipeline import Credentials
from ...engine.secrets.handover import try_key_command
from ...engine.text import command, shown
from ..widgets.button import Button
from ..widgets.field import FieldError
from ..widgets.input import Input
from .base import StepScreen

MASK = "•" * 12 + "  (hidden: r reveals)"


def aws_cli() -> str | None:
    """"aws" when the aws CLI is on PATH (the try command uses it), else None (boto3)."""
    return "aws" if shutil.which("aws") else None


class ResultScreen(StepScreen):
    STEP = "result"
    INTRO = ""
    BINDINGS = [
        Binding("r", "reveal", "Reveal/hide", tooltip="Show or hide the secret"),
        Binding("escape", "back", "Run", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._creds: Credentials | None = None  # in memory only; its repr hides the secrets
        self.revealed = False

    def form_fields(self) -> ComposeResult:
        # The credentials (or the passphrase that reveals them) first: they are what the
        # operator came for, and at 80x24 a long checklist above them pushed them off screen.
        with Vertical(id="decrypt-box"):
            yield Label("Passphrase of your PGP key (to decrypt the new secrets)", classes="field-label")
            with Horizontal(classes="row"):
                yield Input(password=True, id="passphrase", compact=True)
                yield Button("Decrypt", id="decrypt", variant="primary", compact=True)
            yield FieldError("passphrase")
        with Vertical(id="creds-box"):
            yield Static("", id="key-id", markup=False)
            yield Static("", id="secret", markup=False)
            yield Static("", id="console-login", markup=False)
            with Horizontal(classes="row"):
                yield Button("Reveal", id="reveal", compact=True)
                yield Button("Copy key id", id="copy-id", compact=True)
                yield Button("Copy secret", id="copy-secret", compact=True)
            yield Label("Save to a new file (mode 0600, never overwrites)", classes="field-label")
            yield Input(id="save-path", compact=True)
            with Horizontal(classes="row"):
                yield Button("Save as credentials profile", id="save-profile", compact=True)
                yield Button("Save as .csv", id="save-csv", compact=True)
            yield FieldError("save")
            with Vertical(id="try-box"):
                yield Static("Try the new key", id="try-label", classes="field-label", markup=False)  # wraps
                yield Static("", id="try-command", markup=False)
                yield Button("Copy command", id="copy-command", compact=True)
        yield Label("Verification against the AWS API", classes="field-label")
        yield Static("checking…", id="checklist", markup=False)
        yield Label("Where things are", classes="field-label")
        yield Static(self._where(), id="where", markup=False)

    def nav_buttons(self) -> ComposeResult:
        yield Static("", classes="spacer")
        yield Button("Quit", id="quit", variant="primary", compact=True)

    def _where(self) -> str:
        form, session = self.form, self.wizard.session
        ws = form.workspace_dir(session.workspace_override)
        argv = ["tfiam", "replay", str(form.path)]
        if session.workspace_override:
            argv += ["--workspace", str(ws)]
        if session.sandbox:
            argv.append("--sandbox")
        if session.plugin_dir:
            argv += ["--plugin-dir", session.plugin_dir]
        if session.terraform_bin != "terraform":
            argv += ["--terraform-bin", session.terraform_bin]
        lines = [f"Answers file   {form.path}", f"Workspace      {ws}", f"Endpoint       {self._endpoint_words()}"]
        if session.run_log is not None:
            lines.append(f"Run log        {session.run_log.path} (redacted)")
        lines.append(f"Repeat it      {command(*argv)}")
        return "\n".join(lines)

    def _endpoint_words(self) -> str:
        session = self.wizard.session
        provider = session.current_pipeline().answers.provider
        if session.sandbox and provider.endpoint:
            lasts = ("it lives until tfiam sandbox stop" if session.sandbox_lives()
                     else "it vanishes when you quit this wizard")
            return f"{provider.endpoint} (the sandbox, a stand-in AWS; {lasts})"
        if provider.endpoint:
            return f"{provider.endpoint} (the answers' endpoint)"
        return f"AWS, region {provider.region}"

    def try_command(self) -> str:
        """The command that tries the saved key (read from the profile file, never shown)."""
        pipeline = self.wizard.session.current_pipeline()
        provider = pipeline.answers.provider
        path = str(self._save_path())
        return try_key_command(path, pipeline.answers.user.name, region=provider.region,
                               endpoint=provider.endpoint, aws_cli=aws_cli(),
                               python=sys.executable)

    def _show_try(self, saved: bool) -> None:
        endpoint = self.wizard.session.current_pipeline().answers.provider.endpoint
        where = ("the sandbox at " if self.wizard.session.sandbox else "") + endpoint if endpoint else "AWS"
        # Before the save, one line (at 80x24 the checklist stays in sight): the command reads the file.
        text = (f"Saved. From another terminal, ask STS who the key belongs to:\n{self.try_command()}" if saved
                else "Save it as a credentials profile (above) for a command that tries it from another terminal.")
        self.query_one("#try-command", Static).update(text)
        self.query_one("#copy-command", Button).display = saved
        self.query_one("#try-label", Static).update(f"Try the new key against {where}")

    def on_mount(self) -> None:
        self.query_one("#step-errors").display = False
        self.query_one("#decrypt-box").display = False
        self.query_one("#creds-box").display = False
        name = self.form.get("user.name") or "user"
        self.query_one("#save-path", Input).value = str(Path.cwd() / f"{name}.credentials")
        self._saved: Path | None = None
        self.verify_worker(None, try_decrypt=True)
        self.call_after_refresh(self.wizard.step_ready)  # keys typed while the step opened

    # ---- verify and decrypt (engine calls, in a worker)

    @work(thread=True, exclusive=True, group="result", exit_on_error=False)
    def verify_worker(self, passphrase: str | None, *, try_decrypt: bool) -> None:
        from ...engine import secrets
        from ...engine.aws import verify

        pipeline = self.wizard.session.current_pipeline()
        auth = pipeline.answers.authentication
        creds, why = None, ""
        if (auth.access_key or auth.console) and (try_decrypt or passphrase is not None):
            try:
                creds = pipeline.credentials(passphrase)
            except secrets.DecryptError as exc:
                why = str(exc)
        try:
            checks = pipeline.verify(creds)
            text = verify.format_checklist(checks)
            ok = verify.all_ok(checks)
        except Exception as exc:
            text, ok = f"[FAIL] verification could not run: {exc}", False
        if auth.access_key and creds is None:
            text += "\n[--] the new access key works: not checked until you decrypt it"
        self.app.call_from_thread(self._verified, text, ok, creds, why, passphrase is not None)

    def _verified(self, text: str, ok: bool, creds, why: str, asked: bool) -> None:
        head = "✓ The account matches the answers.\n" if ok else "✗ The account does not match the answers.\n"
        self.query_one("#checklist", Static).update(head + text)
        log = self.wizard.session.log
        log(head + text)
        self.query_one("#where", Static).update(self._where())
        auth = self.wizard.session.current_pipeline().answers.authentication
        if creds is not None:
            self._creds = creds
            log(f"decrypted the new secrets (access key id {creds.access_key_id or '-'}); shown masked")
            self._show_creds()
            self.query_one("#decrypt-box").display = False
            save = self.query_one("#save-profile" if creds.access_key_id else "#save-csv", Button)
            save.focus()  # Enter saves: the next thing to do
        elif auth.access_key or auth.console:
            self.query_one("#decrypt-box").display = True
            error = next(e for e in self.query(FieldError) if e.path == "passphrase")
            error.show([why] if asked and why else [])
            if asked and why:
                log(why)
            self.query_one("#passphrase", Input).focus()

    def _decrypt(self) -> None:
        field = self.query_one("#passphrase", Input)
        passphrase = field.value
        field.value = ""  # the passphrase does not stay on screen or in the widget
        self.query_one("#checklist", Static).update("decrypting and checking the new key…")
        self.verify_worker(passphrase, try_decrypt=True)

    # ---- the secrets on screen: masked until revealed

    def _show_creds(self) -> None:
        creds = self._creds
        if creds is None:
            return
        box = self.query_one("#creds-box")
        box.display = True
        self.query_one("#key-id", Static).update(f"Access key id      {creds.access_key_id or '-'}")
        secret = creds.secret_access_key if self.revealed else MASK
        self.query_one("#secret", Static).update(f"Secret access key  {secret if creds.secret_access_key else '-'}")
        self.query_one("#console-login", Static).display = bool(creds.password)
        if creds.password:
            url = f"https://{creds.account_id}.signin.aws.amazon.com/console"
            password = creds.password if self.revealed else MASK
            self.query_one("#console-login", Static).update(
                f"Console sign-in    {url}\nOne-time password  {password}")
        self.query_one("#reveal", Button).label = "Hide" if self.revealed else "Reveal"
        self.query_one("#copy-id", Button).display = bool(creds.access_key_id)
        self.query_one("#copy-secret", Button).display = bool(creds.secret_access_key or creds.password)
        # A console-only user has no key: no credentials profile, nothing to try with the CLI.
        self.query_one("#save-profile", Button).display = bool(creds.access_key_id)
        self.query_one("#try-box").display = bool(creds.access_key_id)
        if creds.access_key_id:
            self._show_try(saved=self._saved is not None and self._saved == self._save_path())

    def action_reveal(self) -> None:
        if self._creds is not None and not isinstance(self.focused, Input):
            self.revealed = not self.revealed
            self._show_creds()

    def _save(self, fmt: str) -> None:
        from ...engine.secrets.handover import NoAccessKey, format_credentials, write_private

        error = next(e for e in self.query(FieldError) if e.path == "save")
        path = self._save_path()
        if fmt == "csv" and path.suffix != ".csv":
            path = path.with_suffix(".csv")
        try:
            write_private(str(path), format_credentials(self._creds, fmt))
        except FileExistsError:
            error.show([f"{shown(path)} already exists; tfiam never overwrites a credentials file (choose a new name)"])
            return
        except NoAccessKey:
            error.show(["this user signs in to the console only and has no access key: save it as .csv"])
            return
        except (OSError, ValueError) as exc:
            error.show([f"could not write {shown(path)}: {getattr(exc, 'strerror', None) or exc}"])
            return
        error.show([])
        self.wizard.session.log(f"wrote the new credentials to {path} (mode 0600, as {fmt})")
        self.notify(f"Wrote {path} (mode 0600). Hand it over, then delete it.")
        if fmt == "credentials":
            self._saved = path
            self._show_try(saved=True)
            self.query_one("#copy-command", Button).focus()  # Enter copies the command to try it

    def _save_path(self) -> Path:
        return Path(self.query_one("#save-path", Input).value.strip()).expanduser()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "save-path":
            event.stop()
            if self._creds is not None and self._creds.access_key_id:
                self._show_try(saved=self._saved is not None and self._saved == self._save_path())
            return
        super().on_input_changed(event)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        button = event.button.id
        event.stop()
        if button == "decrypt":
            self._decrypt()
        elif button == "reveal":
            self.revealed = not self.revealed
            self._show_creds()
        elif button == "copy-id" and self._creds:
            self.app.copy_to_clipboard(self._creds.access_key_id or "")
            self.notify("Access key id copied (OSC 52).")
        elif button == "copy-secret" and self._creds:
            self.app.copy_to_clipboard(self._creds.secret_access_key or self._creds.password or "")
            self.notify("Secret copied to the clipboard (OSC 52). Paste it where it belongs, then clear it.")
        elif button == "copy-command" and self._creds:
            self.app.copy_to_clipboard(self.try_command())
            self.notify("Command copied (OSC 52). It reads the key from the saved file; no secret is in it.")
        elif button == "save-profile":
            self._save("credentials")
        elif button == "save-csv":
            self._save("csv")
        elif button == "quit":
            self.app.exit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # the base handler runs only through super()
        event.stop()
        if event.input.id == "passphrase":
            self._decrypt()
        elif event.input.id == "save-path" and self._creds is not None:  # Enter saves, as the first button
            self._save("credentials" if self._creds.access_key_id else "csv")

    def action_back(self) -> None:
        again = command("tfiam", "wizard", "--answers", str(self.form.path))
        self.notify(f"The run is done. To change something, quit and open its answers again: {again}")
        self.wizard.release_keys()  # staying

    def action_next(self) -> None:
        self.wizard.release_keys()  # the last step: staying


SCREEN = ResultScreen
