"""The sandbox: a throwaway, local stand-in AWS for trying a workspace safely.

    *** NOTHING IN THE SANDBOX TOUCHES A REAL AWS ACCOUNT. ***

:class:`Sandbox` starts :mod:`tfiam_tui.engine.aws.moto_server` (moto, in memory) on a
free loopback port and hands out dummy credentials.  Terraform pointed at
:attr:`Sandbox.endpoint` with :meth:`Sandbox.env` merged into its environment
creates the IAM user, groups and keys inside that process; when the ``with``
block ends the process stops and every trace of them is gone.

Example::

    with Sandbox() as sandbox:
        run_terraform(endpoint=sandbox.endpoint, env=sandbox.child_env(os.environ))
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import IO

# moto's fixed account id: ARNs made in the sandbox read arn:aws:iam::123456789012:...
SANDBOX_ACCOUNT_ID = "123456789012"

# Dummy credentials: moto accepts any; these only keep SDKs from looking elsewhere.  The
# operator's config and credentials files can name a profile, an SSO session or a
# credential_process that runs a program: an empty file stands in for both, so neither
# terraform's SDK nor boto3 ever reads them.
_SANDBOX_ENV = {
    "AWS_ACCESS_KEY_ID": "SANDBOXACCESSKEYID00",
    "AWS_SECRET_ACCESS_KEY": "sandbox-secret-not-a-real-key",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}

# Every AWS_* variable of the operator's is removed by child_env(), not a list of known
# ones: a profile, a session token, a role and web identity, a container credentials URL,
# an endpoint URL or a FIPS switch could each steer an SDK away from the sandbox, and the
# SDKs add such variables from one release to the next.
_OPERATOR_PREFIX = "AWS_"


class SandboxError(RuntimeError):
    """The stand-in AWS did not start (the message includes the server's stderr)."""


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """Context manager running a local moto server; NEVER a real AWS account.

    ``start_timeout``: seconds to wait for the server to answer HTTP.
    ``stop_timeout``: seconds to wait after SIGTERM before SIGKILL.
    ``verbose``: let the server log each request (into :attr:`log_path`).
    """

    lives = False  # ends with this command (see sandbox_service for the one that lives on)

    def __init__(self, *, start_timeout: float = 20.0, stop_timeout: float = 5.0, verbose: bool = False):
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.verbose = verbose
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # ------------------------------------------------------------------ public

    @property
    def endpoint(self) -> str:
        """Base URL of the stand-in AWS, e.g. ``http://127.0.0.1:40123``."""
        if self.port is None:
            raise SandboxError("the sandbox is not running; use it as `with Sandbox() as sandbox:`")
        return f"http://127.0.0.1:{self.port}"

    @property
    def account_id(self) -> str:
        return SANDBOX_ACCOUNT_ID

    @property
    def pid(self) -> int | None:
        """Process id of the server while it runs."""
        return self._process.pid if self._process else None

    @staticmethod
    def env() -> dict[str, str]:
        """Dummy credentials to merge into terraform's (or boto3's) environment."""
        return dict(_SANDBOX_ENV)

    @staticmethod
    def child_env(base: Mapping[str, str]) -> dict[str, str]:
        """``base`` without any ``AWS_*`` variable, plus :meth:`env`."""
        env = {k: v for k, v in base.items() if not k.upper().startswith(_OPERATOR_PREFIX)}
        env.update(_SANDBOX_ENV)
        for var in ("NO_PROXY", "no_proxy"):  # an HTTP proxy must not see sandbox traffic
            present = [h for h in env.get(var, "").split(",") if h]
            env[var] = ",".join(present + [h for h in ("127.0.0.1", "localhost") if h not in present])
        return env

    @staticmethod
    def env_overrides(base: Mapping[str, str]) -> dict[str, str | None]:
        """:meth:`child_env` as changes to ``base`` (None = remove), for ``Runner(extra_env=...)``.

        The dummy credentials are always among them, even when ``base`` has them already
        (inside :func:`isolated_environ`): the engine takes them from here as the explicit
        credentials of its own AWS calls."""
        wanted = Sandbox.child_env(base)
        changes: dict[str, str | None] = {k: None for k in base if k not in wanted}
        changes.update({k: v for k, v in wanted.items() if base.get(k) != v or k in _SANDBOX_ENV})
        return changes

    def start(self) -> Sandbox:
        """Start the server and wait until it answers; raise :class:`SandboxError` if not."""
        if self._process is not None:
            raise SandboxError("the sandbox is already running")
        self.port = free_loopback_port()
        # The server's log lives as long as the sandbox (stop() closes it), not one block.
        self._log = tempfile.NamedTemporaryFile(prefix="tfiam-sandbox-", suffix=".log")  # noqa: SIM115
        cmd = [sys.executable, "-m", "tfiam_tui.engine.aws.moto_server", "--port", str(self.port),
               "--host", "127.0.0.1", "--exit-on-stdin-eof"]
        if self.verbose:
            cmd.append("--verbose")
        # The server needs no credentials at all: none are passed to it.
        server_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._process = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,  # closed when we go away: the server then exits
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=server_env,
            start_new_session=True,  # Ctrl-C reaches us; we stop the server in order
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``stop_timeout``.  Idempotent."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin:
                process.stdin.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.port = None

    @property
    def log_path(self) -> str | None:
        """The server's output file while it runs (requests are logged there when verbose)."""
        return self._log.name if self._log else None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ private

    def _server_output(self) -> str:
        if self._log is None:
            return ""
        with open(self._log.name, "rb") as fh:
            return fh.read()[-4000:].decode("utf-8", "replace").strip()

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self._process.poll()
            if code is not None:
                raise SandboxError(
                    f"the sandbox server exited with status {code} before it was ready:\n"
                    f"{self._server_output() or '(no output)'}"
                )
            if answers(self.endpoint):
                return
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"the sandbox server did not answer on {self.endpoint} within "
                    f"{self.start_timeout:g} s:\n{self._server_output() or '(no output)'}"
                )
            time.sleep(0.1)


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """Whether the stand-in at ``endpoint`` answers HTTP (any status means it is up)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(f"{endpoint}/moto-api/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def isolated_environ() -> Iterator[dict[str, str | None]]:
    """This process's own environment as :meth:`Sandbox.child_env` makes it, for the life of
    the block; then as it was.

    A front running under ``--sandbox`` enters it before the engine builds any boto3
    session: sessions made anywhere (the S3 backend's, the new key's STS check) then find
    only the dummy credentials and empty config files, never the operator's profile,
    ``credential_process``, SSO cache or instance role.  Yields the changes it made."""
    changes = Sandbox.env_overrides(os.environ)
    saved = {name: os.environ.get(name) for name in changes}
    _apply(changes)
    try:
        yield changes
    finally:
        _apply(saved)


def _apply(changes: Mapping[str, str | None]) -> None:
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
