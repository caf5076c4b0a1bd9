"""Step 4: access key, console password, both or none; and the PGP key the secrets are
encrypted to (from the keyring, a public key file, or a new key made here)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input as TextualInput
from textual.widgets import Label, OptionList, RadioSet, Static
from textual.widgets.option_list import Option

from ...engine.answers import Problem
from ...engine.secrets.sandbox_key import SANDBOX_EMAIL
from ..widgets.button import Button
from ..widgets.field import Field, FieldError
from ..widgets.input import Input
from ..widgets.toggles import Checkbox, RadioButton
from .base import StepScreen

KINDS = [
    ("access_key", "Programmatic access (access key)", (True, False)),
    ("console", "Console sign-in (password)", (False, True)),
    ("both", "Both", (True, True)),
    ("none", "None (e.g. a user that only assumes roles via SSO)", (False, False)),
]
BOTH_WARNING = ("⚠ The guide's advice: don't create both an access key and a console password without a "
                "reason. A person signs in to the console; a machine uses a key.")


class AuthenticationScreen(StepScreen):
    STEP = "authentication"
    INTRO = "How the user signs in. Secrets are encrypted to your PGP key; plaintext never reaches the state."

    def __init__(self) -> None:
        super().__init__()
        self.keys: list = []
        self.pgp_problem: str | None = None

    def form_fields(self) -> ComposeResult:
        form = self.form
        current = (bool(form.get("authentication.access_key")), bool(form.get("authentication.console")))
        with RadioSet(id="kind"):
            for key, label, flags in KINDS:
                yield RadioButton(label, value=flags == current, id=f"kind-{key}")
        yield Static(BOTH_WARNING, id="both-warning", classes="warning")
        with Vertical(id="console-box"):
            yield Checkbox("Must set a new password at first sign-in", bool(form.get("authentication.password_reset_required")),
                           name="authentication.password_reset_required", id="reset", compact=True)
            yield Field("Password length (8-128)", Input(str(form.get("authentication.password_length") or 20),
                        id="password-length", type="integer", compact=True), "authentication.password_length")
            yield Field("MFA", Checkbox("Require MFA: until the person signs in with MFA, they can only set it up",
                                        bool(form.get("authentication.enforce_mfa")), name="authentication.enforce_mfa",
                                        id="enforce-mfa", compact=True), "authentication.enforce_mfa")
        with Vertical(id="pgp-box"):
            yield Label("PGP key from your GnuPG keyring (enter picks)", classes="field-label")
            yield OptionList(Option("reading your keyring…", disabled=True), id="key-list")
            yield Field("…or a fingerprint, e-mail or public key file path",
                        Input(form.get("authentication.pgp_key") or "", name="authentication.pgp_key",
                              id="pgp-key", compact=True), "authentication.pgp_key")
            yield Button("Create a new key here…", id="show-new-key", compact=True)
            with Vertical(id="new-key-box"):
                yield Input(placeholder="Your name", id="new-name", compact=True)
                yield Input(placeholder="Your e-mail", id="new-email", compact=True)
                yield Input(placeholder="Passphrase", password=True, id="new-pass", compact=True)
                yield Input(placeholder="Passphrase again", password=True, id="new-pass2", compact=True)
                with Horizontal(classes="row"):
                    yield Button("Create key", id="create-key", variant="primary", compact=True)
                    yield Static("", id="new-key-status", markup=False)
                yield FieldError("new_key")
        yield Label("Findings", classes="field-label")
        yield Static("", id="auth-findings", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#new-key-box").display = False
        self._show_boxes()
        self.load_keys()
        self.query_one("#kind", RadioSet).focus(scroll_visible=False)

    def _show_boxes(self) -> None:
        access, console = bool(self.form.get("authentication.access_key")), bool(self.form.get("authentication.console"))
        self.query_one("#both-warning").display = access and console
        self.query_one("#console-box").display = console
        self.query_one("#pgp-box").display = access or console

    # ---- keyring (gpg runs in the engine, in a worker thread)

    @work(thread=True, exclusive=True, group="keys", exit_on_error=False)
    def load_keys(self) -> None:
        from ...engine import secrets

        try:
            keys = secrets.list_keys()
            error = None
        except secrets.PgpError as exc:
            keys, error = [], str(exc)
        self.app.call_from_thread(self._show_keys, keys, error)

    def _show_keys(self, keys: list, error: str | None) -> None:
        self.keys = keys
        listing = self.query_one("#key-list", OptionList)
        listing.clear_options()
        if error:
            listing.add_option(Option(f"gpg: {error}", disabled=True))
        if self.wizard.session.sandbox:
            listing.add_option(Option(f"The sandbox's throwaway key <{SANDBOX_EMAIL}>  (sandbox only; no GnuPG "
                                      "set-up needed)", id=SANDBOX_EMAIL))
        elif not keys and not error:
            listing.add_option(Option("no keys in your keyring: give a key file, or create a key below", disabled=True))
        for key in keys:
            can = "encrypts" if key.can_encrypt else "CANNOT encrypt"
            label = f"{key.name or '?'} <{key.email}>  {key.fingerprint[-16:]}  {can}"
            listing.add_option(Option(label, id=key.fingerprint, disabled=not key.can_encrypt))
        usable = [i for i in range(listing.option_count) if not listing.get_option_at_index(i).disabled]
        if usable:
            listing.highlighted = usable[0]  # Enter picks it once the list has the focus

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "key-list" and event.option.id:
            self.query_one("#pgp-key", Input).value = event.option.id

    # ---- choices

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        key = (event.pressed.id or "").removeprefix("kind-")
        flags = dict((k, f) for k, _l, f in KINDS)[key]
        self.form.set("authentication.access_key", flags[0])
        self.form.set("authentication.console", flags[1])
        if key == "console" and "authentication.enforce_mfa" not in self.touched:
            self.query_one("#enforce-mfa", Checkbox).value = True  # a person's password: MFA by default
        self._show_boxes()
        self.refresh_problems()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.input.id == "password-length":
            event.stop()
            try:
                self.form.set("authentication.password_length", int(event.value))
            except ValueError:
                self.form.set("authentication.password_length", event.value)
            self.touched.add("authentication.password_length")
            self.refresh_problems()
            return
        if event.input.id and event.input.id.startswith("new-"):
            event.stop()
            return
        if event.input.id == "pgp-key":
            self.pgp_problem = None
        super().on_input_changed(event)

    def advances_on_enter(self, field: TextualInput) -> bool:
        return not (field.id or "").startswith("new-")  # the new key's fields: Enter goes to the next one

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.input.id and event.input.id.startswith("new-"):
            event.stop()
            self.focus_next()
            return
        super().on_input_submitted(event)

    def refresh_problems(self) -> list[Problem]:
        problems = super().refresh_problems()
        self.query_one("#auth-findings", Static).update(self.wizard.findings_text("authentication"))
        return problems

    def extra_problems(self) -> list[Problem]:
        if self.pgp_problem:
            return [Problem(field="authentication.pgp_key", message=self.pgp_problem)]
        return []

    # ---- creating a key

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.button.id == "show-new-key":
            event.stop()
            box = self.query_one("#new-key-box")
            box.display = True
            self.query_one("#new-name", Input).focus()
        elif event.button.id == "create-key":
            event.stop()
            self._create_key()
        else:
            super().on_button_pressed(event)

    def _create_key(self) -> None:
        name = self.query_one("#new-name", Input).value.strip()
        email = self.query_one("#new-email", Input).value.strip()
        first = self.query_one("#new-pass", Input)
        second = self.query_one("#new-pass2", Input)
        problem = None
        if not name or not email:
            problem = "give your name and e-mail for the key"
        elif not first.value:
            problem = "a new key needs a passphrase: it protects what decrypts the new credentials"
        elif first.value != second.value:
            problem = "the two passphrases differ; type the same passphrase twice"
        box_error = next(e for e in self.query(FieldError) if e.path == "new_key")
        if problem:
            box_error.show([problem])
            return
        box_error.show([])
        self.query_one("#new-key-status", Static).update("creating an RSA 3072 key… (a few seconds)")
        self.create_key_worker(name, email, first.value)
        first.value = second.value = ""  # the passphrase leaves the screen now

    @work(thread=True, exclusive=True, group="keys", exit_on_error=False)
    def create_key_worker(self, name: str, email: str, passphrase: str) -> None:
        from ...engine import secrets

        try:
            key = secrets.create_key(name, email, passphrase)
        except secrets.PgpError as exc:
            self.app.call_from_thread(self._key_failed, str(exc))
            return
        self.app.call_from_thread(self._key_created, key.fingerprint)

    def _key_failed(self, message: str) -> None:
        self.query_one("#new-key-status", Static).update("")
        next(e for e in self.query(FieldError) if e.path == "new_key").show([message])

    def _key_created(self, fingerprint: str) -> None:
        self.query_one("#new-key-status", Static).update(f"created {fingerprint}")
        self.query_one("#pgp-key", Input).value = fingerprint
        self.query_one("#new-key-box").display = False
        self.load_keys()

    # ---- leaving: the key must exist and encrypt (asked of gpg, in a worker)

    def leave_forward(self) -> None:
        access, console = self.form.get("authentication.access_key"), self.form.get("authentication.console")
        if not (access or console):
            self.wizard.go_next(self.STEP)
            return
        ref = self.form.get("authentication.pgp_key")
        if self.wizard.session.sandbox and ref == SANDBOX_EMAIL:
            self.wizard.go_next(self.STEP)  # the engine makes (or reuses) the sandbox key at run time
            return
        self.wizard.deciding()  # keys typed meanwhile wait for gpg's verdict
        self.check_key_worker(ref)

    @work(thread=True, exclusive=True, group="keys", exit_on_error=False)
    def check_key_worker(self, ref: str) -> None:
        from ...engine import secrets

        try:
            secrets.require_encryption_key(secrets.find_public_key(ref))
            problem = None
        except secrets.PgpError as exc:
            problem = str(exc)
        self.app.call_from_thread(self._key_checked, problem)

    def _key_checked(self, problem: str | None) -> None:
        if problem and not self.wizard.session.sandbox:
            self.pgp_problem = problem
            self.refresh_problems()
            self.query_one("#pgp-key", Input).focus()
            self.wizard.stay()
            return
        if problem:
            self.notify("Sandbox: the key is not usable here, so the sandbox's throwaway key encrypts its fake "
                        "secrets.", severity="warning")
        self.pgp_problem = None
        self.wizard.go_next(self.STEP)


SCREEN = AuthenticationScreen
