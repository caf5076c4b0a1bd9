"""``tfiam adopt``: a user made elsewhere (the console, a script) read from the AWS API and
described as it is, so that tfiam manages it without changing it.

:func:`read_user` lists what IAM holds for the user; :func:`refusals` names what tfiam
cannot keep (an inline policy: the answers have no place for one, and a workspace that
does not hold it would either leave it unseen or, with an exclusive resource, delete it);
:func:`answers_data` writes the answers that describe the user, and :func:`adoption` the
import blocks that bring its resources into the state as they are (the access keys into
slots, their secrets staying where they are).  Nothing here writes a file or changes IAM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..aws.clients import paged
from ..terraform import keyslots
from ..terraform.workspace import IMPORTS_TF, Adoption
from ..text import command

MODULE = "module.iam_user"
IMPORTS_NAME = IMPORTS_TF  # the workspace file with the import blocks


def user_address() -> str:
    return f"{MODULE}.aws_iam_user.this"


class UserNotFound(LookupError):
    """No user of that name in the account."""


class CannotAdopt(ValueError):
    """The user holds something tfiam would not keep as it is; the message says what to do."""


@dataclass(frozen=True)
class AccessKey:
    id: str
    status: str
    created: datetime


@dataclass
class FoundUser:
    """A user as IAM holds it."""

    name: str
    arn: str
    path: str
    tags: dict[str, str] = field(default_factory=dict)
    boundary: str | None = None
    groups: list[str] = field(default_factory=list)
    managed_policies: list[str] = field(default_factory=list)
    inline_policies: list[str] = field(default_factory=list)
    keys: list[AccessKey] = field(default_factory=list)  # oldest first
    login: dict[str, Any] | None = None  # GetLoginProfile's LoginProfile, or None
    mfa_devices: list[str] = field(default_factory=list)  # serial numbers

    @property
    def account_id(self) -> str | None:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 4 and parts[4] else None


def read_user(iam: Any, name: str) -> FoundUser:
    """Everything IAM holds for ``name`` that the workspace manages or must know of.
    Raises UserNotFound; other API errors propagate (ClientError, BotoCoreError)."""
    try:
        user = iam.get_user(UserName=name)["User"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise UserNotFound(name) from None
        raise
    name = user["UserName"]  # IAM names are case-insensitive: keep the spelling IAM has
    found = FoundUser(name=name, arn=user["Arn"], path=user.get("Path", "/"),
                      tags={t["Key"]: t["Value"] for t in paged(iam, "list_user_tags", "Tags", UserName=name)},
                      boundary=(user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"))
    found.groups = [g["GroupName"] for g in paged(iam, "list_groups_for_user", "Groups", UserName=name)]
    found.managed_policies = [p["PolicyArn"] for p in
                              paged(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)]
    found.inline_policies = list(paged(iam, "list_user_policies", "PolicyNames", UserName=name))
    keys = paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
    found.keys = sorted((AccessKey(k["AccessKeyId"], k["Status"], k["CreateDate"]) for k in keys),
                        key=lambda k: (k.created, k.id))
    try:
        found.login = iam.get_login_profile(UserName=name)["LoginProfile"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    found.mfa_devices = [d["SerialNumber"] for d in paged(iam, "list_mfa_devices", "MFADevices", UserName=name)]
    return found


def refusals(found: FoundUser) -> list[str]:
    """Why this user cannot be adopted as it is (empty: it can)."""
    out = []
    if found.inline_policies:
        names = ", ".join(found.inline_policies)
        first = found.inline_policies[0]
        out.append(
            f"{found.name} has inline policies ({names}). tfiam manages policies as managed policies on groups "
            "or on the user, and will not adopt a user whose grants it cannot see and keep. Move each one to a "
            "customer managed policy first, then adopt again: read it with "
            f"{command('aws', 'iam', 'get-user-policy', '--user-name', found.name, '--policy-name', first)}, "
            "create it with aws iam create-policy, attach it with aws iam attach-user-policy, and delete the "
            f"inline one with {command('aws', 'iam', 'delete-user-policy', '--user-name', found.name, '--policy-name', first)}")
    if len(found.keys) > len(keyslots.SLOTS):
        out.append(f"{found.name} has {len(found.keys)} access keys; IAM allows two and tfiam keeps two slots")
    return out


def notes(found: FoundUser) -> list[str]:
    """What the operator should know that does not stop the adoption."""
    out = []
    if found.mfa_devices:
        out.append(f"{found.name} has {len(found.mfa_devices)} MFA device(s) ({', '.join(found.mfa_devices)}); "
                   "tfiam leaves them as they are (Terraform does not manage a user's MFA devices)")
    if found.keys:
        ids = ", ".join(k.id for k in found.keys)
        out.append(f"access key(s) {ids} are imported as they are: their secrets stay with whoever holds them "
                   "(no copy in the state). tfiam rotate replaces them with keys encrypted to your PGP key")
    if found.login:
        out.append("the console password is imported as it is (no copy in the state); tfiam never resets it")
    if found.managed_policies:
        out.append("policies attached to the user directly are kept as user_managed_policies; the linter "
                   "suggests moving them to a group")
    return out


def answers_data(found: FoundUser, *, region: str, profile: str | None, endpoint: str | None,
                 pgp_key: str | None, workspace: str | None) -> dict[str, Any]:
    """The answers (plain data, as in an answers file) that describe the user as it is."""
    secrets = bool(found.keys) or found.login is not None
    return {
        "version": 1,
        "workspace": workspace,
        "provider": {"region": region, "profile": profile, "endpoint": endpoint},
        "user": {"name": found.name, "path": found.path, "tags": dict(found.tags),
                 "permissions_boundary": found.boundary, "force_destroy": False},
        "permissions": {"groups": [], "existing_groups": list(found.groups),
                        "user_managed_policies": list(found.managed_policies)},
        "authentication": {
            "access_key": bool(found.keys),
            "console": found.login is not None,
            "password_reset_required": bool((found.login or {}).get("PasswordResetRequired", False)),
            "pgp_key": pgp_key if secrets else None,
        },
        "backend": {"type": "local"},
    }


def adoption(found: FoundUser) -> Adoption:
    """The import blocks for the user's resources, in the module's addresses."""
    imports = [(user_address(), found.name)]
    if found.groups:
        imports.append((f"{MODULE}.aws_iam_user_group_membership.this[0]", "/".join([found.name, *found.groups])))
    imports += [(f"{MODULE}.aws_iam_user_policy_attachment.this[{json.dumps(arn)}]", f"{found.name}/{arn}")
                for arn in found.managed_policies]
    slots = list(zip(keyslots.SLOTS, found.keys, strict=False))
    imports += [(keyslots.address(slot), key.id) for slot, key in slots]
    if found.login is not None:
        imports.append((f"{MODULE}.aws_iam_user_login_profile.this[0]", found.name))
    return Adoption(found.name, tuple(imports), tuple((slot, key.status) for slot, key in slots))
