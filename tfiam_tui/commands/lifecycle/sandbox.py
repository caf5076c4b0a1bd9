"""``tfiam sandbox start|status|stop``: the stand-in AWS in the background, so ``--sandbox``
on every command (replay, status, rotate, the wizard) works in one fake account across
commands.  Nothing in it touches a real AWS account; ``stop`` ends it and everything in it."""

from __future__ import annotations

import argparse

from ...engine.exitcodes import Exit


def register(subparsers, tf_options) -> None:  # noqa: ARG001 - the sandbox runs no terraform
    p = subparsers.add_parser("sandbox", help="run the stand-in AWS in the background across commands")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start it (or show the one running) and print its endpoint")
    start.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (default: a free one)")
    actions.add_parser("status", help="whether it runs, and where (exit 0 running, 9 not)")
    actions.add_parser("stop", help="stop it; every user, key and state bucket in it is gone")
    p.set_defaults(func=cmd_sandbox)


def _how_to_use(endpoint: str) -> list[str]:
    from ...engine.aws.sandbox import Sandbox

    env = Sandbox.env()
    return [
        "Use it with --sandbox on any command, e.g.: tfiam replay ANSWERS --sandbox; tfiam status ANSWERS --sandbox",
        f"Call it yourself: AWS_ACCESS_KEY_ID={env['AWS_ACCESS_KEY_ID']} "
        f"AWS_SECRET_ACCESS_KEY={env['AWS_SECRET_ACCESS_KEY']} aws --endpoint-url {endpoint} iam list-users",
        "Stop it with: tfiam sandbox stop (everything in it is gone)",
    ]


def cmd_sandbox(args: argparse.Namespace, console) -> int:
    from ...engine.aws import sandbox_service

    if args.action == "start":
        if args.port is not None and not 1 <= args.port <= 65535:
            from ..common import UsageError

            raise UsageError("--port", f"{args.port} is not a TCP port (1-65535)")
        found, new = sandbox_service.start(args.port)
        state = "started" if new else "already running"
        console.say(f"SANDBOX {state}: a local stand-in AWS at {found.endpoint} (pid {found.pid}, since "
                    f"{found.started}) with dummy credentials. Nothing here touches a real AWS account.")
        for line in _how_to_use(found.endpoint):
            console.say(line)
        return Exit.OK
    if args.action == "status":
        current = sandbox_service.running()
        if current is None:
            console.say("no sandbox is running; start one with: tfiam sandbox start")
            return Exit.AWS_UNAVAILABLE
        console.say(f"SANDBOX running at {current.endpoint} (pid {current.pid}, since {current.started}); "
                    f"its log: {current.log}")
        return Exit.OK
    stopped = sandbox_service.stop()
    if stopped is None:
        console.say("no sandbox was running")
    else:
        console.say(f"stopped the sandbox at {stopped.endpoint} (pid {stopped.pid}); every user in it is gone")
    return Exit.OK
