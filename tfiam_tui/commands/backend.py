"""Team state in S3 on the command line.

* ``tfiam backend bootstrap ANSWERS``: create what the answers' S3 backend needs (the
  bucket with versioning, default encryption, public access block and a TLS-only
  policy; the DynamoDB lock table when chosen), adopting whatever already exists.
* :func:`init_workspace`: replay's ``terraform init`` step; for an S3 backend it moves
  local state to the bucket first, after asking.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..engine.text import command, shown
from .common import path_arg
from .gate import add_allow_destroy


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("backend", help="set up the S3 bucket (and lock table) for team state")
    actions = p.add_subparsers(dest="backend_command", metavar="ACTION", required=True)
    b = actions.add_parser(
        "bootstrap",
        help="create the state bucket (versioned, encrypted, private, TLS-only) and lock table; idempotent",
    )
    b.add_argument("answers", type=path_arg, help="answers file (YAML) with backend.type: s3")
    b.add_argument("--auto-approve", action="store_true", help="apply without asking")
    add_allow_destroy(b)
    b.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    tf_options(b)
    b.set_defaults(func=cmd_bootstrap, runs_terraform=True)


def agree(question: str, auto_approve: bool, console, refused: str) -> bool:
    """Yes with --auto-approve; otherwise ask on a terminal; with no terminal, say
    ``refused`` and answer no."""
    if auto_approve:
        return True
    from .common import is_terminal

    if not is_terminal():
        console.error(f"no terminal to ask on, so {refused}; run again with --auto-approve to do it unattended")
        return False
    from ..ask.prompts import confirm

    return confirm(question, default=False)


def _aws_check(answers, console) -> None:
    """Fail fast (PreflightError, exit 9) when AWS cannot be reached or no credentials."""
    from ..engine.aws import preflight
    from ..engine.terraform import backends

    identity = preflight.preflight(
        region=backends.region(answers), endpoint=answers.provider.endpoint, profile=backends.profile(answers)
    )
    console.say(f"acting as {identity}")


def cmd_bootstrap(args: argparse.Namespace, console) -> int:
    from ..engine.answers import AnswersError, Problem, load
    from ..engine.exitcodes import Exit
    from ..engine.terraform import backends, bootstrap, workspace
    from ..engine.terraform.cliconfig import cli_config_notice
    from ..engine.terraform.events import ChangeSummary, PlannedChange
    from ..engine.terraform.runner import DEFAULT_PLAN_FILE, Runner
    from .common import run_step

    loaded = load(args.answers)
    backend = backends.s3_backend(loaded)
    if backend is None:
        raise AnswersError([Problem(
            field="backend.type",
            message="is 'local'; `tfiam backend bootstrap` sets up an S3 backend (type: s3, bucket, key)",
        )], args.answers)
    for note in backend.notes():
        console.say(f"note: {note}")
    if notice := cli_config_notice():
        console.say(notice)
    total = 4
    console.step(1, total, f"looking for s3://{backend.bucket} in {backends.region(loaded)}")
    _aws_check(loaded, console)
    try:
        inventory = bootstrap.detect(loaded)
    except bootstrap.BootstrapError as exc:
        console.error(f"{exc}. Nothing was created.")
        return Exit.INVALID_ANSWERS
    except Exception as exc:  # botocore: access denied, throttled, ...
        if not backends.is_aws_error(exc):
            raise
        console.error(f"could not look at the bucket: {exc}. Nothing was created.")
        return Exit.AWS_UNAVAILABLE
    for line in inventory.lines():
        console.say(f"  {line}")

    with tempfile.TemporaryDirectory(prefix="tfiam-bootstrap-") as scratch:
        ws = Path(scratch) / "state-backend"
        workspace.write(ws, bootstrap.render(loaded, inventory), owner=bootstrap.owner(loaded))
        runner = Runner(ws, terraform_bin=args.terraform_bin, plugin_dir=args.plugin_dir)
        console.step(2, total, "terraform init (a scratch workspace that only manages the bucket and table)")
        run_step(runner.init(), console)
        console.step(3, total, "terraform plan")
        planned: list[tuple[str, str]] = []
        counts = ChangeSummary(0, 0, 0, "plan")

        def collect(event) -> None:
            nonlocal counts
            if isinstance(event, PlannedChange):
                planned.append((event.action, event.address))
            elif isinstance(event, ChangeSummary):
                counts = event

        run_step(_tee(runner.plan(), collect), console)
        result = bootstrap.report(inventory, planned)
        if not (counts.add or counts.change or counts.remove):
            console.step(4, total, "terraform apply: skipped, nothing to create or change")
            for line in result.lines():
                console.say(f"  {line}")
            console.say(f"The backend is ready: {command('tfiam', 'replay', args.answers)} keeps the state in "
                       f"{shown(backends.state_url(loaded))}.")
            return Exit.OK
        from ..engine.pipeline.review import review
        from .gate import approved, show  # the bucket's name is typed to confirm a dangerous plan

        reviewed = review(runner.show_plan(DEFAULT_PLAN_FILE), ws / DEFAULT_PLAN_FILE)
        show(reviewed, f"Plan: {counts.add} to create, {counts.change} to change, {counts.remove} to destroy.",
             [(action, address) for action, address in planned if action != "import"], console)
        if not approved(reviewed, name=backend.bucket, auto_approve=args.auto_approve,
                        allow_destroy=args.allow_destroy, console=console):
            console.say("Not applied.")
            return Exit.REFUSED
        console.step(4, total, "terraform apply (the plan above, nothing else)")
        run_step(runner.apply(), console)
    for line in result.lines():
        console.say(f"  {line}")
    console.say(f"The backend is ready: {command('tfiam', 'replay', args.answers)} keeps the state in "
                       f"{shown(backends.state_url(loaded))}.")
    return Exit.OK


def _tee(events, also):
    """Pass every event through, showing it to ``also`` first."""
    for event in events:
        also(event)
        yield event


def init_workspace(pipeline, console, *, auto_approve: bool, step: tuple[int, int]) -> int | None:
    """Replay's init step.  For an S3 backend: notes about the answers, then, when the
    workspace still has local state, ask before moving it to the bucket, verify the move
    and delete the local copy.  Returns None to go on, or the exit code to stop with."""
    from ..engine.exitcodes import Exit
    from ..engine.terraform import backends, statemove
    from .common import run_step

    backend = backends.s3_backend(pipeline.answers)
    if backend is not None:
        for note in backend.notes():
            console.say(f"note: {note}")
    try:
        plan = pipeline.init_step()
        if plan.asks:
            console.say(plan.question())
            if not agree("Go ahead?", auto_approve, console, "the state was not moved"):
                console.say("Not moved; nothing was planned or applied.")
                return Exit.REFUSED
        removed = pipeline.before_init(plan)  # "adopt": S3 already holds it
        what = "terraform init"
        if plan.mode == "migrate":
            what = f"terraform init -migrate-state (local state -> {plan.target})"
        elif backend is not None:
            what = f"terraform init (state in {plan.target})"
        console.step(*step, what)
        run_step(pipeline.init(plan), console)
        removed += pipeline.finish_init(plan)  # "migrate": verified, then the local copy goes
    except statemove.MigrationError as exc:
        console.error(f"{exc}. Nothing was deleted.")
        return Exit.REFUSED
    if removed:
        console.say(
            f"  {plan.target} holds the same resources and outputs (every attribute checked); "
            f"removed the local copy: {', '.join(p.name for p in removed)}"
        )
    return None
