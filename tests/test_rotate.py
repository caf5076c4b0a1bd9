"""``tfiam rotate`` (issue 14, items 1-2): two-key rotation one step per run, with the real
terraform and provider against the stand-in AWS, which (like AWS) refuses a request signed
with an inactive or deleted key.  Every step is checked the way an operator would: which
keys AWS has and in which status, whether the old and new keys still sign in, what
``tfiam decrypt`` hands over, what ``tfiam status`` says, and that a replay at any point
plans no change."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.test_e2e import answers_file, iam, run_tfiam
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e


def _answers(tmp_path: Path, endpoint: str, name: str, **changes) -> Path:
    """The example CI bot under its own user and group names (the tests share one moto)."""
    groups = [{"name": f"{name}-g", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]
    return answers_file(tmp_path, "ci-bot.yaml", endpoint, user__name=name, permissions__groups=groups, **changes)


def _run(*args: str, tf_plugin_dir: str):
    done = run_tfiam(*args, "--plugin-dir", tf_plugin_dir)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _keys(endpoint: str, name: str) -> dict[str, str]:
    return {k["AccessKeyId"]: k["Status"] for k in iam(endpoint).list_access_keys(UserName=name)["AccessKeyMetadata"]}


def _decrypted(ws: Path, tmp_path: Path, *key: str) -> dict:
    out = tmp_path / f"creds-{uuid.uuid4().hex[:6]}.json"
    done = run_tfiam("decrypt", "--workspace", str(ws), "--output", str(out), *(("--key", key[0]) if key else ()))
    assert done.returncode == Exit.OK, done.stderr
    return json.loads(out.read_text())


def _signs_in(endpoint: str, creds: dict) -> bool:
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="eu-central-1",
                       aws_access_key_id=creds["access_key_id"], aws_secret_access_key=creds["secret_access_key"])
    try:
        sts.get_caller_identity()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "InvalidClientTokenId", exc.response
        return False
    return True


def _slots(ws: Path) -> dict:
    return json.loads((ws / "terraform.tfvars.json").read_text())["access_keys"]


def _status(answers: Path) -> dict:
    done = run_tfiam("status", str(answers), "--format", "json")
    assert "Traceback" not in done.stderr, done.stderr
    [user] = json.loads(done.stdout)["users"]
    return user


def _replay_changes_nothing(answers: Path, tf_plugin_dir: str) -> None:
    again = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert again.returncode == Exit.OK, again.stdout + again.stderr
    assert "No changes." in again.stdout, again.stdout


def test_a_full_rotation_start_cutover_finish(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = f"rot-{uuid.uuid4().hex[:10]}"
    answers = _answers(tmp_path, moto_endpoint, name)
    ws = tmp_path / "ws"
    first = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    [old] = _keys(moto_endpoint, name)
    old_creds = _decrypted(ws, tmp_path)
    assert old_creds["access_key_id"] == old and _slots(ws) == {"a": {"status": "Active"}}
    assert _status(answers)["rotation"] is None

    # start: a second key beside the first; both work; decrypt now hands over the new one.
    start = _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert start.returncode == Exit.OK, start.stdout + start.stderr
    assert "This step (start)" in start.stdout and "Plan: 2 to add, 0 to change, 0 to destroy." in start.stdout
    keys = _keys(moto_endpoint, name)
    [new] = set(keys) - {old}
    assert keys == {old: "Active", new: "Active"}
    assert f"[ok] access key works (STS GetCallerIdentity): {new} signs in" in start.stdout, start.stdout
    new_creds = _decrypted(ws, tmp_path)
    assert new_creds["access_key_id"] == new and _decrypted(ws, tmp_path, old)["access_key_id"] == old
    assert _signs_in(moto_endpoint, new_creds) and _signs_in(moto_endpoint, old_creds)
    during = _status(answers)
    assert during["rotation"]["phase"] == "started" and "rotation-in-progress" in during["needs_action"]
    assert {k["id"]: k["managed"] for k in during["keys"]} == {old: True, new: True}
    _replay_changes_nothing(answers, tf_plugin_dir)  # a replay keeps both keys as they are

    # cutover is refused while nothing but tfiam's own check has used the new key.
    early = _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert early.returncode == Exit.REFUSED, early.stdout + early.stderr
    assert "has not been used since it was made" in early.stderr and "Nothing was changed" in early.stderr
    assert _keys(moto_endpoint, name) == {old: "Active", new: "Active"}
    assert _slots(ws) == {"a": {"status": "Active"}, "b": {"status": "Active"}}

    # A consumer moves to the new key; now cutover deactivates the old one, and the
    # stand-in refuses it from then on.
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-central-1",
                 aws_access_key_id=new, aws_secret_access_key=new_creds["secret_access_key"]).list_buckets()
    cut = _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert cut.returncode == Exit.OK, cut.stdout + cut.stderr
    assert "This step (cutover)" in cut.stdout and f"access key {old} of {name} will be deactivated" in cut.stdout
    assert _keys(moto_endpoint, name) == {old: "Inactive", new: "Active"}
    assert not _signs_in(moto_endpoint, old_creds) and _signs_in(moto_endpoint, new_creds)
    assert "[ok] slot a: access key Inactive" in cut.stdout and "Next: from " in cut.stdout
    assert _status(answers)["rotation"]["phase"] == "cut-over"
    _replay_changes_nothing(answers, tf_plugin_dir)

    # finish waits out the observation window, and never deletes on --auto-approve alone.
    waiting = _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert waiting.returncode == Exit.REFUSED and "observation window" in waiting.stderr, waiting.stderr
    ungated = _run("rotate", str(answers), "--auto-approve", "--observe", "0s", tf_plugin_dir=tf_plugin_dir)
    assert ungated.returncode == Exit.REFUSED, ungated.stdout + ungated.stderr
    assert f"this step deletes access key {old}" in ungated.stderr and "--allow-destroy" in ungated.stderr
    assert _keys(moto_endpoint, name) == {old: "Inactive", new: "Active"}

    done = _run("rotate", str(answers), "--auto-approve", "--allow-destroy", "--observe", "0s",
                tf_plugin_dir=tf_plugin_dir)
    assert done.returncode == Exit.OK, done.stdout + done.stderr
    assert _keys(moto_endpoint, name) == {new: "Active"}
    assert not _signs_in(moto_endpoint, old_creds) and _signs_in(moto_endpoint, new_creds)
    assert f"[ok] access key {old} deleted" in done.stdout and "The rotation is finished" in done.stdout
    assert _slots(ws) == {"b": {"status": "Active"}}
    after = _status(answers)
    assert after["rotation"] is None and "rotation-in-progress" not in after["needs_action"]
    assert [(k["id"], k["managed"]) for k in after["keys"]] == [(new, True)]
    _replay_changes_nothing(answers, tf_plugin_dir)


def test_rollback_and_the_refusals_that_change_nothing(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = f"rotrb-{uuid.uuid4().hex[:10]}"
    answers = _answers(tmp_path, moto_endpoint, name)
    ws = tmp_path / "ws"

    before = _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert before.returncode == Exit.REFUSED and "tfiam replay" in before.stderr, before.stdout + before.stderr
    assert _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir).returncode == Exit.OK
    [old] = _keys(moto_endpoint, name)

    nothing = _run("rotate", str(answers), "--auto-approve", "--rollback", tf_plugin_dir=tf_plugin_dir)
    assert nothing.returncode == Exit.REFUSED and "no rotation is in progress" in nothing.stderr
    forced = _run("rotate", str(answers), "--auto-approve", "--force", tf_plugin_dir=tf_plugin_dir)
    assert forced.returncode == Exit.REFUSED and "--force only skips the cutover" in forced.stderr

    # A key made by hand fills IAM's two: start names it and makes nothing.
    by_hand = iam(moto_endpoint).create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    full = _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert full.returncode == Exit.REFUSED, full.stdout + full.stderr
    assert "already has two access keys" in full.stderr and f"Made outside tfiam: {by_hand}" in full.stderr
    assert _keys(moto_endpoint, name) == {old: "Active", by_hand: "Active"}
    assert _slots(ws) == {"a": {"status": "Active"}}
    iam(moto_endpoint).delete_access_key(UserName=name, AccessKeyId=by_hand)

    assert _run("rotate", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir).returncode == Exit.OK
    [new] = set(_keys(moto_endpoint, name)) - {old}
    # --force cuts over without a use on record, saying what it skipped.
    cut = _run("rotate", str(answers), "--auto-approve", "--force", tf_plugin_dir=tf_plugin_dir)
    assert cut.returncode == Exit.OK, cut.stdout + cut.stderr
    assert "--force: skipping the check that the new key is in use" in cut.stdout
    assert _keys(moto_endpoint, name) == {old: "Inactive", new: "Active"}

    # rollback deletes the new key, so it is gated like any delete; then the old key is back.
    gated = _run("rotate", str(answers), "--auto-approve", "--rollback", tf_plugin_dir=tf_plugin_dir)
    assert gated.returncode == Exit.REFUSED and f"deletes access key {new}" in gated.stderr
    back = _run("rotate", str(answers), "--auto-approve", "--allow-destroy", "--rollback", tf_plugin_dir=tf_plugin_dir)
    assert back.returncode == Exit.OK, back.stdout + back.stderr
    assert _keys(moto_endpoint, name) == {old: "Active"}
    assert _decrypted(ws, tmp_path)["access_key_id"] == old
    assert _status(answers)["rotation"] is None
    _replay_changes_nothing(answers, tf_plugin_dir)

    (tmp_path / "nokey").mkdir()
    no_key = _answers(tmp_path / "nokey", moto_endpoint, f"{name}-x", authentication__access_key=False)
    refused = _run("rotate", str(no_key), tf_plugin_dir=tf_plugin_dir)
    assert refused.returncode == Exit.REFUSED and "no key to rotate" in refused.stderr


def test_a_workspace_from_before_key_slots_migrates_with_no_change(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir,
                                                                   terraform_bin):
    """A state that holds the key at index 0 (the module before slots) is moved to slot "a"
    by the module's moved block: the key stays, the replay plans no change."""
    name = f"rotmv-{uuid.uuid4().hex[:10]}"
    answers = _answers(tmp_path, moto_endpoint, name)
    ws = tmp_path / "ws"
    assert _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir).returncode == Exit.OK
    [key] = _keys(moto_endpoint, name)
    moved = subprocess.run([terraform_bin, "state", "mv", 'module.iam_user.aws_iam_access_key.this["a"]',
                            "module.iam_user.aws_iam_access_key.this[0]"], cwd=ws, capture_output=True, text=True)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    again = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert again.returncode == Exit.OK, again.stdout + again.stderr
    assert "0 to add, 0 to change, 0 to destroy" in again.stdout or "No changes." in again.stdout, again.stdout
    assert _keys(moto_endpoint, name) == {key: "Active"}
    state = json.loads((ws / "terraform.tfstate").read_text())
    [resource] = [r for r in state["resources"] if r["type"] == "aws_iam_access_key"]
    assert [(i["index_key"], i["attributes"]["id"]) for i in resource["instances"]] == [("a", key)]
