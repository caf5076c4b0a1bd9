"""The access key slots a workspace keeps, and the rotation record beside them.

Beside them, while a user is being offboarded (``tfiam offboard``), the ``offboarding``
record: every key stays inactive and the workspace keeps the user disabled (see
answers.offboarding) on every run until the offboarding is cancelled or the user deleted.

The module holds access keys by slot (``access_keys = {a = {status = "Active"}}``); a
rotation adds the other slot, deactivates the old one and later removes it.  What the
slots are is decided by ``tfiam rotate`` and kept in the state (the ``key_rotation``
record), never in the answers: every run that writes the workspace reads the slots back
from the state, so a replay in the middle of a rotation keeps both keys as they are, on
any machine that shares the state.

Before the first rotation there is no record: the slots are the keys the state holds
(index 0 of a workspace written before slots becomes slot "a"), or slot "a" for a user
that has none yet.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

SLOTS = ("a", "b")
FIRST = SLOTS[0]
KEY_TYPE = "aws_iam_access_key"
RECORD_OUTPUT = "key_rotation"
MODULE = "module.iam_user"


def address(slot: str) -> str:
    """The plan address of a slot's key."""
    return f'{MODULE}.{KEY_TYPE}.this["{slot}"]'


RECORD_ADDRESS = "terraform_data.key_rotation[0]"
OFFBOARD_OUTPUT = "offboarding"
OFFBOARD_ADDRESS = "terraform_data.offboarding[0]"
OFFBOARD_PHASES = ("disabled", "deleting")  # deleting: a delete was confirmed and is under way

# tfiam signs in with a new key only this soon after it was made (rotate's own check, a
# replay's verification): AWS records a sign-in as a use, and a rotation's cutover must
# tell tfiam's own uses from a consumer's.  Later, the key check is skipped and says why.
OWN_SIGN_IN = dt.timedelta(minutes=4)
OWN_CHECK = dt.timedelta(minutes=5)  # a use this soon after creation, by STS, may be tfiam's


def made_at(outputs: dict[str, Any], key_id: str) -> dt.datetime | None:
    """When the workspace's key ``key_id`` was made (its create_date output), or None."""
    for key in (outputs.get("access_keys") or {}).values():
        if isinstance(key, dict) and key.get("id") == key_id and isinstance(key.get("create_date"), str):
            try:
                return dt.datetime.fromisoformat(key["create_date"].replace("Z", "+00:00"))
            except ValueError:
                return None
    return None


def other(slot: str) -> str:
    """The slot a rotation away from ``slot`` uses."""
    return SLOTS[1] if slot == SLOTS[0] else SLOTS[0]


@dataclass(frozen=True)
class StateKey:
    slot: str
    id: str
    status: str
    created: str  # RFC 3339, as the provider recorded it


@dataclass
class KeySlots:
    """What the workspace's variables say about access keys."""

    slots: dict[str, str] = field(default_factory=dict)  # slot -> "Active" | "Inactive"
    record: dict[str, Any] | None = None  # the rotation record; None before the first rotation
    offboarding: dict[str, Any] | None = None  # tfiam offboard's record; None unless one is under way

    def tfvars(self) -> dict[str, Any]:
        return {
            "access_keys": {slot: {"status": status} for slot, status in sorted(self.slots.items())},
            "key_rotation": _json(self.record),
            "offboarding": _json(self.offboarding),
        }


def _json(record: dict[str, Any] | None) -> str | None:
    return None if record is None else json.dumps(record, sort_keys=True, separators=(",", ":"))


def state_keys(state: dict[str, Any] | None) -> dict[str, StateKey]:
    """The access keys a state holds, by slot."""
    found: dict[str, StateKey] = {}
    for resource in (state or {}).get("resources", []):
        if resource.get("mode") != "managed" or resource.get("type") != KEY_TYPE:
            continue
        for instance in resource.get("instances", []):
            index = instance.get("index_key")
            slot = FIRST if index in (None, 0) else str(index)
            attributes = instance.get("attributes") or {}
            if attributes.get("id"):
                found[slot] = StateKey(slot, str(attributes["id"]), str(attributes.get("status") or "Active"),
                                       str(attributes.get("create_date") or ""))
    return found


def _output_record(state: dict[str, Any] | None, output: str) -> Any:
    """The record in the root output ``output``, else in its terraform_data resource (a
    destroy removes the outputs first: one cut off half-way leaves the resource alone)."""
    value = (((state or {}).get("outputs") or {}).get(output) or {}).get("value")
    if not value:
        for resource in (state or {}).get("resources", []):
            if resource.get("mode") == "managed" and resource.get("type") == "terraform_data" \
                    and resource.get("name") == output:
                for instance in resource.get("instances", []):
                    value = ((instance.get("attributes") or {}).get("output") or {}).get("value")
    if not isinstance(value, str) or not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def record_of(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The rotation record in a state (its ``key_rotation`` output), or None."""
    record = _output_record(state, RECORD_OUTPUT)
    return record if _well_formed(record) else None


def offboard_record_of(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The offboarding record in a state (its ``offboarding`` output), or None.  One of
    unknown shape is None too: nothing is decided from it."""
    record = _output_record(state, OFFBOARD_OUTPUT)
    if not isinstance(record, dict) or record.get("phase") not in OFFBOARD_PHASES:
        return None
    if not all(isinstance(record.get(k), str) and record[k] for k in ("disabled_at", "disabled_by")):
        return None
    slots = record.get("slots")
    if not isinstance(slots, dict) or not all(k in SLOTS and v in ("Active", "Inactive") for k, v in slots.items()):
        return None
    return record


PHASES = ("idle", "started", "cut-over")


def _well_formed(record: Any) -> bool:
    """A record tfiam writes: a known phase, slots with statuses, and for a rotation under
    way its old and new slots (anything else is not trusted to decide a step)."""
    if not isinstance(record, dict) or record.get("phase") not in PHASES or not isinstance(record.get("slots"), dict):
        return False
    if not all(k in SLOTS and v in ("Active", "Inactive") for k, v in record["slots"].items()):
        return False
    if record["phase"] == "idle":
        return True
    return record.get("old") in SLOTS and record.get("new") in SLOTS and record["old"] != record["new"]


def from_state(state: dict[str, Any] | None, *, wanted: bool) -> KeySlots:
    """The slots to write when no lifecycle step says otherwise: every key the state
    holds, with the status the rotation record gave it (else the state's), or slot "a"
    alone when the state holds none.  A slot the state holds is never dropped here: only
    ``tfiam rotate`` removes one.  ``wanted``: the answers ask for an access key (if not,
    no slot: the plan deletes any, which the destroy gate names)."""
    record = record_of(state)
    offboarding = offboard_record_of(state)
    if not wanted:
        return KeySlots({}, record, offboarding)
    decided = {str(k): str(v) for k, v in (record or {}).get("slots", {}).items()}
    held = state_keys(state)
    slots = {slot: decided.get(slot, key.status) for slot, key in held.items()} or {FIRST: "Active"}
    if offboarding is not None:  # disabled: every key stays inactive until the offboarding ends
        slots = {slot: "Inactive" for slot in held}
    return KeySlots(slots, record, offboarding)


def output_key_ids(outputs: dict[str, Any]) -> set[str]:
    """The ids of every access key the root outputs name (``access_keys``; a workspace
    applied before slots has only ``access_key_id``)."""
    ids = {str(k["id"]) for k in (outputs.get("access_keys") or {}).values() if isinstance(k, dict) and k.get("id")}
    if outputs.get("access_key_id"):
        ids.add(str(outputs["access_key_id"]))
    return ids
