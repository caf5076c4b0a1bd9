"""A wizard session whose "terraform" is a script: the run and result screens get the
same events and results a real run gives, instantly and identically every time, so
their snapshots can be compared.  (The real thing runs in test_flow.py.)"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tfiam_tui.engine.aws import expected
from tfiam_tui.engine.pipeline import Credentials, PlanSummary
from tfiam_tui.engine.pipeline.recovery import Recovery
from tfiam_tui.engine.secrets import DecryptError
from tfiam_tui.engine.terraform.events import (
    ChangeSummary,
    Diagnostic,
    Finished,
    Line,
    PlannedChange,
    ResourceProgress,
    TerraformVersion,
)
from tfiam_tui.tui.session import Session

CHANGES = [
    ("create", "aws_iam_group.this[\"ci-group\"]"),
    ("create", "aws_iam_group_policy_attachment.managed[\"ci-group|PowerUserAccess\"]"),
    ("create", "aws_iam_policy.custom[\"ci-group\"]"),
    ("create", "aws_iam_user.this"),
    ("create", "aws_iam_access_key.this[0]"),
]
ACCOUNT = "123456789012"


class ScriptedRunner:
    def __init__(self) -> None:
        self.sigints_sent = 0

    def interrupt(self) -> bool:
        self.sigints_sent += 1
        return self.sigints_sent == 1


class ScriptedPipeline:
    """The Pipeline methods the run and result screens call, with canned answers.

    ``hold``: the apply stops after the first resource is done and the second has started,
    until ``release`` is set (``held`` says it got there): Run in the middle of an apply.
    ``fail``: the apply of the user fails with this (long) error.  ``passphrase``: the
    secrets decrypt only with it."""

    def __init__(self, answers: Any, *, hold: bool = False, fail: str | None = None,
                 passphrase: str | None = None) -> None:
        self.answers = answers
        self.runner = ScriptedRunner()
        self.summary: PlanSummary | None = None
        self.review = None  # nothing dangerous in the scripted plan
        self.hold, self.fail, self.passphrase = hold, fail, passphrase
        self.held, self.release = threading.Event(), threading.Event()

    def recover(self) -> Recovery:
        return Recovery()  # no interrupted apply to finish

    def discard_plan(self) -> None:
        pass

    def check(self) -> None:
        pass

    def preflight(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user/admin"

    def edited_files(self) -> list[str]:
        return []

    def prepare(self, *, overwrite_edits: bool = False) -> None:
        pass

    def plan(self):
        yield TerraformVersion("1.11.4")
        yield Line("Terraform will perform the following actions:")
        for action, address in CHANGES:
            yield Line(f"  # {address} will be created")
            yield PlannedChange(address, action)
        yield ChangeSummary(len(CHANGES), 0, 0, "plan")
        yield Line(f"Plan: {len(CHANGES)} to add, 0 to change, 0 to destroy.")
        self.summary = PlanSummary(add=len(CHANGES), changes=list(CHANGES))
        yield Finished("plan", 2, True, 1.0)

    def name_conflicts(self) -> tuple[list, None]:
        return [], None  # the scripted account has nothing of the same names

    def apply(self):
        yield TerraformVersion("1.11.4")
        for n, (action, address) in enumerate(CHANGES):
            yield ResourceProgress(address, action, "start")
            yield Line(f"{address}: Creating...")
            if self.hold and n == 1:
                self.held.set()
                self.release.wait(timeout=60)  # the test releases it; never hangs a run
            if self.fail and address.endswith("aws_iam_user.this"):
                yield Line(f"Error: {self.fail}")
                yield Diagnostic("error", "creating IAM User", self.fail, address)
                yield ResourceProgress(address, action, "errored", 1.0)
                yield Finished("apply", 1, None, 2.0)
                return
            yield ResourceProgress(address, action, "complete", 1.0)
            yield Line(f"{address}: Creation complete after 1s")
        yield Finished("apply", 0, True, 2.0)

    def credentials(self, passphrase: str | None = None) -> Credentials:
        if self.passphrase is not None and passphrase != self.passphrase:
            which = "protected by a passphrase and none was given" if not passphrase else "bad passphrase"
            raise DecryptError(f"cannot decrypt: {which} (the key of Operator <op@example.com> 0123456789ABCDEF)")
        if not self.answers.authentication.access_key:  # console only: a password, no key
            return Credentials(user_name=self.answers.user.name,
                               user_arn=f"arn:aws:iam::{ACCOUNT}:user/{self.answers.user.name}",
                               password="Temp-Password-1234!")
        return Credentials(user_name=self.answers.user.name,
                           user_arn=f"arn:aws:iam::{ACCOUNT}:user/{self.answers.user.name}",
                           access_key_id="AKIAIOSFODNN7EXAMPLE",
                           secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    def verify(self, credentials: Credentials | None = None) -> list[expected.Check]:
        name = self.answers.user.name
        return [
            expected.Check(f"user {name} exists", True, f"arn:aws:iam::{ACCOUNT}:user/{name}"),
            expected.Check("tags match", True),
            expected.Check("member of ci-group", True),
            expected.Check("access key works", credentials is not None, f"sts says user/{name}"),
        ]


class ScriptedSession(Session):
    """``options`` go to every ScriptedPipeline; the clocks stand still at ``now`` (a test
    moves it), so what the screens show does not depend on the machine's speed."""

    def __init__(self, *args, keep_log: bool = False, **options) -> None:
        self.options = {k: options.pop(k) for k in ("hold", "fail", "passphrase") if k in options}
        super().__init__(*args, **options)
        self.now = 1000.0
        self.clock = lambda: self.now
        self.keep_log = keep_log  # snapshots name a workspace that is not there: no log is written

    def open_run_log(self, workspace_dir: Path) -> Path:
        if self.keep_log:
            return super().open_run_log(workspace_dir)
        return Path(workspace_dir) / ".tfiam" / "logs" / "not-written.log"

    def new_pipeline(self, answers, workspace_dir: Path):
        self.pipeline = ScriptedPipeline(answers, **self.options)
        return self.pipeline

    def ensure_init(self, answers, workspace_dir, on_event) -> bool:
        for text in ("Initializing the backend...", "Terraform has been successfully initialized!"):
            on_event(Line(text))
        on_event(Finished("init", 0, None, 1.0))
        self.init_state = "done"
        return True
