"""The one adapter around the terraform CLI (Terraform or OpenTofu).

Nothing else in tfiam builds a terraform command line: every argv comes from
python-terraform's ``Terraform.generate_cmd_string`` (with ``IsFlagged`` for bare
flags), and every process is started here.  python-terraform's own runner is not
used: it buffers output until exit (``cmd(synchronous=False)`` leaks the kwarg
into argv) and reads state files on construction.

Each command is a generator of typed events (:mod:`.events`) that a front consumes::

    runner = Runner(Path("ws"), plugin_dir=None)
    for event in runner.plan():
        if isinstance(event, Line):
            print(event.text)
    finished = run_to_end(runner.apply("tfiam.tfplan"), on_event=show)

Environment of the child: ``os.environ`` + ``extra_env``, minus every ``TF_LOG*``
variable (providers have leaked secrets in debug logs), plus ``TF_IN_AUTOMATION=1``
and ``TF_INPUT=0``, plus ``TF_PLUGIN_CACHE_DIR`` pointing at tfiam's shared provider
cache unless the operator configured one (:func:`.cliconfig.tfiam_plugin_cache`).  The
provider mirror for ``init -plugin-dir`` comes from the ``plugin_dir`` argument or, when
that is not given, from the ``TFIAM_PLUGIN_DIR`` environment variable.  Interrupts follow
the one-SIGINT rule of :mod:`.process`.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

from .cliconfig import PLUGIN_CACHE_ENV, missing_cli_config, tfiam_plugin_cache
from .events import (
    TAIL_LINES,
    ChangeSummary,
    Event,
    Finished,
    Line,
    OutputValues,
    TerraformFailed,
    TerraformNotFound,
    changes_of,
    json_events,
    validate_events,
)
from .process import POLL_SECONDS, Process, Signals, follow, output_files

PLUGIN_DIR_ENV = "TFIAM_PLUGIN_DIR"
DEFAULT_PLAN_FILE = "tfiam.tfplan"
# After terraform exits, its tail threads read its output files to the end and report; they
# always do (a file has an end even if a grandchild keeps it open).  This only guards against
# a thread that never reports.  It was 2 s, and on a machine busy elsewhere a tail thread
# that had not yet read the plan's last lines was cut off: a plan with changes came out as
# "No changes" and was discarded.
_TAIL_GRACE_SECONDS = 120.0


class _CommandBuilder(Terraform):
    """python-terraform, used only to build argv.

    Its constructor reads (and may choke on) the workspace's state file; we never
    want that, so reading state is a no-op here.
    """

    def read_state_file(self, file_path: str | None = None) -> None:  # noqa: ARG002
        self.tfstate = None



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
        extra_env: dict[str, str | None] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.terraform_bin = terraform_bin
        self.plugin_dir = plugin_dir if plugin_dir is not None else (os.environ.get(PLUGIN_DIR_ENV) or None)
        self.extra_env = dict(extra_env or {})
        self.invocations: list[list[str]] = []
        # The outputs the last apply() reported in its -json stream (see OutputValues), so
        # the caller may skip a `terraform output`; None until an apply reports them.
        self.applied_outputs: dict[str, Any] | None = None
        self._signals = Signals()
        self._lock = self._signals.lock  # also guards _current
        self._current: Process | None = None
        self._builder = _CommandBuilder(working_dir=str(self.workdir), terraform_bin_path=terraform_bin)

    @property
    def sigints_sent(self) -> int:
        """How many SIGINTs this runner ever sent (never more than one per process,
        unless the operator confirmed a forced stop)."""
        return self._signals.sent

    @property
    def confirm_force_stop(self) -> Callable[[], bool] | None:
        """Asked (by the front) when the operator interrupts again while terraform is
        still stopping: True sends terraform a second SIGINT, its forced exit, which can
        lose state.  None (the default): never; later interrupts only print a notice."""
        return self._signals.confirm_force_stop

    @confirm_force_stop.setter
    def confirm_force_stop(self, ask: Callable[[], bool] | None) -> None:
        self._signals.confirm_force_stop = ask

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

    def untaint(self, address: str, *, lock_timeout: str | None = None) -> None:
        """``terraform untaint ADDRESS``: the object exists as created; keep it."""
        self._run_captured("untaint", self._argv("untaint", address, no_color=IsFlagged, lock_timeout=lock_timeout))

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

    def show_plan(self, plan_file: str) -> dict[str, Any]:
        """``terraform show -json PLAN``: the saved plan with every change's before and
        after (the plan's stream says only "update"; a rename is in the values).  May hold
        ciphertext; kept in memory, never echoed."""
        out = self._run_captured("show", self._argv("show", str(plan_file), json=IsFlagged, no_color=IsFlagged))
        return json.loads(out) if out.strip() else {}

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
        return self._signals.request_stop(run)

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
        run = Process(command, proc)
        with self._lock:
            self._current = run
        try:
            out, err = proc.communicate()
        except KeyboardInterrupt:
            self._signals.request_stop(run)
            self._signals.wait_patiently(run)
            raise
        finally:
            with self._lock:
                self._current = None
        if proc.returncode != 0:
            raise TerraformFailed(command, proc.returncode, err.strip().splitlines()[-TAIL_LINES:])
        return out

    def _stream(self, command: str, argv: list[str], *, mode: str) -> Iterator[Event]:
        """Start the process and return its event generator (starting is eager, so a
        missing binary raises at the call, not at the first ``next``)."""
        writers, readers = output_files()
        try:
            proc = self._start(argv, self.environment(), outputs=(writers[0], writers[1]))
        except BaseException:
            for f in readers:
                f.close()
            raise
        finally:
            for f in writers:
                f.close()
        run = Process(command, proc)
        with self._lock:
            self._current = run
        follow(run, readers)
        return self._events(run, mode)

    def _events(self, run: Process, mode: str) -> Iterator[Event]:
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
                        stream, text = run.lines.get(timeout=POLL_SECONDS)
                    except queue.Empty:
                        if run.proc.poll() is not None:
                            exited_at = exited_at or time.monotonic()
                            if time.monotonic() - exited_at > _TAIL_GRACE_SECONDS:
                                break  # a tail thread never reported; terraform is done
                        continue
                    if text is None:
                        open_pipes -= 1
                    elif stream == "stdout" and mode == "jsonl":
                        outbox.extend(json_events(text))
                    elif stream == "stdout" and mode == "json_doc":
                        collected.append(text)
                    else:
                        outbox.append(Line(text, stream))
                except KeyboardInterrupt:
                    keyboard = True
                    self._signals.request_stop(run)
            returncode = self._signals.wait_patiently(run)
            if mode == "json_doc":
                yield from validate_events("\n".join(collected))
            yield Finished(
                run.command,
                returncode,
                changes_of(run.command, returncode, summary),
                time.monotonic() - start,
                interrupted=run.sigint_sent,
            )
        except (GeneratorExit, KeyboardInterrupt):
            # The consumer walked away (maybe on Ctrl-C), or a Ctrl-C landed between the inner
            # handler's reach (Python checks signals at the loop's backward jump): either way,
            # never orphan terraform.
            if run.proc.poll() is None:
                print("tfiam: stopping terraform; waiting for it to save state...", file=sys.stderr)
                self._signals.request_stop(run)
                self._signals.wait_patiently(run)
            raise
        finally:
            with self._lock:
                if self._current is run:
                    self._current = None
        if keyboard:
            raise KeyboardInterrupt

