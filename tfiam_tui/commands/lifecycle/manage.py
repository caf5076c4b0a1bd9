"""Managing a user from the interactive fronts: ``tfiam ask``'s "manage a user" and the
wizard's Manage screen share one :class:`Manager`.  It shows what ``tfiam status`` shows and
the rotation steps open now (engine.lifecycle.manage), and runs a chosen step as
``tfiam rotate`` itself, so the plan, the confirmations and the verification are the very
same as on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ...engine.text import command, shown


class Manager:
    """``options``: the front's own --sandbox, --workspace, --plugin-dir and --terraform-bin,
    passed on to every step it runs."""

    def __init__(self, options: argparse.Namespace, console) -> None:
        self.options = options
        self.console = console

    @property
    def sandbox(self) -> bool:
        return bool(getattr(self.options, "sandbox", False))

    def problem(self, path: str) -> str | None:
        """Why ``path`` cannot be managed (None when it can): the answers file's own problems."""
        from ...engine.answers import AnswersError, load

        if not Path(path).expanduser().is_file():
            return f"{shown(path)} is not a file; give the answers file the user was made from"
        try:
            load(path)
        except AnswersError as exc:
            return str(exc)
        return None

    def overview(self, path: str, width: int = 80) -> Any:
        """The user's status and open rotation steps (engine.lifecycle.manage.Overview),
        in lines of at most ``width`` columns.
        Raises AnswersError, or SandboxError when --sandbox finds no sandbox running."""
        from ...engine.answers import load, workspace_dir
        from ...engine.lifecycle.manage import overview
        from .status import recipient_check

        answers = load(path)
        if self.sandbox:
            from ...engine.aws import sandbox_service
            from ...engine.pipeline import with_endpoint

            answers = with_endpoint(answers, sandbox_service.required().endpoint)
        workspace = workspace_dir(answers, path, getattr(self.options, "workspace", None))
        return overview(answers, answers_path=path, workspace=workspace, recipient_check=recipient_check(answers),
                        width=width)

    def rotate_argv(self, path: str, flags: tuple[str, ...] = ()) -> list[str]:
        argv = ["rotate", path, *flags]
        for flag in ("workspace", "plugin_dir"):
            if value := getattr(self.options, flag, None):
                argv += [f"--{flag.replace('_', '-')}", value]
        if (binary := getattr(self.options, "terraform_bin", "terraform")) != "terraform":
            argv += ["--terraform-bin", binary]
        if self.sandbox:
            argv.append("--sandbox")
        return argv

    def run_step(self, path: str, flags: tuple[str, ...] = ()) -> int:
        """Run ``tfiam rotate PATH FLAGS`` here, on this terminal: its plan, its questions."""
        from ..cli import build_parser, interrupted, report
        from .rotate import cmd_rotate

        argv = self.rotate_argv(path, flags)
        self.console.say(f"\n$ {command('tfiam', *argv)}")
        args = build_parser().parse_args(argv)
        try:
            return int(cmd_rotate(args, self.console))
        except KeyboardInterrupt:
            return interrupted(args, self.console)
        except Exception as exc:  # as the command line reports it: one message and a code
            return report(exc, args, self.console)


def status_argv(manager: Manager, path: str) -> list[str]:
    """``tfiam status PATH`` with the options of this session that status takes (--sandbox;
    status has no --workspace: it reads the answers file's)."""
    return ["status", path, *(["--sandbox"] if manager.sandbox else [])]


def manage_in_prompts(manager: Manager, default_path: str | None) -> int:
    """``tfiam ask``, "manage a user": pick the answers file, see the status, take a step.
    Every line is wrapped to the terminal; under --sandbox each status opens with the
    SANDBOX line, and every command suggested or run carries this session's options."""
    import questionary

    from ...ask.screen import ask_valid, question, sayer, width
    from ...engine.exitcodes import Exit

    say = sayer(manager.console.say)
    path = ask_valid(lambda typed: questionary.text("Answers file of the user:", default=typed),
                     lambda text: manager.problem(text.strip()) or True, say, default_path or "").strip()
    code = int(Exit.OK)
    while True:
        found = manager.overview(path, width=width())
        if manager.sandbox:  # which stand-in: its endpoint, to try the keys against
            from ...engine.aws import sandbox_service
            from ..replay import sandbox_line

            say("\n" + sandbox_line(sandbox_service.required()))
        for line in found.lines():
            say(line)
        choices = [questionary.Choice(question(f"{c.label}: {c.doing}"), value=c) for c in found.choices]
        choices += [questionary.Choice("Show the status again", value="again"),
                    questionary.Choice("Done", value="done")]
        picked = questionary.select("What now?", choices=choices, default=choices[0]).unsafe_ask()
        if picked == "done":
            say("Check again any time with:")
            manager.console.say(f"  {command('tfiam', *status_argv(manager, path))}")  # one line, to paste whole
            return code
        if picked != "again":
            code = manager.run_step(path, picked.flags)
