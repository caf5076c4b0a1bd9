"""``tfiam validate ANSWERS``: check an answers file against every rule; writes nothing."""

from __future__ import annotations

import argparse

from ..engine import answers as answers_mod
from ..engine.exitcodes import Exit
from .common import path_arg


def register(subparsers, tf_options) -> None:  # noqa: ARG001 - validate runs no terraform
    p = subparsers.add_parser("validate", help="check an answers file; writes nothing")
    p.add_argument("answers", type=path_arg, help="answers file (YAML)")
    p.add_argument("--workspace", type=path_arg, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace, console) -> int:
    loaded = answers_mod.load(args.answers)
    ws = answers_mod.workspace_dir(loaded, args.answers, args.workspace)
    console.say(f"{args.answers}: valid (user {loaded.user.name}, workspace {ws})")
    return Exit.OK
