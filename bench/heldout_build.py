"""Write the held-out labelled corpus, ``bench/heldout_corpus/*.json`` (a maintainer's tool).

The corpus is for measuring how the linter generalizes: none of its documents is in
``tests/lint_corpus``, and no test reads it, so a rule is never fitted to it.  Its
entries are written here by hand from the public sources each one names (the paths of
Datadog's pathfinding.cloud at commit 84dd65c of 2025-12-17, Bishop Fox iam-vulnerable,
Rhino Security Labs' 2018 list, cloudsplaining 0.9.1, parliament's documentation, AWS's
IAM User Guide), in other spellings than the tests' copy (case, wildcards, ``?``, split
over statements or policies, conditions that do or do not narrow); the AWS managed
policies among them are copied from moto's copy of AWS's documents (moto 5.2.5), which
is why this is a script and not only the JSON it writes.  The label is what the source
says the document is, never what tfiam reports.

The first batch is below; the second (``b2/...``, ``heldout_batch2.json``) was written
after the linter was fixed on the first, to measure it again on documents no fix had seen.

    .venv/bin/python -m bench.heldout_build          # needs moto (a dev dependency)
    .venv/bin/python -m bench.lint_labelled bench/heldout_corpus
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "heldout_corpus"
V = "2012-10-17"
ACCT = "123456789012"
PF = "Datadog pathfinding.cloud (data/paths, 2025-12-17)"
BF = "Bishop Fox iam-vulnerable"
RH = "Rhino Security Labs, AWS IAM privilege escalation methods (2018)"
CS = "cloudsplaining 0.9.1 privilege escalation methods"
PA = "parliament documentation and test policies"
AD = "AWS IAM User Guide (policy grammar, condition operators, examples)"
MOTO = "AWS managed policy {} (moto 5.2.5's copy of AWS's document)"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    key = "NotAction" if extra.pop("not_action", False) else "Action"
    return {"Effect": "Allow", key: action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def e(name: str, source: str, document: Any = None, documents: list[Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "source": source}
    if documents is not None:
        out["documents"] = documents
    else:
        out["document"] = document
    return out


def role(name: str = "*") -> str:
    return f"arn:aws:iam::{ACCT}:role/{name}"


def escalation() -> list[dict[str, Any]]:
    pr = "iam:PassRole"
    return [
        # pathfinding.cloud paths, one each, spelt otherwise than tests/lint_corpus
        e("pathfinding/apprunner-002-UpdateService", PF,
          doc(allow(["apprunner:UpdateService", "apprunner:ListServices", "apprunner:DescribeService"]))),
        e("pathfinding/codebuild-002-StartBuild-existing-project", PF,
          doc(allow(["codebuild:StartBuild", "codebuild:ListProjects", "codebuild:BatchGetProjects"]))),
        e("pathfinding/codebuild-003-StartBuildBatch-existing-project", PF,
          doc(allow(["codebuild:StartBuildBatch", "codebuild:ListProjects"]))),
        e("pathfinding/datapipeline-001-four-actions", PF,
          doc(allow([pr, "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
                     "datapipeline:ActivatePipeline"]))),
        e("pathfinding/ecs-004-RegisterTaskDefinition-RunTask-account-roles", PF,
          doc(allow(pr, role()), allow(["ecs:RegisterTaskDefinition", "ecs:RunTask"]))),
        e("pathfinding/ecs-005-StartTask", PF, doc(allow([pr, "ecs:RegisterTaskDefinition", "ecs:StartTask"]))),
        e("pathfinding/ecs-003-CreateService", PF,
          doc(allow([pr, "ecs:RegisterTaskDefinition", "ecs:CreateService", "ecs:DescribeServices"]))),
        e("pathfinding/glue-003-CreateJob-StartJobRun-pass-wildcard", PF,
          doc(allow(["iam:Pass*", "glue:CreateJob", "glue:StartJobRun"]))),
        e("pathfinding/glue-004-CreateJob-CreateTrigger", PF, doc(allow([pr, "glue:CreateJob", "glue:CreateTrigger"]))),
        e("pathfinding/glue-005-UpdateJob-StartJobRun", PF, doc(allow([pr, "glue:UpdateJob", "glue:StartJobRun"]))),
        e("pathfinding/lambda-006-CreateFunction-AddPermission", PF,
          doc(allow([pr, "lambda:CreateFunction", "lambda:AddPermission"]))),
        e("pathfinding/lambda-005-UpdateFunctionCode-AddPermission-any-function", PF,
          doc(allow(["lambda:UpdateFunctionCode", "lambda:AddPermission"], "arn:aws:lambda:*:*:function:*"))),
        e("pathfinding/lambda-002-CreateEventSourceMapping-existing-table", PF,
          doc(allow([pr, "lambda:CreateFunction", "lambda:CreateEventSourceMapping", "dynamodb:DescribeStreams"]))),
        e("pathfinding/cloudformation-004-UpdateStackSet", PF, doc(allow([pr, "cloudformation:UpdateStackSet"]))),
        e("pathfinding/cloudformation-005-change-set-wildcard", PF, doc(allow("cloudformation:*ChangeSet"))),
        e("pathfinding/sagemaker-005-lifecycle-config-wildcard", PF,
          doc(allow(["sagemaker:*NotebookInstance*"]))),
        e("pathfinding/bedrock-002-code-interpreter-wildcard", PF,
          doc(allow("bedrock-agentcore:*CodeInterpreter*"))),
        e("pathfinding/ec2-004-launch-template-wildcard", PF, doc(allow("ec2:*LaunchTemplate*"))),
        e("pathfinding/ec2-002-user-data-st-wildcard", PF,
          doc(allow(["ec2:ModifyInstanceAttribute", "ec2:St*Instances"]))),
        e("pathfinding/ec2instanceconnect-003-send-wildcard", PF, doc(allow("ec2-instance-connect:Send*"))),
        e("pathfinding/sts-001-AssumeRole-every-role-of-every-account", PF,
          doc(allow("sts:AssumeRole", "arn:aws:iam::*:role/*"))),
        e("pathfinding/iam-003-rotate-keys-every-user", PF,
          doc(allow(["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"], f"arn:aws:iam::{ACCT}:user/*"))),
        e("pathfinding/iam-014-AttachRolePolicy-AssumeRole", PF,
          doc(allow("iam:AttachRolePolicy", role()), allow("sts:AssumeRole", role()))),
        e("pathfinding/iam-015-AttachUserPolicy-CreateAccessKey", PF,
          doc(allow(["iam:AttachUserPolicy", "iam:CreateAccessKey"], f"arn:aws:iam::{ACCT}:user/*"))),
        e("pathfinding/iam-016-CreatePolicyVersion-AssumeRole", PF,
          doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCT}:policy/*"), allow("sts:AssumeRole"))),
        e("pathfinding/iam-018-PutUserPolicy-CreateAccessKey", PF,
          doc(allow(["iam:PutUserPolicy", "iam:CreateAccessKey"]))),
        e("pathfinding/iam-019-AttachRolePolicy-UpdateAssumeRolePolicy", PF,
          doc(allow(["iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"], role()))),
        e("pathfinding/iam-020-CreatePolicyVersion-UpdateAssumeRolePolicy", PF,
          doc(allow(["iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy"]))),
        e("pathfinding/iam-021-PutRolePolicy-UpdateAssumeRolePolicy", PF,
          doc(allow(["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"], role()))),
        e("pathfinding/ssm-001-start-wildcard-any-instance", PF, doc(allow("ssm:Start*", "arn:aws:ec2:*:*:instance/*"))),
        e("pathfinding/ssm-002-SendCommand-instances-and-documents", PF,
          doc(allow("ssm:SendCommand", ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:document/*"]))),
        e("pathfinding/sagemaker-004-presigned-wildcard", PF, doc(allow("sagemaker:CreatePresigned*"))),
        e("pathfinding/apprunner-001-create-wildcard", PF, doc(allow([pr, "apprunner:Create*"]))),
        e("pathfinding/codebuild-004-CreateProject-StartBuildBatch", PF,
          doc(allow(pr, role()), allow(["codebuild:CreateProject", "codebuild:StartBuildBatch"]))),
        e("aws-docs/states-UpdateStateMachine-StartExecution", AD,
          doc(allow([pr, "states:UpdateStateMachine", "states:StartExecution"]))),
        e("aws-docs/scheduler-UpdateSchedule", AD, doc(allow([pr, "scheduler:UpdateSchedule", "scheduler:GetSchedule"]))),
        e("aws-docs/autoscaling-launch-configuration", AD,
          doc(allow([pr, "autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"]))),
        e("aws-docs/lambda-update-and-invoke-mixed-case", AD,
          doc(allow(["Lambda:updatefunctioncode", "LAMBDA:InvokeFunction"]))),
        # Rhino Security Labs' methods (iam-vulnerable's privesc1-21) in other spellings
        e("rhino/CreatePolicyVersion-customer-policies", RH,
          doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCT}:policy/*"))),
        e("rhino/SetDefaultPolicyVersion-wildcard", RH, doc(allow("iam:SetDefault*"))),
        e("rhino/CreateAccessKey-wildcard", RH, doc(allow("iam:*AccessKey*"))),
        e("rhino/LoginProfile-wildcard", RH, doc(allow("iam:*LoginProfile"))),
        e("rhino/Attach-policy-wildcard", RH, doc(allow("iam:Attach*Policy"))),
        e("rhino/Put-policy-wildcard", RH, doc(allow("iam:Put*Policy"))),
        e("rhino/AddUserToGroup-every-group", RH, doc(allow("iam:AddUser*", f"arn:aws:iam::{ACCT}:group/*"))),
        e("rhino/UpdateAssumeRolePolicy-wildcards", RH, doc(allow(["iam:UpdateAssume*", "sts:Assume*"]))),
        e("rhino/PassRole-RunInstances-wildcard", RH, doc(allow([pr, "ec2:Run*"]))),
        e("rhino/PassRole-lambda-wildcards", RH, doc(allow([pr, "lambda:Create*", "lambda:Invoke*"]))),
        e("rhino/UpdateDevEndpoint-wildcard", RH, doc(allow("glue:Update*Endpoint"))),
        e("rhino/PassRole-cloudformation-create-wildcard", RH, doc(allow([pr, "cloudformation:Create*"]))),
        e("rhino/PassRole-question-mark-datapipeline-star", RH, doc(allow(["iam:P?ssRole", "datapipeline:*"]))),
        # what iam-vulnerable's tool-testing cases show tools get wrong, in new shapes
        e("iam-vulnerable/deny-of-another-action-leaves-the-path", BF,
          doc(allow("iam:AttachUserPolicy"), deny("iam:AttachRolePolicy"))),
        e("iam-vulnerable/conditional-deny-leaves-the-path", BF,
          doc(allow("iam:PutUserPolicy"),
              deny("iam:PutUserPolicy", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))),
        e("iam-vulnerable/ifexists-resource-tag-condition", BF,
          doc(allow("iam:CreateAccessKey", Condition={"StringLikeIfExists": {"aws:ResourceTag/team": "ops"}}))),
        e("iam-vulnerable/always-true-date-condition", BF,
          doc(allow("iam:PutGroupPolicy", Condition={"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}))),
        e("iam-vulnerable/any-ip-condition", BF,
          doc(allow([pr, "ec2:RunInstances"], Condition={"IpAddress": {"aws:SourceIp": ["0.0.0.0/0", "::/0"]}}))),
        e("iam-vulnerable/passedtoservice-is-the-path-service", BF,
          doc(allow(pr, Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
              allow("ec2:RunInstances"))),
        e("iam-vulnerable/passedtoservice-list-includes-glue", BF,
          doc(allow(pr, Condition={"StringEquals": {"iam:PassedToService": ["glue.amazonaws.com",
                                                                             "lambda.amazonaws.com"]}}),
              allow("glue:CreateDevEndpoint"))),
        e("iam-vulnerable/question-marks-are-any-user", BF,
          doc(allow("iam:CreateLoginProfile", f"arn:aws:iam::{ACCT}:user/????"))),
        e("iam-vulnerable/username-not-the-whole-segment", BF,
          doc(allow("iam:PutUserPolicy", f"arn:aws:iam::{ACCT}:user/*${{aws:username}}"))),
        e("iam-vulnerable/passrole-and-runtask-in-two-policies", BF,
          documents=[doc(allow(pr, role())), doc(allow(["ecs:RunTask", "ecs:DescribeTasks"]))]),
        e("iam-vulnerable/policy-version-and-assume-in-two-policies", BF,
          documents=[doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCT}:policy/*")),
                     doc(allow("sts:AssumeRole", role()))]),
        e("iam-vulnerable/scoped-and-unscoped-statements", BF,
          doc(allow("iam:AttachGroupPolicy", f"arn:aws:iam::{ACCT}:group/readers"), allow("iam:AttachGroupPolicy"))),
        e("cloudsplaining/UpdateStack-every-stack-of-the-account", CS,
          doc(allow("cloudformation:UpdateStack", f"arn:aws:cloudformation:*:{ACCT}:stack/*"))),
        e("cloudsplaining/ExecuteCommand-every-task", CS,
          doc(allow("ecs:ExecuteCommand", f"arn:aws:ecs:eu-west-1:{ACCT}:task/*"))),
        e("cloudsplaining/ssm-star-in-a-list", CS, doc(allow(["ssm:*", "ec2:DescribeInstances"], ["*"]))),
        # AWS managed documents that permit a path (as a custom copy, they are the user's own grant)
        *[e(f"managed/{name}", MOTO.format(name), _managed(name)) for name in (
            "AmazonEC2FullAccess", "AmazonSSMFullAccess", "AWSLambda_FullAccess", "AWSCodeBuildAdminAccess",
            "AmazonSageMakerFullAccess", "AWSCloudFormationFullAccess", "AmazonECS_FullAccess",
            "AWSGlueConsoleFullAccess", "SystemAdministrator", "DataScientist")],
    ]


def admin() -> list[dict[str, Any]]:
    iam = f"arn:aws:iam::{ACCT}"
    return [
        e("admin/star-in-a-one-item-list", PA, doc(allow(["*"], ["*"]))),
        e("admin/question-star", PA, doc(allow("?*"))),
        e("admin/star-colon-question-star", PA, doc(allow("*:?*"))),
        e("admin/iam-star-on-every-iam-arn", PA, doc(allow("iam:*", "arn:aws:iam::*:*"))),
        e("admin/iam-star-on-the-account", PA, doc(allow("iam:*", [f"{iam}:*"]))),
        e("admin/iam-mixed-case", AD, doc(allow("Iam:*"))),
        e("admin/iam-star-deny-reads-only", PA, doc(allow("iam:*"), deny(["iam:Get*", "iam:List*"]))),
        e("admin/star-deny-s3", PA, doc(allow("*"), deny("s3:*"))),
        e("admin/notaction-one-read", PA, doc(allow("iam:GetUser", not_action=True))),
        e("admin/notaction-two-services", PA, doc(allow(["s3:*", "ec2:*"], not_action=True))),
        e("admin/star-principalarn-any", AD,
          doc(allow("*", Condition={"StringLike": {"aws:PrincipalArn": "*"}}))),
        e("admin/star-mfa-present", AD, doc(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
        e("admin/star-sid-single-statement", AD,
          {"Version": V, "Statement": {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}}),
        e("admin/s3-and-iam-star", PA, doc(allow(["s3:*", "iam:*"]))),
        e("admin/iam-star-in-one-of-two-policies", PA,
          documents=[doc(allow("iam:*")), doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"))]),
        e("admin/star-deny-notaction-iam", PA, doc(allow("*"), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})),
        e("admin/iam-star-ifexists-region", PA,
          doc(allow("iam:*", Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}))),
        e("admin/iam-star-date-past", PA,
          doc(allow("iam:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}}))),
        e("admin/star-star-star", PA, doc(allow("***"))),
        e("admin/iam-star-question", PA, doc(allow("iam:*?"))),
        e("admin/star-every-arn", PA, doc(allow("*", "arn:*"))),
        e("admin/star-three-statements", PA,
          doc(allow("s3:ListAllMyBuckets"), allow("ec2:Describe*"), allow("*"))),
        e("admin/iam-star-notresource", PA, doc({"Effect": "Allow", "Action": "iam:*",
                                                 "NotResource": f"{iam}:user/root-break-glass"})),
        e("admin/star-version-missing-list", PA, {"Statement": [allow("*")]}),
    ]


def unknown() -> list[dict[str, Any]]:
    def one(name: str, action: str) -> dict[str, Any]:
        return e(f"unknown/{name}", PA, doc(allow(action)))
    return [
        one("s3-listbuckets-api-name", "s3:ListBuckets"),
        one("ec2-describe-instances-status", "ec2:DescribeInstancesStatus"),
        one("iam-getusers", "iam:GetUsers"),
        one("lambda-invokefunctions", "lambda:InvokeFunctions"),
        one("dynamodb-batchgetitems", "dynamodb:BatchGetItems"),
        one("kms-generatedatakeys", "kms:GenerateDataKeys"),
        one("logs-putlogevent", "logs:PutLogEvent"),
        one("sqs-recieve", "sqs:RecieveMessage"),
        one("ssm-getparameterbypath", "ssm:GetParameterByPath"),
        one("ecr-getauthtoken", "ecr:GetAuthToken"),
        one("cloudtrail-lookupevent", "cloudtrail:LookupEvent"),
        one("s4-prefix", "s4:GetObject"),
        one("ec2-wildcard-matching-nothing", "ec2:Describe*Instancez"),
        one("sts-getcalleridentify", "sts:GetCallerIdentify"),
    ]


def mismatch() -> list[dict[str, Any]]:
    r = f"eu-west-1:{ACCT}"

    def one(name: str, action: str, resource: str) -> dict[str, Any]:
        return e(f"mismatch/{name}", PA, doc(allow(action, resource)))
    return [
        one("putobject-on-bucket", "s3:PutObject", "arn:aws:s3:::uploads"),
        one("getbucketpolicy-on-objects", "s3:GetBucketPolicy", "arn:aws:s3:::uploads/*"),
        one("deletebucket-on-objects", "s3:DeleteBucket", "arn:aws:s3:::uploads/*"),
        one("kms-creategrant-on-alias", "kms:CreateGrant", f"arn:aws:kms:{r}:alias/app"),
        one("invoke-on-layer", "lambda:InvokeFunction", f"arn:aws:lambda:{r}:layer:common"),
        one("sqs-receive-on-bucket", "sqs:ReceiveMessage", "arn:aws:s3:::queue"),
        one("passrole-on-user", "iam:PassRole", f"arn:aws:iam::{ACCT}:user/bob"),
        one("createloginprofile-on-group", "iam:CreateLoginProfile", f"arn:aws:iam::{ACCT}:group/devs"),
        one("secret-on-kms-key", "secretsmanager:GetSecretValue", f"arn:aws:kms:{r}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        one("startinstances-on-security-group", "ec2:StartInstances", f"arn:aws:ec2:{r}:security-group/sg-0123"),
        one("sns-subscribe-on-queue", "sns:Subscribe", f"arn:aws:sqs:{r}:jobs"),
        one("createlogstream-on-bucket", "logs:CreateLogStream", "arn:aws:s3:::logs"),
        one("states-startexecution-on-function", "states:StartExecution", f"arn:aws:lambda:{r}:function:run"),
        one("dynamodb-getitem-on-queue", "dynamodb:GetItem", f"arn:aws:sqs:{r}:table"),
    ]


def malformed() -> list[dict[str, Any]]:
    ok = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}

    def st(**change: Any) -> dict[str, Any]:
        out = {**ok, **change}
        return {k: v for k, v in out.items() if v is not None}

    def cond(condition: Any) -> dict[str, Any]:
        return doc(st(Condition=condition))
    return [
        e("malformed/version-number", AD, {"Version": 20121017, "Statement": [ok]}),
        e("malformed/version-2008-10-18", AD, {"Version": "2008-10-18", "Statement": [ok]}),
        e("malformed/effect-upper-case", AD, doc(st(Effect="ALLOW"))),
        e("malformed/effect-permit", AD, doc(st(Effect="Permit"))),
        e("malformed/effect-list", AD, doc(st(Effect=["Allow"]))),
        e("malformed/actions-key", PA, doc({"Effect": "Allow", "Actions": "s3:GetObject",
                                            "Resource": "arn:aws:s3:::reports/*"})),
        e("malformed/resource-empty-list", PA, doc(st(Resource=[]))),
        e("malformed/action-empty-list", PA, doc(st(Action=[]))),
        e("malformed/statement-empty-object", PA, {"Version": V, "Statement": {}}),
        e("malformed/condition-operator-value-string", PA, cond({"StringEquals": "aws:SecureTransport"})),
        e("malformed/condition-operator-typo", PA, cond({"StringNotEqual": {"aws:PrincipalTag/team": "ops"}})),
        e("malformed/condition-unknown-global-key", PA, cond({"StringEquals": {"aws:SourceVpcId": "vpc-0123"}})),
        e("malformed/condition-bool-yes", AD, cond({"Bool": {"aws:SecureTransport": "yes"}})),
        e("malformed/condition-numeric-not-a-number", AD, cond({"NumericLessThan": {"aws:MultiFactorAuthAge": "an hour"}})),
        e("malformed/condition-date-yesterday", AD, cond({"DateGreaterThan": {"aws:CurrentTime": "yesterday"}})),
        e("malformed/condition-ip-octet-300", AD, cond({"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}})),
        e("malformed/principal-aws-star", PA, doc(st(Principal={"AWS": "*"}))),
        e("malformed/sid-with-hyphen", AD, doc(st(Sid="read-reports"))),
        e("malformed/statement-key-typo", PA, {"Version": V, "Statment": [ok]}),
        e("malformed/statement-element-typo", PA, doc({"Effect": "Allow", "Actoin": "s3:GetObject",
                                                       "Resource": "arn:aws:s3:::reports/*"})),
        e("malformed/resource-number", PA, doc(st(Resource=5))),
        e("malformed/resource-not-an-arn", AD, doc(st(Resource="reports-bucket"))),
    ]


READ_ONLY_MANAGED = (
    "ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit", "Billing", "NetworkAdministrator", "SupportUser",
    "AmazonS3ReadOnlyAccess", "AmazonEC2ReadOnlyAccess", "IAMReadOnlyAccess", "AWSCloudTrail_ReadOnlyAccess",
    "CloudWatchReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess", "AWSLambda_ReadOnlyAccess", "AmazonSSMReadOnlyAccess",
    "AWSCodeBuildReadOnlyAccess", "AmazonRDSReadOnlyAccess", "AWSBillingReadOnlyAccess", "AWSSupportAccess",
    "AmazonVPCReadOnlyAccess", "AmazonSQSReadOnlyAccess", "AmazonSNSReadOnlyAccess", "AWSCloudFormationReadOnlyAccess",
    "AWSCodeCommitReadOnly", "AmazonKinesisReadOnlyAccess", "AmazonRoute53ReadOnlyAccess",
    "AWSSecurityHubReadOnlyAccess", "AmazonGuardDutyReadOnlyAccess", "AWSOrganizationsReadOnlyAccess",
    "AWSXrayReadOnlyAccess", "AmazonElastiCacheReadOnlyAccess", "AWSStepFunctionsReadOnlyAccess",
    "IAMUserChangePassword", "AmazonEC2ContainerRegistryReadOnly", "AmazonInspector2ReadOnlyAccess",
    "IAMAccessAnalyzerReadOnlyAccess", "AWSConfigUserAccess", "AWSHealthFullAccess",
    "CloudWatchApplicationSignalsReadOnlyAccess",
)


def harmless() -> list[dict[str, Any]]:
    r = f"eu-west-1:{ACCT}"
    own = f"arn:aws:iam::{ACCT}:user/${{aws:username}}"
    return [
        *[e(f"managed/{name}", MOTO.format(name), _managed(name)) for name in READ_ONLY_MANAGED],
        e("aws-docs/s3-prefix-per-user", AD,
          doc(allow("s3:ListBucket", "arn:aws:s3:::team", Condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}),
              allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::team/home/${aws:username}/*"))),
        e("aws-docs/own-ssh-keys", AD,
          doc(allow(["iam:UploadSSHPublicKey", "iam:ListSSHPublicKeys", "iam:DeleteSSHPublicKey"], own))),
        e("aws-docs/own-login-profile", AD,
          doc(allow(["iam:GetLoginProfile", "iam:UpdateLoginProfile"], own))),
        e("aws-docs/passrole-to-lambda-one-role", AD,
          doc(allow("iam:PassRole", role("lambda-basic"),
                    Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
              allow(["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"], f"arn:aws:lambda:{r}:function:app-*"))),
        e("aws-docs/ec2-start-stop-by-tag", AD,
          doc(allow(["ec2:StartInstances", "ec2:StopInstances"], f"arn:aws:ec2:{r}:instance/*",
                    Condition={"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}}))),
        e("aws-docs/dynamodb-leading-keys", AD,
          doc(allow(["dynamodb:GetItem", "dynamodb:PutItem"], f"arn:aws:dynamodb:{r}:table/sessions",
                    Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}}))),
        e("aws-docs/kms-via-s3", AD,
          doc(allow(["kms:Decrypt", "kms:GenerateDataKey"], f"arn:aws:kms:{r}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    Condition={"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}))),
        e("aws-docs/secrets-by-tag", AD,
          doc(allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{r}:secret:*",
                    Condition={"StringEquals": {"secretsmanager:ResourceTag/app": "web"}}))),
        e("aws-docs/ssm-session-own-tag", AD,
          doc(allow("ssm:StartSession", f"arn:aws:ec2:{r}:instance/*",
                    Condition={"StringLike": {"ssm:resourceTag/Owner": "${aws:username}"}}),
              allow(["ssm:TerminateSession", "ssm:ResumeSession"], "arn:aws:ssm:*:*:session/${aws:username}-*"))),
        e("aws-docs/deny-outside-regions", AD,
          doc(allow(["ec2:Describe*"]), {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})),
        e("aws-docs/mfa-self-service", AD,
          doc(allow(["iam:CreateVirtualMFADevice"], f"arn:aws:iam::{ACCT}:mfa/*"),
              allow(["iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"], own),
              allow("iam:ListVirtualMFADevices"))),
        e("aws-docs/cloudwatch-logs-read-one-group", AD,
          doc(allow(["logs:GetLogEvents", "logs:FilterLogEvents"], f"arn:aws:logs:{r}:log-group:/app/*:*"))),
        e("aws-docs/codebuild-start-one-project", AD,
          doc(allow(["codebuild:StartBuild", "codebuild:BatchGetBuilds"], f"arn:aws:codebuild:{r}:project/web"))),
        e("aws-docs/cloudformation-update-one-stack", AD,
          doc(allow(["cloudformation:UpdateStack", "cloudformation:DescribeStacks"],
                    f"arn:aws:cloudformation:{r}:stack/web/*"))),
        e("iam-vulnerable/fp3-variant-allow-then-deny-the-same-action", BF,
          doc(allow("iam:CreatePolicyVersion"), deny("iam:CreatePolicyVersion"))),
        e("iam-vulnerable/passrole-path-split-with-deny-policy", BF,
          documents=[doc(allow(["iam:PassRole", "ec2:RunInstances"])), doc(deny("iam:PassRole"))]),
        e("parliament/deny-star-with-condition", PA,
          doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"),
              deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}))),
    ]


def _managed(name: str) -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data)[name]["Document"])


BATCH2 = Path(__file__).resolve().parent / "heldout_batch2.json"


def batch2() -> dict[str, list[dict[str, Any]]]:
    """The second batch (names ``b2/...``), written after the linter was fixed on the first
    and measured before any fix: hand-written entries in ``heldout_batch2.json``, plus the
    read-only AWS managed policies it names (``managed_read_only``), copied from moto."""
    raw = json.loads(BATCH2.read_text(encoding="utf-8"))
    names = raw.pop("managed_read_only")
    raw["harmless"] += [e(f"b2/managed/{name}", MOTO.format(name), _managed(name)) for name in names]
    return dict(raw)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    second = batch2()
    for category, entries in {"escalation": escalation(), "admin": admin(), "unknown_action": unknown(),
                              "resource_mismatch": mismatch(), "malformed": malformed(),
                              "harmless": harmless()}.items():
        entries = entries + second[category]
        text = "[\n" + ",\n".join("  " + json.dumps(x, sort_keys=False) for x in entries) + "\n]\n"
        (OUT / f"{category}.json").write_text(text, encoding="utf-8")
        print(f"{category}: {len(entries)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
