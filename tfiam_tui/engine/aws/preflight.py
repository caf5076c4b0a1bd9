"""Before anything is written or applied: can we reach AWS with usable credentials, and
does the account already hold a user, group or policy the plan would create?

IAM refuses a name it already has halfway through an apply; asking first stops the run
with the ``terraform import`` commands that adopt them, should the operator mean to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..answers import Answers
from ..text import command, shell_quote
from .clients import aws_session, error_text, paged
from .expected import MFA_GROUP_SUFFIX

MODULE = "module.iam_user"  # the module block in workspace_templates/main.tf
LOGIN = "console password"


@dataclass(frozen=True)
class NameConflict:
    """The plan creates ``kind`` ``name``, but the account already has one that this
    workspace's state does not manage (made in the console, or by another workspace)."""

    kind: str  # "user", "group", "policy" or LOGIN ("console password")
    name: str
    address: str  # the resource address the plan would create
    import_id: str  # what ``terraform import ADDRESS ID`` takes: the name, or a policy's ARN

    def __str__(self) -> str:
        if self.kind == LOGIN:
            return (f"the user {self.name!r} already has a console password, outside this workspace's state "
                    f"(made by hand or elsewhere; remove it with: aws iam delete-login-profile --user-name "
                    f"{shell_quote(self.name)})")
        return f"the {self.kind} {self.name!r} already exists in the account, outside this workspace's state"


def planned_names(answers: Answers) -> dict[str, tuple[str, str]]:
    """Resource address -> (kind, name) for every named IAM entity the workspace creates."""
    names = {f"{MODULE}.aws_iam_user.this": ("user", answers.user.name)}
    for group in answers.permissions.groups:
        names[f'{MODULE}.aws_iam_group.this["{group.name}"]'] = ("group", group.name)
        if group.custom_policy is not None:
            names[f'{MODULE}.aws_iam_policy.custom["{group.name}"]'] = ("policy", group.custom_policy.name)
    if answers.authentication.console:
        names[f"{MODULE}.aws_iam_user_login_profile.this[0]"] = (LOGIN, answers.user.name)
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
    session = aws_session(answers.provider.region, answers.provider.profile, credentials)
    iam = session.client("iam", endpoint_url=endpoint, config=config)
    found: list[NameConflict] = []
    local_policies: dict[str, str] | None = None
    for address, kind, name in todo:
        if kind == "policy":
            if local_policies is None:  # customer managed policies, any path: name -> ARN
                local_policies = {p["PolicyName"].lower(): p["Arn"]
                                  for p in paged(iam, "list_policies", "Policies", Scope="Local")}
            arn = local_policies.get(name.lower())
            if arn is not None:
                found.append(NameConflict(kind, name, address, arn))
            continue
        try:
            if kind == LOGIN:
                iam.get_login_profile(UserName=name)
            elif kind == "user":
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
                 "making the rest. Either choose other names in the answers, or bring what exists under tfiam.")
    for c in conflicts:
        if c.kind == "user":
            adopt = command("tfiam", "adopt", c.name, "--save", f"adopted-{c.name}.yaml")
            lines.append(f"To manage the user {c.name!r} as it is (its keys, password, groups and policies "
                         f"unchanged): {adopt} writes answers that describe it and a workspace that imports it; "
                         "replay that file, then change the answers as you wish.")
    lines.append("Or, if these answers are what you mean the existing ones to become, import them into this "
                 "workspace's state and plan again:")
    lines += [f"  terraform -chdir={shell_quote(str(workspace_dir))} import {shell_quote(c.address)} "
              f"{shell_quote(c.import_id)}" for c in conflicts]
    return "\n".join(lines)


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
        session = aws_session(region, profile, credentials)
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
