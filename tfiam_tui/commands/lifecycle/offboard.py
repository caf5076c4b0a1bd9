"""``tfiam offboard ANSWERS``: the next step of an offboarding, one step per run
(engine/lifecycle/offboard): disable, then after the observation window delete; or
``--cancel``.  Each run says where the user stands and what the step does, plans exactly
that, asks (or --auto-approve), applies and verifies.  A step that deletes (the console
password at disable, the user at delete) is named and confirmed on its own: --auto-approve
alone never applies it (--allow-destroy too, or the user name typed)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import shutil
from pathlib import Path

from ...engine.exitcodes import Exit
from ...engine.text import command, shown
from ..common import is_terminal, path_arg, run_step
from .opening import TOTAL, open_step
from .rotate import _observe


def register(subparsers, tf_options) -> None:
    from ..replay import _duration

    p = subparsers.add_parser("offboard", help="disable a user, observe, then delete it (or --cancel)")
    p.add_argument("answers", type=path_arg, help="answers file (YAML) of the user")
    p.add_argument("--auto-approve", action="store_true",
                   help="apply the step without asking (a step that deletes also needs --allow-destroy)")
    p.add_argument("--allow-destroy", action="store_true",
                   help="with --auto-approve: also apply a step that deletes (the console password, the user)")
    p.add_argument("--observe", type=_observe, metavar="DURATION",
                   help="observation window between disable and delete, e.g. 30d or 0s (default: 30d)")
    p.add_argument("--cancel", action="store_true",
                   help="during the window: enable the user again (keys active, the deny and tags removed)")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (overrides the answers file's 'workspace')")
    p.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    p.add_argument("--sandbox", action="store_true", help="in the sandbox that tfiam sandbox start keeps running")
    p.add_argument("--lock-timeout", type=_duration, default="10s", metavar="DURATION",
                   help="how long plan and apply wait for the state lock, e.g. 30s or 5m (default: 10s)")
    tf_options(p)
    p.set_defaults(func=cmd_offboard, runs_terraform=True)


def _approved(step, review, args, console, user: str) -> bool:
    from ...engine.pipeline.review import Decision, decide

    if review is None:
        return True
    if step.deletes and args.auto_approve and not args.allow_destroy:
        console.error(f"this step deletes {' and '.join(step.deletes)}, and --auto-approve alone never deletes, so "
                      "nothing was applied. If it is what you mean, run again with --auto-approve --allow-destroy, "
                      "or on a terminal without --auto-approve to confirm it")
        return False
    decision = decide(review, auto_approve=args.auto_approve, allow_destroy=True, terminal=is_terminal(),
                      purpose=step.purpose if not step.destroy else [c.address for c in review.changes])
    if decision is Decision.APPLY:
        return True
    if decision is Decision.REFUSE_NO_TERMINAL:
        console.error("no terminal to ask for confirmation, so nothing was applied; review the step above and "
                      "run again with --auto-approve to apply it unattended")
        return False
    from ...ask.prompts import confirm, typed

    if step.deletes:
        if typed(f"This deletes {' and '.join(step.deletes)}; it cannot be undone. Type {user} to go on:") != user:
            console.say(f"That is not {user}; nothing was applied.")
            return False
        return True
    return confirm(f"Apply this step ({step.name})?", default=False)


def _beyond(review, step) -> list[str]:
    if review is None or step.destroy:
        return []
    return [f"{c.action} {c.address}" for c in review.changes
            if c.address not in step.purpose or (c.action in ("delete", "replace") and c.address not in step.removes)]


def cmd_offboard(args: argparse.Namespace, console) -> int:  # noqa: C901 - one step's sequence, said in order
    from ...engine import answers as answers_mod
    from ...engine.answers.offboarding import deny_all
    from ...engine.aws import verify
    from ...engine.lifecycle import holdings, offboard, rotation
    from ...engine.terraform import keyslots
    from ..replay import _apply_reporting_progress

    loaded = answers_mod.load(args.answers)
    with contextlib.ExitStack() as stack:
        opened = open_step(args, loaded, console, stack, "offboard")
        if isinstance(opened, int):
            return opened
        loaded, pipeline, identity, neutral, state, iam = (opened.answers, opened.pipeline, opened.identity,
                                                           opened.neutral, opened.state, opened.iam)
        user = loaded.user.name
        deleting = (keyslots.offboard_record_of(state) or {}).get("phase") == "deleting"
        if deleting and not rotation.user_exists(iam, user):
            if args.cancel:
                console.error(f"the delete of {user} has begun and IAM has deleted the user, so there is nothing to "
                              f"cancel; {command('tfiam', 'offboard', args.answers)} removes what is left. "
                              "Nothing was changed.")
                return Exit.REFUSED
            return _finish_gone(pipeline, args, console, user, stack)
        if not any(r.get("type") == "aws_iam_user" for r in state.get("resources", [])) or not rotation.user_exists(
                iam, user):
            console.error(f"{user} is not applied from this workspace, so tfiam does not offboard it; "
                          f"{command('tfiam', 'status', args.answers)} says where it stands. Nothing was changed.")
            return Exit.REFUSED
        deny = deny_all(loaded)
        facts = offboard.read_facts(iam, user, state, deny)
        now = dt.datetime.now(dt.UTC)
        console.step(3, TOTAL, f"where {user} stands")
        for line in offboard.where(facts, now):
            console.say(line)
        try:
            step = offboard.next_step(facts, loaded, now=now, actor=identity, answers_path=args.answers,
                                      observe=args.observe, cancel=args.cancel, rotation=keyslots.record_of(state))
        except offboard.Refusal as exc:
            console.error(f"{exc}. Nothing was changed.")
            return Exit.REFUSED
        console.say(f"This step ({step.name}): {step.doing}.")
        found = holdings.listed(iam, user) if step.destroy else None
        if found is not None and (held := found.lines()):
            console.say(f"{user} also holds what Terraform does not manage; it is removed first:")
            for line in held:
                console.say(line)
        applied = tried = False
        try:
            if not step.destroy:
                pipeline.set_key_slots(step.slots)
                pipeline.prepare()
            console.step(4, TOTAL, f"terraform plan ({step.name})")
            stack.callback(pipeline.discard_plan)
            if (refused := _plan(pipeline, step, args, console, destroy=step.destroy)) is not None:
                return refused
            if not _approved(step, pipeline.review, args, console, user):
                console.say("Not applied.")
                return Exit.REFUSED
            if step.destroy:
                return _delete(pipeline, step, facts, found, state, args, console, iam)
            if pipeline.summary is not None and pipeline.summary.has_changes:
                console.step(5, TOTAL, f"terraform apply ({step.name}: the plan above, nothing else)")
                tried = True
                _apply_reporting_progress(pipeline, console)
            applied = True
        finally:
            if not applied and not step.destroy:
                pipeline.set_key_slots(None if tried else neutral)
                pipeline.prepare()
        pipeline.set_key_slots(None)  # verify what the state now says (disabled, or enabled again)
        checks = pipeline.verify() + offboard.check_applied(
            offboard.read_facts(iam, user, pipeline.runner.state_pull(), deny), step)
        console.say(verify.format_checklist(checks))
        if not verify.all_ok(checks):
            console.error("verification failed: the account does not match the step (see [FAIL] above)")
            return Exit.VERIFY_FAILED
        console.say(_next_hint(step, args.answers))
    return Exit.OK


def _plan(pipeline, step, args, console, *, destroy: bool) -> int | None:
    """Plan and show it; the exit code to stop with when the plan cannot be this step's."""
    from ...engine.terraform import locks
    from ...engine.terraform.events import TerraformFailed
    from ..gate import show

    try:
        run_step(pipeline.plan(destroy=destroy), console)
    except TerraformFailed as exc:
        if locks.lock_from_failure(exc) is None:
            raise
        console.error(locks.explain_lock(exc, args.answers) or str(exc))
        console.error("another run holds the state lock; nothing was changed")
        return Exit.REFUSED
    summary = pipeline.summary
    assert summary is not None
    show(pipeline.review, summary.headline(), summary.changes, console)
    if beyond := _beyond(pipeline.review, step):
        console.error(f"the plan also changes what this step does not ({'; '.join(beyond)}): the answers "
                      f"changed since the last replay. Run {command('tfiam', 'replay', args.answers)} "
                      "first, then this again. Nothing was applied.")
        return Exit.REFUSED
    return None


def _delete(pipeline, step, facts, found, before: dict, args, console, iam) -> int:
    """The confirmed delete: archive first, record that it is under way (a run cut off from
    here on finishes it; nobody cancels a half-deleted user), remove what Terraform does
    not manage, then destroy exactly what was reviewed."""
    from ...engine.aws import verify
    from ...engine.aws.expected import Check
    from ...engine.lifecycle import holdings, rotation
    from ...engine.terraform import keyslots
    from ..replay import _apply_reporting_progress

    user = facts.user
    reviewed = {c.address for c in pipeline.review.changes} if pipeline.review is not None else set()
    archive = _archive(pipeline.workspace_dir, args.answers, user, before, found, iam)
    if facts.phase != "deleting":
        pipeline.set_key_slots(step.slots)
        pipeline.prepare()
        console.step(5, 5, "terraform apply: record that the delete is under way")
        run_step(pipeline.plan(), console)
        marks = [c.address for c in (pipeline.review.changes if pipeline.review is not None else [])]
        if marks != [keyslots.OFFBOARD_ADDRESS]:
            others = ", ".join(m for m in marks if m != keyslots.OFFBOARD_ADDRESS) or "nothing"
            console.error(f"recording the delete would also change {others}; run "
                          f"{command('tfiam', 'replay', args.answers)} first. Nothing was deleted.")
            return Exit.REFUSED
        _apply_reporting_progress(pipeline, console)
    if found is not None:
        holdings.remove(iam, user, found, console.say)
    console.step(5, 5, f"terraform apply: delete {user} (the plan above)")
    run_step(pipeline.plan(destroy=True), console)
    now = {c.address for c in pipeline.review.changes} if pipeline.review is not None else set()
    if extra := now - reviewed:
        console.error(f"the delete now also removes {', '.join(sorted(extra))}, which was not in the plan you "
                      f"confirmed; nothing more was deleted. Run {command('tfiam', 'offboard', args.answers)} again "
                      "to review it")
        return Exit.REFUSED
    if pipeline.summary is not None and pipeline.summary.has_changes:
        _apply_reporting_progress(pipeline, console)
    _write(archive / "state-after.json", pipeline.runner.state_pull())
    gone = not rotation.user_exists(iam, user)
    console.say(verify.format_checklist([Check(f"user {user} deleted", gone, "gone" if gone else "still there")]))
    console.say(f"The answers, the last state with the user and what was removed are kept in {shown(archive)}.")
    return Exit.OK if gone else Exit.VERIFY_FAILED


def _finish_gone(pipeline, args, console, user: str, stack) -> int:
    """A confirmed delete cut off after IAM deleted the user: what is left in the state (and
    in AWS: this workspace's groups) goes as the reviewed delete said; nothing new is asked."""
    from ...engine.lifecycle import offboard
    from ...engine.terraform.keyslots import KeySlots
    from ..replay import _apply_reporting_progress

    console.say(f"The delete of {user} was begun and IAM has deleted the user; removing what is left of it.")
    step = offboard.Step("delete", "finish the delete", KeySlots(), destroy=True)
    console.step(4, 5, "terraform plan (delete: what is left)")
    stack.callback(pipeline.discard_plan)
    if (refused := _plan(pipeline, step, args, console, destroy=True)) is not None:
        return refused
    if pipeline.summary is not None and pipeline.summary.has_changes:
        console.step(5, 5, "terraform apply (the plan above)")
        _apply_reporting_progress(pipeline, console)
    console.say(f"{user} is deleted, and the workspace holds nothing of it.")
    return Exit.OK


def _next_hint(step, answers_path: str) -> str:
    if step.name == "disable":
        record = step.slots.offboarding or {}
        from ...engine.lifecycle.rotation import span

        window = span(dt.timedelta(seconds=int(record.get("observe_seconds") or 0)))
        return (f"Next: after the observation window ({window}), {command('tfiam', 'offboard', answers_path)} "
                f"deletes the user if nothing was used since. Until then "
                f"{command('tfiam', 'offboard', answers_path, '--cancel')} brings it back.")
    return "The offboarding is cancelled: the user is enabled again."


def _write(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    path.chmod(0o600)


def _archive(ws: Path, answers_path: str, user: str, before: dict, found, iam) -> Path:
    """The record of a user about to be deleted, written before anything is: the answers,
    the last state with the user in it, and what is removed besides Terraform's resources
    (inline policies with their documents): workspace/.tfiam/archive/USER-TIME/, 0700."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = ws / ".tfiam" / "archive" / f"{user}-{stamp}"
    folder.mkdir(parents=True, mode=0o700)
    folder.parent.chmod(0o700)
    shutil.copyfile(answers_path, folder / "answers.yaml")
    (folder / "answers.yaml").chmod(0o600)
    removed = [f"{r['type']}.{r['name']}" for r in before.get("resources", []) if r.get("mode") == "managed"]
    documents = {name: iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
                 for name in (found.inline_policies if found is not None else [])}
    _write(folder / "state-before.json", before)
    _write(folder / "summary.json", {"user": user, "deleted_at": stamp, "terraform_removed": removed,
                                     "also_removed": found.to_json() if found is not None else {},
                                     "inline_policy_documents": documents})
    return folder
