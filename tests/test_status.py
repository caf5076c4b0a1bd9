"""``tfiam status`` (issue 14, item 4): what a user's keys, password, MFA, Expiry and drift
are, read from the stand-in AWS without terraform, and what needs the operator: exit 0
when nothing does, 11 when something does, 9 when AWS cannot be read, 3 for bad answers.
Real terraform and provider create the user; the status calls go to the same moto."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import yaml

from tests.test_e2e import answers_file, iam, run_tfiam
from tfiam_tui.engine import answers as A
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.lifecycle.status import NEEDS, user_status

pytestmark = pytest.mark.e2e

EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def status(*paths, fmt: str = "json"):
    done = run_tfiam("status", *map(str, paths), "--format", fmt, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def users(done) -> dict[str, dict]:
    doc = json.loads(done.stdout)
    assert doc["format"] == 1 and set(doc["needs_action_codes"]) == set(NEEDS)
    return {u["user"]: u for u in doc["users"]}


def test_status_before_and_after_replay_with_a_hand_made_key_and_a_grant(tmp_path, moto_endpoint, gnupghome,
                                                                      tf_plugin_dir):
    name = f"status-{uuid.uuid4().hex[:10]}"
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           user__tags__Expiry="2099-12-31",
                           permissions__groups=[{"name": f"{name}-g",
                                                 "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}])

    before = status(answers)
    assert before.returncode == Exit.NEEDS_ATTENTION, before.stdout + before.stderr
    assert users(before)[name]["needs_action"] == ["not-applied"] and not users(before)[name]["exists"]

    applied = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert applied.returncode == Exit.OK, applied.stdout + applied.stderr

    clean = status(answers)
    assert clean.returncode == Exit.OK, clean.stdout
    me = users(clean)[name]
    assert me["exists"] and me["needs_action"] == [] and me["drift"] == []
    [key] = me["keys"]
    assert key["managed"] and key["status"] == "Active"
    assert key["last_used"] and key["unused_days"] == 0, key  # replay's own check signed in with it
    assert me["console"] is None and me["mfa_devices"] == [] and me["expiry"] == "2099-12-31"
    assert me["other_key"] == []  # the stored secret is encrypted to the key the answers name

    client = iam(moto_endpoint)
    by_hand = client.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    client.put_user_policy(UserName=name, PolicyName="backdoor", PolicyDocument=json.dumps(EVERYTHING))
    seen = status(answers)
    assert seen.returncode == Exit.NEEDS_ATTENTION
    me = users(seen)[name]
    assert set(me["needs_action"]) == {"key-outside-tfiam", "drift"}, me
    assert {k["id"]: k["managed"] for k in me["keys"]} == {key["id"]: True, by_hand: False}
    assert any("backdoor" in d["detail"] for d in me["drift"]), me["drift"]

    text = status(answers, fmt="text")
    assert text.returncode == Exit.NEEDS_ATTENTION
    lines = text.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert any(by_hand in line for line in lines) and "not in this workspace's state" in text.stdout
    assert "key-outside-tfiam" in text.stdout and "backdoor" in text.stdout

    client.delete_access_key(UserName=name, AccessKeyId=by_hand)
    client.delete_user_policy(UserName=name, PolicyName="backdoor")
    # The team lead moves the Expiry into the past in the answers, without a replay yet.
    data = yaml.safe_load(answers.read_text())
    data["user"]["tags"]["Expiry"] = "2020-01-31"
    answers.write_text(yaml.safe_dump(data))
    late = users(status(answers))[name]
    assert "expired" in late["needs_action"] and late["expiry_days_left"] < 0
    assert "drift" in late["needs_action"]  # AWS still has the old tag

    # Time passes (status is asked as of a later day): the key is due and unused.
    loaded = A.load(answers)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=120)
    aged = user_status(loaded, answers_path=str(answers), workspace=A.workspace_dir(loaded, answers, None),
                       credentials=("testing", "testing"), now=later)
    assert {"key-rotation-due", "key-unused", "expired"} <= set(aged.needs_action), aged.needs_action


def test_several_users_at_once_and_bad_input_changes_nothing(tmp_path, moto_endpoint, gnupghome):
    good = answers_file(tmp_path, "console-user.yaml", moto_endpoint, user__name=f"st-{uuid.uuid4().hex[:8]}")
    other = tmp_path / "other"
    other.mkdir()
    second = answers_file(other, "ci-bot.yaml", moto_endpoint, user__name=f"st-{uuid.uuid4().hex[:8]}")
    both = status(good, second)
    assert both.returncode == Exit.NEEDS_ATTENTION and len(users(both)) == 2  # neither applied yet
    # A user of that name made elsewhere, no state here: not "run replay" (it would refuse)
    made_elsewhere = yaml.safe_load(second.read_text())["user"]["name"]
    iam(moto_endpoint).create_user(UserName=made_elsewhere)
    assert users(status(second))[made_elsewhere]["needs_action"][0] == "not-managed"

    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("region: eu-west-1", "region: eu-moon-1"))
    refused = status(good, bad)
    assert refused.returncode == Exit.INVALID_ANSWERS and refused.stdout == ""
    assert "provider.region" in refused.stderr

    unreachable = tmp_path / "down.yaml"
    unreachable.write_text(good.read_text().replace(moto_endpoint, "http://127.0.0.1:9"))
    down = status(unreachable, fmt="text")
    assert down.returncode == Exit.AWS_UNAVAILABLE, down.stdout + down.stderr
    assert "error" in down.stdout and "unreadable" in down.stdout


def test_the_docs_list_every_code_and_the_exit_code():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "status.md").read_text()
    listed = {line.split("`")[1] for line in doc.splitlines() if line.startswith("| `")}
    assert listed == set(NEEDS)
    commands = (Path(__file__).resolve().parent.parent / "docs" / "commands.md").read_text()
    assert f"| {int(Exit.NEEDS_ATTENTION)} | NEEDS_ATTENTION |" in commands


def test_status_reads_s3_state_without_terraform_and_says_when_it_cannot(tmp_path, moto_endpoint):
    """With the state in S3, status reads the object itself (no terraform, no lock): the key
    in it is the managed one.  A missing bucket is 'unreadable', exit 9, not a traceback."""
    import boto3

    name, bucket = f"s3st-{uuid.uuid4().hex[:8]}", f"tfstate-{uuid.uuid4().hex[:8]}"
    client = iam(moto_endpoint)
    client.create_user(UserName=name, Tags=[{"Key": "Expiry", "Value": "2099-12-31"}])
    managed = client.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-central-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_object(Bucket=bucket, Key=f"users/{name}.tfstate",
                  Body=json.dumps({"version": 4, "outputs": {"access_key_id": {"value": managed}}}).encode())
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name,
                           user__tags={"Expiry": "2099-12-31"}, provider__region="eu-central-1",
                           backend={"type": "s3", "bucket": bucket, "key": f"users/{name}.tfstate",
                                    "region": "eu-central-1"})
    me = users(status(answers))[name]
    assert [(k["id"], k["managed"]) for k in me["keys"]] == [(managed, True)], me
    assert "key-outside-tfiam" not in me["needs_action"] and "not-applied" not in me["needs_action"]

    data = yaml.safe_load(answers.read_text())
    data["backend"]["bucket"] = f"{bucket}-gone"
    answers.write_text(yaml.safe_dump(data))
    gone = status(answers)
    assert gone.returncode == Exit.AWS_UNAVAILABLE, gone.stdout + gone.stderr
    me = users(gone)[name]
    assert me["needs_action"][0] == "unreadable" and "does not exist" in me["errors"][0], me
