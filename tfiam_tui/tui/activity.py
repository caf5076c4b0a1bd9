"""What terraform is doing at this moment, in words, with a clock: the run screen's live
progress.  No Textual here: the screen feeds it the engine's events as they arrive and
asks it for the lines to show (once a second too, so the clocks tick while terraform is
quiet: the AWS provider takes seconds to start and says nothing meanwhile).

terraform's machine-readable UI says when it has started (``version``), when it reads a
resource (``refresh_*``), what the plan holds (``planned_change``) and when each resource
starts and completes (``apply_*``); between those it is loading the plan, starting the
provider or saving state, and the words say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.terraform.events import (
    ChangeSummary,
    Diagnostic,
    Finished,
    Notice,
    PlannedChange,
    RefreshProgress,
    ResourceProgress,
    TerraformVersion,
    exit_words,
)

SYMBOLS = {"create": "+ create", "update": "~ update", "delete": "- destroy", "replace": "-/+ replace",
           "read": "<= read"}
DOING = {"create": "creating", "update": "updating", "delete": "destroying", "replace": "replacing",
         "read": "reading"}
GLYPHS = {"waiting": "·", "running": "…", "done": "✓", "failed": "✗"}
_MODULE = "module.iam_user."  # every resource of a tfiam workspace lives in this module


def short(address: str) -> str:
    """A resource address without the module every tfiam resource is in."""
    return address.removeprefix(_MODULE)


def seconds(value: float) -> str:
    value = max(0.0, value)
    if value < 60:
        return f"{value:.0f} s"
    return f"{int(value // 60)} min {int(value % 60):02d} s"


@dataclass
class Row:
    """One planned change and how far its apply is."""

    action: str
    address: str
    state: str = "waiting"  # waiting, running, done, failed
    started: float | None = None
    took: float | None = None  # seconds, terraform's own count when it gave one
    error: str = ""


class Activity:
    """The current terraform command: its stage in words, its clocks and its resources."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.command = ""
        self.stage = ""
        self.started: float | None = None
        self.stage_started: float | None = None
        self.rows: dict[str, Row] = {}
        self.finished: Finished | None = None
        self.last_words = ""  # how the last terraform command ended, in words
        self.planned = 0  # planned_change messages of the current command
        self.read = 0  # resources read (refresh) by the current command

    # ---- what happened

    def begin(self, command: str, stage: str | None = None) -> None:
        """A terraform command is being started."""
        self.command, self.finished, self.planned, self.read = command, None, 0, 0
        self.started = self.clock()
        self._stage(stage or f"starting terraform {command}…")

    def note(self, stage: str) -> None:
        """A stage of tfiam's own (checks, STS) before or between terraform commands."""
        self.command, self.finished = "", None
        self.started = self.clock()
        self._stage(stage)

    def stop(self) -> None:
        """The run stopped (planned, applied, failed): no clock, and no stage of tfiam's own
        left saying it is still under way; how terraform last ended stays."""
        self.command, self.started = "", None
        self.stage = self.last_words

    def plan_rows(self, changes: list[tuple[str, str]]) -> None:
        """The planned changes, every one waiting."""
        self.rows = {address: Row(action, address) for action, address in changes}

    def feed(self, event: object) -> None:
        if isinstance(event, TerraformVersion):
            self._started_terraform(event.version)
        elif isinstance(event, RefreshProgress):
            self._refresh(event)
        elif isinstance(event, PlannedChange):
            self.planned += 1
            if self.command == "plan":
                self.rows.setdefault(event.address, Row(event.action, event.address))
                self._stage(f"planning: {self.planned} change(s) so far…")
            else:
                self._stage("plan loaded; configuring the AWS provider to reach AWS…")
        elif isinstance(event, ResourceProgress):
            self._resource(event)
        elif isinstance(event, Notice):
            self._stage(event.text)
        elif isinstance(event, ChangeSummary):
            self._stage("saving the plan…" if event.operation == "plan" else "saving the state and the outputs…")
        elif isinstance(event, Diagnostic) and event.severity == "error":
            row = self.rows.get(event.address or "")
            if row is not None:
                row.state, row.error = "failed", event.summary
        elif isinstance(event, Finished):
            self.finished = event
            words = exit_words(event.command, event.returncode, interrupted=event.interrupted)
            self.last_words = f"terraform {event.command}: {words} after {event.duration:.1f} s"
            self._stage(self.last_words)

    def _stage(self, words: str) -> None:
        self.stage = words
        self.stage_started = self.clock()

    def _started_terraform(self, version: str) -> None:
        if self.command == "plan":
            self._stage(f"terraform {version} started; starting the AWS provider and reading the account "
                        "(the provider takes seconds to start)…")
        elif self.command == "apply":
            self._stage(f"terraform {version} started; loading the saved plan and starting the AWS provider "
                        "(a few seconds)…")
        else:
            self._stage(f"terraform {version} started…")

    def _refresh(self, event: RefreshProgress) -> None:
        if event.phase == "start":
            self._stage(f"reading {short(event.address)} from AWS…")
        else:
            self.read += 1
            self._stage(f"read {self.read} resource(s) from AWS; comparing them with the answers…")

    def _resource(self, event: ResourceProgress) -> None:
        row = self.rows.get(event.address)
        if row is None:  # not in the plan shown (a data source read during apply)
            row = self.rows[event.address] = Row(event.action or "read", event.address)
        now = self.clock()
        if event.phase == "provisioning":
            self._stage(f"running a provisioner of {short(event.address)}…")
            return
        if event.phase in ("start", "progress"):
            if row.state == "failed":
                return
            row.state = "running"
            row.started = row.started if row.started is not None else now
            if event.elapsed is not None:  # terraform's own clock, every 10 s
                row.started = now - event.elapsed
        else:
            row.state = "done" if event.phase == "complete" else "failed"
            row.took = event.elapsed if event.elapsed is not None else now - (row.started or now)
        running = [r for r in self.rows.values() if r.state == "running"]
        done, total = self.counts()
        if running:
            first = running[0]
            more = f" and {len(running) - 1} more" if len(running) > 1 else ""
            self._stage(f"{DOING.get(first.action, 'changing')} {short(first.address)}{more} ({done} of {total} done)…")
        elif done < total:
            self._stage(f"{done} of {total} done; terraform is starting the next…")
        else:
            self._stage(f"all {total} done; terraform is saving the state…")

    # ---- what to show

    def counts(self) -> tuple[int, int]:
        """(finished rows, all rows); a failed row is finished too."""
        return sum(r.state in ("done", "failed") for r in self.rows.values()), len(self.rows)

    def headline(self) -> str:
        """The stage with two clocks: the command's and the stage's (while it lasts)."""
        if not self.stage:
            return ""
        if self.finished is not None or self.started is None:
            return self.stage
        now = self.clock()
        total = f"{self.command}, {seconds(now - self.started)}" if self.command else seconds(now - self.started)
        waited = now - (self.stage_started or now)
        later = (self.stage_started or 0) - self.started >= 1  # else the command's clock says it
        tail = f" (this step {seconds(waited)})" if waited >= 2 and later else ""
        return f"[{total}] {self.stage}{tail}"

    def row_state(self, row: Row) -> str:
        """A row's state in a glyph and words: "✓ done in 1 s", "… creating 12 s"."""
        glyph = GLYPHS.get(row.state, "?")
        if row.state == "running":
            return f"{glyph} {DOING.get(row.action, 'changing')} {seconds(self.clock() - (row.started or self.clock()))}"
        if row.state == "done":
            return f"{glyph} done" + (f" in {seconds(row.took)}" if row.took and row.took >= 1 else "")
        return f"{glyph} {'FAILED' if row.state == 'failed' else 'waiting'}"

    def row_change(self, row: Row) -> str:
        return f"{SYMBOLS.get(row.action, row.action)} {short(row.address)}"

    def lines(self) -> list[str]:
        """One plain line per row (the run log, and tests)."""
        return [f"{self.row_state(row)}  {self.row_change(row)}" + (f": {row.error}" if row.error else "")
                for row in self.rows.values()]
