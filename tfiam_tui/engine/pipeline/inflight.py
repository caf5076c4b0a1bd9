"""The record of an apply in flight, so a run that died can be finished by the next one.

An apply killed mid-call (SIGKILL of terraform or tfiam, one Ctrl-C, the network gone)
can leave AWS holding what terraform never recorded: an access key whose secret reached
nobody, a login profile whose password was never stored.  Before apply starts, tfiam
writes ``.tfiam/apply-in-flight.json`` (when, by which process, what the plan creates);
a clean finish removes it; a failed or interrupted one records when it ended.  The next
run reads it to tell that apply's orphans (created inside its window) from things made
by hand or by someone else (never touched).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .. import fsutil

RECORD = Path(".tfiam") / "apply-in-flight.json"
# IAM stamps CreateDate with its own clock: allow that much difference either side.
CLOCK_SKEW = timedelta(minutes=2)
# An apply whose end was never recorded (tfiam itself was killed) is assumed over by then.
LONGEST_APPLY = timedelta(hours=1)


@dataclass(frozen=True)
class InFlight:
    started: datetime
    creates: tuple[str, ...]  # resource addresses the plan creates or replaces
    pid: int
    ended: datetime | None = None

    def window(self) -> tuple[datetime, datetime]:
        """When AWS may have created this apply's resources."""
        end = self.ended if self.ended is not None else self.started + LONGEST_APPLY
        return self.started - CLOCK_SKEW, end + CLOCK_SKEW

    def inside(self, when: datetime) -> bool:
        low, high = self.window()
        return low <= when.astimezone(UTC) <= high

    def creates_kind(self, resource_type: str) -> bool:
        return any(f".{resource_type}." in f".{address}" for address in self.creates)


def _write(workspace: Path, data: dict) -> None:
    path = workspace / RECORD
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fsutil.write_atomic(path, (json.dumps(data, indent=2) + "\n").encode(), mode=0o600)


def begin(workspace: Path, creates: list[str], *, now: datetime | None = None) -> None:
    """Record, before apply starts, that it is about to."""
    started = (now or datetime.now(UTC)).isoformat()
    _write(workspace, {"started": started, "pid": os.getpid(), "creates": sorted(creates), "ended": None})


def finish(workspace: Path, *, ok: bool) -> None:
    """After apply: a clean finish leaves nothing to recover; otherwise keep the record
    and say when the apply stopped (its window's end)."""
    current = read(workspace)
    if current is None:
        return
    if ok:
        clear(workspace)
        return
    _write(workspace, {"started": current.started.isoformat(), "pid": current.pid,
                       "creates": list(current.creates), "ended": datetime.now(UTC).isoformat()})


def clear(workspace: Path) -> None:
    (workspace / RECORD).unlink(missing_ok=True)


def read(workspace: Path) -> InFlight | None:
    """The record, or None (none, or unreadable: then nothing is treated as an orphan)."""
    try:
        data = json.loads((workspace / RECORD).read_text(encoding="utf-8"))
        ended = datetime.fromisoformat(data["ended"]) if data.get("ended") else None
        return InFlight(datetime.fromisoformat(data["started"]), tuple(str(a) for a in data.get("creates", [])),
                        int(data.get("pid", 0)), ended)
    except (OSError, ValueError, KeyError, TypeError):
        return None
