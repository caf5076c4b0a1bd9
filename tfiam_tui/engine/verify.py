"""After ``terraform apply``: ask the AWS API whether the user is what was asked for.

Terraform's state says what Terraform believes; this module asks IAM itself (with
boto3, the same API the provider uses) and produces a checklist.  Each check is a
:class:`Check`; a failed API call becomes a failed check carrying the error, never
a traceback, and no check ever carries a secret.

    checks = verify(Expected.from_answers(answers), region="eu-central-1")
    print(format_checklist(checks))
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .answers import Answers, Statement

POLICY_VERSION = "2012-10-17"

# Error codes meaning "this new access key is not known everywhere yet".
_KEY_NOT_YET_VALID = {"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"}


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it holds, and why."""

    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ExpectedCustomPolicy:
    """A customer-managed policy tfiam creates for a group, found by its name.

    ``document``: the expected policy document (compared as JSON, order of
    statements kept, order of actions/resources ignored); ``None`` skips that.
    """

    name: str
    description: str = ""
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class ExpectedGroup:
    """A group tfiam creates: exactly these policies attached."""

    managed_policy_arns: frozenset[str] = frozenset()
    custom_policy: ExpectedCustomPolicy | None = None


@dataclass
class Expected:
    """What the IAM account should hold for one user after apply."""

    user_name: str
    user_path: str = "/"
    tags: dict[str, str] = field(default_factory=dict)
    permissions_boundary: str | None = None
    groups: dict[str, ExpectedGroup] = field(default_factory=dict)  # created by tfiam
    existing_groups: list[str] = field(default_factory=list)  # joined, not managed
    user_policy_arns: list[str] = field(default_factory=list)
    login_profile: bool = False
    access_key: bool = False

    @classmethod
    def from_answers(cls, answers: Answers) -> "Expected":
        """The expectations an answers file states."""
        groups: dict[str, ExpectedGroup] = {}
        for group in answers.permissions.groups:
            custom = None
            if group.custom_policy is not None:
                custom = ExpectedCustomPolicy(
                    name=group.custom_policy.name,
                    description=group.custom_policy.description,
                    document=policy_document(group.custom_policy.statements),
                )
            groups[group.name] = ExpectedGroup(frozenset(group.managed_policies), custom)
        if answers.authentication.enforce_mfa:
            mfa = answers.user.name + MFA_GROUP_SUFFIX
            groups[mfa] = ExpectedGroup(frozenset(), ExpectedCustomPolicy(mfa, MFA_POLICY_DESCRIPTION, mfa_policy_document()))
        return cls(
            user_name=answers.user.name,
            user_path=answers.user.path,
            tags=dict(answers.user.tags),
            permissions_boundary=answers.user.permissions_boundary,
            groups=groups,
            existing_groups=list(answers.permissions.existing_groups),
            user_policy_arns=list(answers.permissions.user_managed_policies),
            login_profile=answers.authentication.console,
            access_key=answers.authentication.access_key,
        )


# enforce_mfa: the group and policy modules/iam-user creates (see its main.tf).
MFA_GROUP_SUFFIX = "-mfa-required"
MFA_POLICY_DESCRIPTION = "Deny everything except MFA self-management until signed in with MFA"


def mfa_policy_document() -> dict[str, Any]:
    """The MFA enforcement policy, from the module's own mfa_policy.json."""
    from .workspace import bundled_dir

    return json.loads((bundled_dir("modules") / "iam-user" / "mfa_policy.json").read_text(encoding="utf-8"))


def policy_document(statements: Iterable[Statement]) -> dict[str, Any]:
    """The IAM policy document the answers' statements describe."""
    out = []
    for st in statements:
        item: dict[str, Any] = {}
        if st.sid:
            item["Sid"] = st.sid
        item.update(Effect=st.effect, Action=list(st.actions), Resource=list(st.resources))
        out.append(item)
    return {"Version": POLICY_VERSION, "Statement": out}


def normalize_policy(document: Any) -> Any:
    """A policy document in a canonical form, so equal policies compare equal.

    IAM and Terraform may write a one-element list as a bare string, drop an empty
    Sid, or reorder actions and resources (they are sets).  Every string is kept
    byte for byte: a hostile character that did not land literally still differs.
    """
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, dict):
        return document
    doc = dict(document)
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    norm = []
    for st in statements:
        st = dict(st)
        if st.get("Sid") in ("", None):
            st.pop("Sid", None)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in st:
                value = st[key]
                st[key] = sorted([value] if isinstance(value, str) else value)
        norm.append(st)
    doc["Statement"] = norm
    return doc


def error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        op = exc.operation_name
        return f"{op} failed: {err.get('Code', 'error')}: {err.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def _run(name: str, probe: Callable[[], tuple[bool, str]]) -> Check:
    """Run one probe; an AWS or SDK error becomes a failed check with the error."""
    try:
        ok, detail = probe()
    except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
        return Check(name, False, error_text(exc))
    return Check(name, ok, detail)


def _diff_sets(what: str, expected: set[str], actual: set[str]) -> tuple[bool, str]:
    missing, extra = sorted(expected - actual), sorted(actual - expected)
    if not missing and not extra:
        return True, ", ".join(sorted(actual)) or f"no {what}"
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(extra))
    return False, "; ".join(parts)


def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def _session(region: str, profile: str | None, credentials: tuple[str, str] | None) -> Any:
    """A boto3 session: explicit credentials (the sandbox's), else the profile or the default chain."""
    if credentials is not None:
        return boto3.session.Session(
            aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1], region_name=region
        )
    return boto3.session.Session(profile_name=profile, region_name=region)


def verify(
    expected: Expected,
    *,
    region: str,
    endpoint: str | None = None,
    profile: str | None = None,
    access_key: tuple[str, str] | None = None,
    key_propagation_wait: float = 20.0,
    credentials: tuple[str, str] | None = None,
    check_stray_keys: bool = False,
    managed_key_id: str | None = None,
) -> list[Check]:
    """Check the account against ``expected``; return the checklist, in order.

    ``endpoint``: base URL of a stand-in AWS (the sandbox); ``None`` for AWS itself.
    ``profile``: a named profile; otherwise boto3's default credential chain.
    ``check_stray_keys``: also check that the user has no access key other than
    ``managed_key_id`` (the one in Terraform's state; None when it has none).
    ``credentials``: explicit (access key id, secret) for the checking identity (the
    sandbox's dummy credentials), instead of ``profile`` and the default chain.
    ``access_key``: ``(access_key_id, secret)`` of the user's new key: when given,
    STS GetCallerIdentity is called *with that key* and must name the user.  A new
    key takes a few seconds to work everywhere in AWS, so an "invalid token" answer
    is retried for up to ``key_propagation_wait`` seconds.
    """
    retry = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
    try:
        session = _session(region, profile, credentials)
        iam = session.client("iam", endpoint_url=endpoint, config=retry)
    except (BotoCoreError, ValueError) as exc:
        return [Check("connect to the AWS API", False, error_text(exc))]

    user_name = expected.user_name
    user: dict[str, Any] = {}
    checks: list[Check] = []

    def user_exists() -> tuple[bool, str]:
        user.update(iam.get_user(UserName=user_name)["User"])
        if user.get("Path") != expected.user_path:
            return False, f"path is {user.get('Path')!r}, expected {expected.user_path!r}"
        return True, user["Arn"]

    checks.append(_run(f"user {user_name} exists at path {expected.user_path}", user_exists))

    def tags_equal() -> tuple[bool, str]:
        actual = {t["Key"]: t["Value"] for t in _paged(iam, "list_user_tags", "Tags", UserName=user_name)}
        want = expected.tags
        problems = []
        for key in sorted(want.keys() - actual.keys()):
            problems.append(f"missing tag {key!r}")
        for key in sorted(actual.keys() - want.keys()):
            problems.append(f"unexpected tag {key!r}={actual[key]!r}")
        for key in sorted(want.keys() & actual.keys()):
            if want[key] != actual[key]:
                problems.append(f"tag {key!r} is {actual[key]!r}, expected {want[key]!r}")
        if problems:
            return False, "; ".join(problems)
        return True, f"{len(actual)} tag(s)"

    checks.append(_run("tags are exactly the expected ones", tags_equal))

    def boundary() -> tuple[bool, str]:
        got = (user or iam.get_user(UserName=user_name)["User"]).get("PermissionsBoundary", {})
        actual = got.get("PermissionsBoundaryArn")
        want = expected.permissions_boundary
        if actual == want:
            return True, actual or "none, as expected"
        return False, f"boundary is {actual or 'not set'}, expected {want or 'none'}"

    checks.append(_run("permissions boundary", boundary))

    want_groups = set(expected.groups) | set(expected.existing_groups)

    def membership() -> tuple[bool, str]:
        actual = {g["GroupName"] for g in _paged(iam, "list_groups_for_user", "Groups", UserName=user_name)}
        missing = sorted(want_groups - actual)
        if missing:
            return False, f"not a member of {', '.join(missing)}"
        return True, "member of " + (", ".join(sorted(actual)) or "no groups")

    checks.append(_run("group membership", membership))

    for group_name, group in expected.groups.items():
        attached: dict[str, str] = {}  # policy name -> ARN, filled by the first probe

        def group_policies(group_name: str = group_name, group: ExpectedGroup = group,
                           attached: dict[str, str] = attached) -> tuple[bool, str]:
            for p in _paged(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group_name):
                attached[p["PolicyName"]] = p["PolicyArn"]
            want = set(group.managed_policy_arns)
            actual = set(attached.values())
            if group.custom_policy is not None:
                custom_arn = attached.get(group.custom_policy.name)
                if custom_arn is None:
                    want.add(f"(custom policy {group.custom_policy.name})")
                else:
                    want.add(custom_arn)
            return _diff_sets("policies", want, actual)

        checks.append(_run(f"group {group_name} has its policies attached", group_policies))

        if group.custom_policy is not None and group.custom_policy.document is not None:
            custom = group.custom_policy

            def custom_document(custom: ExpectedCustomPolicy = custom,
                                attached: dict[str, str] = attached) -> tuple[bool, str]:
                arn = attached.get(custom.name)
                if arn is None:
                    return False, f"no policy named {custom.name} is attached to the group"
                policy = iam.get_policy(PolicyArn=arn)["Policy"]
                version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
                actual = normalize_policy(version["PolicyVersion"]["Document"])
                want = normalize_policy(custom.document)
                problems = []
                if actual != want:
                    problems.append(
                        f"document differs: expected {json.dumps(want, ensure_ascii=False)}, "
                        f"found {json.dumps(actual, ensure_ascii=False)}"
                    )
                if policy.get("Description", "") != custom.description:
                    problems.append(
                        f"description is {policy.get('Description', '')!r}, expected {custom.description!r}"
                    )
                if problems:
                    return False, "; ".join(problems)
                return True, f"{arn} (version {policy['DefaultVersionId']})"

            checks.append(_run(f"custom policy {custom.name} says exactly what was asked", custom_document))

    def user_policies() -> tuple[bool, str]:
        actual = {p["PolicyArn"] for p in _paged(iam, "list_attached_user_policies", "AttachedPolicies", UserName=user_name)}
        return _diff_sets("policies", set(expected.user_policy_arns), actual)

    checks.append(_run("policies attached to the user directly", user_policies))

    def login_profile() -> tuple[bool, str]:
        try:
            iam.get_login_profile(UserName=user_name)
            present = True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            present = False
        if present == expected.login_profile:
            return True, "console password set" if present else "no console password, as expected"
        return False, "console password exists but was not asked for" if present else "no console password"

    checks.append(_run("console login profile", login_profile))

    if expected.access_key or access_key is not None:

        def key_exists() -> tuple[bool, str]:
            keys = _paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name)
            active = [k["AccessKeyId"] for k in keys if k.get("Status") == "Active"]
            if access_key is not None and access_key[0] not in active:
                return False, f"{access_key[0]} is not an active key of {user_name} (active: {', '.join(active) or 'none'})"
            if not active:
                return False, "no active access key"
            return True, ", ".join(active)

        checks.append(_run("access key exists and is active", key_exists))

    def no_stray_keys() -> tuple[bool, str]:
        keys = [k["AccessKeyId"] for k in _paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name)]
        stray = [k for k in keys if k != managed_key_id]
        if stray:
            fix = "; ".join(f"aws iam delete-access-key --user-name {user_name} --access-key-id {k}" for k in stray)
            return False, (
                f"{', '.join(stray)} not managed by this workspace (left by an interrupted apply, or made by "
                f"hand); nobody holds its secret through tfiam. Delete it if it is not in use: {fix}"
            )
        return True, "none"

    if check_stray_keys:
        checks.append(_run("no access keys besides the managed one", no_stray_keys))

    if access_key is not None:
        key_id, secret = access_key

        def key_works() -> tuple[bool, str]:
            sts = boto3.session.Session(
                aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=region
            ).client("sts", endpoint_url=endpoint, config=retry)
            deadline = time.monotonic() + key_propagation_wait
            while True:
                try:
                    arn = sts.get_caller_identity()["Arn"]
                    break
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code")
                    if code not in _KEY_NOT_YET_VALID or time.monotonic() > deadline:
                        raise
                    time.sleep(2)
            want = user.get("Arn")
            if want is None:
                return False, f"the key signs in as {arn}, but the user was not found to compare"
            if arn != want:
                return False, f"the key signs in as {arn}, expected {want}"
            return True, f"{key_id} signs in as {arn}"

        checks.append(_run("access key works (STS GetCallerIdentity)", key_works))
        if secret:  # belt and braces: no detail may ever hold the secret
            checks = [Check(c.name, c.ok, c.detail.replace(secret, "***")) for c in checks]

    return checks


def format_checklist(checks: Iterable[Check]) -> str:
    """One line per check: ``[ok] name: detail`` or ``[FAIL] name: detail``."""
    lines = []
    for check in checks:
        mark = "[ok]" if check.ok else "[FAIL]"
        lines.append(f"{mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
    return "\n".join(lines)


def all_ok(checks: Iterable[Check]) -> bool:
    return all(c.ok for c in checks)


# --------------------------------------------------------------------------- before apply


MODULE = "module.iam_user"  # the module block in workspace_templates/main.tf


@dataclass(frozen=True)
class NameConflict:
    """The plan creates ``kind`` ``name``, but the account already has one that this
    workspace's state does not manage (made in the console, or by another workspace)."""

    kind: str  # "user", "group" or "policy"
    name: str
    address: str  # the resource address the plan would create
    import_id: str  # what ``terraform import ADDRESS ID`` takes: the name, or a policy's ARN

    def __str__(self) -> str:
        return f"the {self.kind} {self.name!r} already exists in the account, outside this workspace's state"


def planned_names(answers: Answers) -> dict[str, tuple[str, str]]:
    """Resource address -> (kind, name) for every named IAM entity the workspace creates."""
    names = {f"{MODULE}.aws_iam_user.this": ("user", answers.user.name)}
    for group in answers.permissions.groups:
        names[f'{MODULE}.aws_iam_group.this["{group.name}"]'] = ("group", group.name)
        if group.custom_policy is not None:
            names[f'{MODULE}.aws_iam_policy.custom["{group.name}"]'] = ("policy", group.custom_policy.name)
    if answers.authentication.enforce_mfa:
        mfa = answers.user.name + MFA_GROUP_SUFFIX
        names[f"{MODULE}.aws_iam_group.mfa[0]"] = ("group", mfa)
        names[f"{MODULE}.aws_iam_policy.mfa[0]"] = ("policy", mfa)
    return names


def name_conflicts(
    answers: Answers,
    creates: Iterable[str],
    *,
    endpoint: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> list[NameConflict]:
    """Which of the addresses the plan ``creates`` name a user, group or policy that
    already exists.  IAM refuses a second one with EntityAlreadyExists, but only during
    apply, after the other resources were made: checked here, between plan and apply,
    nothing is half-created.  API errors propagate (ClientError, BotoCoreError)."""
    wanted = planned_names(answers)
    order = list(wanted)  # the user first, then groups and policies
    todo = sorted(((address, *wanted[address]) for address in set(creates) if address in wanted),
                  key=lambda item: order.index(item[0]))
    if not todo:
        return []
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
    session = _session(answers.provider.region, answers.provider.profile, credentials)
    iam = session.client("iam", endpoint_url=endpoint, config=config)
    found: list[NameConflict] = []
    local_policies: dict[str, str] | None = None
    for address, kind, name in todo:
        if kind == "policy":
            if local_policies is None:  # customer managed policies, any path: name -> ARN
                local_policies = {p["PolicyName"].lower(): p["Arn"]
                                  for p in _paged(iam, "list_policies", "Policies", Scope="Local")}
            arn = local_policies.get(name.lower())
            if arn is not None:
                found.append(NameConflict(kind, name, address, arn))
            continue
        try:
            if kind == "user":
                iam.get_user(UserName=name)
            else:
                iam.get_group(GroupName=name, MaxItems=1)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                continue
            raise
        found.append(NameConflict(kind, name, address, name))
    return found


def format_conflicts(conflicts: Iterable[NameConflict], workspace_dir: Any) -> str:
    """What to tell the operator: what exists, and the two ways on."""
    conflicts = list(conflicts)
    lines = [f"{c}." for c in conflicts]
    lines.append("Nothing was applied: IAM would refuse to create them (EntityAlreadyExists) after "
                 "making the rest. Either choose other names in the answers, or, if these are the ones "
                 "you mean to manage here, adopt them into this workspace's state and plan again:")
    lines += [f"  terraform -chdir={shlex.quote(str(workspace_dir))} import {shlex.quote(c.address)} "
              f"{shlex.quote(c.import_id)}" for c in conflicts]
    return "\n".join(lines)


# --------------------------------------------------------------------------- before plan


class PreflightError(RuntimeError):
    """AWS cannot be reached, or no usable credentials were found.  Nothing was written."""


def preflight(
    *,
    region: str,
    endpoint: str | None = None,
    profile: str | None = None,
    credentials: tuple[str, str] | None = None,
    timeout: float = 5.0,
) -> str:
    """Ask STS who we are, quickly, before terraform spends minutes retrying.

    Returns the caller's ARN (tfiam prints it: the operator sees which account
    and identity are about to be changed).  Raises :class:`PreflightError` with
    an actionable message when AWS is unreachable or credentials are missing.
    """
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, ProfileNotFound

    where = endpoint or f"AWS STS in {region}"
    config = Config(connect_timeout=timeout, read_timeout=timeout * 2, retries={"max_attempts": 2, "mode": "standard"})
    try:
        session = _session(region, profile, credentials)
        return session.client("sts", endpoint_url=endpoint, config=config).get_caller_identity()["Arn"]
    except ProfileNotFound:
        raise PreflightError(
            f"the AWS profile {profile!r} is not in your AWS config; check provider.profile "
            "(aws configure list-profiles)"
        ) from None
    except NoCredentialsError:
        raise PreflightError(
            "no AWS credentials found; set provider.profile, run `aws sso login`, or export "
            "AWS_PROFILE / AWS_ACCESS_KEY_ID before running tfiam (or try it with --sandbox)"
        ) from None
    except EndpointConnectionError:
        raise PreflightError(
            f"cannot reach {where}; check the network (or provider.endpoint), then run the same command again"
        ) from None
    except ClientError as exc:
        raise PreflightError(f"AWS refused the credentials: {error_text(exc)}") from None
    except BotoCoreError as exc:
        raise PreflightError(f"cannot talk to {where}: {exc}") from None
