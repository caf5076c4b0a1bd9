"""The sandbox that lives across commands: ``tfiam sandbox start`` runs the stand-in AWS in
the background on loopback until ``tfiam sandbox stop``, so a newcomer can create, check,
rotate and offboard a user in one (fake) account, one command at a time.

    *** NOTHING IN THE SANDBOX TOUCHES A REAL AWS ACCOUNT. ***

While one runs, ``--sandbox`` on any command uses it (:func:`for_run`); without one,
commands that make a user start a throwaway sandbox for their own run, as before.  Where
it runs is kept in ``$XDG_CACHE_HOME/tfiam/sandbox/running.json`` (owner-only): the
server's pid, its endpoint and when it started.  A record whose process is gone, or is not
tfiam's server, is stale and ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import fsutil
from .sandbox import Sandbox, SandboxError, answers, free_loopback_port

SERVER_MODULE = "tfiam_tui.engine.aws.moto_server"


@dataclass(frozen=True)
class Running:
    pid: int
    endpoint: str
    started: str  # ISO time
    log: str

    lives = True  # outlives this command (tfiam sandbox stop ends it)


def home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "tfiam" / "sandbox"


def _record() -> Path:
    return home() / "running.json"


def _ours(pid: int) -> bool:
    """Whether ``pid`` is alive and is tfiam's stand-in server (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc here (macOS): alive is the best we can tell
    return SERVER_MODULE.encode() in cmdline


def _recorded() -> Running | None:
    """The record's sandbox if its process is still tfiam's server (answering or not)."""
    try:
        data = json.loads(_record().read_text(encoding="utf-8"))
        found = Running(int(data["pid"]), str(data["endpoint"]), str(data["started"]), str(data["log"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if _ours(found.pid) else None


def running() -> Running | None:
    """The sandbox started by ``tfiam sandbox start``, if it still runs and answers."""
    found = _recorded()
    return found if found is not None and answers(found.endpoint) else None


def _port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One start or stop at a time (two terminals running ``tfiam sandbox start`` at once)."""
    folder = home()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / "lock", "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def start(port: int | None = None, timeout: float = 30.0) -> tuple[Running, bool]:
    """Start the background sandbox (or find the one running).  Returns (it, started now).
    Raises SandboxError when the server does not come up."""
    with _locked():
        if (found := _recorded()) is not None:
            if answers(found.endpoint, timeout=timeout):  # busy answering terraform: wait, never start a second
                return found, False
            raise SandboxError(f"the sandbox (pid {found.pid}) runs but does not answer on {found.endpoint}; "
                               "stop it with: tfiam sandbox stop")
        if port is not None and not _port_free(port):
            raise SandboxError(f"port {port} on 127.0.0.1 is in use; choose another with --port, or leave it out")
        port = port or free_loopback_port()
        log = home() / "server.log"
        server_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        with open(log, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                [sys.executable, "-m", SERVER_MODULE, "--port", str(port), "--host", "127.0.0.1"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=server_env,
                start_new_session=True,  # not the terminal's: closing it or Ctrl-C leaves the sandbox running
            )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while process.poll() is not None or not answers(endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.kill()
                text = log.read_text(encoding="utf-8", errors="replace")[-2000:].strip()
                raise SandboxError(f"the sandbox did not start on {endpoint}:\n{text or '(no output)'}")
            time.sleep(0.1)
        found = Running(process.pid, endpoint, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), str(log))
        fsutil.write_atomic(_record(), (json.dumps(asdict(found)) + "\n").encode())
        return found, True


def stop(timeout: float = 10.0) -> Running | None:
    """Stop the background sandbox; everything in it is gone.  Returns what was stopped."""
    with _locked():
        found = _recorded()  # answering or not: a hung server is stopped too
        if found is not None:
            os.kill(found.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _ours(found.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _ours(found.pid):
                os.kill(found.pid, signal.SIGKILL)
        _record().unlink(missing_ok=True)
        return found


@contextlib.contextmanager
def for_run() -> Iterator[Running | Sandbox]:
    """The sandbox a ``--sandbox`` command uses: the background one while it runs, else a
    throwaway one for this command alone (``.lives`` says which)."""
    found = running()
    if found is not None:
        yield found
        return
    with Sandbox() as throwaway:
        yield throwaway


def required() -> Running:
    """The background sandbox, for commands that only make sense in one that lives on
    (status, rotate).  Raises SandboxError saying how to start it."""
    found = running()
    if found is None:
        raise SandboxError("no sandbox is running, and this command needs the one your users were made in. "
                           "Start it with: tfiam sandbox start (then make the user with tfiam replay --sandbox)")
    return found
