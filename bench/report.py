"""Statistics and the Markdown table the benchmark prints."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass


@dataclass
class Row:
    """One figure: tfiam's samples and, where there is one, the raw counterpart's."""

    label: str
    tfiam: list[float]
    raw: list[float] | None = None
    unit: str = "s"

    @property
    def ratio(self) -> float | None:
        if not self.raw or not self.tfiam:
            return None
        base = statistics.median(self.raw)
        return statistics.median(self.tfiam) / base if base else None


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "bytes":
        if value >= 1024 * 1024:
            return f"{value / 1024 / 1024:.1f} MB"
        return f"{value / 1024:.0f} KB"
    return f"{value:g} {unit}"


def _cells(samples: list[float] | None, unit: str) -> list[str]:
    if not samples:
        return ["", "", ""]
    return [_fmt(statistics.median(samples), unit), _fmt(min(samples), unit), _fmt(max(samples), unit)]


def table(title: str, rows: list[Row], *, left: str = "tfiam", right: str = "raw") -> str:
    """A Markdown table: median, min and max of each side, and the ratio of medians."""
    head = [title, f"{left} median", "min", "max", f"{right} median", "min", "max", f"{left}/{right}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        ratio = f"{row.ratio:.3f}" if row.ratio else ""  # none where only one side does the step
        cells = [row.label, *_cells(row.tfiam, row.unit), *_cells(row.raw, row.unit), ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    """nproc, CPU model, load average and versions, for the report's header."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"nproc {len(os.sched_getaffinity(0))}, {model}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class InitRow:
    """Provider install in one setting: the first and second new workspace's ``terraform init``."""

    label: str
    first_seconds: float
    second_seconds: float
    second_workspace_bytes: int
    second_cache_bytes: int
    first_total_bytes: int  # workspace + cache added by the first init


def init_table(rows: list[InitRow]) -> str:
    head = ["provider install (one sample each)", "1st workspace init", "2nd workspace init", "2nd/1st",
            "disk added by 1st (workspace + cache)", "disk added by 2nd (workspace + cache)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.label, _fmt(r.first_seconds, "s"), _fmt(r.second_seconds, "s"),
                 f"{r.second_seconds / r.first_seconds:.2f}", _fmt(r.first_total_bytes, "bytes"),
                 f"{_fmt(r.second_workspace_bytes, 'bytes')} + {_fmt(r.second_cache_bytes, 'bytes')}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
