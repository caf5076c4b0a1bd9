"""``tfiam offboard`` (issue 15, item 1): disable, observe, delete, or cancel, one step per
run, with the real terraform and provider against the stand-in AWS, which (like AWS)
refuses a request signed with an inactive key and refuses DeleteUser while the user still
holds anything.  Checked as an operator would: through boto3 and the old key itself."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.ask.test_ask import DOWN, ENTER, run_ask
from tests.test_e2e import answers_file, iam
from tests.test_rotate import _decrypted, _run, _signs_in
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll"


def _answers(tmp_path, endpoint: str, name: str, *, existing: str | None = None):
    groups = [{"name": f"{name}-g", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]
    return answers_file(tmp_path, "ci-bot.yaml", endpoint, user__name=name, permissions__groups=groups,
                        permissions__existing_groups=[existing] if existing else [],
                        authentication__console=True)


def _user(endpoint: str, name: str) -> dict:
    client = iam(endpoint)
    keys = {k["AccessKeyId"]: k["Status"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    try:
        client.get_login_profile(UserName=name)
        login = True
    except client.exceptions.NoSuchEntityException:
        login = False
    attached = [p["PolicyArn"] for p in client.list_attached_user_policies(UserName=name)["AttachedPolicies"]]
    tags = {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]}
    return {"keys": keys, "login": login, "attached": attached, "tags": tags}


def _status(answers) -> dict:
    from tests.test_e2e import run_tfiam

    done = run_tfiam("status", str(answers), "--format", "json")
    [user] = json.loads(done.stdout)["users"]
    return user


def test_disable_observe_and_delete_everything_the_user_holds(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = f"off-{uuid.uuid4().hex[:10]}"
    client = iam(moto_endpoint)
    kept = f"{name}-team"  # a group made elsewhere, with another member: it stays
    client.create_group(GroupName=kept)
    client.create_user(UserName=f"{name}-colleague")
    client.add_user_to_group(GroupName=kept, UserName=f"{name}-colleague")
    answers = _answers(tmp_path, moto_endpoint, name, existing=kept)
    ws = tmp_path / "ws"
    made = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    creds = _decrypted(ws, tmp_path)
    assert _signs_in(moto_endpoint, creds)

    # Disable deletes the console password: --auto-approve alone does not apply it.
    alone = _run("offboard", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert alone.returncode == Exit.REFUSED, alone.stdout + alone.stderr
    assert "--auto-approve alone never deletes" in alone.stderr
    assert _user(moto_endpoint, name)["login"] and set(_user(moto_endpoint, name)["keys"].values()) == {"Active"}

    off = _run("offboard", str(answers), "--auto-approve", "--allow-destroy", "--observe", "0s",
               tf_plugin_dir=tf_plugin_dir)
    assert off.returncode == Exit.OK, off.stdout + off.stderr
    assert "This step (disable)" in off.stdout and "[FAIL]" not in off.stdout
    now = _user(moto_endpoint, name)
    assert set(now["keys"].values()) == {"Inactive"} and not now["login"] and DENY_ALL in now["attached"]
    assert "tfiam:disabled-at" in now["tags"] and now["tags"]["tfiam:disabled-by"].startswith("arn:aws:")
    assert now["tags"]["Owner"] == "platform"  # the answers' own tags stay
    assert not _signs_in(moto_endpoint, creds)  # the stand-in refuses the inactive key, as AWS does
    assert client.get_user(UserName=name)["User"]["UserName"] == name  # the user stays...
    assert [g["GroupName"] for g in client.list_groups_for_user(UserName=name)["Groups"]]  # ...in its groups
    status = _status(answers)
    assert "offboarding" in status["needs_action"] and status["drift"] == [], status
    # A replay in the window re-enables nothing.
    again = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert again.returncode == Exit.OK and "No changes." in again.stdout, again.stdout + again.stderr

    # Someone turned a key back on by hand: the next run disables again (the window starts anew).
    [key] = now["keys"]
    client.update_access_key(UserName=name, AccessKeyId=key, Status="Active")
    redo = _run("offboard", str(answers), "--auto-approve", "--allow-destroy", tf_plugin_dir=tf_plugin_dir)
    assert redo.returncode == Exit.OK, redo.stdout + redo.stderr
    assert f"disable again (access key {key} is Active" in redo.stdout
    assert _user(moto_endpoint, name)["keys"] == {key: "Inactive"}

    # What Terraform does not manage, which makes IAM refuse DeleteUser: removed first.
    client.put_user_policy(UserName=name, PolicyName="by-hand", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    device = client.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-mfa")["VirtualMFADevice"]["SerialNumber"]
    client.enable_mfa_device(UserName=name, SerialNumber=device, AuthenticationCode1="123456",
                             AuthenticationCode2="654321")
    alone = _run("offboard", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert alone.returncode == Exit.REFUSED and f"deletes the IAM user {name}" in alone.stderr, alone.stderr
    assert client.get_user(UserName=name) and client.list_user_policies(UserName=name)["PolicyNames"] == ["by-hand"]
    gone = _run("offboard", str(answers), "--auto-approve", "--allow-destroy", tf_plugin_dir=tf_plugin_dir)
    assert gone.returncode == Exit.OK, gone.stdout + gone.stderr
    assert "This step (delete)" in gone.stdout
    # The stand-in has no service-last-accessed report: said, never taken for "nothing used".
    assert "IAM's service-last-accessed report: not available (this endpoint does not implement it)" in gone.stdout
    assert "inline policy by-hand" in gone.stdout and f"MFA device {device}" in gone.stdout
    with pytest.raises(ClientError, match="NoSuchEntity"):
        client.get_user(UserName=name)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        client.get_group(GroupName=f"{name}-g")  # the group this workspace made goes
    assert [u["UserName"] for u in client.get_group(GroupName=kept)["Users"]] == [f"{name}-colleague"]
    assert device not in [d["SerialNumber"] for d in client.list_virtual_mfa_devices()["VirtualMFADevices"]]
    [archive] = (ws / ".tfiam" / "archive").iterdir()
    assert (archive / "answers.yaml").read_text() == answers.read_text()
    summary = json.loads((archive / "summary.json").read_text())
    assert summary["also_removed"]["inline_policies"] == ["by-hand"]
    assert any("aws_iam_user" in r for r in summary["terraform_removed"])
    assert (archive / "state-before.json").stat().st_mode & 0o077 == 0


def test_delete_waits_for_the_window_and_cancel_enables_the_user_again(tmp_path, moto_endpoint, gnupghome,
                                                                        tf_plugin_dir, monkeypatch):
    name = f"off-{uuid.uuid4().hex[:10]}"
    answers = _answers(tmp_path, moto_endpoint, name)
    ws = tmp_path / "ws"
    made = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    before = _user(moto_endpoint, name)

    off = _run("offboard", str(answers), "--auto-approve", "--allow-destroy", tf_plugin_dir=tf_plugin_dir)
    assert off.returncode == Exit.OK, off.stdout + off.stderr
    early = _run("offboard", str(answers), "--auto-approve", "--allow-destroy", tf_plugin_dir=tf_plugin_dir)
    assert early.returncode == Exit.REFUSED, early.stdout + early.stderr
    assert "observation window (30 d" in early.stderr or "observation window (30d" in early.stderr, early.stderr
    assert iam(moto_endpoint).get_user(UserName=name)
    # Managing the user from tfiam ask offers no rotation while it is disabled, and says why.
    code, out = run_ask([DOWN, ENTER, str(answers) + ENTER, DOWN, ENTER], monkeypatch=monkeypatch, create=False)
    assert code == Exit.OK and "No rotation step can run now: the user is disabled (tfiam offboard)" in out, out

    cancel = _run("offboard", str(answers), "--cancel", "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert cancel.returncode == Exit.OK, cancel.stdout + cancel.stderr
    assert "a new one is made" in cancel.stdout and "[FAIL]" not in cancel.stdout
    after = _user(moto_endpoint, name)
    assert after["keys"] == before["keys"]  # the same key, active again
    assert after["login"] and DENY_ALL not in after["attached"]
    assert not any(k.startswith("tfiam:") for k in after["tags"])
    assert _signs_in(moto_endpoint, _decrypted(ws, tmp_path))
    assert "offboarding" not in _status(answers)["needs_action"]
    again = _run("offboard", str(answers), "--cancel", "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert again.returncode == Exit.REFUSED and "nothing to cancel" in again.stderr
