"""The answers as they stand while a user is disabled (``tfiam offboard``): no console
password, AWS's ``AWSDenyAll`` attached to the user, and tags saying when and by whom it
was disabled.  The user, its groups and its keys stay (the keys inactive: see
terraform.keyslots).  Every run that writes the workspace or verifies it uses these
answers while the state holds an offboarding record, so a replay in the observation window
never re-enables anyone."""

from __future__ import annotations

from typing import Any

from .model import Answers

DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll"
DISABLED_AT = "tfiam:disabled-at"
DISABLED_BY = "tfiam:disabled-by"
_TAG_VALUE_MAX = 256  # IAM's limit on a tag value


def disabled_tags(record: dict[str, Any]) -> dict[str, str]:
    return {DISABLED_AT: str(record["disabled_at"])[:_TAG_VALUE_MAX],
            DISABLED_BY: str(record["disabled_by"])[:_TAG_VALUE_MAX]}


def disabled(answers: Answers, record: dict[str, Any]) -> Answers:
    """``answers`` with the user disabled as ``record`` (an offboarding record) says."""
    user = answers.user.model_copy(update={"tags": {**answers.user.tags, **disabled_tags(record)}})
    policies = [*answers.permissions.user_managed_policies]
    if DENY_ALL not in policies:
        policies.append(DENY_ALL)
    permissions = answers.permissions.model_copy(update={"user_managed_policies": policies})
    authentication = answers.authentication.model_copy(update={"console": False})
    return answers.model_copy(update={"user": user, "permissions": permissions, "authentication": authentication})
