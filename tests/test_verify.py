"""Post-apply verification: every check passes on a correct user and names what differs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.fixtures_moto import SANDBOX_REGION, unique_name
from tfiam_tui.engine.answers import parse
from tfiam_tui.engine.aws.expected import Check, Expected
from tfiam_tui.engine.aws.verify import format_checklist, verify

POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
IAM_CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
# Strings a careless template would mangle: quotes, backslashes, Terraform
# interpolation, HTML, percent signs, non-ASCII.
HOSTILE_RESOURCE = 'arn:aws:s3:::bucket/"quoted"\\back/${var.x}/%{if}/<b>&amp;/ünïcødé/*'
EFFECTIVE = "effective permissions (linted as read from AWS)"
HOSTILE_DESCRIPTION = 'Reads "the" bucket \\ ${not_interpolated} %{nor_this} <i>&</i> Zoë ¶'


@dataclass
class Built:
    """A user built in the sandbox exactly as the answers describe."""

    expected: Expected
    key: tuple[str, str]
    group: str
    custom_arn: str


def _answers(user: str, group: str, existing: str) -> dict:
    return {
        "version": 1,
        "provider": {"region": SANDBOX_REGION},
        "user": {
            "name": user,
            "path": "/tfiam/people/",
            "tags": {"team": "platform", "owner": "Zoë Ünïcode", "cost-center": "42"},
            "permissions_boundary": POWER_USER,
        },
        "permissions": {
            "groups": [{
                "name": group,
                "managed_policies": [READ_ONLY],
                "custom_policy": {
                    "name": f"{group}-custom",
                    "description": HOSTILE_DESCRIPTION,
                    "statements": [
                        {"sid": "ReadBucket", "effect": "Allow",
                         "actions": ["s3:GetObject", "s3:ListBucket"],
                         "resources": [HOSTILE_RESOURCE, "arn:aws:s3:::plain"]},
                        {"effect": "Deny", "actions": ["iam:*"], "resources": ["*"]},
                    ],
                },
            }],
            "existing_groups": [existing],
            "user_managed_policies": [IAM_CHANGE_PASSWORD],
        },
        "authentication": {"access_key": True, "console": True, "pgp_key": "keybase:someone"},
    }


@pytest.fixture
def built(moto_iam) -> Built:
    """What a correct apply leaves behind, made with boto3 (the way Terraform would)."""
    user, group, existing = unique_name("alice"), unique_name("devs"), unique_name("everyone")
    expected = Expected.from_answers(parse(_answers(user, group, existing)))
    custom = expected.groups[group].custom_policy

    moto_iam.create_user(
        UserName=user, Path="/tfiam/people/", PermissionsBoundary=POWER_USER,
        Tags=[{"Key": k, "Value": v} for k, v in expected.tags.items()],
    )
    moto_iam.create_group(GroupName=existing)  # made by someone else, earlier
    moto_iam.create_group(GroupName=group)
    # Terraform's aws_iam_policy_document writes one-element lists as strings and
    # sorts actions; verification must not mind.
    statements = [
        {"Sid": "ReadBucket", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
         "Resource": ["arn:aws:s3:::plain", HOSTILE_RESOURCE]},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ]
    custom_arn = moto_iam.create_policy(
        PolicyName=custom.name, Description=HOSTILE_DESCRIPTION,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )["Policy"]["Arn"]
    moto_iam.attach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
    moto_iam.attach_group_policy(GroupName=group, PolicyArn=custom_arn)
    moto_iam.add_user_to_group(GroupName=group, UserName=user)
    moto_iam.add_user_to_group(GroupName=existing, UserName=user)
    moto_iam.attach_user_policy(UserName=user, PolicyArn=IAM_CHANGE_PASSWORD)
    moto_iam.create_login_profile(UserName=user, Password="Sandbox-Only-Password-1!", PasswordResetRequired=True)
    key = moto_iam.create_access_key(UserName=user)["AccessKey"]
    return Built(expected, (key["AccessKeyId"], key["SecretAccessKey"]), group, custom_arn)


def _verify(built: Built, endpoint: str, **kwargs) -> dict[str, Check]:
    kwargs.setdefault("access_key", built.key)
    checks = verify(built.expected, region=SANDBOX_REGION, endpoint=endpoint, **kwargs)
    assert len({c.name for c in checks}) == len(checks), "check names must be distinct"
    return {c.name: c for c in checks}


def _failed(checks: dict[str, Check]) -> dict[str, str]:
    return {name: c.detail for name, c in checks.items() if not c.ok}


def test_correct_user_passes_every_check_in_order(built, moto_endpoint):
    checks = verify(built.expected, region=SANDBOX_REGION, endpoint=moto_endpoint, access_key=built.key)
    user = built.expected.user_name
    custom = f"{built.group}-custom"

    assert [c.name for c in checks] == [
        f"user {user} exists at path /tfiam/people/",
        "tags are exactly the expected ones",
        "permissions boundary",
        "group membership",
        f"group {built.group} has its policies attached",
        f"custom policy {custom} says exactly what was asked",
        "policies attached to the user directly",
        "no inline policies on the user or tfiam's groups",
        "effective permissions (linted as read from AWS)",
        "console login profile",
        "console password must be changed at first sign-in",
        "access key exists and is active",
        "access key works (STS GetCallerIdentity)",
    ]
    assert [c for c in checks if not c.ok] == []
    assert checks[0].detail == f"arn:aws:iam::123456789012:user/tfiam/people/{user}"
    assert checks[-1].detail.endswith(f"signs in as arn:aws:iam::123456789012:user/tfiam/people/{user}")


def test_removed_tag_fails_the_tag_check_naming_the_key(built, moto_iam, moto_endpoint):
    moto_iam.untag_user(UserName=built.expected.user_name, TagKeys=["owner"])
    moto_iam.tag_user(UserName=built.expected.user_name, Tags=[
        {"Key": "cost-center", "Value": "43"}, {"Key": "sneaky", "Value": "yes"}])

    failed = _failed(_verify(built, moto_endpoint))

    assert list(failed) == ["tags are exactly the expected ones"]
    detail = failed["tags are exactly the expected ones"]
    assert "missing tag 'owner'" in detail
    assert "unexpected tag 'sneaky'='yes'" in detail
    assert "tag 'cost-center' is '43', expected '42'" in detail


def test_detached_group_policy_fails_that_groups_check(built, moto_iam, moto_endpoint):
    moto_iam.detach_group_policy(GroupName=built.group, PolicyArn=READ_ONLY)
    moto_iam.attach_group_policy(GroupName=built.group, PolicyArn=POWER_USER)

    failed = _failed(_verify(built, moto_endpoint))

    # PowerUserAccess, now a grant the answers did not ask for, is linted as read: its
    # escalations fail the effective permissions too.
    assert list(failed) == [f"group {built.group} has its policies attached", EFFECTIVE]
    assert f"{POWER_USER} attached to group {built.group}: Statement[0]" in failed[EFFECTIVE]
    assert "privilege escalation" in failed[EFFECTIVE] and "(TFIAM020)" in failed[EFFECTIVE]
    assert failed[f"group {built.group} has its policies attached"] == (
        f"missing {READ_ONLY}; unexpected policies: {POWER_USER} (not in the answers; remove: "
        f"aws iam detach-group-policy --group-name {built.group} --policy-arn {POWER_USER})"
    )


def test_detached_custom_policy_fails_attachment_and_document_checks(built, moto_iam, moto_endpoint):
    moto_iam.detach_group_policy(GroupName=built.group, PolicyArn=built.custom_arn)

    failed = _failed(_verify(built, moto_endpoint))

    custom = f"{built.group}-custom"
    assert failed == {
        f"group {built.group} has its policies attached": f"missing (custom policy {custom})",
        f"custom policy {custom} says exactly what was asked":
            f"no policy named {custom} is attached to the group",
    }


def test_mangled_policy_document_fails_naming_the_difference(built, moto_iam, moto_endpoint):
    mangled = HOSTILE_RESOURCE.replace("${var.x}", "")  # what an interpolating template leaves
    moto_iam.create_policy_version(
        PolicyArn=built.custom_arn, SetAsDefault=True,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadBucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [mangled, "arn:aws:s3:::plain"]},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}),
    )

    failed = _failed(_verify(built, moto_endpoint))

    name = f"custom policy {built.group}-custom says exactly what was asked"
    assert list(failed) == [name]
    assert "document differs" in failed[name]
    assert json.dumps(mangled, ensure_ascii=False) in failed[name]


def test_wrong_boundary_membership_user_policy_and_login_fail(built, moto_iam, moto_endpoint):
    user = built.expected.user_name
    moto_iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=READ_ONLY)
    moto_iam.remove_user_from_group(GroupName=built.expected.existing_groups[0], UserName=user)
    moto_iam.detach_user_policy(UserName=user, PolicyArn=IAM_CHANGE_PASSWORD)
    moto_iam.delete_login_profile(UserName=user)

    failed = _failed(_verify(built, moto_endpoint))

    assert failed == {
        "permissions boundary": f"boundary is {READ_ONLY}, expected {POWER_USER}",
        "group membership": f"not a member of {built.expected.existing_groups[0]}",
        "policies attached to the user directly": f"missing {IAM_CHANGE_PASSWORD}",
        "console login profile": "no console password",
    }


def test_wrong_access_key_fails_and_never_shows_the_secret(built, moto_iam, moto_endpoint):
    other = unique_name("mallory")
    moto_iam.create_user(UserName=other)
    key = moto_iam.create_access_key(UserName=other)["AccessKey"]
    wrong = (key["AccessKeyId"], key["SecretAccessKey"])

    checks = _verify(built, moto_endpoint, access_key=wrong)
    failed = _failed(checks)

    assert set(failed) == {"access key exists and is active", "access key works (STS GetCallerIdentity)"}
    assert f"{wrong[0]} is not an active key of {built.expected.user_name}" in failed["access key exists and is active"]
    assert f"signs in as arn:aws:iam::123456789012:user/{other}" in failed["access key works (STS GetCallerIdentity)"]
    text = format_checklist(checks.values())
    assert wrong[1] not in text and built.key[1] not in text


def test_deactivated_key_fails(built, moto_iam, moto_endpoint):
    moto_iam.update_access_key(UserName=built.expected.user_name, AccessKeyId=built.key[0], Status="Inactive")
    failed = _failed(_verify(built, moto_endpoint, access_key=None))
    assert failed == {"access key exists and is active": "no active access key"}


def test_missing_user_gives_failed_checks_not_a_traceback(moto_endpoint):
    expected = Expected(user_name=unique_name("nobody"), tags={"a": "b"}, login_profile=True)
    checks = verify(expected, region=SANDBOX_REGION, endpoint=moto_endpoint)
    assert checks and all(not c.ok for c in checks)
    assert "GetUser failed: NoSuchEntity" in checks[0].detail
    assert "ListUserTags failed: NoSuchEntity" in checks[1].detail


def test_unknown_profile_is_one_failed_check(moto_endpoint):
    checks = verify(Expected(user_name="x"), region=SANDBOX_REGION, endpoint=moto_endpoint, profile="no-such-profile")
    assert len(checks) == 1 and not checks[0].ok
    assert "no-such-profile" in checks[0].detail


def test_format_checklist_marks_each_line():
    text = format_checklist([Check("user exists", True, "arn:x"), Check("tags", False, "missing tag 'a'")])
    assert text == "[ok] user exists: arn:x\n[FAIL] tags: missing tag 'a'"


def test_unreachable_endpoint_fails_every_check_without_a_traceback():
    from tfiam_tui.engine.aws.sandbox import free_loopback_port

    dead = f"http://127.0.0.1:{free_loopback_port()}"
    checks = verify(Expected(user_name="x"), region=SANDBOX_REGION, endpoint=dead)
    assert checks and all(not c.ok for c in checks)
    assert "Could not connect to the endpoint URL" in checks[0].detail


def test_a_stray_access_key_is_named_with_the_command_to_remove_it(built, moto_iam, moto_endpoint):
    user = built.expected.user_name
    managed = built.key[0]
    stray = moto_iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    checks = _verify(built, moto_endpoint, check_stray_keys=True, managed_key_ids=[managed])
    failed = _failed(checks)
    assert list(failed) == ["no access keys besides the managed ones"]
    detail = failed["no access keys besides the managed ones"]
    assert stray in detail and managed not in detail
    assert f"aws iam delete-access-key --user-name {user} --access-key-id {stray}" in detail
    moto_iam.delete_access_key(UserName=user, AccessKeyId=stray)
    assert _failed(_verify(built, moto_endpoint, check_stray_keys=True, managed_key_ids=[managed])) == {}
