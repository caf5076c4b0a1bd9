"""``tfiam adopt`` (issue 15, items 2 and 3): a user made elsewhere, the way the console
makes one, read from the stand-in AWS and described as it is; the real terraform and
provider then import it with ``tfiam replay`` and change nothing.  Checked the way an
operator would: the answers file, the plan's words, what IAM holds afterwards (through
boto3), what a second replay, ``tfiam decrypt`` and ``tfiam status`` say.  Every refusal
is checked to write nothing."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures_moto import unique_name
from tests.test_e2e import files_containing, iam, run_tfiam
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e
PASSWORD = "Console-made-Passw0rd!"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


def _console_made_user(client, name: str) -> dict:
    """What an admin clicks together in the console: a path, tags, a boundary, a group
    other users share, a managed policy on the user, a key with its description tag, and
    a console password.  Returns what the test compares against afterwards."""
    group, other = f"{name}-shared", f"{name}-colleague"
    client.create_group(GroupName=group)
    client.create_user(UserName=other)
    client.add_user_to_group(GroupName=group, UserName=other)
    boundary = client.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
    user = client.create_user(UserName=name, Path="/engineering/", PermissionsBoundary=boundary,
                              Tags=[{"Key": "Owner", "Value": "data-team"}])["User"]
    key = client.create_access_key(UserName=name)["AccessKey"]
    client.tag_user(UserName=name, Tags=[{"Key": key["AccessKeyId"], "Value": "laptop aws cli"}])
    client.add_user_to_group(GroupName=group, UserName=name)
    client.attach_user_policy(UserName=name, PolicyArn=S3_READ)
    client.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=False)
    mfa = client.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
    client.enable_mfa_device(UserName=name, SerialNumber=mfa, AuthenticationCode1="123456", AuthenticationCode2="654321")
    return {"user_id": user["UserId"], "group": group, "other": other, "boundary": boundary,
            "key": key["AccessKeyId"], "secret": key["SecretAccessKey"], **_as_iam_has_it(client, name, group)}


def _as_iam_has_it(client, name: str, group: str) -> dict:
    return {
        "tags": {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]},
        "keys": {k["AccessKeyId"]: k["Status"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]},
        "login": client.get_login_profile(UserName=name)["LoginProfile"]["CreateDate"],
        "policies": [p["PolicyArn"] for p in client.list_attached_user_policies(UserName=name)["AttachedPolicies"]],
        "members": sorted(u["UserName"] for u in client.get_group(GroupName=group)["Users"]),
        "path": client.get_user(UserName=name)["User"]["Path"],
        "mfa": [d["SerialNumber"] for d in client.list_mfa_devices(UserName=name)["MFADevices"]],
    }


def _run(*args: str, tf_plugin_dir: str | None = None):
    done = run_tfiam(*args, *(("--plugin-dir", tf_plugin_dir) if tf_plugin_dir else ()))
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
    return done


def test_a_console_made_user_is_adopted_imported_and_left_exactly_as_it_was(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    name = unique_name("adopt")
    client = iam(moto_endpoint)
    before = _console_made_user(client, name)
    answers, ws = tmp_path / "adopted.yaml", tmp_path / f"tfiam-{name}"

    adopted = _run("adopt", name, "--save", str(answers), "--endpoint", moto_endpoint, "--region", "eu-central-1",
                   "--pgp-key", "op@example.com", tf_plugin_dir=tf_plugin_dir)
    assert adopted.returncode == Exit.OK, adopted.stdout + adopted.stderr
    assert "Nothing in IAM was changed" in adopted.stdout and f"tfiam replay {answers}" in adopted.stdout
    assert "has 1 MFA device(s)" in adopted.stdout and "leaves them as they are" in adopted.stdout
    data = yaml.safe_load(answers.read_text())
    assert data["user"] == {"name": name, "path": "/engineering/", "tags": before["tags"],
                            "permissions_boundary": before["boundary"], "force_destroy": False}
    assert data["user"]["tags"][before["key"]] == "laptop aws cli"  # the console's key description, kept
    assert data["permissions"] == {"groups": [], "existing_groups": [before["group"]],
                                   "user_managed_policies": [S3_READ]}
    auth = data["authentication"]
    assert (auth["access_key"], auth["console"], auth["password_reset_required"]) == (True, True, False)
    assert data["workspace"] == f"./tfiam-{name}" and data["provider"]["endpoint"] == moto_endpoint
    imports = (ws / "imports.tf").read_text()
    assert f'to = module.iam_user.aws_iam_access_key.this["a"]\n  id = "{before["key"]}"' in imports
    assert imports.count("import {") == 5  # user, membership, attachment, key, login profile
    lint = _run("lint", str(answers))
    assert "TFIAM050" in lint.stdout  # the policy on the user: the linter warns, as usual

    first = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    assert "Plan: 5 to import, 0 to add, 0 to change, 0 to destroy." in first.stdout, first.stdout
    assert "Apply complete! Resources: 5 imported, 0 added, 0 changed, 0 destroyed." in first.stdout
    assert "[FAIL]" not in first.stdout and "tags are exactly the expected ones: 2 tag(s)" in first.stdout
    assert "not checked (the key was adopted as it is" in first.stdout
    assert "nothing new to hand over" in first.stdout

    again = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert again.returncode == Exit.OK and "No changes." in again.stdout, again.stdout + again.stderr
    assert "nothing is left to import" in (ws / "imports.tf").read_text()

    # IAM holds the same user, keys, password, policies and group members as before.
    assert client.get_user(UserName=name)["User"]["UserId"] == before["user_id"]
    after = _as_iam_has_it(client, name, before["group"])
    assert after == {k: before[k] for k in after}
    assert after["members"] == sorted([name, before["other"]])
    assert client.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == before["boundary"]
    # No secret of the user reached the workspace, and none is claimed to be there.
    assert not files_containing(tmp_path, before["secret"]) and not files_containing(tmp_path, PASSWORD)
    state = json.loads((ws / "terraform.tfstate").read_text())
    [key] = [r for r in state["resources"] if r["type"] == "aws_iam_access_key"][0]["instances"]
    assert key["index_key"] == "a" and key["attributes"]["id"] == before["key"]
    assert not key["attributes"].get("pgp_key") and not key["attributes"].get("encrypted_secret")
    out = tmp_path / "creds.json"
    decrypt = _run("decrypt", "--workspace", str(ws), "--output", str(out))
    assert decrypt.returncode == Exit.DECRYPT_FAILED and "was adopted as it is" in decrypt.stderr
    assert not out.exists()

    # The user is managed now: adopting it again into its workspace is refused.
    twice = _run("adopt", name, "--save", str(tmp_path / "twice.yaml"), "--workspace", str(ws),
                 "--endpoint", moto_endpoint, "--pgp-key", "op@example.com", tf_plugin_dir=tf_plugin_dir)
    assert twice.returncode == Exit.REFUSED and "already manages" in twice.stderr, twice.stderr
    assert not (tmp_path / "twice.yaml").exists()


def test_two_keys_one_inactive_adopted_into_both_slots_in_the_long_lived_sandbox(
    tmp_path, empty_gnupghome, tf_plugin_dir
):
    """--sandbox: the sandbox tfiam sandbox start keeps running; the answers keep no
    endpoint, so replay --sandbox is the next command."""
    started = run_tfiam("sandbox", "start", timeout=120)
    try:
        assert started.returncode == Exit.OK, started.stdout + started.stderr
        found = re.search(r"at (http://127\.0\.0\.1:\d+) \(pid", started.stdout)
        assert found, started.stdout
        endpoint = found.group(1)
        name = unique_name("adopt2k")
        client = iam(endpoint, key=("SANDBOXACCESSKEYID00", "sandbox-secret-not-a-real-key"))
        client.create_user(UserName=name)
        old = client.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        new = client.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        client.update_access_key(UserName=name, AccessKeyId=old, Status="Inactive")
        answers = tmp_path / "two.yaml"

        adopted = _run("adopt", name, "--save", str(answers), "--sandbox", "--pgp-key", "op@example.com")
        assert adopted.returncode == Exit.OK, adopted.stdout + adopted.stderr
        assert adopted.stdout.startswith("SANDBOX:")
        assert yaml.safe_load(answers.read_text())["provider"]["endpoint"] is None
        slots = json.loads((tmp_path / f"tfiam-{name}" / "terraform.tfvars.json").read_text())["access_keys"]
        assert slots == {"a": {"status": "Inactive"}, "b": {"status": "Active"}}  # oldest first, as they are

        replay = _run("replay", str(answers), "--sandbox", "--auto-approve", tf_plugin_dir=tf_plugin_dir)
        assert replay.returncode == Exit.OK, replay.stdout + replay.stderr
        assert "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy." in replay.stdout, replay.stdout
        assert "[FAIL]" not in replay.stdout
        keys = {k["AccessKeyId"]: k["Status"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]}
        assert keys == {old: "Inactive", new: "Active"}

        # An import apply cut off after slot a: the state lacks slot b; the next replay imports
        # just that one (its slot is kept from the record), and from then on the record is history.
        ws = tmp_path / f"tfiam-{name}"
        subprocess.run(["terraform", f"-chdir={ws}", "state", "rm", 'module.iam_user.aws_iam_access_key.this["b"]'],
                       check=True, capture_output=True, timeout=300)
        resumed = _run("replay", str(answers), "--sandbox", "--auto-approve", tf_plugin_dir=tf_plugin_dir)
        assert resumed.returncode == Exit.OK, resumed.stdout + resumed.stderr
        assert "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy." in resumed.stdout, resumed.stdout
        assert json.loads((ws / ".tfiam" / "adoption.json").read_text())["imported"] is False  # written before the apply
        status = _run("status", str(answers), "--sandbox", "--format", "json")
        [user] = json.loads(status.stdout)["users"]
        assert {k["id"]: k["managed"] for k in user["keys"]} == {old: True, new: True}
    finally:
        run_tfiam("sandbox", "stop", timeout=60)


def _nothing_written(folder: Path, *keep: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)


def test_refusals_write_nothing(tmp_path, moto_endpoint, gnupghome):
    client = iam(moto_endpoint)
    base = ("--endpoint", moto_endpoint, "--pgp-key", "op@example.com")

    missing = _run("adopt", unique_name("nobody"), "--save", str(tmp_path / "a.yaml"), *base)
    assert missing.returncode == Exit.INVALID_ANSWERS and "there is no IAM user named" in missing.stderr
    _nothing_written(tmp_path)

    inline = unique_name("inline")
    client.create_user(UserName=inline)
    client.put_user_policy(UserName=inline, PolicyName="handwritten", PolicyDocument=ALLOW_ALL)
    refused = _run("adopt", inline, "--save", str(tmp_path / "a.yaml"), *base)
    assert refused.returncode == Exit.REFUSED, refused.stderr
    assert "has inline policies (handwritten)" in refused.stderr
    assert f"aws iam delete-user-policy --user-name {inline} --policy-name handwritten" in refused.stderr
    _nothing_written(tmp_path)

    plain = unique_name("plain")
    client.create_user(UserName=plain, Tags=[{"Key": "Team", "Value": "Cafe\u0301"}])  # IAM takes NFD text
    unfit = _run("adopt", plain, "--save", str(tmp_path / "a.yaml"), *base)
    assert unfit.returncode == Exit.INVALID_ANSWERS, unfit.stderr
    assert "user.tags.Team: as " in unfit.stderr and "not in Unicode NFC form" in unfit.stderr
    assert "change " in unfit.stderr and "then run tfiam adopt again" in unfit.stderr
    _nothing_written(tmp_path)

    client.untag_user(UserName=plain, TagKeys=["Team"])
    client.create_access_key(UserName=plain)
    no_key = _run("adopt", plain, "--save", str(tmp_path / "a.yaml"), "--endpoint", moto_endpoint)
    assert no_key.returncode == Exit.USAGE and "--pgp-key: is required" in no_key.stderr
    _nothing_written(tmp_path)

    (tmp_path / "taken.yaml").write_text("mine\n")
    taken = _run("adopt", plain, "--save", str(tmp_path / "taken.yaml"), *base)
    assert taken.returncode == Exit.USAGE and "already exists" in taken.stderr
    assert (tmp_path / "taken.yaml").read_text() == "mine\n"
    _nothing_written(tmp_path, "taken.yaml")

    foreign = tmp_path / "theirs"
    foreign.mkdir()
    (foreign / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    into = _run("adopt", plain, "--save", str(tmp_path / "a.yaml"), "--workspace", str(foreign), *base)
    assert into.returncode == Exit.INVALID_ANSWERS and "is not a tfiam workspace" in into.stderr, into.stderr
    _nothing_written(tmp_path, "taken.yaml", "theirs")
    _nothing_written(foreign, "main.tf")
    assert client.list_access_keys(UserName=plain)["AccessKeyMetadata"][0]["Status"] == "Active"  # IAM untouched


def test_a_user_with_grants_the_linter_refuses_is_described_and_replay_stops_before_terraform(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    name = unique_name("adoptadm")
    client = iam(moto_endpoint)
    client.create_user(UserName=name)
    client.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    answers = tmp_path / "admin.yaml"
    adopted = _run("adopt", name, "--save", str(answers), "--endpoint", moto_endpoint, tf_plugin_dir=tf_plugin_dir)
    assert adopted.returncode == Exit.OK, adopted.stderr
    assert "TFIAM004" in adopted.stdout and "tfiam replay stops on them (exit 10)" in adopted.stdout
    replay = _run("replay", str(answers), "--auto-approve", tf_plugin_dir=tf_plugin_dir)
    assert replay.returncode == Exit.LINT_FAILED, replay.stdout + replay.stderr
    assert not (tmp_path / f"tfiam-{name}" / "terraform.tfstate").exists()
    attached = client.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]  # IAM untouched


def test_an_adoption_record_edited_to_plant_hcl_is_refused(tmp_path, moto_endpoint, gnupghome):
    """The record is read back on every run and its addresses are written as HCL: only the
    module's own addresses pass."""
    plain = unique_name("plant")
    iam(moto_endpoint).create_user(UserName=plain)
    base = ("--endpoint", moto_endpoint, "--pgp-key", "op@example.com")
    done = _run("adopt", plain, "--save", str(tmp_path / "a.yaml"), *base)
    assert done.returncode == Exit.OK, done.stderr
    ws = tmp_path / f"tfiam-{plain}"
    record = ws / ".tfiam" / "adoption.json"
    data = json.loads(record.read_text())
    data["imports"][0]["to"] += '\n}\nresource "aws_iam_user" "planted" {\n  name = "planted"'
    record.write_text(json.dumps(data))
    imports = (ws / "imports.tf").read_text()
    planted = _run("replay", str(tmp_path / "a.yaml"), "--auto-approve")
    assert planted.returncode == Exit.INVALID_ANSWERS, planted.stdout + planted.stderr
    assert "is not tfiam's adoption record (not an address tfiam imports" in planted.stderr
    assert (ws / "imports.tf").read_text() == imports and "resource" not in imports
