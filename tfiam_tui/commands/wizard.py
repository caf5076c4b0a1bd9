"""``tfiam wizard`` (and bare ``tfiam``): the Textual wizard.

Textual is imported only when the wizard runs, so every other command stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os

from .common import path_arg


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("wizard", help="the guided, full-screen wizard (default when no command is given)")
    add_arguments(p)
    tf_options(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--answers", type=path_arg, help="pre-fill every step from this answers file (resume, or edit and re-run)")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (default: from the answers, else ./tfiam-USER)")
    p.add_argument("--sandbox", action="store_true", help="run against a local stand-in AWS; touches no account")
    p.add_argument("--plugin-dir", type=path_arg, default=os.environ.get("TFIAM_PLUGIN_DIR") or None,
                   help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")


def run(args: argparse.Namespace, console) -> int:
    from ..engine.exitcodes import Exit
    from ..tui.app import create_app
    from .lifecycle.manage import Manager

    app = create_app(
        answers_path=args.answers,
        workspace=args.workspace,
        sandbox=args.sandbox,
        plugin_dir=args.plugin_dir,
        terraform_bin=args.terraform_bin,
        manager=Manager(args, console),
    )
    try:
        with contextlib.ExitStack() as stack:
            if args.sandbox:  # before any boto3 session: see engine.aws.sandbox.isolated_environ
                from ..engine.aws.sandbox import isolated_environ

                stack.enter_context(isolated_environ())
            app.run()
    finally:
        app.session.close()
    return int(app.return_code or Exit.OK)
