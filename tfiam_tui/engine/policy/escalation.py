"""What makes a set of IAM actions dangerous: privilege-escalation actions, the
``iam:PassRole`` combinations that run code as a more privileged role, and the reads that
exfiltrate data.  Data here, the checks that use it in :mod:`.checks`.
"""

from __future__ import annotations

# Rhino Security Labs' methods (as cloudsplaining and parliament encode them) that need one action.
ESCALATION_ACTIONS: dict[str, str] = {
    "iam:CreatePolicyVersion": "write a new default version of a policy attached to it, with any permissions",
    "iam:SetDefaultPolicyVersion": "switch a policy to an older, broader version",
    "iam:CreateAccessKey": "create an access key for another user and act as that user",
    "iam:CreateLoginProfile": "give another user a console password and sign in as them",
    "iam:UpdateLoginProfile": "reset another user's console password and sign in as them",
    "iam:AddUserToGroup": "add itself to a more privileged group",
    "iam:AttachUserPolicy": "attach AdministratorAccess to itself",
    "iam:AttachGroupPolicy": "attach AdministratorAccess to its own group",
    "iam:AttachRolePolicy": "attach AdministratorAccess to a role it can assume",
    "iam:PutUserPolicy": "write an inline administrator policy on itself",
    "iam:PutGroupPolicy": "write an inline administrator policy on its own group",
    "iam:PutRolePolicy": "write an inline administrator policy on a role it can assume",
    "iam:UpdateAssumeRolePolicy": "make a privileged role trust it, then assume that role",
    "glue:UpdateDevEndpoint": "put its SSH key on a Glue endpoint that runs with a privileged role",
    "lambda:UpdateFunctionCode": "run its own code in a Lambda function that has a privileged role",
}


# Acting on one's own user (``user/${aws:username}``) with these is self-service, not escalation.
_SELF_SERVICE = {"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile"}


# iam:PassRole plus any one of these lets the user run code as a role it passes.
PASSROLE_COMBOS: list[tuple[tuple[str, ...], str]] = [
    (("ec2:RunInstances",), "start an EC2 instance with a privileged instance profile"),
    (("ec2:RequestSpotInstances",), "start a spot instance with a privileged instance profile"),
    (("lambda:CreateFunction", "lambda:InvokeFunction"), "create a Lambda function with a privileged role and invoke it"),
    (("lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
     "create a Lambda function with a privileged role and trigger it from an event source"),
    (("lambda:CreateFunction", "lambda:AddPermission"),
     "create a Lambda function with a privileged role and let itself invoke it"),
    (("glue:CreateDevEndpoint",), "create a Glue development endpoint with a privileged role"),
    (("glue:CreateJob", "glue:StartJobRun"), "create and run a Glue job with a privileged role"),
    (("glue:CreateJob", "glue:CreateTrigger"), "create a Glue job with a privileged role and trigger it"),
    (("glue:UpdateJob", "glue:StartJobRun"), "give a Glue job a privileged role and run it"),
    (("glue:UpdateJob", "glue:CreateTrigger"), "give a Glue job a privileged role and trigger it"),
    (("cloudformation:CreateStack",), "create a CloudFormation stack that runs with a privileged role"),
    (("cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"),
     "deploy a CloudFormation stack set with a privileged role"),
    (("cloudformation:UpdateStackSet",), "give a CloudFormation stack set a privileged role"),
    (("datapipeline:CreatePipeline",), "create a Data Pipeline that runs with a privileged role"),
    (("ecs:RegisterTaskDefinition", "ecs:RunTask"), "run an ECS task with a privileged task role"),
    (("ecs:RegisterTaskDefinition", "ecs:StartTask"), "start an ECS task with a privileged task role"),
    (("ecs:RegisterTaskDefinition", "ecs:CreateService"), "create an ECS service with a privileged task role"),
    (("codebuild:CreateProject", "codebuild:StartBuild"), "run a CodeBuild project with a privileged role"),
    (("codebuild:CreateProject", "codebuild:StartBuildBatch"), "run a CodeBuild batch with a privileged role"),
    (("sagemaker:CreateNotebookInstance",), "create a SageMaker notebook with a privileged role"),
    (("sagemaker:CreateTrainingJob",), "run a SageMaker training job with a privileged role"),
    (("sagemaker:CreateProcessingJob",), "run a SageMaker processing job with a privileged role"),
    (("apprunner:CreateService",), "create an App Runner service with a privileged role"),
]


# Read actions that leak data when unconstrained (cloudsplaining's data-exfiltration list).
DATA_EXFILTRATION = {"s3:getobject", "ssm:getparameter", "ssm:getparameters", "ssm:getparametersbypath",
                     "secretsmanager:getsecretvalue"}
