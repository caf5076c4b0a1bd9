"""The answers as they stand while a user is disabled (``tfiam offboard``): no console
password, AWS's ``AWSDenyAll`` attached to the user, and tags saying when and by whom it
was disabled.  The user, its groups and its keys stay (the keys inactive: see
terraform.keyslots).  Every run that writes the workspace or verifies it uses these
answers while the state holds an offboarding record, so a replay in the observation window
never re-enables anyone."""

from __future__ import annotations

import re
from typing import Any

from . import choices
from .limits import MANAGED_POLICIES_DEFAULT
from .model import Answers

DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll"
DISABLED_AT = "tfiam:disabled-at"
DISABLED_BY = "tfiam:disabled-by"
_TAG_VALUE_MAX = 256  # IAM's limit on a tag value
_TAGS_MAX = 50  # tags on one IAM user
_NOT_TAG_TEXT = re.compile(r"[^\w .:/=+\-@]", re.ASCII)  # what IAM refuses in a tag value


def deny_all(answers: Answers) -> str:
    """AWSDenyAll in the partition of the answers' region (aws-cn, aws-us-gov, ...)."""
    return DENY_ALL.replace("arn:aws:", f"arn:{choices.partition_of(answers.provider.region) or 'aws'}:", 1)


def disabled_tags(record: dict[str, Any]) -> dict[str, str]:
    """The tags saying when and by whom; a caller ARN's characters IAM refuses in a tag
    value (a role session name may hold a comma) become "_"."""
    return {DISABLED_AT: _NOT_TAG_TEXT.sub("_", str(record["disabled_at"]))[:_TAG_VALUE_MAX],
            DISABLED_BY: _NOT_TAG_TEXT.sub("_", str(record["disabled_by"]))[:_TAG_VALUE_MAX]}


def room_to_disable(answers: Answers) -> list[str]:
    """Why the disabled user would break an IAM quota (empty: it fits): the two tags and
    the one policy a disable adds must fit beside the answers' own."""
    found = []
    if len(answers.user.tags) > _TAGS_MAX - 2:
        found.append(f"user.tags: {len(answers.user.tags)} tags, and a disable adds 2 ({DISABLED_AT}, "
                     f"{DISABLED_BY}); IAM allows {_TAGS_MAX} on a user, so at most {_TAGS_MAX - 2} here")
    policies = answers.permissions.user_managed_policies
    if deny_all(answers) not in policies and len(policies) >= MANAGED_POLICIES_DEFAULT:
        found.append(f"permissions.user_managed_policies: {len(policies)} policies, and a disable attaches "
                     f"AWSDenyAll; IAM allows {MANAGED_POLICIES_DEFAULT} on a user by default, so at most "
                     f"{MANAGED_POLICIES_DEFAULT - 1} here")
    return found


def disabled(answers: Answers, record: dict[str, Any]) -> Answers:
    """``answers`` with the user disabled as ``record`` (an offboarding record) says."""
    user = answers.user.model_copy(update={"tags": {**answers.user.tags, **disabled_tags(record)}})
    policies = [*answers.permissions.user_managed_policies]
    if deny_all(answers) not in policies:
        policies.append(deny_all(answers))
    permissions = answers.permissions.model_copy(update={"user_managed_policies": policies})
    authentication = answers.authentication.model_copy(update={"console": False})
    return answers.model_copy(update={"user": user, "permissions": permissions, "authentication": authentication})
