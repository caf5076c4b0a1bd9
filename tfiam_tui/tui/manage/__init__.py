"""Managing a user from the wizard: the first choice and the Manage screen (screens.py)."""

from __future__ import annotations

from typing import Any, Protocol


class Manages(Protocol):
    """What the Manage screen needs from the front that opens the wizard
    (commands.lifecycle.manage.Manager)."""

    def problem(self, path: str) -> str | None: ...
    def overview(self, path: str, width: int = 80) -> Any: ...
    def run_step(self, path: str, flags: tuple[str, ...] = ()) -> int: ...
