"""Runs that died converge (issue 12, item 5).

An apply is interrupted while AWS is carrying out CreateAccessKey or CreateLoginProfile:
terraform SIGKILLed, tfiam SIGKILLed, or one Ctrl-C.  A proxy in front of the stand-in
AWS holds that one call open until the test has interrupted the run, then forwards it
anyway: AWS creates the key or the password whether or not anybody still listens.  The
next ``tfiam replay --auto-approve`` exits 0, says what it removed, and leaves the user
with exactly one working key (or one login profile), held in the state.

And the hostile side: what was made by hand, outside any interrupted apply's window, is
never touched; tfiam reports it with the commands that remove or adopt it.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_e2e import TFIAM, answers_file, iam
from tests.test_interrupt import answer, forward
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

MODULE = "module.iam_user"
KEY_ADDRESS = f'{MODULE}.aws_iam_access_key.this["a"]'
LOGIN_ADDRESS = f"{MODULE}.aws_iam_user_login_profile.this[0]"
RECORD = Path(".tfiam", "apply-in-flight.json")
HOLD_LIMIT = 600  # seconds a held call waits for release at most (a failing test must not hang)


class HoldingProxy:
    """Forwards every request to moto, except that the first one whose Action is
    ``action`` is held open until :attr:`release` is set; then it is forwarded all the
    same (AWS carries out a call whether or not its caller is still there) and the
    answer is sent back if anybody still listens.

    Events, for the test to wait on (never a sleep): ``held`` (the call arrived and is
    being held), ``gone`` (its caller hung up while it was held), ``forwarded`` (moto
    answered it: the key or login profile now exists)."""

    def __init__(self, upstream: str, action: str):
        proxy = self
        self.held = threading.Event()
        self.gone = threading.Event()
        self.release = threading.Event()
        self.forwarded = threading.Event()
        self.answer: bytes = b""

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                params = urllib.parse.parse_qs((body or b"").decode(errors="replace"))
                hold = params.get("Action", [""])[0] == action and not proxy.held.is_set()
                if hold:
                    proxy.held.set()
                    deadline = time.monotonic() + HOLD_LIMIT
                    while not proxy.release.wait(0.1) and time.monotonic() < deadline:
                        if not proxy.gone.is_set() and _hung_up(self.connection):
                            proxy.gone.set()
                status, headers, data = forward(self, upstream, body)
                if hold:
                    proxy.answer = data
                    proxy.forwarded.set()
                with contextlib.suppress(OSError):  # the caller is gone: nobody gets the answer
                    answer(self, status, headers, data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _hung_up(sock: socket.socket) -> bool:
    """Whether the peer closed the connection (a request's caller sends nothing more)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class Run:
    """``tfiam replay`` in the background, in its own process group (as a shell runs a
    foreground job), its output read line by line as it comes."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [TFIAM, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, start_new_session=True,
            # SIGINT at its default, as under a terminal, even when this suite runs as a background
            # job of a script (which ignores SIGINT, and Python would then never raise Ctrl-C).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self._lines: list[str] = []
        self._done = False
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._done = True
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "".join(self._lines)

    def wait_until(self, seen: Callable[[str], bool], what: str, timeout: float) -> None:
        """Until ``seen(output so far)`` (or tfiam's output ends)."""
        with self._cond:
            self._cond.wait_for(lambda: self._done or seen("".join(self._lines)), timeout)
            if seen("".join(self._lines)):
                return
        raise AssertionError(f"{what} did not happen within {timeout}s; tfiam said:\n{self.output}")

    def wait_for(self, *texts: str, timeout: float) -> None:
        """Until one of ``texts`` appears."""
        self.wait_until(lambda out: any(text in out for text in texts), f"none of {texts!r} appeared", timeout)

    def finish(self, timeout: float) -> int:
        """Wait for tfiam to exit and for its output to be read to the end."""
        returncode = self.proc.wait(timeout)
        self._reader.join(timeout)
        return returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


def only_held_left(held: str) -> Callable[[str], bool]:
    """Whether the apply has created everything it plans except ``held`` (whose call the
    proxy holds): the interrupt then hits that one call and nothing else in flight."""
    def seen(output: str) -> bool:
        applying = output.partition("terraform apply (the plan above")[2]
        planned = set(re.findall(r"^\s*(\S.*?): Plan to (?:create|replace)$", applying, re.M))
        complete = set(re.findall(r"^\s*(\S.*?): Creation complete", applying, re.M))
        return held in planned and planned - complete == {held}
    return seen


# ---------------------------------------------------------------- processes (/proc)

def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of ``pid``, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def _cmdline(pid: int) -> list[str]:
    try:
        return [part.decode(errors="replace") for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def terraform_apply_of(tfiam_pid: int, timeout: float = 60) -> int:
    """The pid of the ``terraform apply`` that tfiam (``tfiam_pid``) runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in _children(tfiam_pid):
            argv = _cmdline(child)
            if argv and os.path.basename(argv[0]) == "terraform" and "apply" in argv:
                return child
        time.sleep(0.1)
    raise AssertionError(f"no `terraform apply` child of tfiam ({tfiam_pid}) within {timeout}s")


def wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} ({' '.join(_cmdline(pid))}) still runs after {timeout}s")
        time.sleep(0.2)


class Descendants:
    """Processes this test started (terraform and its provider plugin, which outlive a
    killed parent): remembered by pid and command line, killed at the end if still there."""

    def __init__(self) -> None:
        self.known: dict[int, list[str]] = {}

    def note(self, pid: int) -> None:
        for p in [pid, *_children(pid)]:
            if p not in self.known and _cmdline(p):
                self.known[p] = _cmdline(p)
                if p != pid:
                    self.note(p)

    def cleanup(self, grace: float) -> list[str]:
        """Give them ``grace`` seconds to exit by themselves, then kill the ones still
        running; returns what had to be killed."""
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(pid) for pid in self.known):
            time.sleep(0.2)
        killed = []
        for pid, argv in self.known.items():
            if _alive(pid) and _cmdline(pid) == argv:  # the same process, not a reused pid
                os.kill(pid, signal.SIGKILL)
                killed.append(" ".join(argv))
        return killed


# ---------------------------------------------------------------- the cases

# example, held call, address of what it creates
KEY_CASE = ("ci-bot.yaml", "CreateAccessKey", KEY_ADDRESS)
LOGIN_CASE = ("console-user.yaml", "CreateLoginProfile", LOGIN_ADDRESS)


def _answers(tmp_path: Path, example: str, endpoint: str, name: str, **changes) -> Path:
    group = {"name": f"{name}-group"}
    if example == "console-user.yaml":
        group["managed_policies"] = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    return answers_file(tmp_path, example, endpoint, user__name=name, permissions__groups=[group], **changes)


def _replay(answers: Path, tf_plugin_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)


def _state(ws: Path) -> dict:
    return json.loads((ws / "terraform.tfstate").read_text())


def _instances(state: dict, resource_type: str) -> list[dict]:
    return [instance["attributes"] for resource in state.get("resources", [])
            if resource.get("mode") == "managed" and resource.get("type") == resource_type
            for instance in resource.get("instances", [])]


def _keys(client, name: str) -> list[str]:
    return [k["AccessKeyId"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]]


def _login_profile(client, name: str) -> dict | None:
    try:
        return client.get_login_profile(UserName=name)["LoginProfile"]
    except client.exceptions.NoSuchEntityException:
        return None


@pytest.mark.parametrize("how", ["kill-terraform", "kill-tfiam", "ctrl-c"])
@pytest.mark.parametrize("case", [KEY_CASE, LOGIN_CASE], ids=["CreateAccessKey", "CreateLoginProfile"])
def test_an_apply_that_died_mid_call_converges_on_the_next_run(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir, case, how
):
    example, action, address = case
    name = f"converge-{uuid.uuid4().hex[:10]}"
    ws = tmp_path / "ws"
    client = iam(moto_endpoint)
    proxy = HoldingProxy(moto_endpoint, action)
    first = Run("replay", str(_answers(tmp_path, example, proxy.url, name)), "--auto-approve",
                "--plugin-dir", tf_plugin_dir)
    started = Descendants()
    try:
        first.wait_for(f"{address}: Creating...", timeout=300)
        assert proxy.held.wait(60), first.output
        # Nothing but the held call in flight: the case is this call's, not another one's.
        first.wait_until(only_held_left(address), f"everything but {address} created", timeout=300)
        terraform = terraform_apply_of(first.proc.pid)
        started.note(terraform)
        # Before apply started, tfiam recorded that it is in flight, and what it creates.
        record = json.loads((ws / RECORD).read_text())
        assert address in record["creates"] and record["ended"] is None, record

        if how == "kill-terraform":  # the OOM killer, say: terraform dies, tfiam lives on
            os.kill(terraform, signal.SIGKILL)
            proxy.release.set()
            returncode = first.finish(timeout=120)
            assert proxy.forwarded.wait(60), first.output
            assert returncode == Exit.TERRAFORM_FAILED, first.output
            assert "terraform was killed by signal 9 before it finished" in first.output
            assert "Stopped. Done before the stop" in first.output
            record = json.loads((ws / RECORD).read_text())
            assert record["ended"] is not None, record  # tfiam saw the apply end
        elif how == "kill-tfiam":  # tfiam dies; terraform, in its own session, carries on
            os.kill(first.proc.pid, signal.SIGKILL)
            assert first.finish(timeout=60) == -signal.SIGKILL
            proxy.release.set()
            assert proxy.forwarded.wait(60), first.output
            wait_gone(terraform, timeout=300)  # it finishes the apply and saves state by itself
            record = json.loads((ws / RECORD).read_text())
            assert record["ended"] is None, record  # nobody was left to say when it ended
        else:  # one Ctrl-C at a terminal: SIGINT to the foreground process group
            os.killpg(first.proc.pid, signal.SIGINT)
            # tfiam sends terraform its one SIGINT (which message depends on where Python
            # raised KeyboardInterrupt: inside the runner's loop, or in the code consuming it).
            first.wait_for("tfiam: asked terraform to stop", "tfiam: stopping terraform; waiting for it to save state",
                           timeout=60)
            # terraform gives up on the call in flight: its caller hangs up...
            assert proxy.gone.wait(120), first.output
            proxy.release.set()
            # ...and AWS carries it out all the same, after terraform stopped listening.
            assert proxy.forwarded.wait(60), first.output
            returncode = first.finish(timeout=300)
            assert returncode == Exit.INTERRUPTED, first.output
            assert "Terraform saved its state; run the same command again to finish the job." in first.output
            assert "interrupted. Run the same command again to continue" in first.output
            record = json.loads((ws / RECORD).read_text())
            assert record["ended"] is not None, record
        wait_gone(terraform, timeout=300)
    finally:
        first.kill()
        proxy.close()
        # A SIGKILLed terraform leaves its provider plugin behind (terraform's doing, not tfiam's).
        leftovers = started.cleanup(grace=0 if how == "kill-terraform" else 30)
    assert not (ws / ".terraform.tfstate.lock.info").exists() or how == "kill-terraform"

    # What the interrupted apply left: the key or password exists in AWS.
    left_keys = _keys(client, name)
    left_profile = _login_profile(client, name)
    state = _state(ws)
    if action == "CreateAccessKey":
        assert len(left_keys) == 1, left_keys
        recorded = {k["id"] for k in _instances(state, "aws_iam_access_key")}
        orphan = None if left_keys[0] in recorded else left_keys[0]
    else:
        assert left_profile is not None
        orphan = None if _instances(state, "aws_iam_user_login_profile") else name
    if how != "kill-tfiam":  # terraform never got the answer: nobody holds that secret
        assert orphan is not None, (first.output, state)
    else:  # terraform lived to get the answer and stored it
        assert orphan is None, (first.output, state)

    # The next run, pointed at AWS directly, converges by itself.
    again = _replay(_answers(tmp_path, example, moto_endpoint, name), tf_plugin_dir)
    said = again.stdout + again.stderr
    assert again.returncode == Exit.OK, said
    assert "[FAIL]" not in again.stdout, said
    if orphan is not None and action == "CreateAccessKey":
        removed = [line for line in again.stdout.splitlines() if f"access key {orphan} of {name} was created at" in line]
        assert len(removed) == 1, said
        assert "by the apply that was interrupted" in removed[0]
        assert "Deleted it; this run creates the key again." in removed[0]
    elif orphan is not None:
        removed = [line for line in again.stdout.splitlines() if f"the console password of {name} was created" in line]
        assert len(removed) == 1, said
        assert "Deleted it; this run creates it again." in removed[0]
    else:
        assert "Deleted it" not in said and "warning: access key" not in said, said
    assert not (ws / RECORD).exists()  # nothing left to recover

    state = _state(ws)
    assert len(_instances(state, "aws_iam_user")) == 1
    if action == "CreateAccessKey":
        keys = _keys(client, name)
        assert len(keys) == 1, keys  # exactly one key...
        assert [k["id"] for k in _instances(state, "aws_iam_access_key")] == keys  # ...the state's
        assert orphan is None or orphan not in keys
        assert "[ok] access key works" in again.stdout, said  # ...and it works
    else:
        profile = _login_profile(client, name)
        assert profile is not None, said
        in_state = _instances(state, "aws_iam_user_login_profile")
        assert len(in_state) == 1 and in_state[0]["encrypted_password"], in_state
        assert "[ok] console login profile" in again.stdout, said
        if orphan is not None:  # made again by this run (moto dates a login profile by its user: no date check)
            assert "aws_iam_user_login_profile.this[0]: Creation complete" in again.stdout, said
        assert _keys(client, name) == []
    assert leftovers == [] or how == "kill-terraform", leftovers


# ---------------------------------------------------------------- made by hand: never touched

def _stale_record(ws: Path, creates: list[str]) -> None:
    """An in-flight record of an apply that died three hours ago (tfiam killed, so no
    end was recorded): its window is long over."""
    from tfiam_tui.engine.pipeline import inflight

    inflight.begin(ws, creates, now=datetime.now(UTC) - timedelta(hours=3))
    assert (ws / RECORD).exists()


@pytest.mark.parametrize("record", ["no-record", "stale-record"])
def test_an_access_key_made_by_hand_is_reported_never_deleted(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir, record
):
    name = f"handkey-{uuid.uuid4().hex[:10]}"
    ws = tmp_path / "ws"
    client = iam(moto_endpoint)
    answers = _answers(tmp_path, "ci-bot.yaml", moto_endpoint, name)
    clean = _replay(answers, tf_plugin_dir)
    assert clean.returncode == Exit.OK, clean.stdout + clean.stderr
    assert not (ws / RECORD).exists()  # a clean apply leaves nothing to recover
    managed = _keys(client, name)
    assert len(managed) == 1
    by_hand = client.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    if record == "stale-record":
        _stale_record(ws, [KEY_ADDRESS, f"{MODULE}.aws_iam_user.this"])

    again = _replay(answers, tf_plugin_dir)
    said = again.stdout + again.stderr
    assert sorted(_keys(client, name)) == sorted(managed + [by_hand]), said  # never deleted
    assert "Deleted it" not in said
    assert again.returncode == Exit.VERIFY_FAILED, said
    stray = [line for line in again.stdout.splitlines() if "[FAIL] no access keys besides the managed one" in line]
    assert len(stray) == 1 and by_hand in stray[0], said
    assert f"aws iam delete-access-key --user-name {name} --access-key-id {by_hand}" in stray[0]
    if record == "stale-record":
        warning = [line for line in again.stdout.splitlines() if line.startswith(f"warning: access key {by_hand}")]
        assert len(warning) == 1, said
        assert "was not made by an interrupted tfiam apply" in warning[0] and "left as it is" in warning[0]
        assert f"Remove it: aws iam delete-access-key --user-name {name} --access-key-id {by_hand}" in warning[0]
        assert f"import '{KEY_ADDRESS}' {by_hand}" in warning[0]
        assert managed[0] not in warning[0]  # the managed key is in state: not a stray


@pytest.mark.parametrize("record", ["no-record", "stale-record"])
def test_a_login_profile_made_by_hand_stops_the_run_before_apply_and_is_never_deleted(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir, record
):
    """The user exists (a clean apply without a console password); an admin then gave
    it one by hand.  Answers that now want a console password must not delete that one
    (someone may be signed in with it), nor run into IAM's EntityAlreadyExists halfway
    through an apply: the run stops before apply and says how to remove it."""
    name = f"handlogin-{uuid.uuid4().hex[:10]}"
    ws = tmp_path / "ws"
    client = iam(moto_endpoint)
    clean = _replay(_answers(tmp_path, "console-user.yaml", moto_endpoint, name, authentication__console=False),
                    tf_plugin_dir)
    assert clean.returncode == Exit.OK, clean.stdout + clean.stderr
    assert _login_profile(client, name) is None
    client.create_login_profile(UserName=name, Password="Made-by-hand-1234!", PasswordResetRequired=False)
    made = _login_profile(client, name)
    if record == "stale-record":
        _stale_record(ws, [LOGIN_ADDRESS, f"{MODULE}.aws_iam_user.this"])

    again = _replay(_answers(tmp_path, "console-user.yaml", moto_endpoint, name), tf_plugin_dir)
    said = again.stdout + again.stderr
    assert _login_profile(client, name) == made, said  # the very same, untouched
    assert "Deleted it" not in said
    assert f"aws iam delete-login-profile --user-name {name}" in said, said
    assert "terraform apply (the plan above" not in again.stdout, said  # stopped before apply
    assert again.returncode == Exit.REFUSED, said
    assert not _instances(_state(ws), "aws_iam_user_login_profile")


def test_ctrl_c_while_a_policy_attachment_is_read_back_converges(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    """One Ctrl-C lands after AWS attached a group's policy but while the provider reads
    the attachment back: terraform keeps it in state as tainted.  The next run must not
    trip over the interrupted apply's own half-finished resource either: it exits 0,
    the policy attached once, one working key, nothing tainted left in state."""
    name = f"converge-{uuid.uuid4().hex[:10]}"
    group = f"{name}-group"
    policy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    attachment = f'{MODULE}.aws_iam_group_policy_attachment.managed["{group}|{policy}"]'
    ws = tmp_path / "ws"
    client = iam(moto_endpoint)

    def answers(endpoint: str) -> Path:
        return answers_file(tmp_path, "ci-bot.yaml", endpoint, user__name=name,
                            permissions__groups=[{"name": group, "managed_policies": [policy]}])

    proxy = HoldingProxy(moto_endpoint, "ListAttachedGroupPolicies")  # the read after AttachGroupPolicy
    first = Run("replay", str(answers(proxy.url)), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    try:
        first.wait_for(f"{attachment}: Creating...", timeout=300)
        assert proxy.held.wait(60), first.output
        first.wait_until(only_held_left(attachment), f"everything but {attachment} created", timeout=300)
        os.killpg(first.proc.pid, signal.SIGINT)
        assert proxy.gone.wait(120), first.output
        proxy.release.set()
        assert first.finish(timeout=300) == Exit.INTERRUPTED, first.output
    finally:
        first.kill()
        proxy.close()
    assert "Terraform saved its state" in first.output
    tainted = [r for r in _state(ws)["resources"] for i in r["instances"] if i.get("status") == "tainted"]
    assert [r["type"] for r in tainted] == ["aws_iam_group_policy_attachment"], first.output  # the premise

    again = _replay(answers(moto_endpoint), tf_plugin_dir)
    said = again.stdout + again.stderr
    assert again.returncode == Exit.OK, said
    assert "[FAIL]" not in again.stdout and "[ok] access key works" in again.stdout, said
    attached = client.list_attached_group_policies(GroupName=group)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [policy]
    state = _state(ws)
    assert not [i for r in state["resources"] for i in r["instances"] if i.get("status") == "tainted"]
    keys = _keys(client, name)
    assert len(keys) == 1 and [k["id"] for k in _instances(state, "aws_iam_access_key")] == keys
