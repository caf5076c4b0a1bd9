"""``tfiam unlock ANSWERS``: release a state lock a dead run left behind.

Shows who holds the lock and since when, asks (or --auto-approve), then runs
``terraform force-unlock``: in the workspace when it is initialised for this
backend, otherwise in a scratch folder holding only the backend configuration (so
it works from any machine; ``terraform init`` there installs the provider the state
names, from --plugin-dir when given).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from .common import path_arg


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("unlock", help="show the S3 state lock and release it (terraform force-unlock)")
    p.add_argument("answers", type=path_arg, help="answers file (YAML) with backend.type: s3")
    p.add_argument("--lock-id", help="release only if the lock still has this id")
    p.add_argument("--auto-approve", action="store_true", help="release without asking")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (overrides the answers file's 'workspace')")
    p.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    tf_options(p)
    p.set_defaults(func=cmd_unlock, runs_terraform=True)


def cmd_unlock(args: argparse.Namespace, console) -> int:
    from ..engine.answers import load, workspace_dir
    from ..engine.exitcodes import Exit
    from ..engine.terraform import backends, locks, statemove
    from ..engine.terraform.runner import Runner
    from .backend import _aws_check, agree
    from .common import run_step

    loaded = load(args.answers)
    if backends.s3_backend(loaded) is None:
        console.say(
            "The state is local (backend.type: local): its lock is released when the terraform "
            "process holding it ends. Nothing to unlock."
        )
        return Exit.OK
    target = backends.state_url(loaded)
    _aws_check(loaded, console)
    try:
        lock = locks.read_lock(loaded)
    except Exception as exc:  # botocore: access denied, ...
        if not backends.is_aws_error(exc):
            raise
        console.error(f"could not read the lock of {target}: {exc}")
        return Exit.AWS_UNAVAILABLE
    if lock is None:
        console.say(f"{target} is not locked. Nothing to do.")
        return Exit.OK
    console.say(f"{target} is locked:")
    for line in lock.describe():
        console.say(f"  {line}")
    if args.lock_id and args.lock_id != lock.id:
        console.error(f"the lock's id is {lock.id}, not {args.lock_id}; nothing was released")
        return Exit.REFUSED
    question = "Release this lock? Only if the run holding it has died: a live run would then race another one."
    if not agree(question, args.auto_approve, console, "the lock was not released"):
        console.say("Not released.")
        return Exit.REFUSED
    ws = workspace_dir(loaded, args.answers, args.workspace)
    config = ws / backends.BACKEND_CONFIG_FILE
    ready = (
        statemove.previous_backend(ws) == "s3"
        and config.is_file()
        and config.read_text(encoding="utf-8") == backends.backend_config(loaded)
    )
    with tempfile.TemporaryDirectory(prefix="tfiam-unlock-") as scratch:
        if ready:  # the workspace is initialised for exactly this backend
            runner = Runner(ws, terraform_bin=args.terraform_bin)
        else:
            for name, data in backends.backend_files(loaded).items():
                (Path(scratch) / name).write_bytes(data)
            runner = Runner(Path(scratch), terraform_bin=args.terraform_bin, plugin_dir=args.plugin_dir)
            run_step(runner.init(backend_config=backends.BACKEND_CONFIG_FILE), console)
        run_step(runner.force_unlock(lock.id), console)
    after = locks.read_lock(loaded)
    if after is not None and after.id == lock.id:
        console.error(f"terraform force-unlock finished, but the lock {lock.id} is still there")
        return Exit.TERRAFORM_FAILED
    console.say(f"Released the lock {lock.id} on {target}.")
    return Exit.OK
