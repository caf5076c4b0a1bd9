"""The offboarding state machine (engine/lifecycle/offboard) on facts written by hand: which
step a run takes, and every refusal, without AWS.  The steps themselves are applied against
the stand-in in tests/test_offboard.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tfiam_tui.engine import answers as A
from tfiam_tui.engine.answers.offboarding import DISABLED_AT, DISABLED_BY, deny_all, disabled_tags
from tfiam_tui.engine.lifecycle import offboard
from tfiam_tui.engine.lifecycle.rotation import LiveKey, iso
from tfiam_tui.engine.terraform.keyslots import StateKey

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
DENY = "arn:aws:iam::aws:policy/AWSDenyAll"
KEY = "AKIAEXAMPLEKEY000001"


def _answers(**changes) -> A.Answers:
    data = A.to_data(A.load(EXAMPLES / "ci-bot.yaml"))
    for path, value in changes.items():
        node = data
        *parents, last = path.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return A.parse(data)


def _record(disabled: dt.datetime, observe_days: int = 30, phase: str = "disabled") -> dict:
    return {"version": 1, "phase": phase, "disabled_at": iso(disabled), "disabled_by": "arn:aws:iam::1:user/admin",
            "observe_seconds": observe_days * 86400, "slots": {"a": "Active"}}


def _facts(*, record=None, status="Active", last_used=None, disabled=True, **more) -> offboard.Facts:
    live = {KEY: LiveKey(KEY, status, NOW - dt.timedelta(days=100), last_used)}
    facts = offboard.Facts("ci-bot", {"a": StateKey("a", KEY, status, "")}, live, record)
    if disabled:
        facts.user_policies, facts.tags = [DENY], {DISABLED_AT: "x", DISABLED_BY: "y"}
    for name, value in more.items():
        setattr(facts, name, value)
    return facts


def _step(facts, answers=None, **options):
    return offboard.next_step(facts, answers or _answers(), now=NOW, actor="arn:aws:iam::1:user/admin",
                              answers_path="ci-bot.yaml", **options)


def test_the_first_run_disables_with_a_30_day_window_and_keeps_the_rotation_history():
    history = {"version": 1, "phase": "idle", "slots": {"a": "Active"}, "last_rotation": {"finished_at": "x"}}
    step = _step(_facts(disabled=False), rotation=history)
    assert step.name == "disable" and step.slots.slots == {"a": "Inactive"}
    assert step.slots.offboarding["observe_seconds"] == 30 * 86400
    assert step.slots.offboarding["slots"] == {"a": "Active"}  # what a cancel restores
    assert step.slots.record == history
    assert step.deletes == []  # the CI bot has no console password to delete


def test_a_disable_that_would_break_a_quota_is_refused_naming_the_field():
    tags = {f"Tag{i}": "x" for i in range(49)}
    with pytest.raises(offboard.Refusal, match=r"user\.tags: 49 tags.*at most 48"):
        _step(_facts(disabled=False), _answers(user__tags=tags))
    policies = [f"arn:aws:iam::aws:policy/ReadOnlyAccess{i}" for i in range(10)]
    answers = _answers()
    answers.permissions.user_managed_policies[:] = policies  # the quota rule, not the catalogue, is under test
    with pytest.raises(offboard.Refusal, match=r"permissions\.user_managed_policies: 10 policies.*at most 9"):
        _step(_facts(disabled=False), answers)


def test_awsdenyall_is_named_in_the_partition_of_the_region_and_tag_values_are_what_iam_takes():
    china = _answers().model_copy(update={"provider": _answers().provider.model_copy(update={"region": "cn-north-1"})})
    assert deny_all(china) == "arn:aws-cn:iam::aws:policy/AWSDenyAll"
    assert deny_all(_answers()) == DENY
    tags = disabled_tags({"disabled_at": "2026-12-02T12:00:00Z", "disabled_by": "arn:aws:sts::1:assumed-role/r/a,b"})
    assert tags[DISABLED_BY] == "arn:aws:sts::1:assumed-role/r/a_b"


def test_a_rotation_under_way_is_finished_first():
    with pytest.raises(offboard.Refusal, match="key rotation of ci-bot is under way"):
        _step(_facts(disabled=False), rotation={"phase": "started", "slots": {}, "old": "a", "new": "b"})


def test_a_disable_undone_by_hand_or_cut_off_is_done_again_and_the_window_starts_anew():
    record = _record(NOW - dt.timedelta(days=40))
    step = _step(_facts(record=record, status="Active"))
    assert step.name == "disable" and step.doing.startswith(f"disable again (access key {KEY} is Active")
    assert step.slots.offboarding["disabled_at"] == iso(NOW)
    again = _step(_facts(record=record, status="Inactive", disabled=False))  # keys off, deny and tags not yet
    assert again.name == "disable" and "AWSDenyAll is not attached" in again.doing


def test_delete_waits_for_the_window_then_refuses_on_use_and_on_what_is_not_its_own():
    with pytest.raises(offboard.Refusal, match=r"observation window \(30 days\) ends"):
        _step(_facts(record=_record(NOW - dt.timedelta(days=29)), status="Inactive"))
    record = _record(NOW - dt.timedelta(days=31))
    used = _facts(record=record, status="Inactive", last_used=NOW - dt.timedelta(days=1))
    with pytest.raises(offboard.Refusal, match=f"access key {KEY} was last used"):
        _step(used)
    outside = _facts(record=record, status="Inactive")
    outside.live["AKIAMADEBYHAND000001"] = LiveKey("AKIAMADEBYHAND000001", "Inactive", NOW)
    with pytest.raises(offboard.Refusal, match="AKIAMADEBYHAND000001 \\(Inactive\\) was made outside tfiam"):
        _step(outside)
    shared = _facts(record=record, status="Inactive", shared_groups={"ci-group": ["colleague"]})
    with pytest.raises(offboard.Refusal, match="group ci-group, made by this workspace, also has colleague"):
        _step(shared)
    history = {"version": 1, "phase": "idle", "slots": {"a": "Active"}, "last_rotation": {"finished_at": "x"}}
    step = _step(_facts(record=record, status="Inactive"), rotation=history)
    assert step.name == "delete" and step.destroy and step.slots.offboarding["phase"] == "deleting"
    assert step.slots.record == history  # marking the delete changes the offboarding record alone


def test_a_delete_that_has_begun_is_finished_and_cannot_be_cancelled():
    record = _record(NOW - dt.timedelta(days=1), phase="deleting")  # inside the window: it was confirmed before
    step = _step(_facts(record=record, status="Inactive"), rotation={"version": 1, "phase": "idle", "slots": {}})
    assert step.name == "delete" and step.doing.startswith("finish the delete that was begun")
    assert step.slots.record == {"version": 1, "phase": "idle", "slots": {}}
    with pytest.raises(offboard.Refusal, match="cannot be cancelled"):
        _step(_facts(record=record, status="Inactive"), cancel=True)


def test_cancel_restores_the_keys_as_they_were_and_nothing_to_cancel_is_said():
    step = _step(_facts(record=_record(NOW - dt.timedelta(days=3)), status="Inactive"), cancel=True)
    assert step.name == "cancel" and step.slots.slots == {"a": "Active"} and step.slots.offboarding is None
    with pytest.raises(offboard.Refusal, match="nothing to cancel"):
        _step(_facts(disabled=False), cancel=True)


class _Report:
    """IAM's service-last-accessed report, which the stand-in does not implement: the calls
    and answer shapes of AWS's API reference, paged and not ready at first."""

    def __init__(self, pages, status="COMPLETED", ready_after=1):
        self.pages, self.status, self.ready_after, self.calls = pages, status, ready_after, 0

    def generate_service_last_accessed_details(self, Arn):
        assert Arn == "arn:aws:iam::1:user/ci-bot"
        return {"JobId": "job-1"}

    def get_service_last_accessed_details(self, JobId, Marker=None):
        self.calls += 1
        if self.calls <= self.ready_after:
            return {"JobStatus": "IN_PROGRESS"}
        if self.status != "COMPLETED":
            return {"JobStatus": self.status, "Error": {"Message": "denied"}}
        index = int(Marker or 0)
        return {"JobStatus": "COMPLETED", "ServicesLastAccessed": self.pages[index],
                "IsTruncated": index + 1 < len(self.pages), "Marker": str(index + 1)}


def test_the_service_report_is_read_to_its_last_page_and_a_use_since_the_disable_stops_the_delete():
    from tfiam_tui.engine.lifecycle.usage import service_use

    disabled = NOW - dt.timedelta(days=31)
    pages = [[{"ServiceNamespace": "s3", "LastAuthenticated": disabled - dt.timedelta(days=1)}],
             [{"ServiceNamespace": "ec2", "LastAuthenticated": NOW - dt.timedelta(days=2)}, {"ServiceNamespace": "sns"}]]
    report = service_use(_Report(pages), "arn:aws:iam::1:user/ci-bot", disabled, sleep=lambda _s: None)
    assert report.unavailable is None and report.since == [f"ec2 at {iso(NOW - dt.timedelta(days=2))}"]
    facts = _facts(record=_record(disabled), status="Inactive", services=report)
    with pytest.raises(offboard.Refusal, match="service-last-accessed report shows ec2 at"):
        _step(facts)
    quiet = service_use(_Report([pages[0]]), "arn:aws:iam::1:user/ci-bot", disabled, sleep=lambda _s: None)
    assert quiet.since == [] and "no service reached since the disable" in quiet.line()
    assert _step(_facts(record=_record(disabled), status="Inactive", services=quiet)).name == "delete"


def test_a_report_that_fails_or_never_finishes_is_said_to_be_unavailable():
    from tfiam_tui.engine.lifecycle.usage import service_use

    failed = service_use(_Report([], status="FAILED"), "arn:aws:iam::1:user/ci-bot", NOW, sleep=lambda _s: None)
    assert failed.unavailable == "the report failed: denied"
    slow = service_use(_Report([], ready_after=10**6), "arn:aws:iam::1:user/ci-bot", NOW, wait=0,
                       sleep=lambda _s: None)
    assert "not ready within 0 s" in (slow.unavailable or "") and "not available" in slow.line()
