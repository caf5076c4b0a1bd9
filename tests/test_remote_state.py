"""Team state in S3 without a terraform apply: the rendered backend configuration (read
by the real terraform), the lock message, the migration decisions against the moto
server, bootstrap's detection, and the sandbox's S3/DynamoDB gaps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import boto3
import pytest

from tfiam_tui.engine import answers as A
from tfiam_tui.engine.terraform import backends, bootstrap, locks, statemove, workspace
from tfiam_tui.engine.terraform.events import Diagnostic, TerraformFailed

REPO = Path(__file__).resolve().parent.parent

REGION = "eu-central-1"
HOSTILE_KEY = 'iam/${path.cwd}/%{if true}x"y\\z.tfstate'

# terraform 1.11's s3 backend, use_lockfile, a lock held by `terraform console`
LOCK_DETAIL = (
    "Error message: operation error S3: PutObject, https response error StatusCode: 412, RequestID: X, "
    "api error PreconditionFailed: At least one of the pre-conditions you specified did not hold\n"
    "Lock Info:\n"
    "  ID:        75d8db6e-a133-5a69-4115-f6f9c5e066d5\n"
    "  Path:      acme-tfstate/iam/users/ci-bot.tfstate\n"
    "  Operation: OperationTypeApply\n"
    "  Who:       alice@build-7\n"
    "  Version:   1.11.4\n"
    "  Created:   2026-11-30 13:18:22.791633475 +0000 UTC\n"
    "  Info:      \n\n\n"
    "Terraform acquires a state lock to protect the state from being written\n"
    "by multiple users at the same time."
)


def answers(endpoint: str | None = None, profile: str | None = "ops", **backend) -> A.Answers:
    data = {
        "version": 1,
        "provider": {"region": REGION, "profile": profile, "endpoint": endpoint},
        "user": {"name": "ci-bot"},
        "backend": {"type": "s3", "bucket": "acme-tfstate", "key": "iam/users/ci-bot.tfstate", **backend},
    }
    return A.parse(data)


def s3(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION)


def new_bucket(endpoint: str) -> str:
    name = f"tfstate-{uuid.uuid4().hex[:12]}"
    s3(endpoint).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


# --------------------------------------------------------------------------- rendering


def test_local_backend_keeps_the_local_backend_file_and_writes_no_backend_config():
    files = workspace.render(A.parse({"version": 1, "provider": {"region": REGION}, "user": {"name": "x"}}), None)
    assert 'backend "local"' in files["backend.tf"].decode()
    assert backends.BACKEND_CONFIG_FILE not in files


def settings(config: str) -> dict[str, str]:
    """The ``name = value`` lines of a .tfbackend file."""
    return {line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip() for line in config.splitlines()
            if "=" in line and not line.startswith("#")}


def test_s3_backend_renders_an_empty_backend_block_and_a_partial_config():
    files = workspace.render(answers(kms_key_id="alias/tfstate", dynamodb_table="tf-locks", use_lockfile=False), None)
    backend_tf = files["backend.tf"].decode()
    assert 'backend "s3" {}' in backend_tf and 'backend "local"' not in backend_tf
    config = files[backends.BACKEND_CONFIG_FILE].decode()
    assert settings(config) == {
        "bucket": '"acme-tfstate"', "key": '"iam/users/ci-bot.tfstate"', "region": f'"{REGION}"',
        "encrypt": "true", "skip_region_validation": "true", "kms_key_id": '"alias/tfstate"', "use_lockfile": "false",
        "dynamodb_table": '"tf-locks"', "profile": '"ops"',  # defaults to provider.profile
    }


def test_backend_region_and_profile_override_the_providers():
    a = A.parse({"version": 1, "provider": {"region": REGION, "profile": "ops"}, "user": {"name": "x"},
                 "backend": {"type": "s3", "bucket": "acme-tfstate", "key": "k", "region": "us-west-2",
                             "profile": "state-admin"}})
    found = settings(backends.backend_config(a))
    assert (found["region"], found["profile"]) == ('"us-west-2"', '"state-admin"')
    assert backends.region(a) == "us-west-2" and backends.profile(a) == "state-admin"


def test_stand_in_endpoint_goes_to_every_backend_service_path_style():
    config = backends.backend_config(answers("http://127.0.0.1:4566"))
    url = '"http://127.0.0.1:4566"'
    assert f"endpoints                   = {{ s3 = {url}, dynamodb = {url}, sts = {url}, iam = {url} }}" in config
    found = settings(config)
    for flag in ("use_path_style", "skip_credentials_validation", "skip_requesting_account_id",
                 "skip_metadata_api_check", "skip_region_validation", "skip_s3_checksum"):
        assert found[flag] == "true"
    assert "endpoints" not in backends.backend_config(answers())


def test_real_terraform_reads_the_backend_config_literally(tmp_path, moto_endpoint, terraform_bin):
    """A key full of HCL template syntax reaches the backend byte for byte: terraform init
    against the moto server records exactly that key."""
    bucket = new_bucket(moto_endpoint)
    a = answers(moto_endpoint, profile=None, bucket=bucket, key=HOSTILE_KEY)
    for name, data in backends.backend_files(a).items():
        (tmp_path / name).write_bytes(data)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    done = subprocess.run([terraform_bin, "init", "-input=false", "-no-color",
                           f"-backend-config={backends.BACKEND_CONFIG_FILE}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = json.loads((tmp_path / ".terraform" / "terraform.tfstate").read_text())["backend"]["config"]
    assert recorded["key"] == HOSTILE_KEY and recorded["bucket"] == bucket
    assert recorded["encrypt"] is True and recorded["use_lockfile"] is True


# --------------------------------------------------------------------------- the lock message


def test_lock_error_names_holder_time_id_and_how_to_release():
    failure = TerraformFailed("plan", 1, ["Error: Error acquiring the state lock"],
                              diagnostics=[Diagnostic("error", "Error acquiring the state lock", LOCK_DETAIL)])
    text = locks.explain_lock(failure, "answers/ci-bot.yaml")
    assert "alice@build-7 holds the lock" in text
    assert "since:     2026-11-30 13:18:22.791633475 +0000 UTC" in text
    assert "lock id:   75d8db6e-a133-5a69-4115-f6f9c5e066d5" in text
    assert "operation: Apply" in text
    assert "tfiam unlock answers/ci-bot.yaml" in text
    assert "--lock-timeout" in text


def test_a_local_state_lock_is_not_sent_to_tfiam_unlock(tmp_path):
    """The local backend's lock is the OS's: it ends with the process holding it, so the
    advice is to let that run finish (tfiam unlock would find nothing to release)."""
    answers = tmp_path / "a.yaml"
    answers.write_text((REPO / "examples" / "ci-bot.yaml").read_text())
    detail = LOCK_DETAIL.replace("acme-tfstate/iam/users/ci-bot.tfstate", "terraform.tfstate")
    failure = TerraformFailed("apply", 1, ["Error: Error acquiring the state lock"],
                              diagnostics=[Diagnostic("error", "Error acquiring the state lock", detail)])
    for path in (str(answers), None):
        text = locks.explain_lock(failure, path)
        assert "alice@build-7 holds the lock" in text
        assert "tfiam unlock" not in text
        assert "Another terraform (a second tfiam run, or terraform by hand) is working in this workspace" in text


def test_lock_error_in_plain_output_is_found_too_and_other_failures_are_not_locks():
    plain = TerraformFailed("init", 1, ["Error: Error acquiring the state lock", *LOCK_DETAIL.splitlines()])
    assert locks.lock_from_failure(plain).id == "75d8db6e-a133-5a69-4115-f6f9c5e066d5"
    other = TerraformFailed("plan", 1, ["Error: creating IAM User"],
                            diagnostics=[Diagnostic("error", "creating IAM User (x): EntityAlreadyExists")])
    assert locks.explain_lock(other) is None


def test_a_plan_made_stale_by_another_run_says_to_run_again():
    stale = TerraformFailed("apply", 1, ["Error: Saved plan is stale"], diagnostics=[Diagnostic(
        "error", "Saved plan is stale", "The given plan file can no longer be applied because the state was "
        "changed by another operation after the plan was created.")])
    text = locks.explain_failure(stale, "a.yaml")
    assert "another run changed the state" in text and "Run the same command again" in text
    assert locks.explain_failure(TerraformFailed("apply", 1, ["Error: boom"])) is None


def test_read_lock_finds_the_s3_lock_object_then_the_dynamodb_item(moto_endpoint):
    bucket = new_bucket(moto_endpoint)
    table = f"locks-{uuid.uuid4().hex[:8]}"
    data = {"version": 1, "provider": {"region": REGION, "endpoint": moto_endpoint}, "user": {"name": "x"},
            "backend": {"type": "s3", "bucket": bucket, "key": "a/b.tfstate", "dynamodb_table": table}}
    a = A.parse(data)
    assert locks.read_lock(a) is None  # neither the lock object nor the table exists
    ddb = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION)
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    assert locks.read_lock(a) is None
    info = {"ID": "dd-1", "Operation": "OperationTypePlan", "Who": "bob@ci", "Version": "1.9.8",
            "Created": "2026-11-30T10:00:00Z", "Path": f"{bucket}/a/b.tfstate", "Info": ""}
    ddb.put_item(TableName=table, Item={"LockID": {"S": f"{bucket}/a/b.tfstate"}, "Info": {"S": json.dumps(info)}})
    lock = locks.read_lock(a)
    assert (lock.id, lock.who, lock.operation) == ("dd-1", "bob@ci", "OperationTypePlan")
    s3(moto_endpoint).put_object(Bucket=bucket, Key="a/b.tfstate.tflock",
                                 Body=json.dumps({**info, "ID": "s3-1", "Who": "carol@laptop"}).encode())
    assert locks.read_lock(a).who == "carol@laptop"  # the lock file is checked first


# --------------------------------------------------------------------------- migration decisions


def _state(serial: int, lineage: str, users: list[str]) -> dict:
    return {
        "version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": lineage, "outputs": {},
        "resources": [{"module": "module.iam_user", "mode": "managed", "type": "aws_iam_user", "name": "this",
                       "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                       "instances": [{"schema_version": 0, "attributes": {"name": u}}]} for u in users],
    }


def _s3_answers(endpoint: str, bucket: str) -> A.Answers:
    return A.parse({"version": 1, "provider": {"region": REGION, "endpoint": endpoint}, "user": {"name": "x"},
                    "backend": {"type": "s3", "bucket": bucket, "key": "iam/x.tfstate"}})


def test_local_state_and_an_empty_key_means_migrate_and_the_copy_goes_only_when_s3_matches(tmp_path, moto_endpoint):
    a = _s3_answers(moto_endpoint, new_bucket(moto_endpoint))
    local = _state(7, "aaa", ["ci-bot"])
    (tmp_path / "terraform.tfstate").write_text(json.dumps(local))
    (tmp_path / "terraform.tfstate.backup").write_text(json.dumps(_state(6, "aaa", [])))
    step = statemove.plan_init(a, tmp_path)
    assert step.mode == "migrate" and step.asks
    assert statemove.init_options(step) == {"migrate_state": True, "reconfigure": False}
    assert "serial 7, 1 resource(s)" in step.question() and "s3://" in step.question()

    with pytest.raises(statemove.MigrationError, match="was kept"):
        statemove.finish_init(step, _state(1, "new", ["someone-else"]), tmp_path)
    assert (tmp_path / "terraform.tfstate").exists()

    # terraform 1.11 migrates into a new lineage at serial 1: what counts is the content
    removed = statemove.finish_init(step, _state(1, "new", ["ci-bot"]), tmp_path)
    assert sorted(p.name for p in removed) == ["terraform.tfstate", "terraform.tfstate.backup"]
    assert not (tmp_path / "terraform.tfstate").exists()


def test_a_different_state_in_the_bucket_is_never_overwritten(tmp_path, moto_endpoint):
    bucket = new_bucket(moto_endpoint)
    a = _s3_answers(moto_endpoint, bucket)
    s3(moto_endpoint).put_object(Bucket=bucket, Key="iam/x.tfstate", Body=json.dumps(_state(3, "b", ["other"])).encode())
    (tmp_path / "terraform.tfstate").write_text(json.dumps(_state(7, "a", ["ci-bot"])))
    with pytest.raises(statemove.MigrationError, match="already holds a different state"):
        statemove.plan_init(a, tmp_path)


def test_the_same_state_already_in_the_bucket_is_adopted(tmp_path, moto_endpoint):
    bucket = new_bucket(moto_endpoint)
    a = _s3_answers(moto_endpoint, bucket)
    s3(moto_endpoint).put_object(Bucket=bucket, Key="iam/x.tfstate", Body=json.dumps(_state(1, "b", ["ci-bot"])).encode())
    (tmp_path / "terraform.tfstate").write_text(json.dumps(_state(7, "a", ["ci-bot"])))
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "terraform.tfstate").write_text(json.dumps({"backend": {"type": "local"}}))
    step = statemove.plan_init(a, tmp_path)
    assert step.mode == "adopt" and step.reconfigure and not statemove.init_options(step)["migrate_state"]
    assert [p.name for p in statemove.adopt(step, a, tmp_path)] == ["terraform.tfstate"]


def test_no_local_state_after_a_local_backend_means_reconfigure(tmp_path, moto_endpoint):
    a = _s3_answers(moto_endpoint, new_bucket(moto_endpoint))
    assert statemove.plan_init(a, tmp_path).mode == "plain"  # never initialised
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "terraform.tfstate").write_text(json.dumps({"backend": {"type": "local"}}))
    step = statemove.plan_init(a, tmp_path)
    assert (step.mode, step.reconfigure, step.asks) == ("plain", True, False)


def test_a_missing_bucket_says_to_bootstrap(tmp_path, moto_endpoint):
    a = _s3_answers(moto_endpoint, f"missing-{uuid.uuid4().hex[:10]}")
    (tmp_path / "terraform.tfstate").write_text(json.dumps(_state(1, "a", ["x"])))
    with pytest.raises(statemove.MigrationError, match="tfiam backend bootstrap"):
        statemove.plan_init(a, tmp_path)


# --------------------------------------------------------------------------- bootstrap detection


def test_detect_a_missing_bucket_and_render_imports_for_nothing(moto_endpoint):
    a = _s3_answers(moto_endpoint, f"fresh-{uuid.uuid4().hex[:10]}")
    inv = bootstrap.detect(a)
    assert [p.exists for p in inv.pieces] == [False] * 5
    files = bootstrap.render(a, inv)
    assert "imports.tf" not in files
    assert {"main.tf", "provider.tf", "versions.tf", "modules/state-backend/main.tf"} <= set(files)


def test_detect_existing_pieces_and_import_them_with_ids_from_variables(moto_endpoint):
    bucket = new_bucket(moto_endpoint)
    client = s3(moto_endpoint)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "AuditRead", "Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    a = _s3_answers(moto_endpoint, bucket)
    inv = bootstrap.detect(a)
    found = {p.label: p.exists for p in inv.pieces}
    assert found == {"bucket": True, "versioning": True, "default encryption": False,
                     "public access block": False, "bucket policy": True}
    assert "no TLS-only statement yet" in "\n".join(inv.lines())
    files = bootstrap.render(a, inv)
    imports = files["imports.tf"].decode()
    assert imports.count("import {") == 3 and bucket not in imports and "id = var.bucket" in imports
    tfvars = json.loads(files["terraform.tfvars.json"])
    assert json.loads(tfvars["existing_bucket_policy"])["Statement"][0]["Sid"] == "AuditRead"


def test_detect_refuses_a_bucket_in_another_region_and_a_table_with_the_wrong_key(moto_endpoint):
    other = f"elsewhere-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-west-2").create_bucket(
        Bucket=other, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    with pytest.raises(bootstrap.BootstrapError, match="is in us-west-2.*backend.region: us-west-2"):
        bootstrap.detect(_s3_answers(moto_endpoint, other))

    table = f"badkey-{uuid.uuid4().hex[:8]}"
    boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION).create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    a = A.parse({"version": 1, "provider": {"region": REGION, "endpoint": moto_endpoint}, "user": {"name": "x"},
                 "backend": {"type": "s3", "bucket": new_bucket(moto_endpoint), "key": "k", "dynamodb_table": table}})
    with pytest.raises(bootstrap.BootstrapError, match="not LockID"):
        bootstrap.detect(a)


def test_bootstrap_workspace_validates(tmp_path, moto_endpoint, terraform_bin, tf_plugin_dir):
    a = _s3_answers(moto_endpoint, f"fresh-{uuid.uuid4().hex[:10]}")
    a = a.model_copy(update={"backend": a.backend.model_copy(update={"dynamodb_table": "tf-locks"})})
    inv = bootstrap.detect(a)
    inv.pieces = [p.__class__(p.label, p.address, p.import_id, True) for p in inv.pieces]  # all "exist"
    workspace.write(tmp_path / "ws", bootstrap.render(a, inv), owner=bootstrap.owner(a))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    for args in (["init", "-backend=false", "-input=false", f"-plugin-dir={tf_plugin_dir}"], ["validate"]):
        done = subprocess.run([terraform_bin, *args, "-no-color"], cwd=tmp_path / "ws", env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "module.state_backend.aws_dynamodb_table.lock[0]" in (tmp_path / "ws" / "imports.tf").read_text()


# --------------------------------------------------------------------------- sandbox gaps

RACE = textwrap.dedent('''
    import json, sys, threading, time
    import boto3
    from tfiam_tui.engine.aws import moto_server
    moto_server.install_iam_gaps()
    if sys.argv[1] == "filled":
        moto_server.install_state_backend_gaps()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from moto.s3.models import S3Backend
    from werkzeug.serving import make_server

    write = S3Backend.put_object
    def slow_write(self, *args, **kwargs):
        time.sleep(1.0)  # widen the gap between moto's If-None-Match check and its write
        return write(self, *args, **kwargs)
    S3Backend.put_object = slow_write

    httpd = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                        request_handler=MotoRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{httpd.server_address[1]}", region_name="us-east-1",
                      aws_access_key_id="a", aws_secret_access_key="b")
    s3.create_bucket(Bucket="race")
    won = []
    def take_lock(n):
        try:
            s3.put_object(Bucket="race", Key="state.tflock", Body=str(n).encode(), IfNoneMatch="*")
            won.append(n)
        except s3.exceptions.ClientError:
            pass
    threads = [threading.Thread(target=take_lock, args=(n,)) for n in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(json.dumps(len(won)))
''')


@pytest.mark.parametrize("mode", ["plain", "filled"])
def test_only_one_of_four_racing_lock_writes_wins_in_the_sandbox(tmp_path, mode):
    """moto checks If-None-Match and then writes: several racing lock writes win
    ("plain", documenting the gap).  With the sandbox's fill exactly one does."""
    script = tmp_path / "race.py"
    script.write_text(RACE)
    done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    winners = json.loads(done.stdout)
    assert winners == 1 if mode == "filled" else winners > 1


def test_tls_only_bucket_policy_lets_the_sandbox_in_but_other_denies_still_hold(moto_endpoint):
    bucket = new_bucket(moto_endpoint)
    client = s3(moto_endpoint)
    tls_only = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]}))
    client.put_object(Bucket=bucket, Key="state", Body=b"{}")
    assert client.get_object(Bucket=bucket, Key="state")["Body"].read() == b"{}"

    deny_all = {**tls_only, "Sid": "DenyEverything"}
    del deny_all["Condition"]
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only, deny_all]}))
    with pytest.raises(client.exceptions.ClientError, match="403|Forbidden"):
        client.get_object(Bucket=bucket, Key="state")
