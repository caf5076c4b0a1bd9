"""``tfiam ask``: the guided setup as plain questions (questionary), then optionally the run."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from ..engine.text import command, shown
from .common import path_arg, path_rule


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("ask", help="the guided setup one question at a time (no full-screen app)")
    p.add_argument("--answers", type=path_arg, help="an answers file (or a saved draft) whose values become the defaults")
    p.add_argument("--save", type=path_arg, help="where to save the answers file (asked when not given)")
    p.add_argument("--run", action="store_true", help="run init/plan/apply/verify afterwards, as `tfiam replay` does")
    p.add_argument("--sandbox", action="store_true", help="run against a local stand-in AWS; touches no account")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (overrides the answers file's 'workspace')")
    p.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    tf_options(p)
    p.set_defaults(func=cmd_ask, runs_terraform=True)


def _load_defaults(path: str | None) -> dict | None:
    """The saved answers as plain data: a complete file or a draft (not validated here;
    each value is validated when it is offered as a default)."""
    if not path:
        return None
    from ..engine import answers as answers_mod

    try:
        data = answers_mod.load_data(Path(path).read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        raise answers_mod.AnswersError([answers_mod.Problem(field="", message="no such file")], path) from None
    except UnicodeDecodeError as exc:
        raise answers_mod.AnswersError([answers_mod.Problem(field="", message=f"cannot be read: {exc}")], path) from None
    return data if isinstance(data, dict) else None


def _options(args: argparse.Namespace) -> list[str]:
    """Every option this ``ask`` was given that the commands it suggests or runs take too."""
    argv: list[str] = []
    for flag, value in (("--workspace", args.workspace), ("--plugin-dir", args.plugin_dir)):
        if value:
            argv += [flag, value]
    if args.terraform_bin != "terraform":
        argv += ["--terraform-bin", args.terraform_bin]
    if args.sandbox:
        argv.append("--sandbox")
    return argv


def replay_argv(args: argparse.Namespace, save_to: Path) -> list[str]:
    """``tfiam replay`` with every option this ``ask`` was given, to run now or repeat later."""
    return ["replay", str(save_to), *_options(args)]


def draft_argv(args: argparse.Namespace, draft: Path) -> list[str]:
    """``tfiam ask`` to continue a draft, with every option this ``ask`` was given (--save
    is left out: the draft's own place is the default)."""
    return ["ask", "--answers", str(draft), *(["--run"] if args.run else []), *_options(args)]


def sandbox_lines(say) -> None:
    """The first thing said under --sandbox: the wizard's marker, then what it means."""
    from ..ask.screen import SANDBOX_LINE, wrapped

    say(SANDBOX_LINE)
    say(wrapped("These answers run against a local stand-in AWS with dummy credentials; no AWS account is touched."))


def cmd_ask(args: argparse.Namespace, console) -> int:
    from ..engine.exitcodes import Exit

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        console.error("tfiam ask needs a terminal to ask its questions; to run saved answers "
                      "without one, use: tfiam replay ANSWERS")
        return Exit.REFUSED
    if args.sandbox:  # before anything else, even the first question
        sandbox_lines(console.say)
    import questionary

    from ..ask import interview as ask
    from ..ask import summary
    from ..ask.screen import ask_valid, keys_kept, question, sayer
    from ..engine import answers as answers_mod
    from .cli import build_parser
    from .decrypt import cmd_decrypt
    from .replay import cmd_replay

    say = sayer(console.say)  # every message wrapped to the terminal
    if questionary.select("What do you want to do?", choices=[
        questionary.Choice("Create a user (or change one, from its answers file)", value="create"),
        questionary.Choice("Manage a user tfiam made (status, key rotation)", value="manage"),
    ]).unsafe_ask() == "manage":
        from .lifecycle.manage import Manager, manage_in_prompts

        try:
            with contextlib.ExitStack() as stack:
                if args.sandbox:  # status reads with the sandbox's dummy credentials, as tfiam status --sandbox
                    from ..engine.aws.sandbox import isolated_environ

                    stack.enter_context(isolated_environ())
                return manage_in_prompts(Manager(args, console), args.answers)
        except (KeyboardInterrupt, EOFError):  # nothing to keep: managing saves no answers
            console.say("")
            return Exit.INTERRUPTED
    defaults = _load_defaults(args.answers)
    interview = ask.Interview(defaults, sandbox=args.sandbox, say=console.say)
    default_save = args.save or args.answers or "tfiam-answers.yaml"
    try:
        with keys_kept():  # a key typed just after a refusal goes to the question asked again
            interview.run()
            answers = summary.review(interview)  # every answer, any of them changed, then confirmed
            save_to = Path(args.save) if args.save else Path(ask_valid(
                lambda typed: questionary.text("Save the answers file to:", default=typed),
                lambda text: path_rule(text.strip() or default_save) or True, say, default_save,
            ).strip() or default_save)
        answers_mod.save(answers, save_to)
        say(f"Saved {shown(save_to)} (no secrets in it). Repeat this any time with:")
        console.say(f"  {command('tfiam', *replay_argv(args, save_to))}")  # one line, to paste whole
        if not (args.run or questionary.confirm("Run it now (init, plan, your confirmation, apply, verify)?",
                                                default=False).unsafe_ask()):
            return Exit.OK
    except (KeyboardInterrupt, EOFError):  # Ctrl-C, or Ctrl-D / the terminal went away
        console.say("")
        try:
            target = Path(default_save if not Path(default_save).exists() else default_save + ".draft")
            if questionary.confirm(question(f"Interrupted. Save what you answered so far to {shown(target)}?"),
                                   default=True).unsafe_ask():
                ask.save_draft(interview.data, target)
                say(f"Saved a draft to {shown(target)}; continue with:")
                console.say(f"  {command('tfiam', *draft_argv(args, target))}")
        except (KeyboardInterrupt, EOFError):
            pass
        return Exit.INTERRUPTED

    code = cmd_replay(build_parser().parse_args(replay_argv(args, save_to)), console)
    if code != Exit.OK or not (answers.authentication.access_key or answers.authentication.console):
        return code
    if not questionary.confirm("Decrypt the new credentials now?", default=True).unsafe_ask():
        return code
    fmt = questionary.select("Format:", choices=["credentials", "csv", "json"]).unsafe_ask()
    suffix = {"credentials": "creds", "csv": "csv", "json": "json"}[fmt]
    output = questionary.text(question("Write them to (a new file, created 0600; '-' for this screen):"),
                              default=f"{answers.user.name}.{suffix}").unsafe_ask()
    dargv = ["decrypt", "--answers", str(save_to), "--format", fmt, "--output", output.strip()]
    if args.workspace:
        dargv += ["--workspace", args.workspace]
    return cmd_decrypt(build_parser().parse_args(dargv), console)
