"""What the account should hold for one answers file: the user, its groups and their
policies, the custom policy documents as IAM stores them, and the checklist's
:class:`Check`.  Pure: answers in, expectations out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..answers import Answers, Statement

POLICY_VERSION = "2012-10-17"


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
    password_reset_required: bool = True  # the answers' default; compared only while the password is unused
    access_key: bool = False

    @classmethod
    def from_answers(cls, answers: Answers) -> Expected:
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
            password_reset_required=answers.authentication.password_reset_required,
            access_key=answers.authentication.access_key,
        )


# enforce_mfa: the group and policy modules/iam-user creates (see its main.tf).
MFA_GROUP_SUFFIX = "-mfa-required"


MFA_POLICY_DESCRIPTION = "Deny everything except MFA self-management until signed in with MFA"


def mfa_policy_document() -> dict[str, Any]:
    """The MFA enforcement policy, from the module's own mfa_policy.json."""
    from ..bundled import bundled_dir

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
