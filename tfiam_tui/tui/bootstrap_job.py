"""The State step's "create the bucket (and lock table) if missing": what
``tfiam backend bootstrap`` does, with the wizard's terraform options and sandbox.

No Textual here: the State screen calls these from worker threads and posts what they
yield as messages.  The steps are the engine's (:mod:`tfiam_tui.engine.bootstrap`):
detect what exists, render a scratch workspace that adopts it, init and plan, and, once
the operator confirmed the plan, apply; :meth:`BootstrapJob.report` says what existed and
what was created.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.answers import Answers
from ..engine.pipeline import explicit_credentials, review
from ..engine.terraform import bootstrap, workspace
from ..engine.terraform.events import ChangeSummary, Finished, PlannedChange, run_to_end
from ..engine.terraform.runner import DEFAULT_PLAN_FILE, Runner


class BootstrapJob:
    """One bootstrap run: a scratch workspace that lives until :meth:`close`."""

    def __init__(self, answers: Answers, *, terraform_bin: str, plugin_dir: str | None,
                 extra_env: dict[str, str | None]) -> None:
        """``answers`` as run (already pointed at the sandbox, when there is one)."""
        self.answers = answers
        self.extra_env = extra_env
        self._scratch = tempfile.TemporaryDirectory(prefix="tfiam-bootstrap-")
        self.runner = Runner(Path(self._scratch.name) / "state-backend", terraform_bin=terraform_bin,
                             plugin_dir=plugin_dir, extra_env=extra_env)
        self.inventory: bootstrap.Inventory | None = None
        self.planned: list[tuple[str, str]] = []
        self.counts = ChangeSummary(0, 0, 0, "plan")
        self.review: review.PlanReview | None = None  # the saved plan, classified (the destroy gate)

    @classmethod
    def for_session(cls, session: Any, answers: Answers) -> BootstrapJob:
        """A job with ``session``'s terraform, plugin dir, sandbox endpoint and environment."""
        return cls(session.effective(answers), terraform_bin=session.terraform_bin,
                   plugin_dir=session.plugin_dir, extra_env=session.extra_env())

    def detect(self) -> bootstrap.Inventory:
        """Ask AWS what exists.  Raises BootstrapError (worded for the operator) or botocore errors."""
        self.inventory = bootstrap.detect(self.answers, explicit_credentials(self.extra_env))
        return self.inventory

    def plan(self, on_event: Callable[[Any], None]) -> Finished:
        """Write the scratch workspace, ``terraform init`` and ``plan``; every event goes to
        ``on_event``.  Returns the last Finished (init's, when init failed)."""
        assert self.inventory is not None, "detect() first"
        workspace.write(self.runner.workdir, bootstrap.render(self.answers, self.inventory),
                        owner=bootstrap.owner(self.answers))
        finished = run_to_end(self.runner.init(), on_event, check=False)
        if not finished.ok:
            return finished
        self.planned = []

        def collect(event: Any) -> None:
            if isinstance(event, PlannedChange):
                self.planned.append((event.action, event.address))
            elif isinstance(event, ChangeSummary):
                self.counts = event
            on_event(event)

        finished = run_to_end(self.runner.plan(), collect, check=False)
        if finished.ok and self.has_changes:
            plan_file = self.runner.workdir / DEFAULT_PLAN_FILE
            self.review = review.review(self.runner.show_plan(DEFAULT_PLAN_FILE), plan_file)
        return finished

    @property
    def has_changes(self) -> bool:
        return bool(self.counts.add or self.counts.change or self.counts.remove)

    def changes(self) -> list[str]:
        """The plan, one line per resource (imports are adoptions, not changes)."""
        return [f"{action:>7} {address}" for action, address in self.planned if action != "import"]

    def apply(self, on_event: Callable[[Any], None]) -> Finished:
        """Apply the saved plan (exactly what the operator confirmed)."""
        return run_to_end(self.runner.apply(), on_event, check=False)

    def report(self) -> bootstrap.Report:
        assert self.inventory is not None
        return bootstrap.report(self.inventory, self.planned)

    def close(self) -> None:
        """Remove the scratch workspace (AWS itself records what exists)."""
        self._scratch.cleanup()

