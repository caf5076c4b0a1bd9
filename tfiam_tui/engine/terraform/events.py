"""What a terraform command reports, as typed events, and its two exceptions.

Each command of :class:`~tfiam_tui.engine.terraform.runner.Runner` is a generator of
these events; :func:`run_to_end` consumes one and returns its :class:`Finished`.

* :class:`Line` - one line of output, as soon as terraform prints it.  For
  ``plan``/``apply`` (run with ``-json``) this is the human ``@message``.
* :class:`TerraformVersion`, :class:`RefreshProgress`, :class:`PlannedChange`,
  :class:`ResourceProgress`, :class:`ChangeSummary`, :class:`Diagnostic`,
  :class:`OutputValues` - parsed from terraform's machine-readable UI (its ``version``,
  ``refresh_*``, ``planned_change``, ``apply_*``, ``provision_*``, ``change_summary``,
  ``diagnostic`` and ``outputs`` messages), so a front can say what terraform is doing.
* :class:`Finished` - always last: exit code, whether there are changes,
  duration, whether it was interrupted.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

INSTALL_HINT = (
    "Install Terraform (https://developer.hashicorp.com/terraform/install) or OpenTofu "
    "(https://opentofu.org/docs/intro/install/), or choose another binary with "
    "--terraform-bin PATH (for example --terraform-bin tofu)."
)
TAIL_LINES = 25  # output lines a TerraformFailed carries


@dataclass(frozen=True)
class Line:
    """One line of output.  ``stream`` is "stdout", "stderr" or "tfiam" (our own notices)."""

    text: str
    stream: str = "stdout"


@dataclass(frozen=True)
class TerraformVersion:
    """terraform's first message: it has started (``version`` is e.g. "1.11.4").  What
    follows it, before any other message, is terraform loading the plan and starting the
    providers (the AWS provider takes seconds to start)."""

    version: str


@dataclass(frozen=True)
class Notice:
    """tfiam's own step inside a command's stream (e.g. reading the saved plan back), for a
    front that says what is happening; not terraform output (no line of the log)."""

    text: str


@dataclass(frozen=True)
class RefreshProgress:
    """terraform reads a resource's current state from the cloud (``refresh_start``, then
    ``refresh_complete``): ``phase`` is "start" or "complete"."""

    address: str
    phase: str


@dataclass(frozen=True)
class PlannedChange:
    """``terraform plan`` intends ``action`` (create, update, delete, replace, ...) on ``address``."""

    address: str
    action: str


@dataclass(frozen=True)
class ResourceProgress:
    """An apply hook: ``phase`` is "start", "progress", "complete" or "errored", or
    "provisioning" (a provisioner of the resource runs: ``provision_*``).  ``elapsed``:
    terraform's own seconds since the resource started (on "progress", every 10 s, and
    "complete"/"errored"); not part of equality."""

    address: str
    action: str
    phase: str
    elapsed: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ChangeSummary:
    """The "Plan: 1 to add, ..." / "Apply complete! ..." totals; ``operation`` is plan, apply or destroy."""

    add: int
    change: int
    remove: int
    operation: str


@dataclass(frozen=True)
class Diagnostic:
    """A terraform warning or error (``severity`` is "warning" or "error")."""

    severity: str
    summary: str
    detail: str = ""
    address: str | None = None


@dataclass(frozen=True)
class OutputValues:
    """The root outputs in terraform's ``-json`` UI.  After ``apply``: ``{name: {"value",
    "type", "sensitive"}}`` as ``terraform output -json`` gives them, except that sensitive
    values are left out (nulls are left out by both); after ``plan``: planned actions only."""

    outputs: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Finished:
    """Always the last event of a command.

    ``changes``: for ``plan`` from ``-detailed-exitcode`` (True = exit 2, False = exit 0,
    None = error); for ``apply`` whether anything was added/changed/removed; else None.
    """

    command: str
    returncode: int
    changes: bool | None
    duration: float
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """True when the command succeeded (a plan with changes, exit 2, succeeded)."""
        if self.interrupted:
            return False
        return self.returncode == 0 or (self.command == "plan" and self.returncode == 2)


Event = (Line | Notice | TerraformVersion | RefreshProgress | PlannedChange | ResourceProgress | ChangeSummary | Diagnostic
         | OutputValues | Finished)


def exit_words(command: str, returncode: int, *, interrupted: bool = False) -> str:
    """A terraform exit code in words, the code in brackets: ``plan``'s 2 is "changes to
    apply" (``-detailed-exitcode``), not a failure."""
    if interrupted:
        return f"stopped on request (exit code {returncode})"
    if returncode < 0:
        return f"killed by signal {-returncode}"
    if command == "plan" and returncode in (0, 2):
        return "no changes (exit code 0)" if returncode == 0 else "changes to apply (exit code 2)"
    if returncode == 0:
        return "succeeded (exit code 0)"
    return f"failed (exit code {returncode})"


# ----------------------------------------------------------------------- exceptions


class TerraformNotFound(RuntimeError):
    """The terraform binary could not be found or started."""

    def __init__(self, binary: str, reason: str = "not found on PATH") -> None:
        self.binary = binary
        super().__init__(f"terraform binary {binary!r} {reason}. {INSTALL_HINT}")


class TerraformFailed(RuntimeError):
    """A terraform command exited unsuccessfully (or was interrupted)."""

    def __init__(
        self,
        command: str,
        returncode: int,
        last_lines: list[str],
        *,
        interrupted: bool = False,
        diagnostics: list[Diagnostic] | None = None,
    ) -> None:
        self.command = command
        self.returncode = returncode
        self.last_lines = list(last_lines)
        self.interrupted = interrupted
        self.diagnostics = list(diagnostics or [])  # the command's error diagnostics (-json commands)
        how = "was interrupted" if interrupted else exit_words(command, returncode)
        text = f"terraform {command} {how}"
        if self.last_lines:
            text += ":\n" + "\n".join(f"  {line}" for line in self.last_lines)
        super().__init__(text)


# ------------------------------------------------------------------------- helpers


def run_to_end(
    events: Iterable[Event],
    on_event: Callable[[Event], None] | None = None,
    *,
    check: bool = True,
) -> Finished:
    """Consume a command's events (passing each to ``on_event``) and return its Finished.

    With ``check`` (default) a failed or interrupted command raises
    :class:`TerraformFailed` carrying the last output lines.  A Ctrl-C inside
    ``on_event`` is handed to the command, which stops terraform gracefully and
    then raises ``KeyboardInterrupt`` out of this function.
    """
    it: Any = iter(events)  # a generator, when the command is one: a Ctrl-C is thrown into it
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    errors: list[Diagnostic] = []
    finished: Finished | None = None
    throw = False
    try:
        while True:
            try:
                event = it.throw(KeyboardInterrupt()) if throw else next(it)
            except StopIteration:
                break
            throw = False
            if isinstance(event, Line):
                tail.append(event.text)
            elif isinstance(event, Diagnostic) and event.severity == "error":
                errors.append(event)
            elif isinstance(event, Finished):
                finished = event
            if on_event is not None:
                try:
                    on_event(event)
                except KeyboardInterrupt:
                    if finished is not None or not hasattr(it, "throw"):
                        raise
                    throw = True  # let the command stop terraform, then it re-raises
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()  # an abandoned command still stops terraform and waits for it
    if finished is None:
        raise RuntimeError("terraform command ended without a Finished event")
    if check and not finished.ok:
        raise TerraformFailed(
            finished.command, finished.returncode, list(tail), interrupted=finished.interrupted, diagnostics=errors
        )
    return finished


def _message_lines(message: str) -> list[str]:
    """Split a multi-line ``@message`` into lines, dropping blank edges."""
    return message.strip("\n").splitlines() or [""]


def json_events(raw: str) -> list[Event]:
    """Translate one line of terraform's ``-json`` UI into events."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return [Line(raw)]
    if not isinstance(obj, dict) or "@message" not in obj:
        return [Line(raw)]
    kind = str(obj.get("type", ""))
    events: list[Event] = [Line(text) for text in _message_lines(str(obj["@message"]))]
    if kind == "planned_change":
        change = obj.get("change", {})
        events.append(PlannedChange(change.get("resource", {}).get("addr", ""), change.get("action", "")))
    elif kind == "version":
        events.append(TerraformVersion(str(obj.get("terraform", ""))))
    elif kind in ("refresh_start", "refresh_complete"):
        events.append(RefreshProgress(_addr(obj.get("hook")), kind.removeprefix("refresh_")))
    elif kind in ("apply_start", "apply_progress", "apply_complete", "apply_errored"):
        given = obj.get("hook")
        hook: dict[str, Any] = given if isinstance(given, dict) else {}
        elapsed = hook.get("elapsed_seconds")
        events.append(ResourceProgress(_addr(hook), str(hook.get("action", "")), kind.removeprefix("apply_"),
                                       float(elapsed) if isinstance(elapsed, int | float) else None))
    elif kind.startswith("provision_"):
        events.append(ResourceProgress(_addr(obj.get("hook")), "", "provisioning"))
    elif kind == "change_summary":
        ch = obj.get("changes", {})
        events.append(
            ChangeSummary(
                int(ch.get("add", 0)),
                int(ch.get("change", 0)),
                int(ch.get("remove", 0)),
                str(ch.get("operation", "")),
            )
        )
    elif kind == "outputs" and isinstance(obj.get("outputs"), dict):
        events.append(OutputValues(dict(obj["outputs"])))
    elif kind == "diagnostic":
        diag = _diagnostic(obj.get("diagnostic", {}))
        events.extend(Line(f"  {text}") for text in diag.detail.splitlines())
        events.append(diag)
    return events


def _addr(hook: Any) -> str:
    resource = hook.get("resource", {}) if isinstance(hook, dict) else {}
    return str(resource.get("addr", "")) if isinstance(resource, dict) else ""


def _diagnostic(d: dict[str, Any]) -> Diagnostic:
    return Diagnostic(
        severity=str(d.get("severity", "")),
        summary=str(d.get("summary", "")),
        detail=str(d.get("detail", "") or ""),
        address=d.get("address"),
    )



def changes_of(command: str, returncode: int, summary: ChangeSummary | None) -> bool | None:
    if command == "plan":
        return {0: False, 2: True}.get(returncode)
    if command == "apply" and summary is not None:
        return bool(summary.add or summary.change or summary.remove)
    return None


def validate_events(doc: str) -> list[Event]:
    try:
        data = json.loads(doc)
    except ValueError:
        return [Line(text) for text in doc.splitlines()]
    events: list[Event] = []
    for raw in data.get("diagnostics", []):
        diag = _diagnostic(raw)
        events.append(Line(f"{diag.severity.capitalize()}: {diag.summary}"))
        events.extend(Line(f"  {text}") for text in diag.detail.splitlines())
        events.append(diag)
    if data.get("valid"):
        events.append(Line("Success! The configuration is valid."))
    return events
