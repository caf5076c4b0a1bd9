"""Issue 13, end to end: grants made by hand after a clean replay.

The next replay's plan says "No changes" (Terraform never knew of them); verification
must still fail (exit 5), naming each grant with the command that removes it.  Once
removed, the replay is clean again.  A Terraform file dropped into the module folder
stops the replay before plan (exit 3).  Real terraform and provider, the sandbox's moto.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.test_e2e import answers_file, iam, run_tfiam
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _line(stdout: str, start: str) -> str:
    found = [line for line in stdout.splitlines() if line.startswith(start)]
    assert len(found) == 1, stdout
    return found[0]


def test_hand_made_admin_grants_fail_verification_by_name_and_planted_terraform_exits_3(
    tmp_path, moto_endpoint, gnupghome, tf_plugin_dir
):
    name = f"handgrant-{uuid.uuid4().hex[:10]}"
    group, admins = f"{name}-readers", f"{name}-admins"
    answers = answers_file(tmp_path, "console-user.yaml", moto_endpoint, user__name=name,
                           permissions__groups=[{"name": group,
                                                 "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}])
    replay = ("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)

    first = run_tfiam(*replay)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    # The provider sent PasswordResetRequired=true; the sandbox kept it, verification read it.
    assert "[ok] console password must be changed at first sign-in" in first.stdout, first.stdout
    assert "[ok] effective permissions (linted as read from AWS)" in first.stdout

    client = iam(moto_endpoint, region="eu-west-1")
    client.put_user_policy(UserName=name, PolicyName="backdoor", PolicyDocument=json.dumps(EVERYTHING))
    client.create_group(GroupName=admins)
    client.attach_group_policy(GroupName=admins, PolicyArn=ADMIN)
    client.add_user_to_group(GroupName=admins, UserName=name)

    again = run_tfiam(*replay)
    said = again.stdout + again.stderr
    assert "No changes." in again.stdout, said  # invisible to Terraform...
    assert again.returncode == Exit.VERIFY_FAILED, said  # ...not to verification
    inline = _line(again.stdout, "[FAIL] no inline policies on the user or tfiam's groups")
    assert f"aws iam delete-user-policy --user-name {name} --policy-name backdoor" in inline
    membership = _line(again.stdout, "[FAIL] group membership")
    assert f"aws iam remove-user-from-group --user-name {name} --group-name {admins}" in membership
    effective = _line(again.stdout, "[FAIL] effective permissions (linted as read from AWS)")
    assert f"inline policy backdoor on user {name}" in effective and f"group {admins}" in effective
    assert "full administrator access" in effective

    client.delete_user_policy(UserName=name, PolicyName="backdoor")
    client.remove_user_from_group(GroupName=admins, UserName=name)
    clean = run_tfiam(*replay)
    assert clean.returncode == Exit.OK, clean.stdout + clean.stderr
    assert "[FAIL]" not in clean.stdout

    planted = tmp_path / "ws" / "modules" / "iam-user" / "zz_override.tf"
    planted.write_text('resource "aws_iam_user_policy_attachment" "admin" {\n'
                       f'  user       = "{name}"\n  policy_arn = "{ADMIN}"\n}}\n')
    refused = run_tfiam(*replay)
    assert refused.returncode == Exit.INVALID_ANSWERS, refused.stdout + refused.stderr
    assert "modules/iam-user/zz_override.tf" in refused.stderr
    assert [p["PolicyArn"] for p in client.list_attached_user_policies(UserName=name)["AttachedPolicies"]] == []
