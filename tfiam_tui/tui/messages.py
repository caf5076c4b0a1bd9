"""Messages workers post to screens ("attributes down, messages up")."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class TerraformLines(Message):
    """A batch of terraform output lines (never secrets: outputs are encrypted)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class TerraformEvent(Message):
    """One typed engine event (PlannedChange, ResourceProgress, Diagnostic, Finished...)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class RunPhase(Message):
    """The run moved on: ``phase`` is prepare, init, plan, planned, apply, applied, failed."""

    def __init__(self, phase: str, detail: str = "") -> None:
        super().__init__()
        self.phase = phase
        self.detail = detail
