"""``tfiam adopt USER_NAME --save ANSWERS``: bring a user made elsewhere under tfiam as it
is (engine/lifecycle/adoption).  Reads the user from the AWS API, writes the answers file
that describes it and the workspace with ``import`` blocks; changes nothing in IAM.  The
next ``tfiam replay ANSWERS`` imports it (docs/adoption.md)."""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from ...engine.exitcodes import Exit
from ...engine.text import command, shown
from ..common import UsageError, path_arg


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("adopt", help="describe a user made elsewhere and write its workspace with import blocks")
    p.add_argument("user_name", help="the IAM user to adopt, as it exists in the account")
    p.add_argument("--save", type=path_arg, required=True, metavar="ANSWERS",
                   help="answers file to write (YAML); it must not exist yet")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (default: ./tfiam-USER_NAME beside the answers)")
    p.add_argument("--region", help="region for the provider (IAM is global; default: AWS_REGION, else us-east-1)")
    p.add_argument("--profile", help="AWS profile to read the user with (and to write into the answers)")
    p.add_argument("--endpoint", help="base URL of a stand-in AWS (written into the answers as provider.endpoint)")
    p.add_argument("--sandbox", action="store_true", help="in the sandbox that tfiam sandbox start keeps running")
    p.add_argument("--pgp-key", help="your PGP key (fingerprint, e-mail or file): new secrets, such as a rotation's "
                                     "keys, are encrypted to it; needed when the user has access keys or a password")
    p.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    tf_options(p)
    p.set_defaults(func=cmd_adopt)


class _NotThere(Exception):
    """The user to adopt does not exist (exit 3, nothing written)."""


def _answers_target(path: str) -> Path:
    """The answers file to write: new, in a folder that exists.  Raises AnswersError."""
    target = Path(path).expanduser()
    if target.exists() or target.is_symlink():
        raise UsageError("--save", f"{shown(path)} already exists; adopt writes a new answers file and never "
                                   "overwrites one. Choose another name, or remove it first")
    if not target.resolve().parent.is_dir():
        raise UsageError("--save", f"the folder of {shown(path)} does not exist")
    return target.resolve()


def _workspace_field(ws: Path, answers_dir: Path) -> str:
    """The answers' ``workspace``: relative to the answers file when it is below it."""
    try:
        return "./" + ws.relative_to(answers_dir).as_posix()
    except ValueError:
        return str(ws)


def _read(args, endpoint: str | None, region: str):
    """The user as IAM holds it (a refusal raised, with nothing written)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ...engine.aws.clients import error_text
    from ...engine.aws.preflight import PreflightError
    from ...engine.lifecycle import adoption
    from ...engine.lifecycle.status import iam_client

    iam = iam_client(region, None if args.sandbox else args.profile, endpoint, None)
    try:
        return adoption.read_user(iam, args.user_name)
    except adoption.UserNotFound:
        where = f"the account at {endpoint}" if endpoint else "the account"
        raise _NotThere(f"there is no IAM user named {shown(args.user_name)} in {where} (GetUser: NoSuchEntity); "
                        "check the name (aws iam list-users) and the profile. Nothing was written") from None
    except (ClientError, BotoCoreError) as exc:
        raise PreflightError(f"cannot read the user {shown(args.user_name)}: {error_text(exc)}") from None


def _answers(args, found, *, region: str, endpoint: str | None, target: Path, ws: Path):
    from ...engine import answers as answers_mod
    from ...engine.lifecycle import adoption

    secrets = bool(found.keys) or found.login is not None
    if secrets and not args.pgp_key:
        raise UsageError("--pgp-key", f"is required: {found.name} has access keys or a console password, and every "
                                      "secret tfiam makes later (a rotation's new key) is encrypted to your PGP key. "
                                      "The adopted secrets themselves stay where they are")
    data = adoption.answers_data(found, region=region, profile=None if args.sandbox else args.profile,
                                 endpoint=None if args.sandbox else endpoint, pgp_key=args.pgp_key,
                                 workspace=_workspace_field(ws, target.parent))
    try:
        return answers_mod.parse(data, str(target)).with_source_dir(target.parent)
    except answers_mod.AnswersError as exc:
        problems = [answers_mod.Problem(field=p.field, message=f"as {found.name} is in AWS: {p.message}")
                    for p in exc.problems]
        problems.append(answers_mod.Problem(field="", message=(
            f"tfiam adopts a user only as it is, and these answers would not be valid: change {found.name} in IAM "
            "so that it fits (the rule above says how), then run tfiam adopt again")))
        raise answers_mod.AnswersError(problems, source=f"tfiam adopt {found.name}") from None


def cmd_adopt(args: argparse.Namespace, console) -> int:
    from ...engine import answers as answers_mod
    from ...engine import pipeline as pl
    from ...engine.lifecycle import adoption
    from ...engine.terraform import workspace

    target = _answers_target(args.save)
    ws = Path(args.workspace).expanduser().resolve() if args.workspace else target.parent / f"tfiam-{args.user_name}"
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    # A folder that is not ours is refused before AWS is asked anything.
    workspace.check_target(ws, workspace.Owner(workspace.ownership.IAM_USER, args.user_name))
    with contextlib.ExitStack() as stack:
        endpoint, extra_env = _sandbox(stack, console) if args.sandbox else (args.endpoint, {})
        try:
            found = _read(args, endpoint, region)
        except _NotThere as exc:
            console.error(str(exc))
            return Exit.INVALID_ANSWERS
        if refused := adoption.refusals(found):
            for line in refused:
                console.error(f"{line}. Nothing was written.")
            return Exit.REFUSED
        loaded = _answers(args, found, region=region, endpoint=endpoint, target=target, ws=ws)
        run_answers = pl.with_endpoint(loaded, endpoint) if args.sandbox else loaded
        pipeline = pl.Pipeline(run_answers, ws, terraform_bin=args.terraform_bin, plugin_dir=args.plugin_dir,
                               extra_env=extra_env, sandbox=args.sandbox)
        pipeline.adoption = adoption.adoption(found)
        pipeline.check()
        if pipeline.state_holds(adoption.user_address()):
            console.error(f"{shown(ws)} already manages {found.name} (its state holds the user); nothing to adopt: "
                          "tfiam replay the answers file of that workspace. Nothing was written.")
            return Exit.REFUSED
        identity = pipeline.preflight()
        result = pipeline.prepare()
        answers_mod.save(loaded, target)
        _report(found, identity, target, ws, len(result.changed), console)
        _lint_ahead(loaded, target, console)
    return Exit.OK


def _lint_ahead(loaded, target: Path, console) -> None:
    """The linter's errors stop every replay; say so now, while nothing has changed."""
    from ...engine import policy as lint_mod

    findings = lint_mod.lint(loaded)
    if not lint_mod.fails(findings):
        return
    console.say(lint_mod.format_text(findings, source=f"lint {shown(target)}", severities=("error",)))
    console.say("warning: the user as it is has grants the linter refuses, so tfiam replay stops on them (exit 10) "
                "and imports nothing. Change the answers first (the replay then changes the user to match), or "
                "leave this user outside tfiam.")


def _sandbox(stack: contextlib.ExitStack, console) -> tuple[str, dict[str, str | None]]:
    """The running sandbox's endpoint, and this process isolated from the operator's AWS auth."""
    from ...engine.aws import sandbox_service
    from ...engine.aws.sandbox import isolated_environ
    from ..replay import sandbox_line

    running = sandbox_service.required()
    extra_env = stack.enter_context(isolated_environ())
    console.say(sandbox_line(running))
    return running.endpoint, extra_env


def _report(found, identity: str, target: Path, ws: Path, written: int, console) -> None:
    from ...engine.lifecycle import adoption

    console.say(f"Read {found.name} ({found.arn}) acting as {identity}: path {found.path}, {len(found.tags)} tag(s), "
                f"{len(found.groups)} group(s), {len(found.managed_policies)} managed policy(ies), "
                f"{len(found.keys)} access key(s), {'a' if found.login else 'no'} console password, "
                f"{len(found.mfa_devices)} MFA device(s). Nothing in IAM was changed.")
    for note in adoption.notes(found):
        console.say(f"note: {note}")
    console.say(f"Wrote {shown(target)} (the user as it is) and the workspace {shown(ws)} ({written} file(s), "
                f"with import blocks in {adoption.IMPORTS_NAME}).")
    console.say(f"Next: {command('tfiam', 'replay', target)} plans the imports (nothing to add, change or destroy); "
                "apply them, and the user is managed.")
