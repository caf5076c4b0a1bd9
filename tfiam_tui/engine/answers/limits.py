"""Rules that span several answers: names that would clash in IAM or in Terraform, and the
IAM quotas IAM enforces (from AWS's "IAM and AWS STS quotas" page).  Each check raises
the first problem it finds, naming the field; the model calls them from its validators.

The adjustable quotas (managed policies per user and per group: 10 by default, up to 20
on request) are refused only above what can be granted; between the two the linter warns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .rules import _fail

GROUPS_PER_USER = 10  # "Groups an IAM user can be a member of", not adjustable
MANAGED_POLICIES_MAX = 20  # attached to a user or a group, with a quota increase (default 10)
MANAGED_POLICIES_DEFAULT = 10
MANAGED_POLICY_CHARS = 6144  # "Managed policy size", whitespace not counted


def mfa_name(user_name: str) -> str:
    """The group and policy ``enforce_mfa`` creates (modules/iam-user: local.mfa_name)."""
    return f"{user_name}-mfa-required"


def _first_duplicate(names: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            return name
        seen.add(name.lower())
    return None


def unique_policy_arns(arns: list[str], field: str) -> None:
    """The module keys attachments by "group|arn": the same ARN twice is a Terraform error
    (duplicate object key), and IAM attaches a policy only once anyway."""
    seen: set[str] = set()
    for i, arn in enumerate(arns):
        if arn in seen:
            raise _fail("duplicate", "{arn} is listed twice; attach each policy once",
                        {"arn": arn, "field": f"{field}[{i}]"})
        seen.add(arn)
    if len(arns) > MANAGED_POLICIES_MAX:
        raise _fail("quota", "has {n} policies; IAM attaches at most {most} managed policies to a user or "
                    "group (10 by default, up to 20 after a quota increase)",
                    {"n": len(arns), "most": MANAGED_POLICIES_MAX, "field": field})


def unique_sids(statements: list[Any]) -> None:
    """IAM refuses a policy whose statements share a Sid."""
    seen: set[str] = set()
    for i, st in enumerate(statements):
        if st.sid:
            if st.sid in seen:
                raise _fail("duplicate", "Sid {sid!r} is used twice; statement ids are unique within a policy",
                            {"sid": st.sid, "field": f"statements[{i}].sid"})
            seen.add(st.sid)


def policy_size(statements: list[Any]) -> int:
    """The custom policy's size as IAM counts it: the JSON Terraform sends (jsonencode,
    which also escapes < > & as six characters each), whitespace not counted."""
    doc = {"Version": "2012-10-17", "Statement": [
        {**({"Sid": st.sid} if st.sid is not None else {}), "Effect": st.effect, "Action": list(st.actions),
         "Resource": list(st.resources)} for st in statements]}
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return sum(1 for c in text if not c.isspace()) + 5 * sum(text.count(c) for c in "<>&")


def policy_fits(statements: list[Any]) -> None:
    size = policy_size(statements)
    if size > MANAGED_POLICY_CHARS:
        raise _fail("quota", "makes a policy document of {n} characters (whitespace not counted); IAM allows "
                    "{most}: merge statements, use wildcards the linter accepts, or split it over two groups",
                    {"n": size, "most": MANAGED_POLICY_CHARS, "field": "statements"})


def tag_keys_unique(tags: dict[str, str]) -> None:
    """IAM tag keys are case-insensitive ("Duplicate tag keys found ... case insensitive")."""
    twice = _first_duplicate(tags)
    if twice is not None:
        first = next(k for k in tags if k.lower() == twice.lower())
        raise _fail("duplicate", "tag keys {a!r} and {b!r} differ only in case; IAM treats tag keys "
                    "case-insensitively, so keep one", {"a": first, "b": twice})


def same_partition(answers: Any) -> None:
    """Policy ARNs in the partition of provider.region: arn:aws:iam::aws:policy/X does not
    exist for a user in cn-north-1 (NoSuchEntity), it is arn:aws-cn:iam::aws:policy/X."""
    from . import choices

    partition = choices.partition_of(answers.provider.region)
    if partition is None:
        return  # a region named in TFIAM_EXTRA_REGIONS: its partition is not known here
    perm = answers.permissions
    arns = [("user.permissions_boundary", answers.user.permissions_boundary)]
    arns += [(f"permissions.groups[{gi}].managed_policies[{pi}]", arn)
             for gi, g in enumerate(perm.groups) for pi, arn in enumerate(g.managed_policies)]
    arns += [(f"permissions.user_managed_policies[{pi}]", arn) for pi, arn in enumerate(perm.user_managed_policies)]
    for field, arn in arns:
        if arn and arn.split(":")[1] != partition:
            right = ":".join(["arn", partition, *arn.split(":")[2:]])
            raise _fail("partition", "{arn} is in partition {p}, but provider.region {r} is in {q}; use {right}",
                        {"arn": arn, "p": arn.split(":")[1], "r": answers.provider.region, "q": partition,
                         "right": right, "field": field})


def names_and_quotas(answers: Any) -> None:
    """Across the whole answers: group and policy names, the MFA group's name, groups per user."""
    perm, user = answers.permissions, answers.user
    enforce_mfa = answers.authentication.enforce_mfa
    reserved = mfa_name(user.name)
    created = [g.name for g in perm.groups]
    for i, name in enumerate(created):
        if enforce_mfa and name.lower() == reserved.lower():
            raise _fail("reserved", "group {g!r} has the name enforce_mfa gives its own group; choose another name",
                        {"g": name, "field": f"permissions.groups[{i}].name"})
    for i, name in enumerate(perm.existing_groups):
        if enforce_mfa and name.lower() == reserved.lower():
            raise _fail("reserved", "group {g!r} has the name enforce_mfa gives its own group; choose another name",
                        {"g": name, "field": f"permissions.existing_groups[{i}]"})
    twice = _first_duplicate(created + list(perm.existing_groups))
    if twice is not None:
        raise _fail("duplicate", "group {g!r} is listed twice; group names are case-insensitively unique in IAM",
                    {"g": twice, "field": "permissions"})
    policies = [(i, g.custom_policy.name) for i, g in enumerate(perm.groups) if g.custom_policy is not None]
    seen: set[str] = {reserved.lower()} if enforce_mfa else set()
    for i, name in policies:
        if name.lower() in seen:
            why = ("is the name enforce_mfa gives its own policy" if enforce_mfa and name.lower() == reserved.lower()
                   else "is used by another custom policy; policy names are case-insensitively unique in an account")
            raise _fail("duplicate", "policy name {p!r} {why}", {"p": name, "why": why,
                                                                  "field": f"permissions.groups[{i}].custom_policy.name"})
        seen.add(name.lower())
    count = len(created) + len(perm.existing_groups) + (1 if enforce_mfa else 0)
    if count > GROUPS_PER_USER:
        extra = " (enforce_mfa adds one)" if enforce_mfa else ""
        raise _fail("quota", "puts the user in {n} groups{extra}; an IAM user can be a member of at most {most}",
                    {"n": count, "extra": extra, "most": GROUPS_PER_USER, "field": "permissions"})
