"""What a saved plan will do, in the operator's words, and the destroy gate.

Every plan is classified before it is shown: creates, in-place updates, and *dangerous*
changes: anything deleted or replaced, and updates that take something live away (a
user, group or policy renamed or moved to another path, an access key deactivated, the
user leaving a group).  Dangerous changes come first, each saying what it means for
whoever relies on the thing.  ``--auto-approve`` alone never applies one
(:func:`decide`); a lifecycle step's own purpose (rotation deleting the old key) is
listed and confirmed by that step, so it is not gated twice.

Classification reads ``terraform show -json PLAN`` (the plan's JSON stream says only
"update"; a rename is visible only in the before and after values).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Change:
    address: str
    action: str  # create | update | delete | replace
    kind: str  # resource type, e.g. aws_iam_access_key
    dangerous: bool
    meaning: str  # one sentence for the operator (dangerous changes); "" otherwise


@dataclass
class PlanReview:
    """A saved plan, classified, and the SHA-256 of the file as it was shown."""

    changes: list[Change] = field(default_factory=list)
    sha256: str = ""

    @property
    def dangers(self) -> list[Change]:
        return [c for c in self.changes if c.dangerous]

    def dangers_beyond(self, purpose: Iterable[str]) -> list[Change]:
        """Dangerous changes other than the addresses a lifecycle step exists to change."""
        allowed = set(purpose)
        return [c for c in self.dangers if c.address not in allowed]

    def note_lines(self) -> list[str]:
        """Changes worth a word that are not dangerous (finishing an interrupted apply)."""
        return [f"note: {c.meaning}" for c in self.changes if not c.dangerous and c.meaning]

    def danger_lines(self) -> list[str]:
        """The block shown before the plan (empty when nothing is dangerous)."""
        if not self.dangers:
            return []
        lines = [f"DANGER: this plan deletes, replaces or takes away {len(self.dangers)} live thing(s):"]
        for c in self.dangers:
            lines.append(f"  ! {c.meaning}")
            lines.append(f"      ({c.action} {c.address})")
        return lines


class Decision(enum.Enum):
    APPLY = "apply"  # no question needed
    CONFIRM = "confirm"  # ask yes/no
    TYPE_NAME = "type-name"  # dangerous: the operator types the user name
    REFUSE_DANGER = "refuse-danger"  # --auto-approve without --allow-destroy
    REFUSE_NO_TERMINAL = "refuse-no-terminal"


def decide(review: PlanReview, *, auto_approve: bool, allow_destroy: bool, terminal: bool,
           purpose: Iterable[str] = ()) -> Decision:
    """How a plan may be applied.  Dangerous changes need ``allow_destroy`` under
    ``auto_approve``, or the user name typed on a terminal."""
    dangerous = bool(review.dangers_beyond(purpose))
    if auto_approve:
        return Decision.REFUSE_DANGER if dangerous and not allow_destroy else Decision.APPLY
    if not terminal:
        return Decision.REFUSE_NO_TERMINAL
    return Decision.TYPE_NAME if dangerous else Decision.CONFIRM


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _action(actions: list[str]) -> str | None:
    if actions in (["create", "delete"], ["delete", "create"]):
        return "replace"
    if actions in (["create"], ["update"], ["delete"]):
        return actions[0]
    return None  # no-op, read


def _short_arn(arn: Any) -> str:
    text = str(arn or "?")
    return text.split(":policy/", 1)[1] if ":policy/" in text else text


def _identity_update(kind: str, before: dict, after: dict) -> str | None:
    """The words for an in-place update that takes something away; None when harmless."""
    label = {"aws_iam_user": "user", "aws_iam_group": "group", "aws_iam_policy": "policy"}.get(kind)
    if label:
        old, new = before.get("name"), after.get("name")
        if old != new:
            return (f"{label} {old} will be renamed to {new}: its ARN changes, so policies, trust "
                    "relationships and people naming the old name stop matching")
        if before.get("path") != after.get("path"):
            return (f"{label} {old} moves from path {before.get('path')} to {after.get('path')}: its ARN "
                    "changes, so policies naming the old ARN stop matching")
        return None
    if kind == "aws_iam_access_key" and before.get("status") == "Active" and after.get("status") == "Inactive":
        return f"access key {before.get('id')} of {before.get('user')} will be deactivated: whatever uses it stops working"
    if kind == "aws_iam_user_group_membership":
        left = sorted(set(before.get("groups") or []) - set(after.get("groups") or []))
        if left:
            return f"user {before.get('user')} leaves group(s) {', '.join(left)}: it loses their permissions"
    return None


def _removal(kind: str, action: str, before: dict, address: str) -> str:
    """The words for a delete or a replace."""
    again = action == "replace"
    if kind == "aws_iam_access_key":
        tail = " and a new one created" if again else ""
        return f"access key {before.get('id')} of {before.get('user')} will be deleted{tail}: whatever uses it stops working"
    if kind == "aws_iam_user_login_profile":
        if again:
            return f"console password of {before.get('user')} will be replaced: the current password stops working"
        return f"console password of {before.get('user')} will be deleted: they can no longer sign in to the console"
    if kind == "aws_iam_user":
        verb = "deleted and created again" if again else "deleted"
        return (f"user {before.get('name')} will be {verb}: its keys and password stop working, and a user "
                "made again gets a new unique id (policies naming the old one no longer match)")
    if kind == "aws_iam_group":
        verb = "deleted and created again" if again else "deleted"
        return f"group {before.get('name')} will be {verb}: every member, not only this user, loses its permissions"
    if kind == "aws_iam_policy":
        verb = "deleted and created again" if again else "deleted"
        return f"policy {before.get('name')} will be {verb}: it is taken from every user, group and role it is attached to"
    if kind == "aws_iam_group_policy_attachment":
        policy = _short_arn(before.get("policy_arn"))
        return f"policy {policy} will be detached from group {before.get('group')}: its members lose it"
    if kind == "aws_iam_user_policy_attachment":
        return f"policy {_short_arn(before.get('policy_arn'))} will be detached from user {before.get('user')}"
    if kind == "aws_iam_user_group_membership":
        return f"user {before.get('user')} leaves group(s) {', '.join(before.get('groups') or [])}"
    return f"{address} ({kind}) will be {'replaced' if again else 'deleted'}"


def classify(plan: dict[str, Any], finishing: Iterable[str] = ()) -> list[Change]:
    """The plan's managed-resource changes (``terraform show -json`` output), dangerous first.

    ``finishing``: addresses an interrupted apply of this workspace was creating.  One of
    them left tainted (created, but the apply stopped before it was finished) is replaced
    to finish that creation, which the operator approved; that is not a new danger."""
    unfinished = set(finishing)
    out = []
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode") != "managed":
            continue
        change = rc.get("change") or {}
        action = _action(list(change.get("actions") or []))
        if action is None:
            continue
        kind, address = str(rc.get("type")), str(rc.get("address"))
        before, after = change.get("before") or {}, change.get("after") or {}
        meaning: str | None = None
        if action == "replace" and rc.get("action_reason") == "replace_because_tainted" and address in unfinished:
            out.append(Change(address, action, kind, False,
                              f"{address} was left half-made by the interrupted apply; it is made again"))
            continue
        if action in ("delete", "replace"):
            meaning = _removal(kind, action, before, address)
        elif action == "update":
            meaning = _identity_update(kind, before, after)
        out.append(Change(address, action, kind, meaning is not None, meaning or ""))
    return sorted(out, key=lambda c: not c.dangerous)


def review(plan: dict[str, Any], plan_path: Path, finishing: Iterable[str] = ()) -> PlanReview:
    """Classify ``plan`` and fingerprint the file it came from."""
    return PlanReview(classify(plan, finishing), file_sha256(plan_path))
