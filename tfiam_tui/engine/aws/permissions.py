"""The checklist's permission checks: the user's groups, the policies on the user and on
tfiam's groups, inline policies, and the linted effective permissions.

Each asks whether IAM holds exactly what the answers asked for.  Anything more fails,
named, with the AWS CLI command that removes it: a grant made by hand is invisible to
Terraform's plan, so this list is where the operator learns of it.  Groups named in
``existing_groups`` are not tfiam's: the user must be in them, and their own policies
are what the operator chose by naming them (linted, never failed).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from .clients import error_text
from .effective import NAME as EFFECTIVE
from .effective import effective_check
from .expected import Check, Expected, ExpectedCustomPolicy, ExpectedGroup, normalize_policy
from .grants import (
    IamReader,
    delete_group_policy,
    delete_user_policy,
    detach_group_policy,
    detach_user_policy,
    effective_grants,
    remove_from_group,
)


def probe(name: str, run: Callable[[], tuple[bool, str]]) -> Check:
    """Run one probe; an AWS or SDK error becomes a failed check with the error."""
    try:
        ok, detail = run()
    except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
        return Check(name, False, error_text(exc))
    return Check(name, ok, detail)


def _extra(what: str, fixes: list[tuple[str, str]]) -> str:
    """``unexpected X (remove: cmd); Y (remove: cmd)`` for things the answers did not ask for."""
    return f"unexpected {what}: " + "; ".join(f"{name} (not in the answers; remove: {fix})" for name, fix in fixes)


def _verdict(missing: list[str], extra: str | None, ok_detail: str) -> tuple[bool, str]:
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append(extra)
    return (False, "; ".join(parts)) if parts else (True, ok_detail)


def permission_checks(reader: IamReader, expected: Expected) -> list[Check]:
    """The permission checks, in checklist order."""
    user = expected.user_name
    checks: list[Check] = []
    wanted = set(expected.groups) | set(expected.existing_groups)

    def membership() -> tuple[bool, str]:
        actual = reader.groups()
        missing = sorted(wanted - set(actual))
        extra = [(g, remove_from_group(user, g)) for g in actual if g not in wanted]
        return _membership_verdict(missing, extra, actual)

    checks.append(probe("group membership", membership))

    for group_name, group in expected.groups.items():
        checks.append(probe(f"group {group_name} has its policies attached",
                            functools.partial(_group_policies, reader, group_name, group)))
        custom = group.custom_policy
        if custom is not None and custom.document is not None:
            checks.append(probe(f"custom policy {custom.name} says exactly what was asked",
                                functools.partial(_custom_document, reader, group_name, custom)))

    def user_policies() -> tuple[bool, str]:
        actual = reader.user_attached()
        want = expected.user_policy_arns
        missing = [arn for arn in want if arn not in actual]
        extra = [(arn, detach_user_policy(user, arn)) for arn in sorted(actual) if arn not in want]
        return _verdict(missing, _extra("policies", extra) if extra else None,
                        ", ".join(sorted(actual)) or "no policies")

    checks.append(probe("policies attached to the user directly", user_policies))

    def inline_policies() -> tuple[bool, str]:
        # The module writes no inline policy: every one was put there by hand, unseen by the
        # plan.  Existing groups' are left out: the operator chose them by naming the group.
        extra = [(f"{name} on user {user}", delete_user_policy(user, name)) for name in reader.user_inline()]
        for group_name in expected.groups:
            extra += [(f"{name} on group {group_name}", delete_group_policy(group_name, name))
                      for name in reader.group_inline(group_name)]
        if extra:
            return False, _extra("inline policies", extra)
        return True, "none"

    checks.append(probe("no inline policies on the user or tfiam's groups", inline_policies))
    checks.append(probe(EFFECTIVE, lambda: _effective(reader, expected)))
    return checks


def _membership_verdict(missing: list[str], extra: list[tuple[str, str]], actual: list[str]) -> tuple[bool, str]:
    parts = []
    if missing:
        parts.append(f"not a member of {', '.join(missing)}")
    if extra:
        parts.append("also a member of " + "; ".join(
            f"{g}, which the answers do not name (remove: {fix})" for g, fix in extra))
    if parts:
        return False, "; ".join(parts)
    return True, "member of " + (", ".join(actual) or "no groups")


def _group_policies(reader: IamReader, group_name: str, group: ExpectedGroup) -> tuple[bool, str]:
    attached = reader.group_attached(group_name)  # arn -> name
    by_name = {name: arn for arn, name in attached.items()}
    want = set(group.managed_policy_arns)
    missing = sorted(want - set(attached))
    if group.custom_policy is not None:
        custom_arn = by_name.get(group.custom_policy.name)
        if custom_arn is None:
            missing.append(f"(custom policy {group.custom_policy.name})")
        else:
            want.add(custom_arn)
    extra = [(arn, detach_group_policy(group_name, arn)) for arn in sorted(set(attached) - want)]
    return _verdict(missing, _extra("policies", extra) if extra else None,
                    ", ".join(sorted(attached)) or "no policies")


def _custom_document(reader: IamReader, group_name: str, custom: ExpectedCustomPolicy) -> tuple[bool, str]:
    by_name = {name: arn for arn, name in reader.group_attached(group_name).items()}
    arn = by_name.get(custom.name)
    if arn is None:
        return False, f"no policy named {custom.name} is attached to the group"
    policy = reader.policy(arn)
    actual = normalize_policy(reader.policy_version(arn))
    want = normalize_policy(custom.document)
    problems = []
    if actual != want:
        problems.append(
            f"document differs: expected {json.dumps(want, ensure_ascii=False)}, "
            f"found {json.dumps(actual, ensure_ascii=False)}"
        )
    if policy.get("Description", "") != custom.description:
        problems.append(f"description is {policy.get('Description', '')!r}, expected {custom.description!r}")
    if problems:
        return False, "; ".join(problems)
    return True, f"{arn} (version {policy['DefaultVersionId']})"


def _effective(reader: IamReader, expected: Expected) -> tuple[bool, str]:
    check = effective_check(effective_grants(reader, expected))
    return check.ok, check.detail
