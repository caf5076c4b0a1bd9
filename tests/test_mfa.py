"""``authentication.enforce_mfa`` end to end: one apply of a console user against moto, with
the real tfiam script, terraform and provider."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.test_e2e import answers_file, iam, run_tfiam
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e


def test_console_user_with_enforce_mfa_joins_the_mfa_group(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = f"mfa-{uuid.uuid4().hex[:8]}"
    mfa_group = f"{name}-mfa-required"
    answers = answers_file(
        tmp_path, "console-user.yaml", moto_endpoint,
        user__name=name,
        permissions__groups=[{"name": f"{name}-auditors",
                              "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}],
        authentication__enforce_mfa=True,
    )
    lint = run_tfiam("lint", str(answers), "--format", "json")
    assert lint.returncode == Exit.OK, lint.stdout + lint.stderr
    assert "TFIAM052" not in {f["rule"] for f in json.loads(lint.stdout)["findings"]}

    result = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert "TFIAM" not in result.stdout  # no lint errors or warnings to print
    assert f"[ok] group {mfa_group} has its policies attached" in result.stdout
    assert f"[ok] custom policy {mfa_group} says exactly what was asked" in result.stdout

    client = iam(moto_endpoint, region="eu-west-1")
    groups = {g["GroupName"] for g in client.list_groups_for_user(UserName=name)["Groups"]}
    assert groups == {f"{name}-auditors", mfa_group}
    attached = client.list_attached_group_policies(GroupName=mfa_group)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [mfa_group]
    policy = client.get_policy(PolicyArn=attached[0]["PolicyArn"])["Policy"]
    doc = client.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    deny = next(s for s in doc["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    self_service = {"iam:EnableMFADevice", "iam:CreateVirtualMFADevice", "iam:ChangePassword", "sts:GetSessionToken"}
    assert self_service <= set(deny["NotAction"])
    assert deny["Resource"] == "*"
    own = next(s for s in doc["Statement"] if s.get("Sid") == "AllowManageOwnUserMFA")
    # the policy variable reached IAM literally, for users at the root path and under one
    assert own["Resource"] == ["arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/*/${aws:username}"]
