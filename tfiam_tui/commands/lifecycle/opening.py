"""What every lifecycle step (``tfiam rotate``, ``tfiam offboard``) does before it decides:
the sandbox if asked, the pipeline checked, who we are, no hand edits, the workspace
written as the state keeps it, init, recovery of an interrupted apply, then the state and
an IAM client.  One sequence, so the two commands cannot drift apart."""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass
from typing import Any

from ...engine.exitcodes import Exit
from ...engine.text import command, shown

TOTAL = 5  # the steps every lifecycle command numbers: answers, init, where it stands, plan, apply


@dataclass
class Opened:
    answers: Any  # the answers, pointed at the sandbox under --sandbox
    pipeline: Any
    identity: str  # the caller's ARN
    neutral: Any  # the key slots as the state keeps them (written back if the step is not applied)
    state: dict
    iam: Any
    extra_env: dict[str, str | None]


def open_step(args: argparse.Namespace, loaded: Any, console, stack: contextlib.ExitStack, log: str) -> Opened | int:
    """The opened workspace, or the exit code to stop with (nothing was changed)."""
    from ...engine import answers as answers_mod
    from ...engine import pipeline as pl
    from ...engine.lifecycle.status import iam_client
    from ...engine.runlog import RunLog
    from ..backend import init_workspace

    ws = answers_mod.workspace_dir(loaded, args.answers, args.workspace)
    extra_env: dict[str, str | None] = {}
    if args.sandbox:
        from ...engine.aws import sandbox_service
        from ...engine.aws.sandbox import isolated_environ
        from ..replay import sandbox_line

        running = sandbox_service.required()
        loaded = pl.with_endpoint(loaded, running.endpoint)
        extra_env = stack.enter_context(isolated_environ())
        console.say(sandbox_line(running))
    pipeline = pl.Pipeline(loaded, ws, terraform_bin=args.terraform_bin, plugin_dir=args.plugin_dir,
                           lock_timeout=args.lock_timeout, extra_env=extra_env, sandbox=args.sandbox)
    pipeline.check()
    identity = pipeline.preflight()
    if edited := pipeline.edited_files():
        console.error(f"workspace files were edited by hand since tfiam wrote them ({', '.join(edited)}); "
                      f"{command('tfiam', 'replay', args.answers)} asks about them first. Nothing was changed.")
        return Exit.REFUSED
    neutral = pipeline.key_slots()
    pipeline.prepare()
    console.attach_log(stack.enter_context(contextlib.closing(RunLog(ws, log))))
    console.step(1, TOTAL, f"answers {shown(args.answers)}: user {loaded.user.name}; acting as {identity}")
    if (stop := init_workspace(pipeline, console, auto_approve=args.auto_approve, step=(2, TOTAL))) is not None:
        return stop
    for line in pipeline.recover().lines():
        console.say(line)
    state = pipeline.runner.state_pull()
    provider = loaded.provider
    iam = iam_client(provider.region, provider.profile, provider.endpoint, pl.explicit_credentials(extra_env))
    return Opened(loaded, pipeline, identity, neutral, state, iam, extra_env)
