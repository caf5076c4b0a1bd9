"""The Pipeline: one answers file, one workspace, one run (see the package docstring)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from .. import secrets, text
from ..answers import Answers, AnswersError, Problem, pgp_key_reference
from ..answers.offboarding import disabled
from ..aws import preflight, verify
from ..aws.clients import error_text
from ..aws.expected import Check, Expected
from ..secrets import sandbox_key as sandbox_keys
from ..terraform import backends, keyslots, statefile, statemove, workspace
from ..terraform.events import ChangeSummary, Finished, Notice, PlannedChange, TerraformNotFound
from ..terraform.runner import Runner
from ..timings import Timings, timed
from . import inflight, plans, recovery, review
from .credentials import Credentials, explicit_credentials, read_outputs, sandboxed, values_of, workspace_credentials
from .plans import PlanSummary

MIN_TERRAFORM = (1, 6)


def with_endpoint(answers: Answers, endpoint: str) -> Answers:
    """The same answers pointed at a stand-in AWS (the sandbox), with no profile left to
    reach the operator's real credentials (see credentials.sandboxed)."""
    return sandboxed(answers, endpoint)


class KeyAbsent(AnswersError):
    """The answers' PGP key is not in the keyring (the one case the sandbox's key stands in for)."""


def resolve_pgp_key(answers: Answers) -> secrets.PublicKey | None:
    """The operator's public key for the answers, or None when no secret is created.
    A key file is read relative to the answers file (:func:`pgp_key_reference`).

    A key that is missing or cannot encrypt is an answers problem (exit 3, nothing written).
    """
    auth = answers.authentication
    if not (auth.access_key or auth.console):
        return None
    ref = pgp_key_reference(answers)
    assert ref is not None  # the model requires it
    try:
        return secrets.require_encryption_key(secrets.find_public_key(ref))
    except secrets.GpgNotFound:
        raise
    except secrets.KeyNotFound as exc:
        raise KeyAbsent([Problem(field="authentication.pgp_key", message=str(exc))]) from None
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
        self.review: review.PlanReview | None = None  # the plan as shown, classified and fingerprinted
        self.plan_file: str | None = None  # this run's own plan, relative to the workspace
        self.unfinished: tuple[str, ...] = ()  # what an interrupted apply was creating (recover())
        self.pgp_key: secrets.PublicKey | None = None
        self.sandbox = sandbox
        self.used_sandbox_key = False
        self.lock_timeout = lock_timeout
        self._checked = False
        self.account_id: str | None = None  # from preflight(); recorded in the workspace's manifest
        self.timings = Timings()  # seconds per step (tfiam replay --timings)
        self._outputs: dict | None = None  # `terraform output` since the last init/apply
        self._key_slots: keyslots.KeySlots | None = None  # read from the state once (key_slots())
        self._slots_from_step = False  # set by a lifecycle step, not read from the state
        self.adoption: workspace.Adoption | None = workspace.read_adoption(workspace_dir)  # tfiam adopt's record
        self._held: set[str] = set()  # the resource addresses the state holds (key_slots())

    # ------------------------------------------------------------------ steps

    @timed("check")
    def check(self) -> None:
        """Everything that can be known before writing: the PGP key can encrypt and the
        workspace folder can be written.  Raises AnswersError (nothing written)."""
        try:
            self.pgp_key = resolve_pgp_key(self.answers)
        except KeyAbsent:
            # Only an absent key: one that is expired, revoked or cannot encrypt is the same
            # error with --sandbox as without, or the operator would learn of it on real AWS.
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
        slots = self.key_slots()
        adopted = None if self.adoption is None else (self.adoption, self._held)
        return workspace.render(self.answers, self.pgp_key.provider_b64 if self.pgp_key else None, slots, adopted)

    def key_slots(self) -> keyslots.KeySlots:
        """The access key slots to write: as the state keeps them (a rotation's, on any
        machine that shares the state), unless a lifecycle step set its own.  Raises
        preflight.PreflightError when the state cannot be read: guessing could delete a key."""
        if self._key_slots is None:
            try:
                state = statefile.read_state(self.answers, self.workspace_dir, explicit_credentials(self.extra_env),
                                             before_init=True)
            except (OSError, ValueError, RuntimeError, BotoCoreError, ClientError) as exc:
                why = error_text(exc) if isinstance(exc, BotoCoreError | ClientError) else str(exc)
                raise preflight.PreflightError(f"cannot read the workspace's state to keep its access keys: {why}") from None
            self._held = statefile.addresses(state)
            self._key_slots = keyslots.from_state(state, wanted=self.answers.authentication.access_key)
            waiting = self.adoption.waiting_slots(self._held) if self.adoption else {}
            if waiting and self.answers.authentication.access_key:
                # Adopted keys not imported yet: the slots they are imported into, beside any the
                # state holds (an import apply cut off half-way).
                slots = dict(self._key_slots.slots) if keyslots.state_keys(state) else {}
                self._key_slots = keyslots.KeySlots({**slots, **waiting}, self._key_slots.record)
        return self._key_slots

    def state_holds(self, address: str) -> bool:
        """Whether the workspace's state holds the resource at ``address`` (read once)."""
        self.key_slots()
        return address in self._held

    def _refresh_key_slots(self) -> None:
        """Just before planning, the slots as the state is now: another admin's rotation step
        applied since this run read them is kept, not undone.  (Applying a saved plan after
        the state changed again is refused by terraform itself.)"""
        if self._slots_from_step or self._key_slots is None:
            return
        held = self._key_slots
        self._key_slots = None
        if self.key_slots() != held:
            self.prepare(overwrite_edits=True)

    def set_key_slots(self, slots: keyslots.KeySlots | None) -> None:
        """A lifecycle step's slots and record (tfiam rotate), written instead of the state's;
        None: read them from the state again (after an apply that stopped half-way)."""
        self._key_slots = slots
        self._slots_from_step = slots is not None

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
        for name in ("terraform.tfstate", "terraform.tfstate.backup", workspace.TFVARS):
            path = self.workspace_dir / name
            if path.is_file() and path.stat().st_mode & 0o077:
                fix = text.command('chmod', '600', path)
                found.append(f"{path} is mode {path.stat().st_mode & 0o777:o}; make it owner-only: {fix}")
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

    @timed("recover")
    def recover(self) -> recovery.Recovery:
        """After init, before plan: delete what an interrupted apply of this workspace left
        in AWS but not in state (its access key or login profile, whose secret nobody
        holds); report, and never touch, anything made outside that apply's window."""
        found = recovery.recover(self.workspace_dir, self.answers, self.runner, explicit_credentials(self.extra_env))
        self.unfinished = found.unfinished
        return found

    @timed("plan")
    def plan(self, *, destroy: bool = False) -> Iterator:
        """Plan once, into this run's own plan file, which apply() will apply.  Fills
        ``self.summary`` and, when there is something to apply, ``self.review``.
        ``destroy``: a plan that deletes everything the workspace holds (tfiam offboard)."""
        workspace.check_target(self.workspace_dir, self.owner())  # a file planted since the write is refused too
        self._refresh_key_slots()
        plans.sweep(self.workspace_dir)
        self.discard_plan()
        self.plan_file = plans.new_plan_file(self.workspace_dir)
        summary = PlanSummary()
        for event in self.runner.plan(self.plan_file, lock_timeout=self.lock_timeout, destroy=destroy):
            if isinstance(event, PlannedChange):
                summary.changes.append((event.action, event.address))
            elif isinstance(event, ChangeSummary):
                summary.add, summary.change, summary.remove = event.add, event.change, event.remove
            elif isinstance(event, Finished) and event.ok:
                if summary.has_changes or event.changes:  # terraform's exit code 2 says so too
                    yield Notice("reading the saved plan back (terraform show) to find deletes and replacements…")
                    self.review = self._review()
                else:
                    self.discard_plan()  # nothing to apply; keep no stale plan
                    inflight.clear(self.workspace_dir)  # and nothing an interrupted apply left undone
                self.summary = summary
            yield event

    def _review(self) -> review.PlanReview:
        assert self.plan_file is not None
        path = self.workspace_dir / self.plan_file
        with self.timings.measure("review"):
            return review.review(self.runner.show_plan(self.plan_file), path, finishing=self.unfinished)

    def discard_plan(self) -> None:
        """Remove this run's plan file (a run that does not apply leaves none behind)."""
        if self.plan_file is not None:
            (self.workspace_dir / self.plan_file).unlink(missing_ok=True)
            self.plan_file = None

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
            self.discard_plan()
        return conflicts, None

    @timed("apply")
    def apply(self) -> Iterator:
        """Apply exactly the reviewed plan file; never plans again.  Raises
        plans.PlanChanged (nothing applied) when the file is not the one reviewed."""
        if self.summary is None or self.review is None or self.plan_file is None:
            raise RuntimeError("apply() needs a successful plan() with changes first")
        plans.check_unchanged(self.workspace_dir / self.plan_file, self.review.sha256)
        self._outputs = None
        creates = [c.address for c in self.review.changes if c.action in ("create", "replace")]
        inflight.begin(self.workspace_dir, creates)
        ok = False
        try:
            for event in self.runner.apply(self.plan_file, lock_timeout=self.lock_timeout):
                if isinstance(event, Finished):
                    ok = event.ok
                yield event
        finally:
            inflight.finish(self.workspace_dir, ok=ok)
            self.discard_plan()  # applied (or not) plans are stale; terraform would refuse them anyway
        reported = self.runner.applied_outputs
        if reported is not None and not any(item.get("sensitive") for item in reported.values()):
            self._outputs = values_of(reported)  # what `terraform output` would say; one process fewer

    @timed("output")
    def outputs(self) -> dict:
        """The root outputs: as the apply reported them, else from one ``terraform output``
        (credentials and verify both need them; terraform runs for neither a second time)."""
        if self._outputs is None:
            self._outputs = read_outputs(self.runner)
        return dict(self._outputs)

    def recipient_notices(self) -> list[str]:
        """Stored secrets encrypted to another key than the answers name now (another admin's
        keyring, a new key).  The secrets keep working: nothing is replaced on that account."""
        if self.pgp_key is None:
            return []
        return secrets.stored_secret_notices(self.outputs(), self.pgp_key)

    def credentials(self, passphrase: str | None = None) -> Credentials:
        outputs = self.outputs()
        with self.timings.measure("decrypt"):
            return workspace_credentials(self.workspace_dir, outputs, passphrase=passphrase)

    def key_check_skipped(self) -> str | None:
        """Why verification must not sign in with the newest key now; None when it may.
        During a rotation AWS records tfiam's sign-in as a use of the new key, and cutover
        waits for a consumer's: tfiam signs in only right after the key was made."""
        if self.key_slots().offboarding is not None:
            return "the user is disabled (tfiam offboard): its access keys are inactive"
        outputs = self.outputs()
        if outputs.get("access_key_id") and not outputs.get("access_key_encrypted_secret"):
            return ("the key was adopted as it is, so its secret was never in this workspace "
                    "(tfiam rotate replaces it with one that is)")
        record = self.key_slots().record or {}
        if record.get("phase") not in ("started", "cut-over"):
            return None
        made = keyslots.made_at(outputs, str(outputs.get("access_key_id") or ""))
        if made is not None and datetime.now(UTC) - made <= keyslots.OWN_SIGN_IN:
            return None
        return ("a key rotation is under way, and AWS would record tfiam's sign-in as a use of the new key "
                "(tfiam rotate's cutover waits for a consumer's)")

    def expected(self) -> Expected:
        """What the account should hold now: the answers, or while the user is disabled
        (tfiam offboard) the answers as disabled, every access key inactive."""
        offboarding = self.key_slots().offboarding
        if offboarding is None:
            return Expected.from_answers(self.answers)
        expected = Expected.from_answers(disabled(self.answers, offboarding))
        expected.access_key = False  # the keys are there, but none is active
        return expected

    @timed("verify")
    def verify(self, credentials: Credentials | None = None) -> list[Check]:
        """The guide's step 5: the user, its tags, groups and policies, and that the key works."""
        expected = self.expected()
        key = None
        if credentials and credentials.access_key_id and credentials.secret_access_key and not self.key_check_skipped():
            key = (credentials.access_key_id, credentials.secret_access_key)
        return verify.verify(
            expected,
            region=self.answers.provider.region,
            endpoint=self.answers.provider.endpoint,
            profile=self.answers.provider.profile,
            access_key=key,
            credentials=explicit_credentials(self.extra_env),
            check_stray_keys=True,
            managed_key_ids=keyslots.output_key_ids(self.outputs()),
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
