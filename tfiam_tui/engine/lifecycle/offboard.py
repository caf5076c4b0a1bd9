"""Offboarding as a state machine, one step per run (``tfiam offboard``).

    active    --disable-->  disabled   every key Inactive, the console password deleted,
                                       AWSDenyAll on the user, tags saying when and by whom
    disabled  --delete-->   gone       after the observation window, when nothing was used
                                       or re-enabled since: everything the user holds goes
    disabled  --cancel-->   active     keys Active again, the deny and the tags gone; the
                                       console password (deleted at disable) is made anew

The record (when, by whom, the key statuses to restore) is kept in the state as the
workspace's ``offboarding`` variable (terraform.keyslots), applied in the same apply as the
step's change, so another admin with the same state continues.  While it is there, every
run writes the workspace as disabled (answers.offboarding.disabled).  This module decides
and reads AWS; ``commands.lifecycle.offboard`` plans, asks, applies and verifies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..answers import Answers
from ..answers.offboarding import DENY_ALL, DISABLED_AT, DISABLED_BY, room_to_disable
from ..aws.clients import paged
from ..aws.expected import Check
from ..terraform import keyslots
from ..terraform.keyslots import KeySlots, StateKey
from ..text import command
from .rotation import LiveKey, Refusal, iso, live_keys, parse_time, span
from .usage import ServiceUse, service_use

VERSION = 1
DEFAULT_OBSERVE = dt.timedelta(days=30)
MODULE = keyslots.MODULE
LOGIN_ADDRESS = f"{MODULE}.aws_iam_user_login_profile.this[0]"
USER_ADDRESS = f"{MODULE}.aws_iam_user.this"


def deny_address(deny: str) -> str:
    return f'{MODULE}.aws_iam_user_policy_attachment.this["{deny}"]'

__all__ = ["DEFAULT_OBSERVE", "Facts", "Refusal", "Step", "check_applied", "next_step", "read_facts", "where"]


@dataclass
class Facts:
    """What the record, the state and AWS say about the user."""

    user: str
    held: dict[str, StateKey]  # the state's keys, by slot
    live: dict[str, LiveKey]  # AWS's keys, by id
    record: dict[str, Any] | None  # the offboarding record
    login_profile: bool = False
    password_last_used: dt.datetime | None = None
    user_policies: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    deny: str = DENY_ALL  # AWSDenyAll in the user's partition
    services: ServiceUse | None = None  # IAM's service-last-accessed report since the disable
    shared_groups: dict[str, list[str]] = field(default_factory=dict)  # groups this workspace made -> other members

    @property
    def phase(self) -> str:
        return str((self.record or {}).get("phase") or "")

    @property
    def disabled_at(self) -> dt.datetime | None:
        return parse_time((self.record or {}).get("disabled_at"))


def _groups_made_here(state: dict[str, Any] | None) -> list[str]:
    return [str((i.get("attributes") or {}).get("name")) for r in (state or {}).get("resources", [])
            if r.get("mode") == "managed" and r.get("type") == "aws_iam_group" for i in r.get("instances", [])
            if (i.get("attributes") or {}).get("name")]


def read_facts(iam: Any, user: str, state: dict[str, Any] | None, deny: str = DENY_ALL) -> Facts:
    facts = Facts(user, keyslots.state_keys(state), {k.id: k for k in live_keys(iam, user)},
                  keyslots.offboard_record_of(state), deny=deny)
    for group in _groups_made_here(state):
        try:
            members = [u["UserName"] for u in paged(iam, "get_group", "Users", GroupName=group)]
        except iam.exceptions.NoSuchEntityException:
            continue
        if others := [m for m in members if m != user]:
            facts.shared_groups[group] = others
    got = iam.get_user(UserName=user)["User"]
    facts.password_last_used = got.get("PasswordLastUsed")
    facts.tags = {t["Key"]: t["Value"] for t in paged(iam, "list_user_tags", "Tags", UserName=user)}
    facts.user_policies = [p["PolicyArn"] for p in paged(iam, "list_attached_user_policies", "AttachedPolicies",
                                                         UserName=user)]
    try:
        iam.get_login_profile(UserName=user)
        facts.login_profile = True
    except iam.exceptions.NoSuchEntityException:
        facts.login_profile = False
    if facts.phase == "disabled" and facts.disabled_at is not None:  # what a delete will weigh
        facts.services = service_use(iam, got["Arn"], facts.disabled_at)
    return facts


@dataclass
class Step:
    name: str  # disable | delete | cancel
    doing: str
    slots: KeySlots  # written to the workspace for this step's plan (delete: unchanged)
    purpose: list[str] = field(default_factory=list)  # plan addresses this step exists to change
    removes: list[str] = field(default_factory=list)  # addresses it may delete
    deletes: list[str] = field(default_factory=list)  # what it deletes, in words: confirmed on its own
    destroy: bool = False  # the plan deletes everything the workspace holds


def where(facts: Facts, now: dt.datetime) -> list[str]:
    lines = [f"  access key {k.id}: {k.status}, {k.use()}" for k in facts.live.values()]
    lines.append(f"  console password: {'set' if facts.login_profile else 'none'}"
                 + (f", last sign-in {iso(facts.password_last_used)}" if facts.password_last_used else ""))
    if facts.services is not None:
        lines.append(facts.services.line())
    at = facts.disabled_at
    if facts.record is None or at is None:
        lines.append("Not being offboarded.")
    else:
        window = dt.timedelta(seconds=int(facts.record.get("observe_seconds") or 0))
        lines.append(f"Disabled {iso(at)} ({span(now - at)} ago) by {facts.record.get('disabled_by')}; "
                     f"the observation window ends {iso(at + window)}.")
    return lines


def _record(facts: Facts, now: dt.datetime, actor: str, observe: dt.timedelta, answers_path: str) -> dict[str, Any]:
    return {"version": VERSION, "phase": "disabled", "disabled_at": iso(now), "disabled_by": actor,
            "observe_seconds": int(observe.total_seconds()), "answers": answers_path,
            "slots": {slot: key.status for slot, key in facts.held.items()}}


def next_step(facts: Facts, answers: Answers, *, now: dt.datetime, actor: str, answers_path: str,
              observe: dt.timedelta | None = None, cancel: bool = False, rotation: dict[str, Any] | None = None) -> Step:
    """The step this run takes.  Raises Refusal (nothing changed) when none can run now."""
    if facts.record is None:
        if cancel:
            raise Refusal(f"{facts.user} is not being offboarded, so there is nothing to cancel")
        if rotation is not None and rotation.get("phase") in ("started", "cut-over"):
            raise Refusal(f"a key rotation of {facts.user} is under way; finish or roll it back first "
                          f"({command('tfiam', 'rotate', answers_path)}), then offboard")
        if over := room_to_disable(answers):
            raise Refusal(f"the disabled user would not fit IAM's quotas: {'; '.join(over)}. Make room in "
                          f"{answers_path} and replay it first")
        step = _disable(facts, answers, now, actor, DEFAULT_OBSERVE if observe is None else observe, answers_path)
    elif facts.phase == "deleting":
        if cancel:
            raise Refusal(f"the delete of {facts.user} was confirmed and has begun, so it cannot be cancelled; "
                          f"run {command('tfiam', 'offboard', answers_path)} to finish it")
        step = _delete(facts, now, observe, answers_path, resumed=True)
    elif cancel:
        step = _cancel(facts, answers)
    elif missing := incomplete(facts):
        # A disable cut off half-way, or undone by hand: disable (again), and the window starts anew.
        window = observe if observe is not None else dt.timedelta(seconds=int(facts.record.get("observe_seconds") or 0))
        step = _disable(facts, answers, now, actor, window, answers_path)
        step.doing = f"disable again ({'; '.join(missing)}): " + step.doing.removeprefix("disable ")
    else:
        step = _delete(facts, now, observe, answers_path)
    step.slots.record = rotation  # the rotation's record (its history) stays as it is, up to the destroy
    return step


def _disable(facts: Facts, answers: Answers, now: dt.datetime, actor: str, observe: dt.timedelta,
             answers_path: str) -> Step:
    record = _record(facts, now, actor, observe, answers_path)
    slots = KeySlots({slot: "Inactive" for slot in facts.held}, None, record)
    doing = (f"disable {facts.user}: every access key Inactive ({', '.join(k.id for k in facts.held.values()) or 'none'})"
             f", AWSDenyAll attached, tags {DISABLED_AT} and {DISABLED_BY}")
    deletes, removes = [], []
    if answers.authentication.console:
        doing += ", and the console password deleted (a cancel makes a new one)"
        deletes, removes = [f"the console password of {facts.user}"], [LOGIN_ADDRESS]
    doing += f"; the user and its groups stay for the observation window ({span(observe)})"
    return Step("disable", doing, slots, [USER_ADDRESS, deny_address(facts.deny), LOGIN_ADDRESS, keyslots.OFFBOARD_ADDRESS,
                                          *(keyslots.address(s) for s in facts.held)], removes, deletes)


def _cancel(facts: Facts, answers: Answers) -> Step:
    record = facts.record or {}
    slots = KeySlots(dict(record.get("slots") or {}), None, None)
    doing = f"cancel the offboarding of {facts.user}: the keys as they were, AWSDenyAll and the tags removed"
    if answers.authentication.console:
        doing += ("; the console password was deleted at disable, so a new one is made "
                  "(hand it over with tfiam decrypt)")
    return Step("cancel", doing, slots,
                [USER_ADDRESS, deny_address(facts.deny), LOGIN_ADDRESS, keyslots.OFFBOARD_ADDRESS,
                 *(keyslots.address(s) for s in slots.slots)],
                [deny_address(facts.deny), keyslots.OFFBOARD_ADDRESS], [])


def incomplete(facts: Facts) -> list[str]:
    """What is not disabled although the record says so (a disable cut off, or undone by hand)."""
    found = [f"access key {key.id} is Active" for key in facts.live.values() if key.status == "Active"]
    if facts.login_profile:
        found.append("a console password is set")
    if facts.deny not in facts.user_policies:
        found.append("AWSDenyAll is not attached")
    if DISABLED_AT not in facts.tags:
        found.append(f"the tag {DISABLED_AT} is missing")
    return found


def evidence(facts: Facts) -> list[str]:
    """What was used since the disable (empty: nothing)."""
    at = facts.disabled_at
    found = [f"access key {key.id} was {key.use()}" for key in facts.live.values()
             if at is not None and key.last_used is not None and key.last_used > at]
    if at is not None and facts.password_last_used is not None and facts.password_last_used > at:
        found.append(f"the console password was used {iso(facts.password_last_used)}")
    if facts.services is not None and facts.services.since:
        found.append(f"IAM's service-last-accessed report shows {', '.join(facts.services.since)}")
    return found


def blockers(facts: Facts) -> list[str]:
    """What a delete would take from someone else, or what IAM would refuse it for."""
    mine = {k.id for k in facts.held.values()}
    found = [f"access key {key.id} ({key.status}) was made outside tfiam" for key in facts.live.values()
             if key.id not in mine]
    found += [f"group {group}, made by this workspace, also has {', '.join(members)} as member(s)"
              for group, members in sorted(facts.shared_groups.items())]
    return found


def _delete(facts: Facts, now: dt.datetime, observe: dt.timedelta | None, answers_path: str,
            resumed: bool = False) -> Step:
    record = facts.record or {}
    if blocked := blockers(facts):
        raise Refusal(f"deleting {facts.user} would take what is not only its own: {'; '.join(blocked)}. Remove "
                      "the key, or move the other members to a group of their own, then run this again")
    slots = KeySlots({slot: "Inactive" for slot in facts.held}, None, {**record, "phase": "deleting"})
    doing = (f"delete {facts.user} and everything it holds (keys, memberships, attachments, the groups this "
             "workspace made); existing groups keep their other members")
    if resumed:
        return Step("delete", "finish the delete that was begun: " + doing, slots, destroy=True,
                    deletes=[f"the IAM user {facts.user}"])
    at = facts.disabled_at
    assert at is not None  # offboard_record_of checked it
    window = observe if observe is not None else dt.timedelta(seconds=int(record.get("observe_seconds") or 0))
    if now < at + window:
        raise Refusal(f"{facts.user} was disabled {iso(at)}; the observation window ({span(window)}) ends "
                      f"{iso(at + window)}, and the user is deleted only after it. Run this again then "
                      f"(--observe shortens the window; {command('tfiam', 'offboard', answers_path, '--cancel')} "
                      "brings the user back)")
    if found := evidence(facts):
        cancel = command('tfiam', 'offboard', answers_path, '--cancel')
        raise Refusal(f"since {facts.user} was disabled at {iso(at)}: {'; '.join(found)}. Someone may still depend "
                      f"on this user: find out who. To keep it, {cancel}; to start the window again, {cancel} "
                      f"and then {command('tfiam', 'offboard', answers_path)}")
    return Step("delete", doing, slots, destroy=True, deletes=[f"the IAM user {facts.user}"])


def check_applied(facts: Facts, step: Step) -> list[Check]:
    """The step, read back from AWS."""
    if step.name == "disable":
        inactive = all(k.status == "Inactive" for k in facts.live.values())
        return [Check("every access key Inactive", inactive,
                      ", ".join(f"{k.id}: {k.status}" for k in facts.live.values()) or "no keys"),
                Check("no console password", not facts.login_profile, "deleted" if not facts.login_profile else "set"),
                Check("AWSDenyAll attached to the user", facts.deny in facts.user_policies, facts.deny),
                Check("disabled tags", DISABLED_AT in facts.tags and DISABLED_BY in facts.tags,
                      f"{facts.tags.get(DISABLED_AT)} by {facts.tags.get(DISABLED_BY)}")]
    if step.name == "cancel":
        wanted = step.slots.slots
        statuses = {slot: facts.live[k.id].status for slot, k in facts.held.items() if k.id in facts.live}
        return [Check("access keys as before the disable", all(statuses.get(s) == v for s, v in wanted.items()),
                      ", ".join(f"{s}: {v}" for s, v in sorted(statuses.items())) or "no keys"),
                Check("AWSDenyAll detached", facts.deny not in facts.user_policies, "detached"),
                Check("disabled tags removed", DISABLED_AT not in facts.tags and DISABLED_BY not in facts.tags, "removed")]
    return []
