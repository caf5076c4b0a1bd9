"""Team state end to end: the real ``tfiam`` script, terraform 1.11 and the hashicorp/aws
provider against the moto server, which serves S3 and DynamoDB too.

Three workspaces, five applies in all: S3 native locking (bootstrap from nothing, replay,
a held lock, unlock), DynamoDB locking (bootstrap around an existing bucket, a lock held
until its run ends), and a local-to-S3 migration.  The lock is held by a real
``terraform console`` in the workspace (it takes the state lock and keeps it while it
waits for input), so tfiam meets terraform's own lock, not a fake one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
import yaml

from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

TFIAM = str(Path(sys.executable).parent / "tfiam")
REGION = "eu-central-1"


def run_tfiam(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """The installed ``tfiam`` script; stdin is not a terminal (like CI)."""
    return subprocess.run([TFIAM, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env=dict(os.environ), cwd=cwd, timeout=timeout)


def write_answers(tmp_path: Path, endpoint: str, user: str, backend: dict) -> Path:
    data = {
        "version": 1,
        "workspace": "./ws",
        "provider": {"region": REGION, "endpoint": endpoint},
        "user": {"name": user, "tags": {"Owner": "platform", "Purpose": "ci", "Expiry": "2027-06-30"}},
        "backend": backend,
    }
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def aws(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def local_state_files(ws: Path) -> list[str]:
    return sorted(p.name for p in ws.glob("*.tfstate*"))


class LockHolder:
    """A real ``terraform console`` holding the workspace's state lock until it ends."""

    def __init__(self, ws: Path, present) -> None:
        self.proc = subprocess.Popen(["terraform", "console", "-no-color"], cwd=ws, stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
        deadline = time.monotonic() + 90
        while not present():
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            assert time.monotonic() < deadline, "terraform console never took the state lock"
            time.sleep(0.3)

    def finish(self) -> None:
        """End normally: terraform releases the lock."""
        self.proc.stdin.close()
        self.proc.wait(timeout=60)

    def die(self) -> None:
        """SIGKILL, as a crashed CI job: the lock stays behind."""
        self.proc.kill()
        self.proc.wait(timeout=60)


def test_s3_lockfile_bootstrap_replay_held_lock_and_unlock(tmp_path, moto_endpoint, tf_plugin_dir):
    bucket, user = f"team-{uuid.uuid4().hex[:12]}", f"lockfile-{uuid.uuid4().hex[:6]}"
    key = f"iam/users/{user}.tfstate"
    answers = write_answers(tmp_path, moto_endpoint, user, {"type": "s3", "bucket": bucket, "key": key})
    s3 = aws(moto_endpoint, "s3")

    # Bootstrap from nothing: the bucket with everything a state bucket needs.
    first = run_tfiam("backend", "bootstrap", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    assert "  bucket                 missing" in first.stdout
    assert "created:       bucket, versioning, default encryption, public access block, bucket policy" in first.stdout
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    statement = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]
    assert (statement["Sid"], statement["Effect"], statement["Condition"]) == (
        "DenyInsecureTransport", "Deny", {"Bool": {"aws:SecureTransport": "false"}})

    # Again: everything is found, nothing is applied.
    again = run_tfiam("backend", "bootstrap", str(answers), "--plugin-dir", tf_plugin_dir)  # no terminal, no need
    assert again.returncode == Exit.OK, again.stdout + again.stderr
    assert "terraform apply: skipped, nothing to create or change" in again.stdout
    assert "already there: bucket, versioning, default encryption, public access block, bucket policy" in again.stdout
    assert "created:       nothing" in again.stdout and "changed:       nothing" in again.stdout

    # Replay: the state goes to the bucket, encrypted; nothing on the local disk.
    ws = tmp_path / "ws"
    replay = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert replay.returncode == Exit.OK, replay.stdout + replay.stderr
    assert f"terraform init (state in s3://{bucket}/{key})" in replay.stdout
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    state = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert {r["type"] for r in state["resources"]} >= {"aws_iam_user"}
    assert local_state_files(ws) == []
    assert not s3.list_objects_v2(Bucket=bucket, Prefix=key + ".tflock").get("Contents")  # released

    # A lock held by another terraform: replay waits --lock-timeout, then says who and how.
    def lock_object():
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=key + ".tflock")["Body"].read())
        except s3.exceptions.NoSuchKey:
            return None

    holder = LockHolder(ws, lock_object)
    lock = lock_object()
    started = time.monotonic()
    blocked = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir, "--lock-timeout", "2s")
    assert blocked.returncode == Exit.TERRAFORM_FAILED, blocked.stdout + blocked.stderr
    assert "terraform plan could not lock the state" in blocked.stderr
    assert f"lock id:   {lock['ID']}" in blocked.stderr
    assert f"held by:   {lock['Who']}" in blocked.stderr and "since:" in blocked.stderr
    assert f"tfiam unlock {answers}" in blocked.stderr
    assert time.monotonic() - started >= 2

    # The holder dies: its lock stays.  unlock shows it and asks; no terminal, no release.
    holder.die()
    assert lock_object()["ID"] == lock["ID"]
    refused = run_tfiam("unlock", str(answers))
    assert refused.returncode == Exit.REFUSED, refused.stdout + refused.stderr
    assert f"lock id:   {lock['ID']}" in refused.stdout and "--auto-approve" in refused.stderr
    assert lock_object() is not None
    released = run_tfiam("unlock", str(answers), "--auto-approve")
    assert released.returncode == Exit.OK, released.stdout + released.stderr
    assert f"Released the lock {lock['ID']}" in released.stdout
    assert lock_object() is None
    assert run_tfiam("unlock", str(answers)).stdout.endswith("is not locked. Nothing to do.\n")

    # Free again: the same answers change nothing.
    after = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert after.returncode == Exit.OK, after.stdout + after.stderr
    assert "No changes." in after.stdout
    assert local_state_files(ws) == []


def test_dynamodb_locking_around_an_existing_bucket(tmp_path, moto_endpoint, tf_plugin_dir):
    bucket, table = f"legacy-{uuid.uuid4().hex[:12]}", f"tf-locks-{uuid.uuid4().hex[:6]}"
    user = f"ddb-{uuid.uuid4().hex[:6]}"
    key = f"iam/{user}.tfstate"
    s3, ddb = aws(moto_endpoint, "s3"), aws(moto_endpoint, "dynamodb")
    # Someone made the bucket already: a tag and an audit statement of theirs, no versioning.
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "Team", "Value": "infra"}]})
    audit = {"Sid": "AuditRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [audit]}))
    answers = write_answers(tmp_path, moto_endpoint, user, {
        "type": "s3", "bucket": bucket, "key": key, "use_lockfile": False, "dynamodb_table": table})

    boot = run_tfiam("backend", "bootstrap", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert boot.returncode == Exit.OK, boot.stdout + boot.stderr
    assert "note: backend.dynamodb_table: DynamoDB locking is deprecated" in boot.stdout
    assert "already there: bucket, bucket policy" in boot.stdout
    assert "created:       versioning, default encryption, public access block, DynamoDB lock table" in boot.stdout
    assert "changed:       bucket policy" in boot.stdout
    sids = {s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert sids == {"AuditRead", "DenyInsecureTransport"}  # theirs kept, ours added
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "Team", "Value": "infra"}]
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    replay = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert replay.returncode == Exit.OK, replay.stdout + replay.stderr
    assert s3.head_object(Bucket=bucket, Key=key)["ServerSideEncryption"] == "AES256"
    assert local_state_files(tmp_path / "ws") == []

    lock_id = f"{bucket}/{key}"

    def lock_item():
        item = ddb.get_item(TableName=table, Key={"LockID": {"S": lock_id}}, ConsistentRead=True).get("Item")
        return json.loads(item["Info"]["S"]) if item else None

    holder = LockHolder(tmp_path / "ws", lock_item)
    info = lock_item()
    blocked = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir, "--lock-timeout", "1s")
    assert blocked.returncode == Exit.TERRAFORM_FAILED, blocked.stdout + blocked.stderr
    assert f"lock id:   {info['ID']}" in blocked.stderr and f"held by:   {info['Who']}" in blocked.stderr
    assert not s3.list_objects_v2(Bucket=bucket, Prefix=key + ".tflock").get("Contents")  # DynamoDB only

    holder.finish()  # the first run ends and releases its lock; the re-run goes through
    assert lock_item() is None
    after = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert after.returncode == Exit.OK, after.stdout + after.stderr
    assert "No changes." in after.stdout


def test_local_state_moves_to_s3_after_asking_without_recreating_anything(tmp_path, moto_endpoint, tf_plugin_dir):
    bucket, user = f"move-{uuid.uuid4().hex[:12]}", f"mover-{uuid.uuid4().hex[:6]}"
    key = f"iam/{user}.tfstate"
    s3, iam = aws(moto_endpoint, "s3"), aws(moto_endpoint, "iam")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    ws = tmp_path / "ws"

    answers = write_answers(tmp_path, moto_endpoint, user, {"type": "local"})
    local = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert local.returncode == Exit.OK, local.stdout + local.stderr
    user_id = iam.get_user(UserName=user)["User"]["UserId"]
    before = json.loads((ws / "terraform.tfstate").read_text())

    answers = write_answers(tmp_path, moto_endpoint, user, {"type": "s3", "bucket": bucket, "key": key})
    asked = run_tfiam("replay", str(answers), "--plugin-dir", tf_plugin_dir)  # no terminal to ask on
    assert asked.returncode == Exit.REFUSED, asked.stdout + asked.stderr
    assert f"Move it to s3://{bucket}/{key}" in asked.stdout and "the state was not moved" in asked.stderr
    assert (ws / "terraform.tfstate").is_file()
    assert not s3.list_objects_v2(Bucket=bucket).get("Contents")

    moved = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert moved.returncode == Exit.OK, moved.stdout + moved.stderr
    assert "terraform init -migrate-state" in moved.stdout
    assert "removed the local copy: terraform.tfstate" in moved.stdout
    assert "No changes." in moved.stdout  # same resources: nothing re-created
    assert iam.get_user(UserName=user)["User"]["UserId"] == user_id
    assert local_state_files(ws) == []
    remote = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert remote["resources"] == before["resources"]
