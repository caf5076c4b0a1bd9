"""Everything that gives the user permissions, read from IAM: the policies on the user
(inline and attached), every group it is in, named in the answers or not, and theirs.

Terraform's state lists only what Terraform made; an inline ``Action: "*"`` policy put on
the user by hand, or a membership of an ``admins`` group, is invisible to it and to a
plan ("No changes").  :class:`IamReader` asks IAM itself; :func:`effective_grants` marks
each policy found as asked for by the answers or not, with the command that removes it.

    reader = IamReader(iam, "bob")
    for grant in effective_grants(reader, expected):
        print(grant.label(), grant.asked, grant.removal())
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..policy.catalogue import managed_policy, managed_policy_name
from ..text import shell_quote
from .clients import paged
from .expected import Expected, ExpectedGroup, normalize_policy


def shipped_document(arn: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy tfiam ships, read without an API call."""
    if managed_policy_name(arn) is None:  # a customer managed policy: only IAM knows it
        return None
    shipped = managed_policy(arn)
    return shipped.document if shipped is not None else None


class IamReader:
    """The IAM reads of one verification run, each made at most once.

    Several checks need the same lists (the membership, the effective permissions);
    asking once keeps verification quick and every check looking at the same answer.
    A read that fails is not remembered, so each check that needs it reports the error.
    """

    def __init__(self, iam: Any, user_name: str):
        self.iam = iam
        self.user_name = user_name
        self._memo: dict[tuple[str, ...], Any] = {}

    def _once(self, key: tuple[str, ...], read: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]

    def groups(self) -> list[str]:
        """Every group the user is in, as IAM says."""
        return self._once(("groups",), lambda: sorted(
            g["GroupName"] for g in paged(self.iam, "list_groups_for_user", "Groups", UserName=self.user_name)))

    def user_inline(self) -> list[str]:
        return self._once(("user-inline",), lambda: sorted(
            paged(self.iam, "list_user_policies", "PolicyNames", UserName=self.user_name)))

    def user_attached(self) -> dict[str, str]:
        """Policy ARN -> policy name, for the policies attached to the user directly."""
        return self._once(("user-attached",), lambda: {
            p["PolicyArn"]: p["PolicyName"]
            for p in paged(self.iam, "list_attached_user_policies", "AttachedPolicies", UserName=self.user_name)})

    def group_inline(self, group: str) -> list[str]:
        return self._once(("group-inline", group), lambda: sorted(
            paged(self.iam, "list_group_policies", "PolicyNames", GroupName=group)))

    def group_attached(self, group: str) -> dict[str, str]:
        """Policy ARN -> policy name, for the policies attached to ``group``."""
        return self._once(("group-attached", group), lambda: {
            p["PolicyArn"]: p["PolicyName"]
            for p in paged(self.iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group)})

    def inline_document(self, group: str | None, name: str) -> Any:
        """An inline policy's document: the user's (``group`` None) or a group's."""
        if group is None:
            return self._once(("user-doc", name), lambda: self.iam.get_user_policy(
                UserName=self.user_name, PolicyName=name)["PolicyDocument"])
        return self._once(("group-doc", group, name), lambda: self.iam.get_group_policy(
            GroupName=group, PolicyName=name)["PolicyDocument"])

    def policy(self, arn: str) -> dict[str, Any]:
        """GetPolicy: the managed policy's description and default version."""
        return self._once(("policy", arn), lambda: self.iam.get_policy(PolicyArn=arn)["Policy"])

    def policy_version(self, arn: str) -> Any:
        """The default version's document, as IAM stores it."""
        def read() -> Any:
            version = self.policy(arn)["DefaultVersionId"]
            return self.iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]

        return self._once(("version", arn), read)

    def policy_document(self, arn: str) -> Any:
        """A managed policy's document: from the shipped catalogue for the AWS managed
        policies tfiam knows (no API call), otherwise from IAM (GetPolicyVersion)."""
        shipped = shipped_document(arn)
        return shipped if shipped is not None else self.policy_version(arn)


@dataclass(frozen=True)
class Grant:
    """One policy that gives the user permissions, as read from IAM.

    ``group``: the group it is on (None: on the user).  ``policy``: the inline policy's
    name, or the managed policy's ARN.  ``asked``: the answers asked for it, or chose it by
    naming an existing group.  ``seen``: the answers' own lint (before apply) read its
    statements: tfiam's custom policies and the AWS managed policies it ships.
    """

    user: str
    group: str | None
    policy: str
    inline: bool
    document: Any
    asked: bool
    seen: bool
    tfiams_group: bool = False  # the group is one tfiam creates: its policies are tfiam's to fix

    def label(self) -> str:
        where = f"group {self.group}" if self.group is not None else f"user {self.user}"
        if self.inline:
            return f"inline policy {self.policy} on {where}"
        return f"{self.policy} attached to {where}"

    def removal(self) -> str:
        """The AWS CLI command that takes this grant away from the user, and only from it:
        for a group that is not tfiam's, leaving the group (its other members keep it)."""
        if self.group is None:
            return (delete_user_policy(self.user, self.policy) if self.inline
                    else detach_user_policy(self.user, self.policy))
        if not self.tfiams_group:
            return remove_from_group(self.user, self.group)
        return (delete_group_policy(self.group, self.policy) if self.inline
                else detach_group_policy(self.group, self.policy))


def cli(*words: str) -> str:
    """An AWS CLI command line to paste, every word shell-quoted."""
    return " ".join(shell_quote(w) for w in words)


def remove_from_group(user: str, group: str) -> str:
    return cli("aws", "iam", "remove-user-from-group", "--user-name", user, "--group-name", group)


def delete_user_policy(user: str, name: str) -> str:
    return cli("aws", "iam", "delete-user-policy", "--user-name", user, "--policy-name", name)


def detach_user_policy(user: str, arn: str) -> str:
    return cli("aws", "iam", "detach-user-policy", "--user-name", user, "--policy-arn", arn)


def delete_group_policy(group: str, name: str) -> str:
    return cli("aws", "iam", "delete-group-policy", "--group-name", group, "--policy-name", name)


def detach_group_policy(group: str, arn: str) -> str:
    return cli("aws", "iam", "detach-group-policy", "--group-name", group, "--policy-arn", arn)


def custom_policy_matches(group: ExpectedGroup, name: str, document: Any) -> bool:
    """Whether an attached policy is the group's custom policy, saying what was asked."""
    custom = group.custom_policy
    if custom is None or name != custom.name:
        return False
    return custom.document is None or normalize_policy(document) == normalize_policy(custom.document)


def effective_grants(reader: IamReader, expected: Expected) -> list[Grant]:
    """Every policy the user gets through IAM, with its document (raises on an IAM error).

    The groups are the ones IAM says the user is in, named in the answers or not: what
    the user can do, not what the answers hoped.
    """
    user = reader.user_name
    grants = [Grant(user, None, name, True, reader.inline_document(None, name), asked=False, seen=False)
              for name in reader.user_inline()]
    for arn in sorted(reader.user_attached()):
        asked = arn in expected.user_policy_arns
        grants.append(Grant(user, None, arn, False, reader.policy_document(arn), asked=asked,
                            seen=asked and shipped_document(arn) is not None))
    for group in reader.groups():
        ours = expected.groups.get(group)
        chosen = group in expected.existing_groups  # the operator chose its policies by naming it
        for name in reader.group_inline(group):
            grants.append(Grant(user, group, name, True, reader.inline_document(group, name),
                                asked=chosen, seen=False, tfiams_group=ours is not None))
        for arn, name in sorted(reader.group_attached(group).items()):
            document = reader.policy_document(arn)
            asked, seen = chosen, False
            if ours is not None and arn in ours.managed_policy_arns:
                asked, seen = True, shipped_document(arn) is not None
            elif ours is not None and custom_policy_matches(ours, name, document):
                asked, seen = True, True
            grants.append(Grant(user, group, arn, False, document, asked=asked, seen=seen,
                                tfiams_group=ours is not None))
    return grants
