"""The steps from answers to a verified user, in order.  Every front drives this.

    prepare()  resolve the PGP key, render and write the workspace (raises AnswersError)
    init()     terraform init                         -> events
    plan()     terraform plan -out (one plan)         -> events; then .summary
    apply()    terraform apply <that plan file>       -> events
    outputs()  terraform output -json                 -> dict (no plaintext in it)
    credentials(passphrase)                           -> decrypted Credentials
    verify(credentials)                               -> checklist

Fronts render the events (lines and typed progress) and ask their own questions
(confirmation, passphrase); the engine never prompts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from . import secrets
from .answers import Answers, AnswersError, Problem
from .aws import preflight, verify
from .aws.clients import error_text
from .aws.expected import Check, Expected
from .secrets import sandbox_key as sandbox_keys
from .terraform import backends, statemove, workspace
from .terraform.events import ChangeSummary, Finished, PlannedChange, TerraformNotFound
from .terraform.runner import Runner
from .timings import Timings, timed

PLAN_FILE = "tfiam.tfplan"
MIN_TERRAFORM = (1, 6)


@dataclass
class PlanSummary:
    """What the reviewed plan will do."""

    add: int = 0
    change: int = 0
    remove: int = 0
    changes: list[tuple[str, str]] = field(default_factory=list)  # (action, address)

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.remove or self.changes)

    def headline(self) -> str:
        if not self.has_changes:
            return "No changes. The user and its permissions already match the answers."
        return f"Plan: {self.add} to add, {self.change} to change, {self.remove} to destroy."


@dataclass
class Credentials:
    """The new user's decrypted secrets.  Lives in memory only; never logged."""

    user_name: str
    user_arn: str
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def account_id(self) -> str:
        parts = self.user_arn.split(":")
        return parts[4] if len(parts) > 4 else ""


def with_endpoint(answers: Answers, endpoint: str) -> Answers:
    """The same answers pointed at a stand-in AWS (the sandbox)."""
    return answers.model_copy(update={"provider": answers.provider.model_copy(update={"endpoint": endpoint})})


def resolve_pgp_key(answers: Answers) -> secrets.PublicKey | None:
    """The operator's public key for the answers, or None when no secret is created.

    A key that is missing or cannot encrypt is an answers problem (exit 3, nothing written).
    """
    auth = answers.authentication
    if not (auth.access_key or auth.console):
        return None
    assert auth.pgp_key is not None  # the model requires it
    try:
        return secrets.require_encryption_key(secrets.find_public_key(auth.pgp_key))
    except secrets.GpgNotFound:
        raise
    except secrets.PgpError as exc:
        raise AnswersError([Problem(field="authentication.pgp_key", message=str(exc))]) from None


class Pipeline:
    """One answers file, one workspace, one run."""

    def __init__(
        self,
        answers: Answers,
        workspace_dir: Path,
        *,
        terraform_bin: str = "terraform",
        plugin_dir: str | None = None,
        extra_env: dict[str, str | None] | None = None,
        sandbox: bool = False,
        lock_timeout: str | None = None,
    ):
        """``sandbox``: the endpoint is the built-in stand-in AWS; when the answers' PGP key
        is not in the keyring, encrypt the (fake) secrets to the sandbox's throwaway key.
        ``lock_timeout``: how long plan/apply wait for the state lock (e.g. "10s")."""
        self.answers = answers
        self.workspace_dir = Path(workspace_dir)
        self.extra_env = dict(extra_env or {})
        self.runner = Runner(
            self.workspace_dir, terraform_bin=terraform_bin, plugin_dir=plugin_dir, extra_env=self.extra_env
        )
        self.summary: PlanSummary | None = None
        self.pgp_key: secrets.PublicKey | None = None
        self.sandbox = sandbox
        self.used_sandbox_key = False
        self.lock_timeout = lock_timeout
        self._checked = False
        self.account_id: str | None = None  # from preflight(); recorded in the workspace's manifest
        self.timings = Timings()  # seconds per step (tfiam replay --timings)
        self._outputs: dict | None = None  # `terraform output` since the last init/apply

    # ------------------------------------------------------------------ steps

    @timed("check")
    def check(self) -> None:
        """Everything that can be known before writing: the PGP key can encrypt and the
        workspace folder can be written.  Raises AnswersError (nothing written)."""
        try:
            self.pgp_key = resolve_pgp_key(self.answers)
        except AnswersError:
            if not self.sandbox:
                raise
            self.pgp_key = sandbox_keys.sandbox_key()
            self.used_sandbox_key = True
        workspace.check_target(self.workspace_dir, self.owner(), self._render())
        self.check_terraform()
        self._checked = True

    def check_terraform(self) -> str:
        """The terraform (or tofu) binary runs and is new enough.  Raises TerraformNotFound."""
        version = self.runner.binary_version()
        parts = [int(p) for p in re.findall(r"\d+", version)[:2]] or [0]
        if tuple(parts) < MIN_TERRAFORM:
            raise TerraformNotFound(
                self.runner.terraform_bin,
                f"is version {version}; tfiam needs Terraform or OpenTofu {'.'.join(map(str, MIN_TERRAFORM))} or later",
            )
        return version

    def rendered(self) -> dict[str, bytes]:
        if not self._checked:
            self.check()
        return self._render()

    def _render(self) -> dict[str, bytes]:
        return workspace.render(self.answers, self.pgp_key.provider_b64 if self.pgp_key else None)

    def owner(self) -> workspace.Owner:
        """Whose workspace this is: the answers' user, in the account preflight() found."""
        return workspace.owner_of(self.answers, self.account_id)

    def edited_files(self) -> list[str]:
        """Workspace files changed by hand since tfiam wrote them (ask before prepare())."""
        return workspace.edited_files(self.workspace_dir, self.rendered())

    @timed("write")
    def prepare(self, *, overwrite_edits: bool = False) -> workspace.WriteResult:
        """Check (unless done), then write the workspace.  Nothing is written unless
        everything is right; hand edits raise workspace.WorkspaceEdited unless
        ``overwrite_edits``."""
        files = self.rendered()
        result = workspace.write(self.workspace_dir, files, owner=self.owner(), overwrite_edits=overwrite_edits)
        if self.used_sandbox_key and self.pgp_key is not None:
            sandbox_keys.mark_workspace(self.workspace_dir, self.pgp_key)
        else:
            sandbox_keys.unmark_workspace(self.workspace_dir)
        return result

    def loose_permissions(self) -> list[str]:
        """Files holding state, plans or ciphertext that others can read (warn the operator)."""
        found = []
        for name in ("terraform.tfstate", "terraform.tfstate.backup", PLAN_FILE, workspace.TFVARS):
            path = self.workspace_dir / name
            if path.is_file() and path.stat().st_mode & 0o077:
                found.append(f"{path} is mode {path.stat().st_mode & 0o777:o}; make it owner-only: chmod 600 {path}")
        if self.workspace_dir.is_dir() and self.workspace_dir.stat().st_mode & 0o077:
            mode = self.workspace_dir.stat().st_mode & 0o777
            found.append(f"{self.workspace_dir} is mode {mode:o}; make it owner-only: chmod 700 {self.workspace_dir}")
        return found

    def init_step(self) -> statemove.InitStep:
        """How init must run: for an S3 backend, whether local state moves to the bucket
        (ask the operator when ``.asks``).  Raises statemove.MigrationError when the
        bucket already holds a different state."""
        return statemove.plan_init(self.answers, self.workspace_dir, explicit_credentials(self.extra_env))

    @timed("init")
    def init(self, step: statemove.InitStep | None = None) -> Iterator:
        """terraform init (with the S3 backend configuration; migrating as ``step`` says)."""
        options = statemove.init_options(step) if step is not None else {}
        self._outputs = None
        yield from self.runner.init(backend_config=backends.backend_config_file(self.answers), **options)

    def before_init(self, step: statemove.InitStep) -> list[Path]:
        """For an "adopt" step (S3 already holds exactly the local state): delete the local
        copy (returns what was deleted).  Raises statemove.MigrationError."""
        return statemove.adopt(step, self.answers, self.workspace_dir, explicit_credentials(self.extra_env))

    def finish_init(self, step: statemove.InitStep) -> list[Path]:
        """After a migrating init: verify the bucket holds the local state, then delete the
        local copy (returns what was deleted).  Raises statemove.MigrationError."""
        if step.mode != "migrate":
            return []
        return statemove.finish_init(step, self.runner.state_pull(), self.workspace_dir)

    @timed("plan")
    def plan(self) -> Iterator:
        """Plan once, into the plan file that apply() will apply.  Fills ``self.summary``."""
        summary = PlanSummary()
        for event in self.runner.plan(PLAN_FILE, lock_timeout=self.lock_timeout):
            if isinstance(event, PlannedChange):
                summary.changes.append((event.action, event.address))
            elif isinstance(event, ChangeSummary):
                summary.add, summary.change, summary.remove = event.add, event.change, event.remove
            elif isinstance(event, Finished) and event.ok:
                plan_path = self.workspace_dir / PLAN_FILE
                if not summary.has_changes:
                    plan_path.unlink(missing_ok=True)  # nothing to apply; keep no stale plan
                self.summary = summary
            yield event

    @timed("conflicts")
    def name_conflicts(self) -> tuple[list[preflight.NameConflict], str | None]:
        """After plan, before apply: users, groups and policies the plan creates that the
        account already has (preflight.name_conflicts).  When there are any, the plan file is
        deleted: it cannot be applied cleanly.  Returns (conflicts, None), or ([], why)
        when IAM could not be asked (the apply then reports any clash itself)."""
        if self.summary is None:
            raise RuntimeError("name_conflicts() needs a successful plan() first")
        creates = [address for action, address in self.summary.changes if action == "create"]
        try:
            conflicts = preflight.name_conflicts(self.answers, creates, endpoint=self.answers.provider.endpoint,
                                              credentials=explicit_credentials(self.extra_env))
        except (ClientError, BotoCoreError) as exc:
            return [], error_text(exc)
        if conflicts:
            (self.workspace_dir / PLAN_FILE).unlink(missing_ok=True)
        return conflicts, None

    @timed("apply")
    def apply(self) -> Iterator:
        """Apply exactly the reviewed plan file; never plans again."""
        if self.summary is None:
            raise RuntimeError("apply() needs a successful plan() first")
        self._outputs = None
        yield from self.runner.apply(PLAN_FILE, lock_timeout=self.lock_timeout)
        reported = self.runner.applied_outputs
        if reported is not None and not any(item.get("sensitive") for item in reported.values()):
            self._outputs = _values(reported)  # what `terraform output` would say; one process fewer
        plan_path = self.workspace_dir / PLAN_FILE
        if plan_path.exists():  # applied plans are stale; terraform would refuse them anyway
            plan_path.unlink()

    @timed("output")
    def outputs(self) -> dict:
        """The root outputs: as the apply reported them, else from one ``terraform output``
        (credentials and verify both need them; terraform runs for neither a second time)."""
        if self._outputs is None:
            self._outputs = read_outputs(self.runner)
        return dict(self._outputs)

    def credentials(self, passphrase: str | None = None) -> Credentials:
        outputs = self.outputs()
        with self.timings.measure("decrypt"):
            return workspace_credentials(self.workspace_dir, outputs, passphrase=passphrase)

    @timed("verify")
    def verify(self, credentials: Credentials | None = None) -> list[Check]:
        """The guide's step 5: the user, its tags, groups and policies, and that the key works."""
        expected = Expected.from_answers(self.answers)
        key = None
        if credentials and credentials.access_key_id and credentials.secret_access_key:
            key = (credentials.access_key_id, credentials.secret_access_key)
        return verify.verify(
            expected,
            region=self.answers.provider.region,
            endpoint=self.answers.provider.endpoint,
            profile=self.answers.provider.profile,
            access_key=key,
            credentials=explicit_credentials(self.extra_env),
            check_stray_keys=True,
            managed_key_id=self.outputs().get("access_key_id"),
        )

    @timed("preflight")
    def preflight(self) -> str:
        """Who we are in which account (STS), before anything is written.  Raises
        preflight.PreflightError when AWS is unreachable or there are no credentials."""
        arn = preflight.preflight(
            region=self.answers.provider.region,
            endpoint=self.answers.provider.endpoint,
            profile=self.answers.provider.profile,
            credentials=explicit_credentials(self.extra_env),
        )
        parts = arn.split(":")
        self.account_id = parts[4] if len(parts) > 4 and parts[4] else None
        # A workspace of another account is refused now, before anything is written.
        workspace.check_target(self.workspace_dir, self.owner(), self._render())
        return arn


def explicit_credentials(extra_env: dict[str, str | None]) -> tuple[str, str] | None:
    """The sandbox's dummy credentials, when a run's environment sets them; else None (the
    operator's profile or default chain)."""
    key_id, secret = extra_env.get("AWS_ACCESS_KEY_ID"), extra_env.get("AWS_SECRET_ACCESS_KEY")
    return (key_id, secret) if key_id and secret else None


def read_outputs(runner: Runner) -> dict:
    """The root outputs as plain values (``terraform output -json``)."""
    return _values(runner.output())


def _values(raw: dict) -> dict:
    """``{name: {"value", "type", "sensitive"}}`` -> ``{name: value}``."""
    return {name: (item.get("value") if isinstance(item, dict) else item) for name, item in raw.items()}


def decrypt_credentials(
    outputs: dict, *, passphrase: str | None = None, gnupghome: str | None = None
) -> Credentials:
    """Decrypt the encrypted outputs with the operator's secret key.  Raises secrets.DecryptError."""
    creds = Credentials(user_name=outputs.get("user_name") or "", user_arn=outputs.get("user_arn") or "")
    if outputs.get("access_key_id"):
        creds.access_key_id = outputs["access_key_id"]
        creds.secret_access_key = secrets.decrypt(
            outputs["access_key_encrypted_secret"], passphrase=passphrase, gnupghome=gnupghome
        )
    if outputs.get("login_profile_encrypted_password"):
        creds.password = secrets.decrypt(
            outputs["login_profile_encrypted_password"], passphrase=passphrase, gnupghome=gnupghome
        )
    return creds


def workspace_credentials(workspace_dir: Path, outputs: dict, *, passphrase: str | None = None) -> Credentials:
    """Decrypt a workspace's secrets: with the sandbox key when the sandbox made them,
    otherwise with the operator's keyring."""
    sandbox = sandbox_keys.workspace_keyring(Path(workspace_dir))
    if sandbox:
        home, sandbox_passphrase = sandbox
        return decrypt_credentials(outputs, passphrase=sandbox_passphrase, gnupghome=home)
    return decrypt_credentials(outputs, passphrase=passphrase)
