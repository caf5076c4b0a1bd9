"""The run after one that died: finish what the interrupted apply left behind.

The interrupted apply's record (pipeline/inflight) says when it ran and what it was
creating; the state says what terraform recorded; IAM says what exists.  An access key
or login profile of the user that exists, is not in state and was created inside the
window is that apply's orphan: its secret never reached anyone, so it is deleted (the
operator approved creating it, and this run creates it again).  Anything else is only
reported (aws/orphans).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..answers import Answers
from ..aws import orphans
from ..aws.clients import aws_session, error_text
from ..aws.preflight import MODULE
from ..terraform import keyslots
from ..terraform.runner import Runner
from . import inflight

# What IAM creates whole in one call, so a copy the interrupted apply left tainted (created,
# then the read-back failed) is the object asked for: untainted, not replaced.  Replacing
# would delete a user just made, and a group (create_before_destroy, a fixed name) cannot
# be created again beside itself (EntityAlreadyExists).  Keys and login profiles keep their
# taint: their secret may never have reached the state.
WHOLE_TYPES = ("aws_iam_user", "aws_iam_group", "aws_iam_policy")
KEY_TYPE = "aws_iam_access_key"
LOGIN_TYPE = "aws_iam_user_login_profile"
ADDRESSES = {orphans.KEY: keyslots.address(keyslots.FIRST), orphans.LOGIN: f"{MODULE}.{LOGIN_TYPE}.this[0]"}


@dataclass
class Recovery:
    removed: list[str] = field(default_factory=list)  # what was deleted (or kept, untainted), in words
    foreign: list[str] = field(default_factory=list)  # found and left alone, with the commands
    unchecked: str | None = None  # why IAM could not be asked (the record is kept for next time)
    unfinished: tuple[str, ...] = ()  # what the interrupted apply was creating (see review.classify)

    def lines(self) -> list[str]:
        out = list(self.removed) + [f"warning: {line}" for line in self.foreign]
        if self.unchecked:
            out.append(f"warning: could not check what the interrupted apply left behind ({self.unchecked}); "
                       "tfiam checks again on the next run")
        return out


def _in_state(state: dict[str, Any]) -> tuple[set[str], bool]:
    """The access key ids and whether a login profile is in the state."""
    keys: set[str] = set()
    login = False
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances", []):
            attributes = instance.get("attributes") or {}
            if resource.get("type") == KEY_TYPE and attributes.get("id"):
                keys.add(str(attributes["id"]))
            elif resource.get("type") == LOGIN_TYPE:
                login = True
    return keys, login


def tainted_whole(state: dict[str, Any], creates: tuple[str, ...]) -> list[str]:
    """Addresses of tainted users, groups and policies the interrupted apply was creating."""
    found = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed" or resource.get("type") not in WHOLE_TYPES:
            continue
        base = ".".join(p for p in (resource.get("module"), resource.get("type"), resource.get("name")) if p)
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            address = base + ("" if key is None else f'["{key}"]' if isinstance(key, str) else f"[{key}]")
            if instance.get("status") == "tainted" and address in creates:
                found.append(address)
    return found


def recover(workspace_dir: Path, answers: Answers, runner: Runner, credentials: tuple[str, str] | None) -> Recovery:
    record = inflight.read(workspace_dir)
    if record is None:
        return Recovery()
    types = {orphans.KEY: KEY_TYPE, orphans.LOGIN: LOGIN_TYPE}

    def ours(kind: str, created: datetime) -> bool:
        return record.creates_kind(types[kind]) and record.inside(created)

    # The record stays until this run's own apply replaces it (or a plan finds nothing to
    # do): a run stopped before applying must still see what the interrupted one was making.
    result = Recovery(unfinished=record.creates)
    try:
        state = runner.state_pull()
        for address in tainted_whole(state, record.creates):
            runner.untaint(address)
            result.removed.append(f"kept {address}: the interrupted apply created it; its read-back was cut off")
        keys, login = _in_state(state)
        iam = aws_session(answers.provider.region, answers.provider.profile, credentials).client(
            "iam", endpoint_url=answers.provider.endpoint)
        for orphan in orphans.find(iam, answers.user.name, keys_in_state=keys, login_in_state=login, ours=ours):
            if orphan.ours:
                orphans.remove(iam, orphan)
                result.removed.append(orphan.removed_line())
            else:
                result.foreign.append(orphan.foreign_line(workspace_dir, ADDRESSES[orphan.kind]))
    except (ClientError, BotoCoreError) as exc:
        result.unchecked = error_text(exc)
    return result
