"""The measured runs: tfiam replay, the raw terraform sequence, start-up, provider install.

Every figure is wall-clock time seen from outside (``time.perf_counter`` around the
process), except the per-step split of a replay, which tfiam prints itself with
``--timings``.  The tfiam process's peak memory is read from ``/proc/PID/status``
(``VmHWM``) while it runs; terraform and the provider are other processes and not counted.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.prepare import BenchError, disk_bytes
from tfiam_tui.engine.terraform.events import run_to_end
from tfiam_tui.engine.terraform.runner import Runner

_POLL_SECONDS = 0.01
_TIMEOUT = 900
_TIMINGS = re.compile(r"^timings: (?P<steps>.*) peak_rss=(?P<rss>[\d.]+)MB$", re.MULTILINE)


@dataclass
class ReplayRun:
    """One ``tfiam replay``: total seconds, tfiam's own split, peak RSS (MiB)."""

    seconds: float
    steps: dict[str, float]
    vmhwm_mb: float  # polled from /proc while it ran
    self_reported_rss_mb: float  # getrusage() at the end, printed by --timings


@dataclass
class RawRun:
    """One raw sequence: seconds per terraform command."""

    steps: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.steps.values())


def _vmhwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def replay(tfiam: str, answers: Path, workspace: Path, *, plugin_dir: Path, passphrase_file: Path,
           env: dict[str, str], logs: Path) -> ReplayRun:
    """``tfiam replay ANSWERS --auto-approve`` end to end; raises BenchError unless it succeeds."""
    argv = [tfiam, "replay", str(answers), "--auto-approve", "--workspace", str(workspace),
            "--plugin-dir", str(plugin_dir), "--passphrase-file", str(passphrase_file), "--timings"]
    out, err = logs.with_suffix(".out"), logs.with_suffix(".err")
    peak = 0.0
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env)
        while proc.poll() is None:  # the console script is the python process itself
            peak = max(peak, _vmhwm_mb(proc.pid) or 0.0)
            time.sleep(_POLL_SECONDS)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"tfiam replay exited {proc.returncode}:\n{_tail(out)}\n{_tail(err)}")
    found = _TIMINGS.search(err.read_text())
    if not found:
        raise BenchError(f"tfiam replay printed no timings line:\n{_tail(err)}")
    steps = {name: float(value.rstrip("s")) for name, value in
             (item.split("=", 1) for item in found["steps"].split())}
    return ReplayRun(seconds, steps, peak, float(found["rss"]))


def raw_sequence(terraform: str, workspace: Path, *, plugin_dir: Path, env: dict[str, str], logs: Path) -> RawRun:
    """What a skilled operator types for the same workspace; each command timed."""
    commands = {
        "init": ["init", "-input=false", f"-plugin-dir={plugin_dir}"],
        "plan": ["plan", "-input=false", "-out=tfplan"],
        "apply": ["apply", "-input=false", "tfplan"],
        "output": ["output", "-json"],
    }
    run = RawRun()
    with open(logs.with_suffix(".out"), "wb") as sink:
        for step, args in commands.items():
            start = time.perf_counter()
            proc = subprocess.run([terraform, *args], cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                                  stdout=sink, stderr=subprocess.STDOUT, timeout=_TIMEOUT, check=False)
            run.steps[step] = time.perf_counter() - start
            if proc.returncode != 0:
                raise BenchError(f"terraform {step} exited {proc.returncode}:\n{_tail(logs.with_suffix('.out'))}")
    return run


def startup(argv: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    """Seconds from start to exit of a short command (its output discarded)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=120, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return seconds


@dataclass
class InitRun:
    """``terraform init`` of one new workspace: seconds, and bytes it added on disk."""

    seconds: float
    workspace_bytes: int  # what init added inside the workspace (.terraform/, lock file)
    cache_bytes: int  # what it added to the shared plugin cache


def tfiam_init(workspace: Path, *, terraform: str, plugin_dir: Path | None, env: dict[str, str | None],
               cache: Path | None) -> InitRun:
    """tfiam's own init step (the engine's Runner, with its plugin cache), timed."""
    before_ws = disk_bytes(workspace)
    before_cache = disk_bytes(cache) if cache and cache.exists() else 0
    runner = Runner(workspace, terraform_bin=terraform, plugin_dir=str(plugin_dir) if plugin_dir else None,
                    extra_env=env)
    start = time.perf_counter()
    run_to_end(runner.init())
    seconds = time.perf_counter() - start
    after_cache = disk_bytes(cache) if cache and cache.exists() else 0
    return InitRun(seconds, disk_bytes(workspace) - before_ws, after_cache - before_cache)


def raw_init(workspace: Path, *, terraform: str, plugin_dir: Path | None, env: dict[str, str]) -> InitRun:
    """Plain ``terraform init`` with no plugin cache, timed."""
    before = disk_bytes(workspace)
    argv = [terraform, "init", "-input=false"] + ([f"-plugin-dir={plugin_dir}"] if plugin_dir else [])
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=workspace, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                              stderr=subprocess.STDOUT, timeout=_TIMEOUT, check=False)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            sink.seek(0)
            raise BenchError(f"terraform init exited {proc.returncode}:\n{sink.read().decode(errors='replace')}")
    return InitRun(seconds, disk_bytes(workspace) - before, 0)
