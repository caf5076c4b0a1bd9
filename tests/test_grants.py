"""Verification sees every grant the user has, not only the ones the answers name.

An attacker (or a hurried admin) who grants the user more by hand leaves Terraform's
plan at "No changes"; verification must still fail, name the grant, and say how to
remove it.  Each hostile case is made with boto3 against the sandbox's moto server, next
to a happy case that shows the same check passing when nothing extra is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.fixtures_moto import SANDBOX_REGION, unique_name
from tfiam_tui.engine.answers import parse
from tfiam_tui.engine.aws.expected import Check, Expected
from tfiam_tui.engine.aws.grants import IamReader, cli
from tfiam_tui.engine.aws.verify import all_ok, verify

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
EFFECTIVE = "effective permissions (linted as read from AWS)"
MEMBERSHIP = "group membership"
INLINE = "no inline policies on the user or tfiam's groups"
DIRECT = "policies attached to the user directly"
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Bob:
    """A user built in the sandbox exactly as its answers say (the way Terraform would)."""

    expected: Expected
    user: str
    group: str  # tfiam's
    existing: str  # someone else's, named in existing_groups


def _build(moto_iam, *, custom_actions: list[str]) -> Bob:
    user, group, existing = unique_name("bob"), unique_name("builders"), unique_name("staff")
    statements = [{"effect": "Allow", "actions": custom_actions, "resources": ["*"]}]
    answers = parse({
        "version": 1,
        "provider": {"region": SANDBOX_REGION},
        "user": {"name": user},
        "permissions": {
            "groups": [{"name": group, "managed_policies": [READ_ONLY],
                        "custom_policy": {"name": f"{group}-custom", "statements": statements}}],
            "existing_groups": [existing],
        },
    })
    expected = Expected.from_answers(answers)
    moto_iam.create_user(UserName=user)
    moto_iam.create_group(GroupName=group)
    moto_iam.create_group(GroupName=existing)
    arn = moto_iam.create_policy(PolicyName=f"{group}-custom", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": custom_actions, "Resource": ["*"]}))["Policy"]["Arn"]
    moto_iam.attach_group_policy(GroupName=group, PolicyArn=READ_ONLY)
    moto_iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    moto_iam.add_user_to_group(GroupName=group, UserName=user)
    moto_iam.add_user_to_group(GroupName=existing, UserName=user)
    return Bob(expected, user, group, existing)


@pytest.fixture
def bob(moto_iam) -> Bob:
    return _build(moto_iam, custom_actions=["sts:GetCallerIdentity"])


def _checks(bob: Bob, endpoint: str) -> dict[str, Check]:
    checks = verify(bob.expected, region=SANDBOX_REGION, endpoint=endpoint)
    assert len({c.name for c in checks}) == len(checks)
    return {c.name: c for c in checks}


def _failed(checks: dict[str, Check]) -> dict[str, str]:
    return {name: c.detail for name, c in checks.items() if not c.ok}


def test_nothing_extra_passes_every_check(bob, moto_endpoint):
    checks = _checks(bob, moto_endpoint)
    assert _failed(checks) == {}
    assert all_ok(checks.values())
    assert checks[MEMBERSHIP].detail == "member of " + ", ".join(sorted([bob.group, bob.existing]))
    assert checks[INLINE].detail == "none"
    assert "no error in a grant the answers did not ask for" in checks[EFFECTIVE].detail
    assert "note" not in checks[EFFECTIVE].detail


def test_an_inline_admin_policy_on_the_user_fails_named_with_its_removal(bob, moto_iam, moto_endpoint):
    moto_iam.put_user_policy(UserName=bob.user, PolicyName="backdoor", PolicyDocument=json.dumps(EVERYTHING))

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {INLINE, EFFECTIVE}
    assert "backdoor on user " + bob.user in failed[INLINE]
    assert f"aws iam delete-user-policy --user-name {bob.user} --policy-name backdoor" in failed[INLINE]
    assert f"inline policy backdoor on user {bob.user}: Statement[0].Action" in failed[EFFECTIVE]
    assert "full administrator access (TFIAM001)" in failed[EFFECTIVE]

    moto_iam.delete_user_policy(UserName=bob.user, PolicyName="backdoor")
    assert _failed(_checks(bob, moto_endpoint)) == {}


def test_membership_of_an_admin_group_not_in_the_answers_fails_with_its_removal(bob, moto_iam, moto_endpoint):
    admins = unique_name("admins")
    moto_iam.create_group(GroupName=admins)
    moto_iam.attach_group_policy(GroupName=admins, PolicyArn=ADMIN)
    moto_iam.add_user_to_group(GroupName=admins, UserName=bob.user)

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {MEMBERSHIP, EFFECTIVE}
    assert f"also a member of {admins}, which the answers do not name" in failed[MEMBERSHIP]
    assert f"aws iam remove-user-from-group --user-name {bob.user} --group-name {admins}" in failed[MEMBERSHIP]
    assert f"{ADMIN} attached to group {admins}: Statement[0].Action" in failed[EFFECTIVE]
    assert "(TFIAM001)" in failed[EFFECTIVE]

    moto_iam.remove_user_from_group(GroupName=admins, UserName=bob.user)
    assert _failed(_checks(bob, moto_endpoint)) == {}


def test_a_policy_attached_to_the_user_by_hand_fails_with_its_detach_command(bob, moto_iam, moto_endpoint):
    moto_iam.attach_user_policy(UserName=bob.user, PolicyArn=IAM_FULL)

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {DIRECT, EFFECTIVE}
    assert f"aws iam detach-user-policy --user-name {bob.user} --policy-arn {IAM_FULL}" in failed[DIRECT]
    assert f"{IAM_FULL} attached to user {bob.user}" in failed[EFFECTIVE]
    assert "'iam:*' allows every IAM action" in failed[EFFECTIVE]


def test_a_customer_policy_attached_by_hand_is_read_from_iam_and_linted(bob, moto_iam, moto_endpoint):
    arn = moto_iam.create_policy(PolicyName=unique_name("keys"), PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}))["Policy"]["Arn"]
    moto_iam.attach_user_policy(UserName=bob.user, PolicyArn=arn)

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {DIRECT, EFFECTIVE}
    assert f"{arn} attached to user {bob.user}: Statement[0].Action" in failed[EFFECTIVE]
    assert "iam:CreateAccessKey" in failed[EFFECTIVE] and "(TFIAM020)" in failed[EFFECTIVE]


def test_an_inline_policy_on_tfiams_group_fails_with_its_delete_command(bob, moto_iam, moto_endpoint):
    moto_iam.put_group_policy(GroupName=bob.group, PolicyName="more", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}))

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {INLINE, EFFECTIVE}
    assert f"aws iam delete-group-policy --group-name {bob.group} --policy-name more" in failed[INLINE]
    assert f"inline policy more on group {bob.group}: Statement[0].Action" in failed[EFFECTIVE]
    assert "(TFIAM003)" in failed[EFFECTIVE]


def test_an_extra_managed_policy_on_tfiams_group_fails_with_its_detach_command(bob, moto_iam, moto_endpoint):
    moto_iam.attach_group_policy(GroupName=bob.group, PolicyArn=ADMIN)

    failed = _failed(_checks(bob, moto_endpoint))

    group_check = f"group {bob.group} has its policies attached"
    assert set(failed) == {group_check, EFFECTIVE}
    assert f"aws iam detach-group-policy --group-name {bob.group} --policy-arn {ADMIN}" in failed[group_check]


def test_an_existing_groups_own_grants_are_reported_never_failed(bob, moto_iam, moto_endpoint):
    """The operator chose the existing group by naming it; the lint before apply could not
    read its policies, so verification reports what it finds there, without failing."""
    moto_iam.put_group_policy(GroupName=bob.existing, PolicyName="wide", PolicyDocument=json.dumps(EVERYTHING))
    moto_iam.attach_group_policy(GroupName=bob.existing, PolicyArn=IAM_FULL)

    checks = _checks(bob, moto_endpoint)

    assert _failed(checks) == {}
    detail = checks[EFFECTIVE].detail
    assert "note, in grants the answers chose by name" in detail
    assert f"inline policy wide on group {bob.existing}: Statement[0].Action" in detail
    assert f"{IAM_FULL} attached to group {bob.existing}" in detail
    assert checks[INLINE].detail == "none"  # not tfiam's group: its inline policies are not tfiam's to remove


def test_an_escalation_split_over_an_asked_and_a_hand_made_policy_fails(moto_iam, moto_endpoint):
    """The answers' custom policy lets the user run instances; iam:PassRole added by hand
    completes the escalation.  The finding sits on the hand-made grant and names the other."""
    bob = _build(moto_iam, custom_actions=["ec2:RunInstances"])
    checks = _checks(bob, moto_endpoint)
    assert _failed(checks) == {}  # alone, the answers' grant is what was asked (and linted before apply)

    moto_iam.put_user_policy(UserName=bob.user, PolicyName="pass", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {INLINE, EFFECTIVE}
    assert f"inline policy pass on user {bob.user}: Statement[0].Action" in failed[EFFECTIVE]
    assert "iam:PassRole with ec2:RunInstances" in failed[EFFECTIVE] and "(TFIAM021)" in failed[EFFECTIVE]
    assert f"-custom attached to group {bob.group}: Statement[0]" in failed[EFFECTIVE]  # where RunInstances is
    assert "\x00" not in failed[EFFECTIVE]


def test_a_deny_in_the_answers_counts_against_a_hand_made_allow(moto_iam, moto_endpoint):
    """The lint reads every policy as one: iam:PassRole denied by the answers' policy cannot
    complete an escalation, so the only failure left is the inline policy's existence."""
    bob = _build(moto_iam, custom_actions=["ec2:RunInstances"])
    moto_iam.put_group_policy(GroupName=bob.existing, PolicyName="no-pass", PolicyDocument=_doc(
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}))
    moto_iam.put_user_policy(UserName=bob.user, PolicyName="pass", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {INLINE}


def test_a_tampered_custom_policy_is_not_what_the_answers_asked(bob, moto_iam, moto_endpoint):
    arn = next(p["PolicyArn"] for p in moto_iam.list_attached_group_policies(GroupName=bob.group)["AttachedPolicies"]
               if p["PolicyName"] == f"{bob.group}-custom")
    moto_iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps(EVERYTHING))

    failed = _failed(_checks(bob, moto_endpoint))

    assert set(failed) == {f"custom policy {bob.group}-custom says exactly what was asked", EFFECTIVE}
    assert f"{arn} attached to group {bob.group}: Statement[0].Action" in failed[EFFECTIVE]


def test_aws_managed_documents_come_from_the_shipped_catalogue_without_a_call():
    class NoCalls:
        def __getattr__(self, name):
            raise AssertionError(f"IAM was called: {name}")

    doc = IamReader(NoCalls(), "bob").policy_document(ADMIN)
    assert doc["Statement"][0]["Action"] == "*"


def test_commands_are_shell_quoted():
    assert cli("aws", "iam", "delete-user-policy", "--policy-name", "a b;rm -rf ~") == (
        "aws iam delete-user-policy --policy-name 'a b;rm -rf ~'")
