"""Plan files: one per run, fingerprinted when shown, checked before apply, never left behind.

A fixed plan file name let a second run on the same workspace replace the plan while
the first waited at its confirmation prompt; the first then applied what it had never
shown.  Each run now plans into ``.tfiam/plans/<pid>-<random>.tfplan``; the SHA-256
recorded at review must still match just before apply (else :class:`PlanChanged`, exit
6); the run removes its plan when it ends, and the next run sweeps plans of processes
that are gone (killed before they could).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .review import file_sha256

PLANS_DIR = Path(".tfiam") / "plans"
LEGACY_PLAN = "tfiam.tfplan"  # the fixed name of tfiam before one plan per run


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
        imports = sum(1 for action, _address in self.changes if action == "import")
        brought = f"{imports} to import, " if imports else ""  # terraform's own wording (tfiam adopt)
        return f"Plan: {brought}{self.add} to add, {self.change} to change, {self.remove} to destroy."


class PlanChanged(Exception):
    """The plan file is not the one that was reviewed; nothing was applied."""


def new_plan_file(workspace: Path) -> str:
    """A plan file name no other run uses, relative to the workspace (its folder made 0700)."""
    folder = workspace / PLANS_DIR
    for part in (folder.parent, folder):
        part.mkdir(mode=0o700, exist_ok=True)
    return (PLANS_DIR / f"{os.getpid()}-{secrets.token_hex(6)}.tfplan").as_posix()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep(workspace: Path) -> list[Path]:
    """Remove plans of runs that are gone (and the old fixed-name plan); returns them."""
    removed = []
    legacy = workspace / LEGACY_PLAN
    candidates = [legacy] if legacy.is_file() else []
    folder = workspace / PLANS_DIR
    if folder.is_dir():
        for path in folder.glob("*.tfplan"):
            pid = path.name.split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                candidates.append(path)
    for path in candidates:
        if not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def check_unchanged(path: Path, reviewed_sha256: str) -> None:
    """Raise PlanChanged unless ``path`` still holds exactly the reviewed plan."""
    try:
        current = file_sha256(path)
    except OSError as exc:
        raise PlanChanged(f"the reviewed plan {path} is gone ({exc.strerror}); nothing was applied. "
                          "Run the same command again to plan afresh") from None
    if current != reviewed_sha256:
        raise PlanChanged(f"the plan file {path} changed after it was shown (SHA-256 {reviewed_sha256[:12]}... "
                          f"is now {current[:12]}...); nothing was applied. Run the same command again to "
                          "plan and review afresh")
