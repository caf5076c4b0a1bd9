"""The sandbox that lives across commands (issue 14, item 6): ``tfiam sandbox
start|status|stop`` with the real console script, the stand-in refusing inactive and
deleted keys as AWS does, a stale record after the server was killed, and the README's
day-2 tour (replay, status and rotate ``--sandbox`` in one account)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.test_e2e import EXAMPLES, run_tfiam
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e
DUMMY = ("SANDBOXACCESSKEYID00", "sandbox-secret-not-a-real-key")


@pytest.fixture
def background():
    """Stop whatever sandbox a test started, even when it fails."""
    yield
    run_tfiam("sandbox", "stop", timeout=60)


def _endpoint(done) -> str:
    found = re.search(r"at (http://127\.0\.0\.1:\d+) \(pid (\d+)", done.stdout)
    assert found, done.stdout + done.stderr
    return found.group(1)


def _client(service: str, endpoint: str, key: tuple[str, str]):
    return boto3.client(service, endpoint_url=endpoint, region_name="eu-central-1",
                        aws_access_key_id=key[0], aws_secret_access_key=key[1])


def _refused(call) -> str | None:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return None


def test_start_status_stop_and_the_keys_the_stand_in_refuses(background):
    none = run_tfiam("sandbox", "status")
    assert none.returncode == Exit.AWS_UNAVAILABLE and "no sandbox is running" in none.stdout
    started = run_tfiam("sandbox", "start", timeout=120)
    assert started.returncode == Exit.OK and "SANDBOX started" in started.stdout, started.stdout + started.stderr
    endpoint = _endpoint(started)
    again = run_tfiam("sandbox", "start", timeout=120)
    assert "SANDBOX already running" in again.stdout and _endpoint(again) == endpoint  # one, not two
    assert run_tfiam("sandbox", "status").returncode == Exit.OK

    iam = _client("iam", endpoint, DUMMY)
    iam.create_user(UserName="keys")
    key = iam.create_access_key(UserName="keys")["AccessKey"]
    mine = (key["AccessKeyId"], key["SecretAccessKey"])
    assert _client("sts", endpoint, mine).get_caller_identity()["Arn"].endswith(":user/keys")
    iam.update_access_key(UserName="keys", AccessKeyId=mine[0], Status="Inactive")
    assert _refused(_client("sts", endpoint, mine).get_caller_identity) == "InvalidClientTokenId"
    assert _refused(_client("s3", endpoint, mine).list_buckets) == "InvalidAccessKeyId"
    iam.update_access_key(UserName="keys", AccessKeyId=mine[0], Status="Active")
    assert _refused(_client("sts", endpoint, mine).get_caller_identity) is None
    iam.delete_access_key(UserName="keys", AccessKeyId=mine[0])
    assert _refused(_client("sts", endpoint, mine).get_caller_identity) == "InvalidClientTokenId"
    assert _refused(_client("sts", endpoint, DUMMY).get_caller_identity) is None  # never-made keys still work

    stopped = run_tfiam("sandbox", "stop", timeout=60)
    assert stopped.returncode == Exit.OK and "every user in it is gone" in stopped.stdout
    assert run_tfiam("sandbox", "status").returncode == Exit.AWS_UNAVAILABLE
    assert "no sandbox was running" in run_tfiam("sandbox", "stop").stdout


def test_a_killed_sandbox_is_seen_as_gone_and_a_new_one_starts(background):
    first = run_tfiam("sandbox", "start", timeout=120)
    pid = int(re.search(r"\(pid (\d+)", first.stdout).group(1))
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # reaped by init once it has gone
    gone = run_tfiam("sandbox", "status")
    assert gone.returncode == Exit.AWS_UNAVAILABLE, gone.stdout
    need = run_tfiam("status", str(EXAMPLES / "ci-bot.yaml"), "--sandbox")
    assert need.returncode == Exit.AWS_UNAVAILABLE and "tfiam sandbox start" in need.stderr, need.stdout + need.stderr
    second = run_tfiam("sandbox", "start", timeout=120)
    assert "SANDBOX started" in second.stdout and f"(pid {pid})" not in second.stdout


def test_the_readme_day_two_tour(tmp_path, empty_gnupghome, tf_plugin_dir, background):
    """replay, status and rotate --sandbox, each its own command, in one stand-in account."""
    shutil.copy(EXAMPLES / "ci-bot.yaml", tmp_path / "ci-bot.yaml")
    answers = str(tmp_path / "ci-bot.yaml")
    assert run_tfiam("sandbox", "start", timeout=120).returncode == Exit.OK
    made = run_tfiam("replay", answers, "--sandbox", "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    assert made.stdout.startswith("SANDBOX: the stand-in AWS at") and "tfiam sandbox stop" in made.stdout.splitlines()[0]
    clean = run_tfiam("status", answers, "--sandbox", "--format", "json")
    assert clean.returncode == Exit.OK, clean.stdout + clean.stderr
    [user] = json.loads(clean.stdout)["users"]  # the SANDBOX line went to stderr: stdout is one document
    assert user["exists"] and len(user["keys"]) == 1 and "SANDBOX" in clean.stderr
    start = run_tfiam("rotate", answers, "--sandbox", "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert start.returncode == Exit.OK, start.stdout + start.stderr
    during = run_tfiam("status", answers, "--sandbox")
    assert during.returncode == Exit.NEEDS_ATTENTION and "rotation-in-progress" in during.stdout, during.stdout
    assert "under way: started at" in during.stdout

    # The tour ends with an offboarding: refused while the rotation is under way...
    early = run_tfiam("offboard", answers, "--sandbox", "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert early.returncode == Exit.REFUSED and "rotation of ci-bot is under way" in early.stderr, early.stderr
    back = run_tfiam("rotate", answers, "--sandbox", "--rollback", "--auto-approve", "--allow-destroy",
                     "--plugin-dir", tf_plugin_dir)
    assert back.returncode == Exit.OK, back.stdout + back.stderr
    # ...then disable and, with the window at 0s and nothing used since, delete.
    off = run_tfiam("offboard", answers, "--sandbox", "--auto-approve", "--observe", "0s", "--plugin-dir", tf_plugin_dir)
    assert off.returncode == Exit.OK, off.stdout + off.stderr
    disabled = run_tfiam("status", answers, "--sandbox")
    assert disabled.returncode == Exit.NEEDS_ATTENTION and "offboarding" in disabled.stdout, disabled.stdout
    gone = run_tfiam("offboard", answers, "--sandbox", "--auto-approve", "--allow-destroy", "--plugin-dir", tf_plugin_dir)
    assert gone.returncode == Exit.OK, gone.stdout + gone.stderr
    assert "[ok] user ci-bot deleted" in gone.stdout
