"""Escalation paths as data (issue 16, items 1, 2 and 8): the table covers the published
paths, each is found and its near-misses are not, what only looks narrow does not
downgrade a finding, AWS managed policies name the paths they permit, and messages count
what they list."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.answers_data import apply_changes
from tfiam_tui.engine import answers as A
from tfiam_tui.engine import policy as L
from tfiam_tui.engine.policy import catalogue as C
from tfiam_tui.engine.policy.escalation import PATHS, PATHS_FILE, SOURCES

TODAY = dt.date(2026, 1, 15)
ESCALATING = {"TFIAM020", "TFIAM021", "TFIAM022"}
ACCOUNT = "123456789012"


def stmt(actions, resources=("*",), effect="Allow"):
    return {"effect": effect, "actions": list(actions), "resources": list(resources)}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", condition=None):
    out = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition is not None:
        out["Condition"] = condition
    return out


def by_rule(findings, rule):
    return [f for f in findings if f.rule == rule]


def escalations(findings):
    return sorted((f.rule, f.severity) for f in findings if f.rule in ESCALATING)


# --------------------------------------------------------------------------- the table


def test_the_table_names_every_action_as_the_catalogue_spells_it_and_cites_known_sources():
    cat = C.catalogue()
    raw = json.loads(PATHS_FILE.read_text())
    assert len({p["id"] for p in raw["paths"]}) == len(raw["paths"]) == len(PATHS)
    for path in PATHS:
        assert [a for a in path.actions if cat.lookup(a) is None or cat.lookup(a).name != a] == [], path.id
        assert path.sources and set(path.sources) <= set(SOURCES), path.id
        assert path.unscoped <= {a.lower() for a in path.actions}, path.id
    assert all(s["date"] and s["url"].startswith("https://") for s in SOURCES.values())


def _inside(path):
    """The ids of the paths whose actions are all among ``path``'s (itself included)."""
    mine = {a.lower() for a in path.actions}
    return {p.id for p in PATHS if {a.lower() for a in p.actions} <= mine}


@pytest.mark.parametrize("path", PATHS, ids=[p.id for p in PATHS])
def test_every_path_in_the_table_is_found_and_not_without_one_of_its_actions(path):
    found = L.lint_statements([stmt(path.actions)], field="s")
    named = {m for f in found if f.rule in ESCALATING for m in re.findall(r"\[(\w+)\]", f.message)}
    assert named & _inside(path), (path.id, [str(f) for f in found])
    for missing in path.actions if len(path.actions) > 1 else ():
        rest = [a for a in path.actions if a != missing]
        partial = L.lint_statements([stmt(rest)], field="s")
        assert f"[{path.id}]" not in " ".join(f.message for f in partial), (path.id, missing)


# Method names of cloudsplaining 0.9.1 (PRIVILEGE_ESCALATION_METHODS) and the privesc
# paths of Bishop Fox's iam-vulnerable, written down here from their sources.
_METHODS = """CreateAccessKey CreateLoginProfile UpdateLoginProfile AddUserToGroup CreateNewPolicyVersion
SetExistingDefaultPolicyVersion AttachUserPolicy AttachGroupPolicy AttachRolePolicy PutUserPolicy PutGroupPolicy
PutRolePolicy UpdateRolePolicyToAssumeIt CreateEC2WithExistingIP PassExistingRoleToNewLambdaThenInvoke
PassExistingRoleToNewLambdaThenTriggerWithNewDynamo PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo
PassExistingRoleToNewGlueDevEndpoint PassExistingRoleToCloudFormation PassExistingRoleToNewDataPipeline
UpdateExistingGlueDevEndpoint EditExistingLambdaFunctionWithRole AccessExistingBedrockCodeInterpreterSession
ExecuteCloudFormationChangeSet ModifyEC2InstanceUserDataThenRestart ModifyExistingEC2LaunchTemplate
EC2InstanceConnectSendSSHPublicKey ECSExecuteCommandOnRunningTask UpdateAndInvokeLambdaFunction
UpdateLambdaFunctionAndAddPermission CreatePresignedSageMakerNotebookUrl UpdateSageMakerNotebookLifecycleConfig
PassExistingRoleToNewAppRunnerService PassExistingRoleToNewBedrockCodeInterpreter
PassExistingRoleToNewCloudFormationStackSet PassRoleToUpdateCloudFormationStackSet
PassExistingRoleToNewCodeBuildProjectThenBuild PassExistingRoleToNewCodeBuildProjectThenBuildBatch
PassExistingRoleToNewEC2SpotInstance PassExistingRoleToNewECSClusterServiceTask PassExistingRoleToNewECSClusterRunTask
PassExistingRoleToNewECSService PassExistingRoleToNewECSTaskViaRunTask PassExistingRoleToNewECSTaskViaStartTask
PassExistingRoleToNewGlueJobThenRun PassExistingRoleToNewGlueJobViaTrigger PassExistingRoleToUpdatedGlueJobThenRun
PassExistingRoleToUpdatedGlueJobViaTrigger PassExistingRoleToNewLambdaThenAddPermission
PassExistingRoleToNewSageMakerNotebookInstance PassExistingRoleToNewSageMakerTrainingJob
PassExistingRoleToNewSageMakerProcessingJob CreateAndRotateAccessKey AttachUserPolicyThenCreateAccessKey
CreatePolicyVersionThenAssumeRole PutUserPolicyThenCreateAccessKey AttachRolePolicyThenUpdateAssumeRolePolicy
CreatePolicyVersionThenUpdateAssumeRolePolicy PutRolePolicyThenUpdateAssumeRolePolicy"""
CLOUDSPLAINING_091 = _METHODS.split()


def test_the_table_covers_cloudsplaining_091_and_cites_it():
    ids = {p.id: p for p in PATHS}
    assert [m for m in CLOUDSPLAINING_091 if m not in ids] == []
    assert [m for m in CLOUDSPLAINING_091 if "cloudsplaining" not in ids[m].sources] == []


# (iam-vulnerable's path, the actions its policy grants on '*')
IAM_VULNERABLE = [
    ("privesc-AssumeRole", ["sts:AssumeRole"]),
    ("privesc-cloudFormationUpdateStack", ["cloudformation:UpdateStack", "cloudformation:DescribeStacks"]),
    ("privesc-codeBuildCreateProjectPassRole", ["codebuild:CreateProject", "codebuild:StartBuild", "iam:PassRole"]),
    ("privesc-ec2InstanceConnect", ["ec2:DescribeInstances", "ec2-instance-connect:SendSSHPublicKey"]),
    ("privesc-sageMakerCreateNotebookPassRole", ["sagemaker:CreateNotebookInstance", "iam:PassRole"]),
    ("privesc-sageMakerCreatePresignedNotebookURL", ["sagemaker:CreatePresignedNotebookInstanceUrl"]),
    ("privesc-sageMakerCreateProcessingJob", ["sagemaker:CreateProcessingJob", "iam:PassRole"]),
    ("privesc-sageMakerCreateTrainingJob", ["sagemaker:CreateTrainingJob", "iam:PassRole"]),
    ("privesc-ssmSendCommand", ["ec2:DescribeInstances", "ssm:listCommands", "ssm:sendCommand"]),
    ("privesc-ssmStartSession", ["ec2:DescribeInstances", "ssm:StartSession", "ssm:DescribeSessions"]),
    ("privesc1-CreateNewPolicyVersion", ["iam:CreatePolicyVersion"]),
    ("privesc2-SetExistingDefaultPolicyVersion", ["iam:SetDefaultPolicyVersion"]),
    ("privesc3-CreateEC2WithExistingIP", ["iam:PassRole", "ec2:RunInstances"]),
    ("privesc4-CreateAccessKey", ["iam:CreateAccessKey"]),
    ("privesc5-CreateLoginProfile", ["iam:CreateLoginProfile"]),
    ("privesc6-UpdateLoginProfile", ["iam:UpdateLoginProfile"]),
    ("privesc7-AttachUserPolicy", ["iam:AttachUserPolicy"]),
    ("privesc8-AttachGroupPolicy", ["iam:AttachGroupPolicy"]),
    ("privesc9-AttachRolePolicy", ["iam:AttachRolePolicy", "sts:AssumeRole"]),
    ("privesc10-PutUserPolicy", ["iam:PutUserPolicy"]),
    ("privesc11-PutGroupPolicy", ["iam:PutGroupPolicy"]),
    ("privesc12-PutRolePolicy", ["iam:PutRolePolicy", "sts:AssumeRole"]),
    ("privesc13-AddUserToGroup", ["iam:AddUserToGroup"]),
    ("privesc14-UpdatingAssumeRolePolicy", ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]),
    ("privesc15-PassExistingRoleToNewLambdaThenInvoke", ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]),
    ("privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo", ["iam:PassRole", "lambda:CreateFunction",
                                                              "lambda:CreateEventSourceMapping", "dynamodb:CreateTable",
                                                              "dynamodb:PutItem"]),
    ("privesc17-EditExistingLambdaFunctionWithRole", ["lambda:UpdateFunctionCode"]),
    ("privesc18-PassExistingRoleToNewGlueDevEndpoint", ["iam:PassRole", "glue:CreateDevEndpoint", "glue:GetDevEndpoint"]),
    ("privesc19-UpdateExistingGlueDevEndpoint", ["glue:UpdateDevEndpoint", "glue:GetDevEndpoint"]),
    ("privesc20-PassExistingRoleToCloudFormation", ["iam:PassRole", "cloudformation:CreateStack"]),
    ("privesc21-PassExistingRoleToNewDataPipeline", ["iam:PassRole", "datapipeline:CreatePipeline",
                                                     "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"]),
]


@pytest.mark.parametrize("name,actions", IAM_VULNERABLE, ids=[n for n, _ in IAM_VULNERABLE])
def test_every_iam_vulnerable_path_is_an_error(name, actions):
    found = L.lint_policy_document(doc(allow(actions)))
    assert ("error" in {s for _, s in escalations(found)}), (name, [str(f) for f in found])


# --------------------------------------------------------------------------- the misses the issue lists

MISSES = [
    (["ssm:*"], "TFIAM020", "ssm:SendCommand"),
    (["ec2-instance-connect:SendSerialConsoleSSHPublicKey"], "TFIAM020", "SendSerialConsoleSSHPublicKey"),
    (["ecs:ExecuteCommand"], "TFIAM020", "ecs:ExecuteCommand"),
    (["ec2:*"], "TFIAM022", "ec2:"),
    (["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"], "TFIAM022", "user data"),
    (["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], "TFIAM022", "change set"),
    (["iam:PassRole", "codestar:CreateProject"], "TFIAM021", "codestar:CreateProject"),
    (["iam:PassRole", "ecs:RunTask"], "TFIAM021", "ecs:RunTask"),
    (["iam:PassRole", "states:CreateStateMachine", "states:StartExecution"], "TFIAM021", "Step Functions"),
    (["iam:PassRole", "ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup"], "TFIAM021", "launch template"),
    (["iam:PassRole", "lambda:UpdateFunctionConfiguration"], "TFIAM021", "lambda:UpdateFunctionConfiguration"),
    (["iam:PassRole", "codebuild:UpdateProject", "codebuild:StartBuild"], "TFIAM021", "codebuild:UpdateProject"),
    (["iam:PassRole", "scheduler:CreateSchedule"], "TFIAM021", "EventBridge Scheduler"),
    (["sts:AssumeRole"], "TFIAM020", "sts:AssumeRole"),
    (["iam:DeleteUserPermissionsBoundary"], "TFIAM020", "permissions boundary"),
    (["iam:DeleteRolePermissionsBoundary"], "TFIAM020", "permissions boundary"),
]


@pytest.mark.parametrize("actions,rule,words", MISSES, ids=["+".join(a) for a, _, _ in MISSES])
def test_the_paths_the_issue_lists_as_missed_are_errors(actions, rule, words):
    hits = by_rule(L.lint_statements([stmt(actions)], field="s"), rule)
    assert [h.severity for h in hits] == ["error"] and words in hits[0].message, [str(h) for h in hits]


@pytest.mark.parametrize("statements", [
    [stmt(["sts:AssumeRole"], [f"arn:aws:iam::{ACCOUNT}:role/deploy"])],  # one named role: the normal use
    [stmt(["sts:AssumeRole"], ["arn:aws:iam::*:role/OrganizationAccountAccessRole"])],  # one name, every account
    [stmt(["sts:AssumeRole"], [f"arn:aws:iam::{ACCOUNT}:role/deploy-*"])],
    [stmt(["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"],
          [f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"])],  # rotating its own keys
    [stmt(["ec2:ModifyInstanceAttribute", "ec2:StopInstances"])],  # no start: the user data never runs
    [stmt(["ec2:Describe*", "ssm:Describe*", "ssm:Get*", "ssm:List*"])],
    [stmt(["cloudformation:CreateChangeSet", "cloudformation:Describe*"])],
    [stmt(["states:StartExecution", "scheduler:ListSchedules", "ecs:Describe*"])],
    [stmt(["ssm:SendCommand"]), stmt(["ssm:SendCommand"], effect="Deny")],
], ids=range(9))
def test_near_misses_of_the_new_paths_are_no_escalation(statements):
    found = L.lint_statements(statements, field="s")
    assert escalations(found) == [], [str(f) for f in found]


@pytest.mark.parametrize("resource", ["*", f"arn:aws:iam::{ACCOUNT}:role/*", "arn:aws:iam::*:role/?*"])
def test_sts_assume_role_on_every_role_is_an_escalation(resource):
    hits = by_rule(L.lint_statements([stmt(["sts:AssumeRole"], [resource])], field="s"), "TFIAM020")
    assert [h.severity for h in hits] == ["error"] and "[AssumeAnyRole]" in hits[0].message


def test_a_longer_path_inside_a_shorter_one_is_named_once():
    found = L.lint_statements([stmt(["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"])], field="s")
    hit = by_rule(found, "TFIAM021")
    assert len(hit) == 1 and "with ecs:RunTask " in hit[0].message and "more such" not in hit[0].message


# --------------------------------------------------------------------------- wrongly narrowed

USER = f"arn:aws:iam::{ACCOUNT}:user"


@pytest.mark.parametrize("resource,severity", [
    (f"{USER}/${{aws:username}}", "error"),  # itself: AttachUserPolicy on itself is Rhino's path, not a narrowing
    (f"{USER}/*/${{aws:username}}", "error"),  # '*' in the name is broad, wherever it stands
    (f"{USER}/${{aws:username}}*", "error"),  # bob also reaches bob-admin
    (f"{USER}/${{aws:username}}-admin", "error"),
    (f"{USER}/team/${{aws:username}}/x", "error"),
    (f"{USER}/bo?", "error"),
    ("arn:aws:iam::12345678901?:user/bob", "error"),
    (f"{USER}/bob", "warning"),
])
def test_a_resource_narrows_an_escalation_only_to_one_principal(resource, severity):
    hit = by_rule(L.lint_statements([stmt(["iam:AttachUserPolicy"], [resource])], field="s"), "TFIAM020")
    assert [h.severity for h in hit] == [severity], resource


def test_iam_question_mark_star_is_every_iam_action():
    for pattern in ("iam:?*", "iam:*?", "IAM:??*"):
        hit = by_rule(L.lint_statements([stmt([pattern])], field="s"), "TFIAM003")
        assert [h.severity for h in hit] == ["error"], pattern
    assert by_rule(L.lint_statements([stmt(["iam:?et*"])], field="s"), "TFIAM003") == []  # Get*/Set*: not all


PASSED_TO = "iam:PassedToService"


@pytest.mark.parametrize("condition,severity", [
    (None, "error"),
    ({"StringEquals": {PASSED_TO: "lambda.amazonaws.com"}}, "error"),  # the very service the path uses
    ({"StringLike": {PASSED_TO: "lambda.*"}}, "error"),
    ({"StringEqualsIfExists": {"aws:ResourceTag/team": "ops"}}, "error"),  # absent key passes
    ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, "error"),  # in time, not in reach
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, "error"),
    ({"Bool": {"aws:SecureTransport": "true"}}, "error"),
    ({"StringEquals": {PASSED_TO: "ec2.amazonaws.com"}}, "warning"),  # another service's roles only
    ({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com", "aws:ResourceTag/team": "ops"}}, "warning"),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "warning"),
])
def test_a_condition_downgrades_a_passrole_path_only_when_it_really_narrows_it(condition, severity):
    found = L.lint_policy_document(doc(allow("iam:PassRole", condition=condition),
                                       allow(["lambda:CreateFunction", "lambda:InvokeFunction"])))
    assert [f.severity for f in by_rule(found, "TFIAM021")] == [severity], [str(f) for f in found]


@pytest.mark.parametrize("condition,severity", [
    ({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}, "error"),
    ({"DateLessThan": {"aws:EpochTime": 4102444800}}, "error"),  # until 2100: holds now
    ({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, "error"),  # iam-vulnerable fn3
    ({"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, "warning"),  # fp5: never holds now
    ({"StringLike": {"aws:username": "*"}}, "error"),
    ({"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}, "warning"),
])
def test_a_condition_downgrades_a_one_action_path_and_admin_only_when_it_narrows(condition, severity):
    found = L.lint_policy_document(doc(allow("lambda:UpdateFunctionCode", condition=condition)))
    assert [f.severity for f in by_rule(found, "TFIAM020")] == [severity]
    admin = L.lint_policy_document(doc(allow("*", condition=condition)))
    assert ("TFIAM001" in {f.rule for f in admin}) is (severity == "error")


# --------------------------------------------------------------------------- AWS managed policies


def answers(*managed, statements=None):
    data = {
        "version": 1, "provider": {"region": "eu-central-1"},
        "user": {"name": "svc", "tags": {"Owner": "t", "Purpose": "p", "Expiry": "2027-01-01"},
                 "permissions_boundary": f"arn:aws:iam::{ACCOUNT}:policy/Boundary"},
        "permissions": {"groups": [{"name": "g", "managed_policies": [f"arn:aws:iam::aws:policy/{m}" for m in managed],
                                    "custom_policy": {"name": "p", "statements": statements or [
                                        stmt(["s3:GetObject"], ["arn:aws:s3:::bucket/*"])]}}]},
        "authentication": {"access_key": True, "pgp_key": "op@example.com"},
    }
    apply_changes(data, {})
    return L.lint(A.parse(data), today=TODAY)


@pytest.mark.parametrize("policy,rule,words", [
    ("PowerUserAccess", "TFIAM020", "lambda:UpdateFunctionCode"),
    ("AmazonSSMFullAccess", "TFIAM020", "ssm:SendCommand"),
    ("AWSLambda_FullAccess", "TFIAM020", "iam:PassRole with lambda:CreateFunction"),  # PassedToService: lambda's own
    # read from its bundled document now: its IAM actions on '*' (called via CloudFormation) come first
    ("AdministratorAccess-Amplify", "TFIAM020", "iam:CreatePolicyVersion"),
    ("AdministratorAccess-AWSElasticBeanstalk", "TFIAM020", "ec2:RunInstances"),
])
def test_managed_policies_name_the_paths_they_permit_as_warnings(policy, rule, words):
    found = answers(policy)
    hits = by_rule(found, rule)
    assert [(h.severity, h.field) for h in hits] == [("warning", "permissions.groups[0].managed_policies[0]")], \
        [str(f) for f in found]
    assert words in hits[0].message and policy in hits[0].message
    assert not {f.rule for f in found if f.severity == "error"} & ESCALATING


def test_read_only_managed_policies_and_a_deny_get_no_escalation():
    assert escalations(answers("ReadOnlyAccess", "job-function/ViewOnlyAccess", "AmazonSSMReadOnlyAccess",
                               "IAMUserChangePassword")) == []
    denied = answers("AmazonSSMFullAccess", statements=[stmt(["s3:GetObject"], ["arn:aws:s3:::bucket/*"]),
                                                        stmt(["ssm:*"], effect="Deny")])
    assert escalations(denied) == []


# --------------------------------------------------------------------------- messages count what they list


def test_tfiam011_counts_the_actions_it_lists():
    found = L.lint_statements([stmt(["s3:PutObject", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket",
                                     "dynamodb:GetItem", "logs:GetLogEvents", "s3:GetObjectTagging"])], field="s")
    hit = by_rule(found, "TFIAM011")[0]
    assert "on 2 write action(s)" in hit.message and "s3:DeleteObject, s3:PutObject" in hit.message
    assert "(and 5 other action(s))" in hit.message
    reads = by_rule(L.lint_statements([stmt(["logs:GetLogEvents", "s3:ListBucket"])], field="s"), "TFIAM011")[0]
    assert "on 2 action(s)" in reads.message and "other" not in reads.message


def test_a_non_string_action_element_is_named_and_the_rest_still_read():
    found = L.lint_policy_document(doc(allow(["iam:PutUserPolicy", 5], "*")), field="d")
    assert [(f.field, "5 is not a string" in f.message) for f in by_rule(found, "TFIAM043")] == \
        [("d.Statement[0].Action[1]", True)]
    assert not any("neither Action nor NotAction" in f.message for f in found)
    assert by_rule(found, "TFIAM020")  # the string beside it is still an escalation
    empty = L.lint_policy_document(doc({"Effect": "Allow", "Resource": "*"}), field="d")
    assert any("neither Action nor NotAction" in f.message for f in empty)
