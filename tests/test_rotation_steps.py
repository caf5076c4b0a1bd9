"""The rotation state machine's decisions (engine/lifecycle/rotation), from the record, the
state's keys and AWS's keys, without AWS: every phase's next step, the refusals, and the
states a step interrupted half-way leaves behind, which the next run must finish."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tfiam_tui.engine.lifecycle import rotation as R
from tfiam_tui.engine.terraform import keyslots
from tfiam_tui.engine.terraform.keyslots import StateKey

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
OLD, NEW, HAND = "AKIAOLD0000000000000", "AKIANEW0000000000000", "AKIAHAND000000000000"


def live(key_id, status="Active", made=NOW - dt.timedelta(days=100), used=None, service=None):
    return R.LiveKey(key_id, status, made, used, service, "eu-central-1" if used else None)


def facts(held: dict[str, str], keys: list[R.LiveKey], record=None) -> R.Facts:
    return R.Facts("bot", {slot: StateKey(slot, key_id, "Active", "") for slot, key_id in held.items()},
                   {k.id: k for k in keys}, record)


def step(f: R.Facts, **kw) -> R.Step:
    return R.next_step(f, now=NOW, actor="arn:aws:iam::1:user/admin", answers_path="bot.yaml", **kw)


STARTED = {"version": 1, "phase": "started", "slots": {"a": "Active", "b": "Active"}, "old": "a", "new": "b",
           "started_at": "2026-11-30T12:00:00Z"}
CUT = {**STARTED, "phase": "cut-over", "slots": {"a": "Inactive", "b": "Active"},
       "cutover_at": "2026-11-23T12:00:00Z", "observe_seconds": 7 * 86400}


def test_start_adds_the_other_slot_and_records_it():
    s = step(facts({"a": OLD}, [live(OLD)]))
    assert s.name == "start" and s.slots.slots == {"a": "Active", "b": "Active"}
    assert s.slots.record["phase"] == "started" and (s.slots.record["old"], s.slots.record["new"]) == ("a", "b")
    assert s.purpose == [keyslots.address("b"), keyslots.RECORD_ADDRESS] and s.deletes == []


def test_start_after_a_finished_rotation_uses_the_free_slot():
    record = {"version": 1, "phase": "idle", "slots": {"b": "Active"}, "last_rotation": {"finished_at": "x"}}
    s = step(facts({"b": NEW}, [live(NEW)], record))
    assert s.slots.slots == {"b": "Active", "a": "Active"} and s.slots.record["new"] == "a"
    assert s.slots.record["last_rotation"] == {"finished_at": "x"}  # the history is kept


def test_start_refuses_when_a_key_made_by_hand_fills_iams_two():
    with pytest.raises(R.Refusal, match=f"already has two access keys.*Made outside tfiam: {HAND}"):
        step(facts({"a": OLD}, [live(OLD), live(HAND)]))


def test_a_start_whose_key_was_made_but_not_recorded_is_recorded_not_refused():
    """Killed after CreateAccessKey and the state write, before the record's update."""
    s = step(facts({"a": OLD, "b": NEW}, [live(OLD), live(NEW, made=NOW)]))
    assert s.name == "start" and s.slots.slots == {"a": "Active", "b": "Active"}


def test_a_start_recorded_before_its_key_was_made_makes_it():
    s = step(facts({"a": OLD}, [live(OLD)], STARTED))
    assert s.name == "start" and s.slots.record["started_at"] == STARTED["started_at"]


def test_cutover_needs_a_use_beyond_tfiams_own_check_unless_forced():
    made = NOW - dt.timedelta(hours=1)
    own_check = live(NEW, made=made, used=made + dt.timedelta(seconds=20), service="sts")
    f = facts({"a": OLD, "b": NEW}, [live(OLD), own_check], STARTED)
    with pytest.raises(R.Refusal, match="has not been used since it was made.*only tfiam's own check"):
        step(f)
    forced = step(f, force=True)
    assert forced.name == "cutover" and forced.skipped and forced.slots.slots == {"a": "Inactive", "b": "Active"}
    used = live(NEW, made=made, used=NOW, service="s3")
    s = step(facts({"a": OLD, "b": NEW}, [live(OLD), used], STARTED), observe=dt.timedelta(days=2))
    assert s.name == "cutover" and not s.skipped and s.slots.record["observe_seconds"] == 2 * 86400
    assert s.deletes == []  # deactivating is not deleting: --auto-approve may do it


def test_finish_waits_for_the_window_and_refuses_a_key_used_or_reactivated_since():
    inactive = live(OLD, "Inactive", used=dt.datetime(2026, 11, 20, tzinfo=dt.UTC), service="s3")
    s = step(facts({"a": OLD, "b": NEW}, [inactive, live(NEW)], CUT))
    assert s.name == "finish" and s.deletes == [OLD] and s.slots.slots == {"b": "Active"}
    assert s.slots.record["phase"] == "idle" and s.slots.record["last_rotation"]["old_key"] == OLD
    waiting = "has been inactive for 8 days of the 14 days observation window; it can be deleted from 2026-12-07"
    with pytest.raises(R.Refusal, match=waiting):
        step(facts({"a": OLD, "b": NEW}, [inactive, live(NEW)], CUT), observe=dt.timedelta(days=14))
    with pytest.raises(R.Refusal, match="made active again outside tfiam"):
        step(facts({"a": OLD, "b": NEW}, [live(OLD), live(NEW)], CUT))
    used_after = live(OLD, "Inactive", used=NOW - dt.timedelta(days=1), service="s3")
    with pytest.raises(R.Refusal, match="was used after the cutover"):
        step(facts({"a": OLD, "b": NEW}, [used_after, live(NEW)], CUT))


def test_a_finish_whose_key_went_but_whose_record_did_not_is_recorded():
    s = step(facts({"b": NEW}, [live(NEW)], CUT))
    assert s.name == "finish" and s.deletes == [] and s.slots.record["phase"] == "idle"


def test_rollback_brings_the_old_key_back_and_deletes_the_new_one():
    s = step(facts({"a": OLD, "b": NEW}, [live(OLD, "Inactive"), live(NEW)], CUT), rollback=True)
    assert s.name == "rollback" and s.slots.slots == {"a": "Active"} and s.deletes == [NEW]
    with pytest.raises(R.Refusal, match="no rotation is in progress"):
        step(facts({"a": OLD}, [live(OLD)]), rollback=True)


def test_force_outside_cutover_is_refused():
    with pytest.raises(R.Refusal, match="--force only skips the cutover"):
        step(facts({"a": OLD}, [live(OLD)]), force=True)


@pytest.mark.parametrize("text,seconds", [("7d", 604800), ("36h", 129600), ("1d12h", 129600), ("0s", 0),
                                          ("2w", 1209600), ("90m", 5400)])
def test_durations(text, seconds):
    assert R.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "7", "7 days", "d", "-1d", "1.5h", "7D"])
def test_bad_durations_name_the_rule(text):
    with pytest.raises(ValueError, match="use a number and a unit"):
        R.parse_duration(text)


def test_replay_keeps_every_slot_the_state_holds_with_the_recorded_status():
    state = {"resources": [{"mode": "managed", "type": "aws_iam_access_key", "name": "this",
                            "instances": [{"index_key": "a", "attributes": {"id": OLD, "status": "Active"}},
                                          {"index_key": "b", "attributes": {"id": NEW, "status": "Active"}}]}],
             "outputs": {"key_rotation": {"value": json.dumps({"phase": "cut-over", "old": "a", "new": "b",
                                                               "slots": {"a": "Inactive", "b": "Active"}})}}}
    kept = keyslots.from_state(state, wanted=True)
    assert kept.slots == {"a": "Inactive", "b": "Active"} and kept.record["phase"] == "cut-over"
    legacy = {"resources": [{"mode": "managed", "type": "aws_iam_access_key", "name": "this",
                             "instances": [{"index_key": 0, "attributes": {"id": OLD, "status": "Active"}}]}]}
    assert keyslots.from_state(legacy, wanted=True).slots == {"a": "Active"}
    assert keyslots.from_state(None, wanted=True).slots == {"a": "Active"}
    assert keyslots.from_state(state, wanted=False).slots == {}


def test_a_finish_that_failed_to_delete_never_turns_the_retired_key_into_a_new_one():
    """The record says finished, the state still holds the old key beside the new one (the
    delete failed): a start would "finish" an interrupted start with the retired key."""
    record = {"version": 1, "phase": "idle", "slots": {"b": "Active"}, "last_rotation": {"old_key": OLD}}
    with pytest.raises(R.Refusal, match="not a new key of this rotation"):
        step(facts({"a": OLD, "b": NEW}, [live(OLD, "Inactive"), live(NEW, made=NOW)], record))


def test_steps_refuse_when_a_key_they_need_is_gone():
    with pytest.raises(R.Refusal, match="old key \\(slot a\\) is no longer in this workspace's state"):
        step(facts({"b": NEW}, [live(NEW)], STARTED))
    with pytest.raises(R.Refusal, match="in the state but not in AWS"):
        step(facts({"a": OLD, "b": NEW}, [live(NEW, used=NOW, service="s3")], STARTED))
    with pytest.raises(R.Refusal, match="the new key \\(slot b\\) is inactive"):
        step(facts({"a": OLD, "b": NEW}, [live(OLD, "Inactive"), live(NEW, "Inactive")], CUT))


@pytest.mark.parametrize("record", [
    {"phase": "started", "slots": {"a": "Active"}},  # no old/new
    {"phase": "paused", "slots": {"a": "Active"}},
    {"phase": "idle", "slots": {"c": "Active"}},
    {"phase": "cut-over", "slots": {"a": "Off"}, "old": "a", "new": "b"},
    {"phase": "started", "slots": {}, "old": "a", "new": "a"},
])
def test_a_record_tfiam_did_not_write_is_not_trusted(record):
    state = {"outputs": {"key_rotation": {"value": json.dumps(record)}}}
    assert keyslots.record_of(state) is None


def test_an_observation_window_has_a_ceiling():
    with pytest.raises(ValueError, match="longer than 3650 days"):
        R.parse_duration("99999999999d")
