"""An apply cut off right after IAM created a user, group or policy (the read-back lost
with the network) leaves it tainted in the state.  The next run keeps it: replacing would
delete a user just made, and a group (create_before_destroy, fixed name) cannot be created
again beside itself (EntityAlreadyExists: the run never converged).  Only what the
interrupted apply recorded as its own creates is untainted; a taint someone set by hand is
left to the plan and its destroy gate."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.test_e2e import answers_file, iam, run_tfiam
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.pipeline import inflight

pytestmark = pytest.mark.e2e

MODULE = "module.iam_user"


def applied(tmp_path, moto_endpoint, tf_plugin_dir):
    name = f"taint-{uuid.uuid4().hex[:10]}"
    path = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                        permissions__groups=[{"name": f"{name}-group"}])
    first = run_tfiam("replay", str(path), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    return name, path, tmp_path / "ws"


def taint(ws, address: str) -> None:
    subprocess.run(["terraform", "taint", address], cwd=ws, check=True, capture_output=True)


def test_a_user_and_group_left_tainted_by_a_cut_apply_are_kept(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name, path, ws = applied(tmp_path, moto_endpoint, tf_plugin_dir)
    client = iam(moto_endpoint)
    user_id = client.get_user(UserName=name)["User"]["UserId"]
    group_id = client.get_group(GroupName=f"{name}-group")["Group"]["GroupId"]
    user, group = f"{MODULE}.aws_iam_user.this", f'{MODULE}.aws_iam_group.this["{name}-group"]'
    taint(ws, user)
    taint(ws, group)
    inflight.begin(ws, [user, group])  # the interrupted apply's record: it was creating both

    again = run_tfiam("replay", str(path), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert f"kept {group}" in out and f"kept {user}" in out
    assert "EntityAlreadyExists" not in out
    assert client.get_user(UserName=name)["User"]["UserId"] == user_id  # the same user, not a new one
    assert client.get_group(GroupName=f"{name}-group")["Group"]["GroupId"] == group_id
    assert inflight.read(ws) is None  # converged: the record is gone


def test_a_taint_set_by_hand_is_not_undone(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name, path, ws = applied(tmp_path, moto_endpoint, tf_plugin_dir)
    user = f"{MODULE}.aws_iam_user.this"
    taint(ws, user)  # no interrupted apply: someone asked terraform to replace the user

    again = run_tfiam("replay", str(path), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    out = again.stdout + again.stderr
    assert again.returncode == Exit.REFUSED, out
    assert "kept" not in out
    assert "DANGER" in out and name in out
    assert iam(moto_endpoint).get_user(UserName=name)["User"]["UserName"] == name  # nothing applied
