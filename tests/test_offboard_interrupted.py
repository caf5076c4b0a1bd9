"""An offboarding delete cut off half-way is finished by the next run, never undone
(issue 15, with the day-2 safety rule "the next run converges").  terraform is SIGKILLed
while the proxy holds DeleteUser; AWS deletes the user all the same.  The state still
holds the user and the record, marked "deleting": a replay must not make the user again,
a cancel cannot bring it back, and the next ``tfiam offboard`` removes what is left."""

from __future__ import annotations

import json
import os
import signal
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.test_converge import Descendants, HoldingProxy, Run, terraform_apply_of, wait_gone
from tests.test_e2e import answers_file, iam
from tests.test_rotate import _run
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e


def _answers(tmp_path, endpoint: str, name: str):
    groups = [{"name": f"{name}-g", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]
    return answers_file(tmp_path, "ci-bot.yaml", endpoint, user__name=name, permissions__groups=groups)


def test_a_delete_killed_after_deleteuser_is_finished_by_the_next_run(tmp_path, moto_endpoint, gnupghome,
                                                                      tf_plugin_dir):
    name = f"offkill-{uuid.uuid4().hex[:10]}"
    client = iam(moto_endpoint)
    answers = _answers(tmp_path, moto_endpoint, name)
    made = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    off = _run("offboard", str(answers), "--auto-approve", "--observe", "0s", tf_plugin_dir=tf_plugin_dir)
    assert off.returncode == Exit.OK, off.stdout + off.stderr

    proxy = HoldingProxy(moto_endpoint, "DeleteUser")
    delete = Run("offboard", str(_answers(tmp_path, proxy.url, name)), "--auto-approve", "--allow-destroy",
                 "--plugin-dir", tf_plugin_dir)
    started = Descendants()
    try:
        delete.wait_for("module.iam_user.aws_iam_user.this: Destroying...", timeout=600)
        assert proxy.held.wait(60), delete.output
        terraform = terraform_apply_of(delete.proc.pid)
        started.note(terraform)
        os.kill(terraform, signal.SIGKILL)
        proxy.release.set()
        assert proxy.forwarded.wait(60), delete.output
        assert delete.finish(timeout=120) == Exit.TERRAFORM_FAILED, delete.output
        wait_gone(terraform, timeout=300)
    finally:
        delete.kill()
        proxy.close()
        started.cleanup(grace=0)
    answers = _answers(tmp_path, moto_endpoint, name)  # AWS directly again
    with pytest.raises(ClientError, match="NoSuchEntity"):
        client.get_user(UserName=name)  # IAM deleted it; the state still says otherwise
    state = json.loads((tmp_path / "ws" / "terraform.tfstate").read_text())
    assert "aws_iam_user" in {r["type"] for r in state["resources"]}

    replay = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert replay.returncode == Exit.REFUSED and "has begun" in replay.stderr, replay.stdout + replay.stderr
    cancel = _run("offboard", str(answers), "--cancel", "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert cancel.returncode == Exit.REFUSED and "nothing to cancel" in cancel.stderr, cancel.stderr
    with pytest.raises(ClientError, match="NoSuchEntity"):
        client.get_user(UserName=name)  # neither made it again

    done = _run("offboard", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert done.returncode == Exit.OK, done.stdout + done.stderr
    assert "is deleted, and the workspace holds nothing of it" in done.stdout
    state = json.loads((tmp_path / "ws" / "terraform.tfstate").read_text())
    assert [r for r in state["resources"] if r.get("mode") == "managed"] == []
    with pytest.raises(ClientError, match="NoSuchEntity"):
        client.get_group(GroupName=f"{name}-g")
