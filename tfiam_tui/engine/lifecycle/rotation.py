"""Two-key rotation as a state machine, one step per run (``tfiam rotate``).

    idle      --start-->    started     a second key, in the other slot, next to the old one
    started   --cutover-->  cut-over    the old key Inactive, once the new one has been used
    cut-over  --finish-->   idle        the old key deleted, after the observation window
    started | cut-over  --rollback-->  idle   the old key Active again, the new one deleted

The record of where a rotation stands (phase, slots, who did each step and when) is a
variable of the workspace kept in the state (keyslots), applied in the same apply as the
step's key change: with S3 state any admin on any machine continues where the last one
stopped.  What a step may do is decided here from three sources: the record, the keys the
state holds, and the keys AWS has (ListAccessKeys, GetAccessKeyLastUsed), so a key made
outside tfiam, a key reactivated by hand or a step interrupted half-way is seen before
anything is planned.  This module decides; ``commands.lifecycle.rotate`` plans, asks,
applies and verifies.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..aws.clients import paged
from ..aws.expected import Check
from ..terraform import keyslots
from ..terraform.keyslots import KeySlots, StateKey
from ..text import command

VERSION = 1
DEFAULT_OBSERVE = dt.timedelta(days=7)
# tfiam signs in with a new key (STS) only within keyslots.OWN_SIGN_IN of its creation, and
# AWS records that as a use: a use on record that is only that (STS, within OWN_CHECK of the
# key's creation) is not taken as a consumer having moved.
OWN_CHECK = keyslots.OWN_CHECK
MAX_OBSERVE = dt.timedelta(days=3650)
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class Refusal(Exception):
    """The step cannot run now: why, and the way on.  Nothing was changed."""


def parse_duration(text: str) -> dt.timedelta:
    """``7d``, ``36h``, ``1d12h``, ``0s``...  Raises ValueError naming the rule."""
    if not text or _DURATION.sub("", text) != "":
        raise ValueError(f"{text!r} is not a duration; use a number and a unit (s, m, h, d, w), e.g. 7d, 36h or 0s")
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(text))
    if seconds > MAX_OBSERVE.total_seconds():
        raise ValueError(f"{text!r} is longer than {MAX_OBSERVE.days} days, the longest window tfiam keeps")
    return dt.timedelta(seconds=seconds)


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return None


def span(delta: dt.timedelta) -> str:
    """A duration in words: 6 days 23 h, 2 h 5 min, 40 s."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" if minutes else f"{secs} s"


@dataclass
class LiveKey:
    """An access key as AWS has it."""

    id: str
    status: str
    created: dt.datetime
    last_used: dt.datetime | None = None
    service: str | None = None
    region: str | None = None

    def use(self) -> str:
        if self.last_used is None:
            return "never used"
        where = ", ".join(p for p in (self.service, self.region) if p)
        return f"last used {iso(self.last_used)}" + (f" ({where})" if where else "")

    def used_by_others(self) -> bool:
        """A use on record that is not only tfiam's own check right after start."""
        if self.last_used is None:
            return False
        return not (self.service == "sts" and self.last_used <= self.created + OWN_CHECK)


@dataclass
class Facts:
    user: str
    held: dict[str, StateKey]  # the state's keys, by slot
    live: dict[str, LiveKey]  # AWS's keys, by id
    record: dict[str, Any] | None

    @property
    def phase(self) -> str:
        return str((self.record or {}).get("phase") or "idle")

    def outside(self) -> list[LiveKey]:
        """Keys AWS has that the state does not hold (made by hand, or elsewhere)."""
        mine = {k.id for k in self.held.values()}
        return [k for k in self.live.values() if k.id not in mine]

    def decided_status(self, slot: str) -> str:
        """The slot's status as tfiam last decided it (the record), else as the state has it."""
        return str(((self.record or {}).get("slots") or {}).get(slot) or self.held[slot].status)

    def key_in(self, slot: str | None) -> LiveKey | None:
        held = self.held.get(slot or "")
        return self.live.get(held.id) if held else None


def _used(value: Any) -> str | None:
    return value if isinstance(value, str) and value not in ("N/A", "") else None


def live_keys(iam: Any, user: str) -> list[LiveKey]:
    """The user's access keys as AWS has them, with their last use (ListAccessKeys, then
    GetAccessKeyLastUsed for each).  Status and rotation both read keys through this."""
    keys = []
    for meta in paged(iam, "list_access_keys", "AccessKeyMetadata", UserName=user):
        used = iam.get_access_key_last_used(AccessKeyId=meta["AccessKeyId"]).get("AccessKeyLastUsed", {})
        keys.append(LiveKey(meta["AccessKeyId"], meta["Status"], meta["CreateDate"], used.get("LastUsedDate"),
                            _used(used.get("ServiceName")), _used(used.get("Region"))))
    return keys


def read_facts(iam: Any, user: str, state: dict[str, Any] | None) -> Facts:
    """What the record, the state and AWS say about the user's keys."""
    live = {key.id: key for key in live_keys(iam, user)}
    return Facts(user, keyslots.state_keys(state), live, keyslots.record_of(state))


def user_exists(iam: Any, user: str) -> bool:
    try:
        iam.get_user(UserName=user)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return False
        raise
    return True


@dataclass
class Step:
    """One run's step: what it does and the slots and record it writes."""

    name: str  # start | cutover | finish | rollback
    doing: str  # what this step will do, in words
    slots: KeySlots  # written to the workspace for this step's plan
    purpose: list[str] = field(default_factory=list)  # plan addresses this step exists to change
    deletes: list[str] = field(default_factory=list)  # key ids deleted: named and confirmed on their own
    removes: list[str] = field(default_factory=list)  # the plan addresses it may delete (the rest only change)
    skipped: list[str] = field(default_factory=list)  # what --force skipped


def where(facts: Facts, now: dt.datetime) -> list[str]:
    """Where the rotation stands, for the operator: one line per key, then the phase."""
    lines = []
    for slot, held in sorted(facts.held.items()):
        key = facts.live.get(held.id)
        if key is None:
            lines.append(f"  slot {slot}: {held.id}, in the state but not in AWS (deleted outside Terraform)")
            continue
        age = span(now - key.created)
        lines.append(f"  slot {slot}: {key.id} {key.status}, made {iso(key.created)} ({age} ago), {key.use()}")
    for key in facts.outside():
        lines.append(f"  outside tfiam: {key.id} {key.status}, made {iso(key.created)}, {key.use()}")
    record = facts.record or {}
    if facts.phase == "started":
        lines.append(f"Rotation started {record.get('started_at')} by {record.get('started_by')}: "
                     f"the new key is in slot {record.get('new')}, the old one in slot {record.get('old')}.")
    elif facts.phase == "cut-over":
        lines.append(f"Rotation cut over {record.get('cutover_at')} by {record.get('cutover_by')}: the old key "
                     f"(slot {record.get('old')}) is inactive, under observation.")
    else:
        last = record.get("last_rotation") or {}
        done = f"; last rotation finished {last.get('finished_at')}" if last.get("finished_at") else ""
        lines.append(f"No rotation in progress{done}.")
    return lines


def _record(facts: Facts, **fields: Any) -> dict[str, Any]:
    record = {"version": VERSION}
    if (facts.record or {}).get("last_rotation"):
        record["last_rotation"] = facts.record["last_rotation"]  # type: ignore[index]
    record.update(fields)
    return record


def next_step(facts: Facts, *, now: dt.datetime, actor: str, answers_path: str, observe: dt.timedelta | None = None,
              force: bool = False, rollback: bool = False) -> Step:
    """The step this run takes.  Raises Refusal (nothing changed) when none can run now."""
    phase = facts.phase
    record = facts.record or {}
    if rollback:
        if phase == "idle":
            raise Refusal("no rotation is in progress, so there is nothing to roll back")
        step = _rollback(facts, now, actor)
    elif phase == "started" and record.get("old") not in facts.held:
        raise Refusal(f"the rotation's old key (slot {record.get('old')}) is no longer in this workspace's state, "
                      f"so tfiam cannot take the next step safely. Check the keys with "
                      f"{command('tfiam', 'status', answers_path)}")
    elif phase == "started" and record.get("new") in facts.held:
        step = _cutover(facts, now, actor, observe, force, answers_path)
    elif phase == "cut-over" and record.get("old") in facts.held:
        step = _finish(facts, now, actor, observe, answers_path)
    elif phase == "cut-over":
        step = _finished(facts, now, actor)  # the old key went, the record did not: finish again
    else:
        step = _start(facts, now, actor, answers_path)
    if force and step.name != "cutover":
        raise Refusal(f"--force only skips the cutover's check that the new key is in use; this run's step is "
                      f"{step.name}. Run again without --force")
    return step


def _start(facts: Facts, now: dt.datetime, actor: str, answers_path: str) -> Step:
    record = facts.record or {}
    if facts.phase == "started":
        old = str(record.get("old"))  # start was interrupted before the new key was made
    else:
        # The old key is the one tfiam last decided on; a second key the state holds beside it
        # is a start interrupted before its record was written, and this run records it.
        decided = set((facts.record or {}).get("slots") or {keyslots.FIRST: "Active"})
        known = [slot for slot in sorted(facts.held) if slot in decided]
        if len(known) != 1:
            raise Refusal(
                f"the state holds the keys {', '.join(k.id for k in facts.held.values()) or 'none'} and tfiam "
                f"cannot tell which one to rotate away from. Check them with {command('tfiam', 'status', answers_path)}"
                f"; {command('tfiam', 'replay', answers_path)} makes a key if there is none")
        old = known[0]
        if facts.decided_status(old) != "Active":
            raise Refusal(f"the key in slot {old} ({facts.held[old].id}) is inactive: there is no active key to "
                          f"rotate away from. Make it active again with {command('tfiam', 'replay', answers_path)}")
    if facts.key_in(old) is None:
        raise Refusal(f"the key in slot {old} ({getattr(facts.held.get(old), 'id', '?')}) is not in AWS (deleted "
                      f"outside Terraform); {command('tfiam', 'replay', answers_path)} makes a new one")
    new = keyslots.other(old)
    made = facts.held.get(new)
    if made is not None:
        # A second key beside the old one is taken as an interrupted start's only if it is
        # newer and active; an old key a finish failed to delete never becomes "the new one".
        made_live = facts.live.get(made.id)
        retired = ((facts.record or {}).get("last_rotation") or {}).get("old_key")
        old_live = facts.key_in(old)
        if (made_live is None or made_live.status != "Active" or made.id == retired
                or (old_live is not None and made_live.created < old_live.created)):
            raise Refusal(f"the state holds a second key {made.id} (slot {new}) that is not a new key of this "
                          f"rotation (inactive, older, or the last rotation's old key), so tfiam will not start "
                          f"one. Check the keys with {command('tfiam', 'status', answers_path)}")
    others = [k for k in facts.live.values() if made is None or k.id != made.id]
    if len(others) >= 2:
        outside = facts.outside()
        named = ", ".join(f"{k.id} ({k.status}, made {iso(k.created)})" for k in outside) or "none"
        fix = "; ".join(command("aws", "iam", "delete-access-key", "--user-name", facts.user, "--access-key-id", k.id)
                        for k in outside)
        raise Refusal(f"{facts.user} already has two access keys, the most IAM allows, so a new one cannot be "
                      f"made. Made outside tfiam: {named}. If it is not in use, delete it and run again: {fix}")
    slots = KeySlots({old: "Active", new: "Active"},
                     _record(facts, phase="started", slots={old: "Active", new: "Active"}, old=old, new=new,
                             started_at=record.get("started_at") if facts.phase == "started" else iso(now),
                             started_by=actor))
    return Step("start", f"make a new access key (slot {new}) beside the old one ({facts.held[old].id}, slot {old}), "
                         "check that it works, and hand it over; the old key keeps working",
                slots, purpose=[keyslots.address(new), keyslots.RECORD_ADDRESS])


def _cutover(facts: Facts, now: dt.datetime, actor: str, observe: dt.timedelta | None, force: bool,
             answers_path: str) -> Step:
    record = facts.record or {}
    old, new = str(record["old"]), str(record["new"])
    new_key, old_key = facts.key_in(new), facts.key_in(old)
    if old_key is None:
        raise Refusal(f"the old key ({facts.held[old].id}, slot {old}) is in the state but not in AWS (deleted "
                      "outside Terraform), so there is nothing to deactivate. Check the keys with "
                      f"{command('tfiam', 'status', answers_path)}")
    if new_key is None:
        raise Refusal(f"the new key ({facts.held[new].id}, slot {new}) is not in AWS (deleted outside Terraform); "
                      f"roll back with {command('tfiam', 'rotate', answers_path, '--rollback')}")
    skipped = []
    if not new_key.used_by_others():
        evidence = (f"new key {new_key.id}: {new_key.use()}"
                    + (" (only tfiam's own check after start)" if new_key.last_used else "")
                    + (f"; old key {old_key.id}: {old_key.use()}" if old_key else ""))
        if not force:
            raise Refusal(
                f"the new key has not been used since it was made, so nothing shows that its consumers moved to "
                f"it; deactivating the old key now would stop whatever still uses it. {evidence}. Hand the new "
                f"key over ({command('tfiam', 'decrypt', '--answers', answers_path, '--output', 'FILE')}), move "
                f"every consumer, then run this again; --force deactivates the old key anyway")
        skipped.append(f"the check that the new key is in use ({evidence})")
    window = observe if observe is not None else DEFAULT_OBSERVE
    slots = {old: "Inactive", new: "Active"}
    step_record = _record(facts, phase="cut-over", slots=slots, old=old, new=new,
                          started_at=record.get("started_at"), started_by=record.get("started_by"),
                          cutover_at=iso(now), cutover_by=actor, observe_seconds=int(window.total_seconds()),
                          forced=bool(skipped))
    old_id = facts.held[old].id
    return Step("cutover", f"deactivate the old key {old_id} (slot {old}); it can be brought back with --rollback "
                           f"until it is deleted, after an observation window of {span(window)}",
                KeySlots(slots, step_record), purpose=[keyslots.address(old), keyslots.RECORD_ADDRESS],
                skipped=skipped)


def _finish(facts: Facts, now: dt.datetime, actor: str, observe: dt.timedelta | None, answers_path: str) -> Step:
    record = facts.record or {}
    old = str(record["old"])
    old_id = facts.held[old].id
    cutover = parse_time(record.get("cutover_at")) or now
    window = observe if observe is not None else dt.timedelta(seconds=int(record.get("observe_seconds")
                                                                           or DEFAULT_OBSERVE.total_seconds()))
    old_key = facts.key_in(old)
    back = command("tfiam", "rotate", answers_path, "--rollback")
    new_key = facts.key_in(str(record["new"]))
    if new_key is None or new_key.status != "Active":
        state = "not in AWS" if new_key is None else new_key.status.lower()
        raise Refusal(f"the new key (slot {record['new']}) is {state}, so deleting the old one would leave the user "
                      f"with no working key. Find out why; {back} goes back to the old key")
    if old_key is not None and old_key.status == "Active":
        off = command("aws", "iam", "update-access-key", "--user-name", facts.user, "--access-key-id", old_id,
                      "--status", "Inactive")
        raise Refusal(f"the old key {old_id} was made active again outside tfiam after the cutover "
                      f"({record.get('cutover_at')}), so something may still need it. Find out what; then either "
                      f"go back to it with {back}, or deactivate it again ({off}) and wait out the observation window")
    if old_key is not None and old_key.last_used is not None and old_key.last_used > cutover:
        raise Refusal(f"the old key {old_id} was used after the cutover ({record.get('cutover_at')}): {old_key.use()}. "
                      f"It was reactivated for a while, so something still uses it; move that consumer to the new "
                      f"key, or go back with {back}")
    elapsed = now - cutover
    if elapsed < window:
        due = iso(cutover + window)
        raise Refusal(f"the old key {old_id} has been inactive for {span(elapsed)} of the {span(window)} "
                      f"observation window; it can be deleted from {due}. Run this again then (or pass "
                      f"--observe to choose another window, e.g. --observe 0s); {back} brings it back until then")
    step = _finished(facts, now, actor)
    step.doing = (f"delete the old key {old_id} (slot {old}): inactive since {record.get('cutover_at')}"
                  + (", " + old_key.use() if old_key else ", already gone from AWS"))
    step.deletes = [old_id] if old_key is not None else []
    step.purpose = [keyslots.address(old), keyslots.RECORD_ADDRESS]
    step.removes = [keyslots.address(old)]
    return step


def _finished(facts: Facts, now: dt.datetime, actor: str) -> Step:
    record = facts.record or {}
    old, new = str(record.get("old")), str(record.get("new"))
    last = {"finished_at": iso(now), "finished_by": actor, "started_at": record.get("started_at"),
            "cutover_at": record.get("cutover_at"), "old_key": getattr(facts.held.get(old), "id", None),
            "new_key": getattr(facts.held.get(new), "id", None), "forced": bool(record.get("forced"))}
    slots = {new: "Active"}
    step_record = {"version": VERSION, "phase": "idle", "slots": slots, "last_rotation": last}
    return Step("finish", "record that the rotation is finished (the old key is already gone)",
                KeySlots(slots, step_record), purpose=[keyslots.RECORD_ADDRESS])


def _rollback(facts: Facts, now: dt.datetime, actor: str) -> Step:
    record = facts.record or {}
    old, new = str(record["old"]), str(record["new"])
    if facts.key_in(old) is None:
        raise Refusal(f"the old key (slot {old}) is no longer in AWS, so there is nothing to go back to")
    new_key = facts.key_in(new)
    slots = {old: "Active"}
    step_record = _record(facts, phase="idle", slots=slots, rolled_back_at=iso(now), rolled_back_by=actor)
    doing = f"make the old key {facts.held[old].id} (slot {old}) active again"
    if new_key is not None:
        doing += f" and delete the new key {new_key.id} (slot {new}, {new_key.use()})"
    return Step("rollback", doing, KeySlots(slots, step_record),
                purpose=[keyslots.address(old), keyslots.address(new), keyslots.RECORD_ADDRESS],
                deletes=[new_key.id] if new_key is not None else [], removes=[keyslots.address(new)])


def next_hint(record: dict[str, Any] | None, answers_path: str) -> str:
    """What the operator does next, once a step is applied."""
    record = record or {}
    phase = record.get("phase")
    again = command("tfiam", "rotate", answers_path)
    if phase == "started":
        return (f"Next: hand over the new key ({command('tfiam', 'decrypt', '--answers', answers_path, '--output', 'FILE')}), "
                f"move every consumer to it, then run {again} to deactivate the old key.")
    if phase == "cut-over":
        due = parse_time(record.get("cutover_at"))
        window = dt.timedelta(seconds=int(record.get("observe_seconds") or 0))
        when = iso(due + window) if due else "the end of the observation window"
        return (f"Next: from {when}, {again} deletes the old key. Until then "
                f"{command('tfiam', 'rotate', answers_path, '--rollback')} brings it back.")
    return "The rotation is finished: the user has one key, the new one."


def check_applied(facts: Facts, step: Step) -> list[Check]:
    """After the apply: every slot's key has the status the step gave it, in AWS, and the
    keys it deleted are gone."""
    checks = []
    for slot, status in sorted(step.slots.slots.items()):
        held, key = facts.held.get(slot), facts.key_in(slot)
        detail = f"{held.id if held else 'no key in the state'}: {key.status if key else 'not in AWS'}"
        checks.append(Check(f"slot {slot}: access key {status}", key is not None and key.status == status, detail))
    for key_id in step.deletes:
        gone = key_id not in facts.live
        checks.append(Check(f"access key {key_id} deleted", gone, "gone from AWS" if gone else "still in AWS"))
    return checks
