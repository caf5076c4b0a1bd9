"""What one wizard run needs besides the answers: the sandbox, terraform options, the
workspace, the background ``terraform init`` and the pipeline.  No Textual here:
screens call this from worker threads and post what it yields as messages.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine import answers as answers_mod
from ..engine import pipeline as pl
from ..engine.answers import Answers, AnswersError
from ..engine.pipeline.credentials import sandboxed
from ..engine.runlog import RunLog
from ..engine.terraform import workspace
from ..engine.terraform.events import Line, TerraformFailed, run_to_end
from ..engine.text import shown_lines

_PLACEHOLDER_USER = "tfiam-init"


def provisional_answers(data: dict[str, Any]) -> Answers | None:
    """Answers good enough to ``terraform init`` with: the provider and state sections as
    given, a placeholder user.  None while the provider step has problems."""
    base = {"version": 1, "provider": data.get("provider"), "user": {"name": _PLACEHOLDER_USER}}
    for backend in (data.get("backend"), {"type": "local"}):
        try:
            return answers_mod.parse({**base, "backend": backend})
        except AnswersError:
            continue
    return None


def init_files(answers: Answers) -> dict[str, bytes]:
    """The workspace files init depends on (everything but the variable values)."""
    files = workspace.render(answers, None)
    files.pop(workspace.TFVARS, None)
    return files


def init_owner(answers: Answers) -> workspace.Owner:
    """Who the early init writes for.  Before the user step is answered the name is a
    placeholder: then the workspace is left unclaimed (the full write claims it)."""
    owner = workspace.owner_of(answers)
    if answers.user.name == _PLACEHOLDER_USER:
        return workspace.Owner(owner.kind, "", None, owner.backend)
    return owner


def init_key(answers: Answers) -> str:
    """Changes when something init depends on changes (versions, backend, module)."""
    digest = hashlib.sha256()
    for name, data in sorted(init_files(answers).items()):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


class Session:
    """The run-time options of one wizard, shared by its screens (injected into the App)."""

    def __init__(
        self,
        *,
        workspace: str | None = None,
        sandbox: bool = False,
        plugin_dir: str | None = None,
        terraform_bin: str = "terraform",
        sandbox_factory: Callable[[], Any] | None = None,
    ):
        self.workspace_override = workspace
        self.sandbox = sandbox
        self.plugin_dir = plugin_dir
        self.terraform_bin = terraform_bin
        self._sandbox_factory = sandbox_factory
        self._sandbox: Any = None
        self._sandbox_lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._init_done: tuple[Path, str] | None = None
        self.init_lines: list[str] = []  # what the last init printed (shown on the run screen)
        self.init_state = "not started"  # not started / running / done / failed
        self.pipeline: pl.Pipeline | None = None
        self.clock: Callable[[], float] = time.monotonic  # the run screen's clocks (tests hold it still)
        self.run_log: RunLog | None = None
        self._log_lock = threading.Lock()
        self._log_pending: list[str] = []
        self._log_dir: Path | None = None

    # ---- the run log (the same redacted log ``tfiam replay`` writes)

    def log(self, text: str) -> None:
        """One line (or several) for the run log; held until the log opens (open_run_log).
        Thread-safe: workers and the screens both write.  Never pass a secret: the log's
        redaction is the second line of defence, not the first."""
        text = shown_lines(text)
        with self._log_lock:
            if self.run_log is not None:
                self.run_log.write(text)
            else:
                self._log_pending.append(text)

    def open_run_log(self, workspace_dir: Path) -> Path:
        """Open the run log in ``workspace_dir/.tfiam/logs/`` (once per workspace; a run in
        another workspace opens its own) and write what was said before it opened."""
        workspace_dir = Path(workspace_dir)
        with self._log_lock:
            if self.run_log is None or self._log_dir != workspace_dir:
                if self.run_log is not None:
                    self.run_log.close()
                self.run_log, self._log_dir = RunLog(workspace_dir, "wizard"), workspace_dir
                if self.sandbox and self._sandbox is not None:
                    self.run_log.write(f"SANDBOX: the stand-in AWS at {self._sandbox.endpoint} with dummy "
                                       "credentials; nothing here touches a real AWS account.")
                for line in self._log_pending:
                    self.run_log.write(line)
                self._log_pending.clear()
            return self.run_log.path

    # ---- sandbox

    def sandbox_endpoint(self) -> str | None:
        """Start the sandbox once (thread-safe) and return its endpoint; None without --sandbox."""
        if not self.sandbox:
            return None
        with self._sandbox_lock:
            if self._sandbox is None:
                if self._sandbox_factory is not None:
                    self._sandbox = self._sandbox_factory()
                else:
                    from ..engine.aws import sandbox_service
                    from ..engine.aws.sandbox import Sandbox

                    # The background sandbox (tfiam sandbox start) when one runs; it has no stop().
                    self._sandbox = sandbox_service.running() or Sandbox().start()
            return self._sandbox.endpoint

    def sandbox_lives(self) -> bool:
        """The sandbox is the background one (tfiam sandbox start): it outlives this wizard."""
        return bool(getattr(self._sandbox, "lives", False))

    def extra_env(self) -> dict[str, str | None]:
        if not self.sandbox:
            return {}
        from ..engine.aws.sandbox import Sandbox

        return Sandbox.env_overrides(os.environ)

    def close(self) -> None:
        """Remove the last run's unapplied plan, and stop the sandbox (everything in it vanishes)."""
        if self.pipeline is not None:
            self.pipeline.discard_plan()
        with self._log_lock:
            if self.run_log is not None:
                self.run_log.close()
        with self._sandbox_lock:
            if self._sandbox is not None and hasattr(self._sandbox, "stop"):
                self._sandbox.stop()
            self._sandbox = None

    # ---- terraform

    def effective(self, answers: Answers) -> Answers:
        """The answers as run: pointed at the sandbox when there is one, without a profile."""
        endpoint = self.sandbox_endpoint()
        return sandboxed(answers, endpoint) if endpoint else answers

    def current_pipeline(self) -> pl.Pipeline:
        """The pipeline of the run in progress (the Run and Result steps come after one starts)."""
        if self.pipeline is None:
            raise RuntimeError("no run has started yet")
        return self.pipeline

    def new_pipeline(self, answers: Answers, workspace_dir: Path) -> pl.Pipeline:
        if self.pipeline is not None:
            self.pipeline.discard_plan()  # a plan the operator went back from is never applied
        self.pipeline = pl.Pipeline(
            self.effective(answers),
            workspace_dir,
            terraform_bin=self.terraform_bin,
            plugin_dir=self.plugin_dir,
            extra_env=self.extra_env(),
            sandbox=self.sandbox,
        )
        return self.pipeline

    def ensure_init(self, answers: Answers, workspace_dir: Path, on_event: Callable[[Any], None]) -> bool:
        """Run ``terraform init`` in ``workspace_dir`` unless it already ran there for the same
        configuration.  Waits for a background init in progress.  Returns True when init ran
        now; raises TerraformFailed when it fails."""
        workspace_dir = Path(workspace_dir)
        key = init_key(answers)
        with self._init_lock:
            if self._init_done == (workspace_dir, key):
                return False
            self.init_state = "running"
            self.init_lines = []
            try:
                workspace.write(workspace_dir, init_files(answers), owner=init_owner(answers))
                runner = pl.Pipeline(
                    self.effective(answers), workspace_dir, terraform_bin=self.terraform_bin,
                    plugin_dir=self.plugin_dir, extra_env=self.extra_env(), sandbox=self.sandbox,
                ).runner
                def record(event: Any) -> None:
                    if isinstance(event, Line):
                        self.init_lines.append(event.text)
                    on_event(event)

                finished = run_to_end(runner.init(), record, check=False)
            except BaseException:
                self.init_state = "failed"
                raise
            if not finished.ok:
                self.init_state = "failed"
                raise TerraformFailed("init", finished.returncode, self.init_lines[-25:], interrupted=finished.interrupted)
            self.init_state = "done"
            self._init_done = (workspace_dir, key)
            return True

    @property
    def workspace_lock(self) -> threading.Lock:
        """Held while an init writes the workspace folder: a run's preflight checks the folder
        under it (one that checked meanwhile found it half-written, files but no manifest
        yet, and refused it)."""
        return self._init_lock

    def preinit(self, data: dict[str, Any], workspace_dir: Path | None) -> bool:
        """Background init as soon as the provider answers are complete.  Returns False
        when it could not start yet (provider incomplete, workspace unknown)."""
        import shutil

        answers = provisional_answers(data)
        if answers is None or workspace_dir is None or shutil.which(self.terraform_bin) is None:
            return False  # nothing is written for a run that cannot start
        try:
            self.ensure_init(answers, workspace_dir, lambda _event: None)
        except Exception:  # the run screen repeats init and shows the error in full
            return False
        return True

