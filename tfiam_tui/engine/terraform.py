"""The one adapter around the terraform CLI (Terraform or OpenTofu).

Nothing else in tfiam builds a terraform command line: every argv comes from
python-terraform's ``Terraform.generate_cmd_string`` (with ``IsFlagged`` for bare
flags), and every process is started here.  python-terraform's own runner is not
used: it buffers output until exit (``cmd(synchronous=False)`` leaks the kwarg
into argv) and reads state files on construction.

Each command is a generator of typed events that a front (CLI, TUI) consumes::

    runner = Runner(Path("ws"), plugin_dir=None)
    for event in runner.plan():
        if isinstance(event, Line):
            print(event.text)
    finished = run_to_end(runner.apply("tfiam.tfplan"), on_event=show)

Events:

* :class:`Line` - one line of output, as soon as terraform prints it.  For
  ``plan``/``apply`` (run with ``-json``) this is the human ``@message``.
* :class:`PlannedChange`, :class:`ResourceProgress`, :class:`ChangeSummary`,
  :class:`Diagnostic`, :class:`OutputValues` - parsed from terraform's machine-readable UI.
* :class:`Finished` - always last: exit code, whether there are changes,
  duration, whether it was interrupted.

Environment of the child: ``os.environ`` + ``extra_env``, minus every ``TF_LOG*``
variable (providers have leaked secrets in debug logs), plus ``TF_IN_AUTOMATION=1``
and ``TF_INPUT=0``, plus ``TF_PLUGIN_CACHE_DIR`` pointing at tfiam's shared provider
cache unless the operator configured one (:func:`tfiam_plugin_cache`).  The provider
mirror for ``init -plugin-dir`` comes from the ``plugin_dir`` argument or, when that is
not given, from the ``TFIAM_PLUGIN_DIR`` environment variable.

Ctrl-C: terraform runs in its own session, so a terminal's SIGINT reaches only
Python.  On ``KeyboardInterrupt`` in the consuming thread (or
:meth:`Runner.interrupt` from another thread) exactly one SIGINT is sent to
terraform, and its output is read until it exits by itself (state saved, lock
released).  Further Ctrl-Cs only print a notice: terraform is never killed.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

PLUGIN_DIR_ENV = "TFIAM_PLUGIN_DIR"
PLUGIN_CACHE_ENV = "TF_PLUGIN_CACHE_DIR"
DEFAULT_PLAN_FILE = "tfiam.tfplan"
INSTALL_HINT = (
    "Install Terraform (https://developer.hashicorp.com/terraform/install) or OpenTofu "
    "(https://opentofu.org/docs/intro/install/), or choose another binary with "
    "--terraform-bin PATH (for example --terraform-bin tofu)."
)

_POLL_SECONDS = 0.2
_TAIL_SECONDS = 0.05  # how often a tail thread looks for new output
_PIPE_GRACE_SECONDS = 2.0  # after exit, how long a grandchild may keep our pipes open
_TAIL_LINES = 25


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Line:
    """One line of output.  ``stream`` is "stdout", "stderr" or "tfiam" (our own notices)."""

    text: str
    stream: str = "stdout"


@dataclass(frozen=True)
class PlannedChange:
    """``terraform plan`` intends ``action`` (create, update, delete, replace, ...) on ``address``."""

    address: str
    action: str


@dataclass(frozen=True)
class ResourceProgress:
    """An apply hook: ``phase`` is "start", "progress", "complete" or "errored"."""

    address: str
    action: str
    phase: str


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


Event = Line | PlannedChange | ResourceProgress | ChangeSummary | Diagnostic | OutputValues | Finished


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
        how = "was interrupted" if interrupted else f"failed (exit code {returncode})"
        text = f"terraform {command} {how}"
        if self.last_lines:
            text += ":\n" + "\n".join(f"  {line}" for line in self.last_lines)
        super().__init__(text)


# ------------------------------------------------------------------------- helpers


class _CommandBuilder(Terraform):
    """python-terraform, used only to build argv.

    Its constructor reads (and may choke on) the workspace's state file; we never
    want that, so reading state is a no-op here.
    """

    def read_state_file(self, file_path: str | None = None) -> None:  # noqa: ARG002
        self.tfstate = None


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
    it = iter(events)
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
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


def _json_events(raw: str) -> list[Event]:
    """Translate one line of terraform's ``-json`` UI into events."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return [Line(raw)]
    if not isinstance(obj, dict) or "@message" not in obj:
        return [Line(raw)]
    kind = obj.get("type", "")
    events: list[Event] = [Line(text) for text in _message_lines(str(obj["@message"]))]
    if kind == "planned_change":
        change = obj.get("change", {})
        events.append(PlannedChange(change.get("resource", {}).get("addr", ""), change.get("action", "")))
    elif kind in ("apply_start", "apply_progress", "apply_complete", "apply_errored"):
        hook = obj.get("hook", {})
        events.append(
            ResourceProgress(
                hook.get("resource", {}).get("addr", ""),
                hook.get("action", ""),
                kind.removeprefix("apply_"),
            )
        )
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


def _diagnostic(d: dict[str, Any]) -> Diagnostic:
    return Diagnostic(
        severity=str(d.get("severity", "")),
        summary=str(d.get("summary", "")),
        detail=str(d.get("detail", "") or ""),
        address=d.get("address"),
    )


@dataclass
class _Run:
    """One running terraform process and what we have done to it."""

    command: str
    proc: subprocess.Popen[str]
    lines: queue.Queue[tuple[str, str | None]] = field(default_factory=queue.Queue)
    sigint_sent: bool = False
    forced: bool = False  # the operator confirmed a second SIGINT (terraform's forced exit)


# -------------------------------------------------------------------------- runner


def missing_cli_config(env: dict[str, str] | None = None) -> str | None:
    """The path in ``TF_CLI_CONFIG_FILE`` when it names a file that does not exist."""
    path = (env if env is not None else os.environ).get("TF_CLI_CONFIG_FILE")
    return path if path and not os.path.exists(path) else None


def cli_config_notice() -> str | None:
    """One line for the operator when their Terraform CLI configuration is missing."""
    path = missing_cli_config()
    if not path:
        return None
    return (
        f"note: TF_CLI_CONFIG_FILE names {path}, which does not exist; terraform runs "
        "without a CLI configuration (as it would, but without repeating the warning per command)"
    )


# plugin_cache_dir set in an HCL (`plugin_cache_dir = ...` starting a line) or JSON
# (`"plugin_cache_dir": ...`) CLI configuration file.  A regex, not an HCL parser: a
# setting commented out with # or // does not count; one inside a /* ... */ comment would.
_PLUGIN_CACHE_SETTING = re.compile(r'^[ \t]*plugin_cache_dir[ \t]*=|"plugin_cache_dir"[ \t]*:', re.MULTILINE)


def _cli_config_files(env: dict[str, str]) -> list[Path]:
    """The CLI configuration files terraform reads: TF_CLI_CONFIG_FILE (or the older
    TERRAFORM_CONFIG) alone when set; otherwise ~/.terraformrc and ~/.terraform.d/*.tfrc(.json)."""
    override = env.get("TF_CLI_CONFIG_FILE") or env.get("TERRAFORM_CONFIG")
    if override:
        return [Path(override)]
    home = Path(env.get("HOME") or Path.home())
    config_dir = home / ".terraform.d"
    return [home / ".terraformrc", *sorted(config_dir.glob("*.tfrc")), *sorted(config_dir.glob("*.tfrc.json"))]


def operator_plugin_cache(env: dict[str, str]) -> bool:
    """True when the operator has a provider plugin cache of their own: ``TF_PLUGIN_CACHE_DIR``
    set, or ``plugin_cache_dir`` in a CLI configuration file terraform would read."""
    if env.get(PLUGIN_CACHE_ENV):
        return True
    for path in _cli_config_files(env):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _PLUGIN_CACHE_SETTING.search(text):
            return True
    return False


def tfiam_plugin_cache(env: dict[str, str]) -> Path | None:
    """tfiam's shared provider cache, ``$XDG_CACHE_HOME/tfiam/plugin-cache`` (else
    ``~/.cache/tfiam/plugin-cache``), created if missing; None when the operator has their own.

    With it, ``terraform init`` unpacks a downloaded provider once into the cache and links
    each workspace to it, instead of putting a copy (~700 MB for hashicorp/aws) in every
    workspace.  (Providers from ``-plugin-dir`` or an unpacked mirror are linked anyway.)
    """
    if operator_plugin_cache(env):
        return None
    cache_home = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    cache = Path(cache_home) / "tfiam" / "plugin-cache"
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None  # terraform would refuse a cache it cannot open; run without one
    return cache


class Runner:
    """Runs terraform in one workspace directory, streaming typed events.

    ``invocations`` records the argv of every terraform process started, and
    ``sigints_sent`` how many SIGINTs tfiam ever sent (never more than one per run).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        terraform_bin: str = "terraform",
        plugin_dir: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.terraform_bin = terraform_bin
        self.plugin_dir = plugin_dir if plugin_dir is not None else (os.environ.get(PLUGIN_DIR_ENV) or None)
        self.extra_env = dict(extra_env or {})
        self.invocations: list[list[str]] = []
        self.sigints_sent = 0
        # The outputs the last apply() reported in its -json stream (see OutputValues), so
        # the caller may skip a `terraform output`; None until an apply reports them.
        self.applied_outputs: dict[str, Any] | None = None
        # Asked (by the front) when the operator interrupts again while terraform is still
        # stopping: True sends terraform a second SIGINT, its forced exit, which can lose
        # state.  None (the default): never; later interrupts only print a notice.
        self.confirm_force_stop: Callable[[], bool] | None = None
        self._lock = threading.Lock()
        self._current: _Run | None = None
        self._builder = _CommandBuilder(working_dir=str(self.workdir), terraform_bin_path=terraform_bin)

    # ---- public commands

    def binary_version(self) -> str:
        """The version of the terraform (or tofu) binary, e.g. "1.11.4"."""
        out = self._run_captured("version", self._argv("version", json=IsFlagged))
        try:
            return str(json.loads(out)["terraform_version"])
        except (ValueError, KeyError, TypeError):
            first = out.strip().splitlines()[0] if out.strip() else ""
            return first.split(" v", 1)[-1] if " v" in first else first

    def init(
        self,
        *,
        reconfigure: bool = False,
        backend_config: str | None = None,
        migrate_state: bool = False,
    ) -> Iterator[Event]:
        """``terraform init -input=false`` (``-plugin-dir`` when configured: nothing is
        downloaded, and providers are symlinked from the mirror, not copied).

        ``backend_config``: a partial backend configuration file (``-backend-config=FILE``,
        relative to the workspace).  ``migrate_state``: copy the state from the previous
        backend to the configured one (``-migrate-state -force-copy``: the caller has asked
        the operator already, and made sure the target holds no other state).
        """
        argv = self._argv(
            "init",
            input=False,
            no_color=IsFlagged,
            plugin_dir=self.plugin_dir,
            reconfigure=IsFlagged if reconfigure else None,
            backend_config=backend_config,
            migrate_state=IsFlagged if migrate_state else None,
            force_copy=IsFlagged if migrate_state else None,
        )
        return self._stream("init", argv, mode="text")

    def state_pull(self) -> dict[str, Any]:
        """``terraform state pull``: the current state (from whatever backend) as a dict.
        Kept in memory only; never echoed."""
        out = self._run_captured("state pull", self._argv("state pull"))
        return json.loads(out) if out.strip() else {}

    def force_unlock(self, lock_id: str) -> Iterator[Event]:
        """``terraform force-unlock -force LOCK_ID`` (the caller has shown the lock and asked)."""
        return self._stream(
            "force-unlock", self._argv("force-unlock", lock_id, force=IsFlagged, no_color=IsFlagged), mode="text"
        )

    def plan(
        self,
        plan_file: str = DEFAULT_PLAN_FILE,
        *,
        destroy: bool = False,
        lock_timeout: str | None = None,
    ) -> Iterator[Event]:
        """``terraform plan -out=PLAN -detailed-exitcode -json``.

        Any older plan file is removed first, so a failed plan never leaves a stale
        one behind to be applied.  ``Finished.changes`` tells whether there is work.
        """
        stale = self.workdir / plan_file
        if stale.is_file():
            stale.unlink()
        argv = self._argv(
            "plan",
            input=False,
            no_color=IsFlagged,
            json=IsFlagged,
            detailed_exitcode=IsFlagged,
            destroy=IsFlagged if destroy else None,
            lock_timeout=lock_timeout,
            out=str(plan_file),
        )
        return self._stream("plan", argv, mode="jsonl")

    def apply(self, plan_file: str = DEFAULT_PLAN_FILE, *, lock_timeout: str | None = None) -> Iterator[Event]:
        """Apply exactly the saved ``plan_file`` (never plans again, never -auto-approve)."""
        if not (self.workdir / plan_file).is_file():
            raise FileNotFoundError(f"no saved plan {plan_file!r} in {self.workdir}; run plan first")
        argv = self._argv(
            "apply", str(plan_file), input=False, no_color=IsFlagged, json=IsFlagged, lock_timeout=lock_timeout
        )
        self.applied_outputs = None
        return self._stream("apply", argv, mode="jsonl")

    def output(self, *, values_only: bool = False) -> dict[str, Any]:
        """``terraform output -json`` parsed: ``{name: {"value", "type", "sensitive"}}``,
        or ``{name: value}`` with ``values_only``.  Raises TerraformFailed on error.
        The output is never echoed anywhere."""
        out = self._run_captured("output", self._argv("output", json=IsFlagged, no_color=IsFlagged))
        data = json.loads(out) if out.strip() else {}
        if values_only:
            return {name: item.get("value") for name, item in data.items()}
        return data

    def validate(self) -> Iterator[Event]:
        """``terraform validate -json``: Diagnostic events plus human lines."""
        return self._stream("validate", self._argv("validate", json=IsFlagged, no_color=IsFlagged), mode="json_doc")

    def fmt_check(self) -> Iterator[Event]:
        """``terraform fmt -check -diff -recursive``: lines name unformatted files (exit 3)."""
        argv = self._argv("fmt", check=IsFlagged, diff=IsFlagged, recursive=IsFlagged, no_color=IsFlagged)
        return self._stream("fmt", argv, mode="text")

    def interrupt(self) -> bool:
        """Ask the running terraform to stop (thread-safe; for the TUI).

        The first call sends one SIGINT; later calls add a notice line, or, when
        ``confirm_force_stop`` is set and says yes, send the forcing second SIGINT.
        Returns True when a SIGINT was sent now.
        """
        with self._lock:
            run = self._current
        if run is None:
            return False
        return self._request_stop(run)

    @property
    def running(self) -> bool:
        """True while a terraform process started by this runner is still alive."""
        with self._lock:
            run = self._current
        return run is not None and run.proc.poll() is None

    def environment(self) -> dict[str, str]:
        """The child environment (see module docstring)."""
        env = dict(os.environ)
        for name, value in self.extra_env.items():  # None removes a variable
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        for name in [n for n in env if n.upper().startswith("TF_LOG")]:
            del env[name]
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        if missing_cli_config(env):
            # terraform would warn on every command and then run without a CLI config;
            # run it with an empty one instead, and say so once (cli_config_notice).
            env["TF_CLI_CONFIG_FILE"] = os.devnull
        cache = tfiam_plugin_cache(env)
        if cache is not None:
            env[PLUGIN_CACHE_ENV] = str(cache)
            # Without this, terraform >= 1.4 ignores the cache for a workspace whose lock file
            # does not list the provider yet (every new workspace) and installs it again.
            # The lock file then records the checksum of this platform's package only (as it
            # does with -plugin-dir); `terraform providers lock` adds others when needed.
            env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true")
        return env

    # ---- internals

    def _argv(self, command: str, *args: str, **options: Any) -> list[str]:
        if any(isinstance(v, dict) for v in options.values()):
            raise ValueError("dict options would make python-terraform write temp var files")
        return list(self._builder.generate_cmd_string(command, *args, **options))

    def _start(self, argv: list[str], env: dict[str, str], outputs: tuple[Any, Any] | None = None) -> subprocess.Popen[str]:
        """Start terraform.  ``outputs``: files for stdout and stderr (streamed commands);
        None: pipes (short, read-only commands)."""
        needs_workspace = argv[1:2] != ["version"]  # `version` may run before the folder exists
        if needs_workspace and not self.workdir.is_dir():
            raise FileNotFoundError(f"terraform workspace {self.workdir} does not exist")
        if shutil.which(self.terraform_bin, path=env.get("PATH", os.defpath)) is None:
            raise TerraformNotFound(self.terraform_bin)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=self.workdir if needs_workspace else None,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=outputs[0] if outputs else subprocess.PIPE,
                stderr=outputs[1] if outputs else subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                start_new_session=True,  # a terminal's Ctrl-C reaches only us
                umask=0o077,  # state, backups and plan files terraform writes are owner-only
            )
        except (FileNotFoundError, PermissionError) as exc:
            raise TerraformNotFound(self.terraform_bin, f"could not be started ({exc.strerror})") from exc
        self.invocations.append(list(argv))
        return proc

    def _run_captured(self, command: str, argv: list[str]) -> str:
        """Run to completion, returning stdout (stderr kept only for the error)."""
        proc = self._start(argv, self.environment())
        run = _Run(command, proc)
        with self._lock:
            self._current = run
        try:
            out, err = proc.communicate()
        except KeyboardInterrupt:
            self._request_stop(run)
            self._wait_patiently(run)
            raise
        finally:
            with self._lock:
                self._current = None
        if proc.returncode != 0:
            raise TerraformFailed(command, proc.returncode, err.strip().splitlines()[-_TAIL_LINES:])
        return out

    def _force_stop_if_confirmed(self, run: _Run) -> bool:
        """A later interrupt: ask the front whether to force terraform out (its second
        SIGINT); True if it was sent."""
        if self.confirm_force_stop is None or run.forced or run.proc.poll() is not None:
            return False
        if not self.confirm_force_stop():
            return False
        with self._lock:
            if run.proc.poll() is not None:
                return False
            run.forced = True
            self.sigints_sent += 1
            try:
                os.kill(run.proc.pid, signal.SIGINT)  # terraform's forced exit
            except ProcessLookupError:
                return False
        return True

    def _request_stop(self, run: _Run) -> bool:
        """Send the run's one SIGINT, or queue a notice if it was already sent."""
        with self._lock:
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
        with self._lock:
            if run.proc.poll() is not None:
                return False
            run.sigint_sent = True
            self.sigints_sent += 1
            try:
                os.kill(run.proc.pid, signal.SIGINT)
            except ProcessLookupError:  # it exited (and was reaped) just now
                return False
        run.lines.put(
            ("tfiam", "tfiam: asked terraform to stop; waiting for it to save state and release the lock...")
        )
        return True

    def _wait_patiently(self, run: _Run) -> int:
        """Wait for exit without ever killing; Ctrl-C here only prints a notice."""
        while True:
            try:
                return run.proc.wait(timeout=_POLL_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:
                if self._force_stop_if_confirmed(run):
                    print("tfiam: forced terraform to stop; its state may be incomplete.", file=sys.stderr)
                else:
                    print("tfiam: still waiting for terraform to exit (killing it could lose state).", file=sys.stderr)

    def _stream(self, command: str, argv: list[str], *, mode: str) -> Iterator[Event]:
        """Start the process and return its event generator (starting is eager, so a
        missing binary raises at the call, not at the first ``next``)."""
        # terraform writes to unlinked temp files, not pipes: if tfiam dies (SIGKILL, a
        # closed terminal), a pipe would break and terraform would die of SIGPIPE mid-apply
        # with its state unsaved.  With files it finishes and saves state by itself.
        writers, readers = [], []
        try:
            for _ in ("stdout", "stderr"):
                fd, path = tempfile.mkstemp(prefix="tfiam-tf-", suffix=".out")
                writers.append(os.fdopen(fd, "wb"))
                readers.append(open(path, "rb"))  # noqa: SIM115 - closed by the tail thread
                os.unlink(path)
            proc = self._start(argv, self.environment(), outputs=(writers[0], writers[1]))
        except BaseException:
            for f in readers:
                f.close()
            raise
        finally:
            for f in writers:
                f.close()
        run = _Run(command, proc)
        with self._lock:
            self._current = run
        for stream, reader in zip(("stdout", "stderr"), readers):
            threading.Thread(target=_tail, args=(reader, proc, stream, run.lines), daemon=True).start()
        return self._events(run, mode)

    def _events(self, run: _Run, mode: str) -> Iterator[Event]:
        start = time.monotonic()
        outbox: deque[Event] = deque()
        collected: list[str] = []  # json_doc mode: stdout is one JSON document
        summary: ChangeSummary | None = None
        keyboard = False
        open_pipes = 2
        exited_at: float | None = None
        try:
            while open_pipes or outbox:
                try:
                    if outbox:
                        event = outbox.popleft()
                        if isinstance(event, ChangeSummary):
                            summary = event
                        elif isinstance(event, OutputValues) and run.command == "apply":
                            self.applied_outputs = event.outputs
                        yield event
                        continue
                    try:
                        stream, text = run.lines.get(timeout=_POLL_SECONDS)
                    except queue.Empty:
                        if run.proc.poll() is not None:
                            exited_at = exited_at or time.monotonic()
                            if time.monotonic() - exited_at > _PIPE_GRACE_SECONDS:
                                break  # a grandchild holds our pipes; terraform is done
                        continue
                    if text is None:
                        open_pipes -= 1
                    elif stream == "stdout" and mode == "jsonl":
                        outbox.extend(_json_events(text))
                    elif stream == "stdout" and mode == "json_doc":
                        collected.append(text)
                    else:
                        outbox.append(Line(text, stream))
                except KeyboardInterrupt:
                    keyboard = True
                    self._request_stop(run)
            returncode = self._wait_patiently(run)
            if mode == "json_doc":
                yield from _validate_events("\n".join(collected))
            yield Finished(
                run.command,
                returncode,
                _changes(run.command, returncode, summary),
                time.monotonic() - start,
                interrupted=run.sigint_sent,
            )
        except GeneratorExit:
            # The consumer walked away (maybe on Ctrl-C): never orphan terraform.
            if run.proc.poll() is None:
                print("tfiam: stopping terraform; waiting for it to save state...", file=sys.stderr)
                self._request_stop(run)
                self._wait_patiently(run)
            raise
        finally:
            with self._lock:
                if self._current is run:
                    self._current = None
        if keyboard:
            raise KeyboardInterrupt


def _tail(reader: Any, proc: subprocess.Popen, stream: str, sink: queue.Queue[tuple[str, str | None]]) -> None:
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


def _changes(command: str, returncode: int, summary: ChangeSummary | None) -> bool | None:
    if command == "plan":
        return {0: False, 2: True}.get(returncode)
    if command == "apply" and summary is not None:
        return bool(summary.add or summary.change or summary.remove)
    return None


def _validate_events(doc: str) -> list[Event]:
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
