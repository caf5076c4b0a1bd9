"""Ctrl-C in a real terminal (tmux) during apply: one SIGINT reaches terraform, it
saves state, tfiam says what was done, and the next run finishes the job."""

from __future__ import annotations

import http.server
import io
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest

from tests.test_e2e import TFIAM, answers_file

pytestmark = pytest.mark.e2e


def forward(handler: http.server.BaseHTTPRequestHandler, upstream: str, body: bytes | None):
    """Send the handler's request on to ``upstream``: (status, headers, body) of its answer."""
    req = urllib.request.Request(upstream + handler.path, data=body, method=handler.command)
    for key, value in handler.headers.items():
        if key.lower() not in ("host", "content-length", "connection"):
            req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def answer(handler: http.server.BaseHTTPRequestHandler, status: int, headers, data: bytes) -> None:
    """One send for the status line, headers and body: a response split over two sends lets
    the provider's SDK give up between them and retry a call that was already carried out
    (see moto_serving.one_send_handler)."""
    lines = [f"HTTP/1.0 {status} {http.HTTPStatus(status).phrase}"]
    lines += [f"{key}: {value}" for key, value in headers.items()
              if key.lower() not in ("transfer-encoding", "connection", "content-length")]
    lines += [f"Content-Length: {len(data)}", "", ""]
    handler.wfile.write("\r\n".join(lines).encode("latin-1") + data)


class SlowProxy:
    """Forwards to moto, holding any request whose Action is ``slow_action`` for
    ``delay`` seconds: an AWS that is slow at one call, so Ctrl-C lands mid-apply."""

    def __init__(self, upstream: str, slow_action: str, delay: float):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                params = urllib.parse.parse_qs((body or b"").decode(errors="replace"))
                slow = params.get("Action", [""])[0] == slow_action
                if slow:
                    proxy.held.set()
                    proxy.release.wait(delay)  # ``delay`` seconds, or until the test releases it
                status, headers, data = forward(self, upstream, body)
                if slow:  # AWS carried the call out, whether or not its caller still listens
                    proxy.forwarded.set()
                answer(self, status, headers, data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.held = threading.Event()
        self.forwarded = threading.Event()
        self.release = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


def _pane(session: str) -> str:
    out = subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t", session],
                         capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else f"(no screen: {out.stderr.strip()})"


def _wait_for(session: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _pane(session)
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{_pane(session)}")


def test_ctrl_c_during_apply_saves_state_and_the_next_run_finishes(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    assert shutil.which("tmux"), "tmux is required for the real-terminal tests"
    proxy = SlowProxy(moto_endpoint, "CreateAccessKey", delay=300)  # released below
    name = f"interrupted-{uuid.uuid4().hex[:10]}"
    group = f"{name}-group"
    answers = answers_file(tmp_path, "ci-bot.yaml", proxy.url, user__name=name,
                           permissions__groups=[{"name": group}])
    session = f"tfiam-int-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # unique across concurrent runs
    env = " ".join(f"{k}={v}" for k, v in {
        "HOME": str(Path.home()), "GNUPGHOME": gnupghome.home,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "nocfg"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "nocreds"),
    }.items())
    command = (f"env {env} {TFIAM} replay {answers} --auto-approve --plugin-dir {tf_plugin_dir}; "
               f"echo TFIAM-EXIT=$?; sleep 120")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50", command], check=True)
    try:
        _wait_for(session, 'aws_iam_access_key.this["a"]: Creating...', timeout=120)
        assert proxy.held.wait(60)
        # Ctrl-C lands on the held CreateAccessKey alone, nothing else in flight.
        _wait_for(session, "aws_iam_user_group_membership.this[0]: Creation complete", timeout=120)
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
        screen = _wait_for(session, "TFIAM-EXIT=", timeout=120)
        # Terraform gave up on the call; AWS carries it out all the same, after terraform
        # stopped listening: the key exists before the next run starts.
        proxy.release.set()
        assert proxy.forwarded.wait(60), screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        proxy.close()
    assert "TFIAM-EXIT=130" in screen, screen
    assert "Stopped. Done before the stop" in screen
    assert "aws_iam_user.this" in screen.split("Stopped. Done before the stop", 1)[1]
    assert "Terraform saved its state; run the same command again to finish the job." in screen, screen
    assert "interrupted. Run the same command again to continue" in screen, screen

    # State was saved: the user is in it; the lock was released.
    ws = tmp_path / "ws"
    state = json.loads((ws / "terraform.tfstate").read_text())
    in_state = {r["type"] for r in state["resources"]}
    assert "aws_iam_user" in in_state
    assert not (ws / ".terraform.tfstate.lock.info").exists()
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="eu-central-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    recorded = {i["attributes"]["id"] for r in state["resources"] if r["type"] == "aws_iam_access_key"
                for i in r["instances"]}
    left = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
    assert len(left) == 1, left
    orphan = left[0]
    assert orphan not in recorded, state  # made by AWS after terraform stopped listening: nobody holds it

    # The same command, run again, finishes the job by itself: no duplicates, no stray key.
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[{"name": group}])
    again = subprocess.run([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    said = again.stdout + again.stderr
    assert again.returncode == 0, said
    assert "[FAIL]" not in again.stdout and "[ok] access key works" in again.stdout, said
    assert f"access key {orphan} of {name} was created at" in again.stdout, said
    assert "Deleted it; this run creates the key again." in again.stdout, said
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]] == [group]
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
    state = json.loads((ws / "terraform.tfstate").read_text())
    assert [i["attributes"]["id"] for r in state["resources"] if r["type"] == "aws_iam_access_key"
            for i in r["instances"]] == keys
    assert len(keys) == 1 and orphan not in keys, keys


def test_tfiam_killed_mid_apply_terraform_still_saves_state_and_next_run_is_clean(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    """SIGKILL of tfiam itself: terraform does not depend on tfiam's pipes, so it
    finishes the apply and saves state; the next run finds nothing left to do."""
    import os
    import signal

    proxy = SlowProxy(moto_endpoint, "CreateAccessKey", delay=4)
    name = f"killed-{uuid.uuid4().hex[:10]}"
    answers = answers_file(tmp_path, "ci-bot.yaml", proxy.url, user__name=name,
                           permissions__groups=[{"name": f"{name}-group"}])
    proc = subprocess.Popen([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if 'aws_iam_access_key.this["a"]: Creating...' in line:
                break
        assert proxy.held.wait(10), "".join(seen)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        state_file = tmp_path / "ws" / "terraform.tfstate"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            lock = tmp_path / "ws" / ".terraform.tfstate.lock.info"
            if state_file.exists() and state_file.stat().st_size and not lock.exists():
                state = json.loads(state_file.read_text())
                if "aws_iam_access_key" in {r["type"] for r in state["resources"]}:
                    break
            time.sleep(0.5)
        else:
            raise AssertionError("terraform did not finish the apply and save state after tfiam was killed")
    finally:
        proxy.close()
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[{"name": f"{name}-group"}])
    again = subprocess.run([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout and "[FAIL]" not in again.stdout


class DyingProxy(SlowProxy):
    """Forwards to moto until a request with Action ``die_on`` arrives; then AWS "goes
    away": that connection is dropped and the port refuses every later connection."""

    def __init__(self, upstream: str, die_on: str):
        super().__init__(upstream, slow_action="(none)", delay=0)
        handler = self.server.RequestHandlerClass
        forward = handler._forward
        proxy = self

        def dying(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if f"Action={die_on}".encode() in body:
                threading.Thread(target=proxy.close, daemon=True).start()
                self.close_connection = True
                return
            self.rfile = io.BytesIO(body)
            return forward(self)

        handler.do_POST = dying

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_aws_going_away_mid_apply_exits_4_keeps_state_and_the_next_run_converges(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    proxy = DyingProxy(moto_endpoint, die_on="CreateAccessKey")
    name = f"goes-away-{uuid.uuid4().hex[:10]}"
    answers = answers_file(tmp_path, "ci-bot.yaml", proxy.url, user__name=name,
                           permissions__groups=[{"name": f"{name}-group"}])
    first = subprocess.run([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    assert first.returncode == 4, first.stdout + first.stderr
    assert "AWS stopped answering during terraform apply" in first.stderr
    assert "Done before the stop" in first.stdout and "Not done" in first.stdout
    state = json.loads((tmp_path / "ws" / "terraform.tfstate").read_text())
    assert "aws_iam_user" in {r["type"] for r in state["resources"]}  # what was created is kept
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[{"name": f"{name}-group"}])
    again = subprocess.run([TFIAM, "replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[FAIL]" not in again.stdout and "[ok] access key works" in again.stdout
