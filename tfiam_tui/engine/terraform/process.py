"""A running terraform process: its output, followed from files, and the one-SIGINT rule.

Ctrl-C: terraform runs in its own session, so a terminal's SIGINT reaches only Python.
On ``KeyboardInterrupt`` in the consuming thread (or an interrupt from another thread)
exactly one SIGINT is sent to terraform, and its output is read until it exits by
itself (state saved, lock released).  Further Ctrl-Cs only print a notice: terraform is
never killed, unless the front asks the operator and they confirm the forcing second
SIGINT (which can lose state).

terraform writes to unlinked temp files, not pipes: if tfiam dies (SIGKILL, a closed
terminal), a pipe would break and terraform would die of SIGPIPE mid-apply with its
state unsaved.  With files it finishes and saves state by itself.

Lines travel from the tail threads to the consumer through a ``queue.SimpleQueue``, not a
``queue.Queue``: a Ctrl-C can raise ``KeyboardInterrupt`` in the consumer at any bytecode,
and one raised inside ``Queue.get`` just after its Python-level ``Condition.__enter__`` had
taken the queue's mutex (before the ``with`` block was entered) leaked that mutex, so the
notice ``request_stop`` puts, and every tail thread, blocked on it forever: tfiam hung
after a Ctrl-C.  ``SimpleQueue`` is implemented in C with no Python-level lock (its
``get`` and ``put`` are reentrant), so there is nothing an interrupt can leave held.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

POLL_SECONDS = 0.2
_TAIL_SECONDS = 0.05  # how often a tail thread looks for new output


@dataclass
class Process:
    """One running terraform process and what we have done to it."""

    command: str
    proc: subprocess.Popen[str]
    # SimpleQueue, not Queue: a KeyboardInterrupt in the consumer can't leave a lock held (see above).
    lines: queue.SimpleQueue[tuple[str, str | None]] = field(default_factory=queue.SimpleQueue)
    sigint_sent: bool = False
    forced: bool = False  # the operator confirmed a second SIGINT (terraform's forced exit)


class Signals:
    """The SIGINTs a runner sends to its processes: one per process, a second only when
    ``confirm_force_stop`` (asked by the front) says yes.  ``sent`` counts them all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.confirm_force_stop: Callable[[], bool] | None = None

    def _sigint(self, run: Process, *, forced: bool) -> bool:
        """Send ``run`` one SIGINT, recorded on it (the first, or the forced second) and
        counted; False when terraform has already exited (and been reaped)."""
        with self.lock:
            if run.proc.poll() is not None:
                return False
            if forced:
                run.forced = True
            else:
                run.sigint_sent = True
            self.sent += 1
            try:
                os.kill(run.proc.pid, signal.SIGINT)
            except ProcessLookupError:  # it exited just now
                return False
        return True

    def _force_stop_if_confirmed(self, run: Process) -> bool:
        """A later interrupt: ask the front whether to force terraform out (its second
        SIGINT); True if it was sent."""
        if self.confirm_force_stop is None or run.forced or run.proc.poll() is not None:
            return False
        if not self.confirm_force_stop():
            return False
        return self._sigint(run, forced=True)  # terraform's forced exit

    def request_stop(self, run: Process) -> bool:
        """Send the run's one SIGINT, or queue a notice if it was already sent."""
        with self.lock:
            if run.proc.poll() is not None:
                return False
            again = run.sigint_sent
        if again:
            if self._force_stop_if_confirmed(run):
                run.lines.put(("tfiam", "tfiam: forced terraform to stop; its state may be incomplete."))
                return True
            run.lines.put(
                ("tfiam", "tfiam: already asked terraform to stop; still waiting for it to exit "
                          "(killing it could lose state).")
            )
            return False
        if not self._sigint(run, forced=False):
            return False
        run.lines.put(
            ("tfiam", "tfiam: asked terraform to stop; waiting for it to save state and release the lock...")
        )
        return True

    def wait_patiently(self, run: Process) -> int:
        """Wait for exit without ever killing; Ctrl-C here only prints a notice."""
        while True:
            try:
                return run.proc.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:
                if self._force_stop_if_confirmed(run):
                    print("tfiam: forced terraform to stop; its state may be incomplete.", file=sys.stderr)
                else:
                    print("tfiam: still waiting for terraform to exit (killing it could lose state).", file=sys.stderr)


def output_files() -> tuple[list[IO[bytes]], list[IO[bytes]]]:
    """Two unlinked temp files for terraform's stdout and stderr: (writers, readers).
    The caller closes the writers once terraform has them, and passes the readers to
    :func:`follow`."""
    writers: list[IO[bytes]] = []
    readers: list[IO[bytes]] = []
    try:
        for _ in ("stdout", "stderr"):
            fd, path = tempfile.mkstemp(prefix="tfiam-tf-", suffix=".out")
            writers.append(os.fdopen(fd, "wb"))
            readers.append(open(path, "rb"))  # noqa: SIM115 - closed by the tail thread
            os.unlink(path)
    except BaseException:
        for f in writers + readers:
            f.close()
        raise
    return writers, readers


def follow(run: Process, readers: list[IO[bytes]]) -> None:
    """Start one thread per output file, forwarding lines to ``run.lines``."""
    for stream, reader in zip(("stdout", "stderr"), readers, strict=True):
        threading.Thread(target=_tail, args=(reader, run.proc, stream, run.lines), daemon=True).start()


def _tail(reader: Any, proc: subprocess.Popen[str], stream: str, sink: queue.SimpleQueue[tuple[str, str | None]]) -> None:
    """Reader thread: follow a file terraform writes to, forwarding each complete line as
    it arrives, until terraform has exited and everything is read; None marks the end."""
    pending = b""
    try:
        while True:
            chunk = reader.read(65536)
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    sink.put((stream, raw.decode("utf-8", "replace").rstrip("\r")))
                continue
            if proc.poll() is not None:
                rest = reader.read()
                if rest:
                    pending += rest
                    continue
                break
            time.sleep(_TAIL_SECONDS)
        if pending:
            sink.put((stream, pending.decode("utf-8", "replace").rstrip("\r")))
    finally:
        sink.put((stream, None))
        reader.close()
