"""``tfiam rotate ANSWERS``: the next step of a two-key rotation, one step per run
(engine/lifecycle/rotation).  Each run says where the rotation stands and what this step
does, plans exactly that change, asks (or --auto-approve), applies and verifies.  A step
that deletes a key is named and confirmed on its own: --auto-approve alone never deletes
one (--allow-destroy too, or the key id typed on a terminal)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt

from ...engine.exitcodes import Exit
from ...engine.text import command, shown
from ..common import is_terminal, path_arg, read_passphrase_file, run_step
from .opening import TOTAL, open_step


def _observe(text: str) -> dt.timedelta:
    from ...engine.lifecycle.rotation import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers, tf_options) -> None:
    from ..replay import _duration

    p = subparsers.add_parser("rotate", help="the next step of a two-key access key rotation (start, cutover, finish)")
    p.add_argument("answers", type=path_arg, help="answers file (YAML) of the user")
    p.add_argument("--auto-approve", action="store_true",
                   help="apply the step without asking (a step that deletes a key also needs --allow-destroy)")
    p.add_argument("--allow-destroy", action="store_true",
                   help="with --auto-approve: also apply the finish and rollback steps, which delete a key")
    p.add_argument("--observe", type=_observe, metavar="DURATION",
                   help="observation window between cutover and finish, e.g. 7d, 36h or 0s (default: 7d)")
    p.add_argument("--force", action="store_true",
                   help="cutover: deactivate the old key even though the new one has no use on record")
    p.add_argument("--rollback", action="store_true",
                   help="during a rotation: make the old key active again and delete the new one")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (overrides the answers file's 'workspace')")
    p.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    p.add_argument("--passphrase-file", type=path_arg, help="file holding your PGP key's passphrase (for the key check)")
    p.add_argument("--sandbox", action="store_true", help="in the sandbox that tfiam sandbox start keeps running")
    p.add_argument("--lock-timeout", type=_duration, default="10s", metavar="DURATION",
                   help="how long plan and apply wait for the state lock, e.g. 30s or 5m (default: 10s)")
    tf_options(p)
    p.set_defaults(func=cmd_rotate, runs_terraform=True)


def _approved(step, review, args, console) -> bool:
    """This step's own question: a delete names the key and is confirmed on its own."""
    from ...engine.pipeline.review import Decision, decide

    if review is None:
        return True
    if step.deletes and args.auto_approve and not args.allow_destroy:
        console.error(f"this step deletes access key {', '.join(step.deletes)}, and --auto-approve alone never "
                      "deletes a key, so nothing was applied. If it is what you mean, run again with "
                      "--auto-approve --allow-destroy, or on a terminal without --auto-approve to confirm it")
        return False
    decision = decide(review, auto_approve=args.auto_approve, allow_destroy=True, terminal=is_terminal(),
                      purpose=step.purpose)
    if decision is Decision.APPLY:
        return True
    if decision is Decision.REFUSE_NO_TERMINAL:
        console.error("no terminal to ask for confirmation, so nothing was applied; review the step above and "
                      "run again with --auto-approve to apply it unattended")
        return False
    from ...ask.prompts import confirm, typed

    if step.deletes:
        answer = typed(f"This deletes access key {step.deletes[0]}; it cannot be undone. Type the key id to go on:")
        if answer != step.deletes[0]:
            console.say(f"That is not {step.deletes[0]}; nothing was applied.")
            return False
        return True
    return confirm(f"Apply this step ({step.name})?", default=False)


def _beyond(review, step) -> list[str]:
    """Planned changes this step does not make (the answers changed since the last replay),
    and any delete or replace but the one the step exists for."""
    if review is None:
        return []
    return [f"{c.action} {c.address}" for c in review.changes
            if c.address not in step.purpose or (c.action in ("delete", "replace") and c.address not in step.removes)]


def cmd_rotate(args: argparse.Namespace, console) -> int:
    from ...engine import answers as answers_mod
    from ...engine.aws import verify
    from ...engine.lifecycle import rotation
    from ...engine.terraform import keyslots, locks
    from ...engine.terraform.events import TerraformFailed
    from ..gate import show
    from ..replay import _apply_reporting_progress, _credentials_for_verify

    loaded = answers_mod.load(args.answers)
    if not loaded.authentication.access_key:
        console.error(f"{shown(args.answers)} asks for no access key (authentication.access_key: false), so there is "
                      "no key to rotate. Nothing was changed.")
        return Exit.REFUSED
    passphrase = read_passphrase_file(args.passphrase_file)
    with contextlib.ExitStack() as stack:
        opened = open_step(args, loaded, console, stack, "rotate")
        if isinstance(opened, int):
            return opened
        loaded, pipeline, identity, neutral, state, iam = (opened.answers, opened.pipeline, opened.identity,
                                                           opened.neutral, opened.state, opened.iam)
        if not any(r.get("type") == "aws_iam_user" for r in state.get("resources", [])) or not rotation.user_exists(
                iam, loaded.user.name):
            console.error(f"{loaded.user.name} is not applied from this workspace yet; run "
                          f"{command('tfiam', 'replay', args.answers)} first. Nothing was changed.")
            return Exit.REFUSED
        if keyslots.offboard_record_of(state) is not None:
            console.error(f"{loaded.user.name} is disabled (tfiam offboard), so its keys are not rotated; "
                          f"{command('tfiam', 'offboard', args.answers, '--cancel')} enables it again. "
                          "Nothing was changed.")
            return Exit.REFUSED
        facts = rotation.read_facts(iam, loaded.user.name, state)
        now = dt.datetime.now(dt.UTC)
        console.step(3, TOTAL, f"where the rotation of {loaded.user.name}'s access key stands")
        for line in rotation.where(facts, now):
            console.say(line)
        try:
            step = rotation.next_step(facts, now=now, actor=identity, answers_path=args.answers,
                                      observe=args.observe, force=args.force, rollback=args.rollback)
        except rotation.Refusal as exc:
            console.error(f"{exc}. Nothing was changed.")
            return Exit.REFUSED
        console.say(f"This step ({step.name}): {step.doing}.")
        for skipped in step.skipped:
            console.say(f"--force: skipping {skipped}")
        applied = tried = False
        try:
            pipeline.set_key_slots(step.slots)
            pipeline.prepare()
            console.step(4, TOTAL, f"terraform plan ({step.name})")
            stack.callback(pipeline.discard_plan)
            try:
                run_step(pipeline.plan(), console)
            except TerraformFailed as exc:
                if locks.lock_from_failure(exc) is None:
                    raise
                console.error(locks.explain_lock(exc, args.answers) or str(exc))
                console.error("another run (perhaps a rotation elsewhere) holds the state lock; nothing was changed")
                return Exit.REFUSED
            summary = pipeline.summary
            assert summary is not None
            show(pipeline.review, summary.headline(), summary.changes, console)
            if beyond := _beyond(pipeline.review, step):
                console.error(f"the plan also changes what this step does not ({'; '.join(beyond)}): the answers "
                              f"changed since the last replay. Run {command('tfiam', 'replay', args.answers)} "
                              "first, then this again. Nothing was applied.")
                return Exit.REFUSED
            if not _approved(step, pipeline.review, args, console):
                console.say("Not applied.")
                return Exit.REFUSED
            if summary.has_changes:
                console.step(5, TOTAL, f"terraform apply ({step.name}: the plan above, nothing else)")
                tried = True  # from here a failure may leave part of the step applied
                _apply_reporting_progress(pipeline, console)
            applied = True
        finally:
            if not applied:  # the workspace says what the state says, not a step that never ran
                pipeline.set_key_slots(None if tried else neutral)  # None: as the state now is
                pipeline.prepare()
        creds, why = (None, "")
        if step.name == "start":
            creds, why = _credentials_for_verify(pipeline, passphrase, console)
        checks = pipeline.verify(creds) + rotation.check_applied(
            rotation.read_facts(iam, loaded.user.name, pipeline.runner.state_pull()), step)
        console.say(verify.format_checklist(checks))
        if step.name == "start" and creds is None:
            console.say(f"  [--] the new access key works: not checked ({why})")
        if not verify.all_ok(checks):
            console.error("verification failed: the account does not match the step (see [FAIL] above)")
            return Exit.VERIFY_FAILED
        console.say(rotation.next_hint(step.slots.record, args.answers))
    return Exit.OK
