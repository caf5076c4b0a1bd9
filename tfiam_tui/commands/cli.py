"""The ``tfiam`` command: the parser, console output and the mapping of errors to exit codes.

Each subcommand lives in ``tfiam_tui/commands/<name>.py`` (see COMMAND_MODULES).
Commands other than the wizard never import Textual; questionary is imported only
when a question is actually asked.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..engine import answers as answers_mod
from ..engine.exitcodes import Exit
from ..engine.text import shown_lines

EXIT_CODES_HELP = "\n".join(f"  {int(code):>3}  {code.name.lower().replace('_', ' ')}" for code in Exit)


# --------------------------------------------------------------------------- console helpers


class Console:
    """Plain line output for the headless commands.  Lines from terraform are indented.

    Every line passes :func:`shown_lines` on its way out (to the terminal and the run log):
    whatever a message quotes from input, no ESC sequence or other control character reaches
    the terminal raw."""

    def __init__(self, out=None, err=None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.log = None  # a RunLog once the workspace is known
        self._pending: list[str] = []

    def attach_log(self, log) -> None:
        """Send every line (earlier ones too) to a redacted run log as well."""
        self.log = log
        for line in self._pending:
            log.write(line)
        self._pending.clear()

    def _record(self, text: str) -> None:
        if self.log is not None:
            self.log.write(text)
        else:
            self._pending.append(text)

    def say(self, text: str = "") -> None:
        text = shown_lines(text)
        print(text, file=self.out, flush=True)
        self._record(text)

    def step(self, n: int, total: int, text: str) -> None:
        self.say(f"[{n}/{total}] {text}")

    def tf(self, text: str) -> None:
        self.say(f"    {text}" if text else "")

    def error(self, text: str) -> None:
        text = shown_lines(f"tfiam: {text}")
        print(text, file=self.err, flush=True)
        self._record(text)


# --------------------------------------------------------------------------- error hints


def _provider_install_hint(exc) -> str | None:
    """What to do when init could not install the hashicorp/aws provider (offline, no mirror)."""
    text = "\n".join(exc.last_lines)
    if exc.command != "init" or "provider" not in text.lower():
        return None
    if not any(word in text for word in ("Failed to query available provider packages",
                                         "Failed to install provider", "could not connect to registry",
                                         "no available releases match", "provider registry")):
        return None
    return ("the hashicorp/aws provider could not be installed. Offline? Point tfiam at a local "
            "provider mirror with --plugin-dir DIR (or TFIAM_PLUGIN_DIR), e.g. one made with "
            "`terraform providers mirror DIR` on a connected machine; otherwise check that "
            "registry.terraform.io is reachable. Nothing was applied; run the same command again.")


def _unreachable_hint(exc) -> str | None:
    """AWS (or the stand-in endpoint) stopped answering while terraform worked."""
    text = "\n".join(exc.last_lines) + "\n".join(f"{d.summary} {d.detail}" for d in getattr(exc, "diagnostics", []))
    if not any(word in text for word in ("connection refused", "no such host", "i/o timeout",
                                         "connection reset by peer", "request send failed")):
        return None
    return (f"AWS stopped answering during terraform {exc.command} (see the errors above). What was "
            "created is recorded in the state; when AWS (or your network, VPN or endpoint) is back, "
            "run the same command again to finish.")


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse quotes the offending argument in its errors: escaped here, like every line."""

    def _print_message(self, message: str, file=None) -> None:
        super()._print_message(shown_lines(message) if message else message, file)


def build_parser() -> argparse.ArgumentParser:
    from .common import path_arg

    parser = _Parser(
        prog="tfiam",
        description="Put an AWS IAM user under Terraform the right way.",
        epilog=f"exit codes:\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfiam {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def tf_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--terraform-bin", default=os.environ.get("TFIAM_TERRAFORM_BIN", "terraform"), type=path_arg,
                       help="terraform or OpenTofu binary (default: terraform; env TFIAM_TERRAFORM_BIN)")

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub, tf_options)
    return parser


# Further subcommands, each in its own module under tfiam_tui/commands/ with
# ``register(subparsers, tf_options)`` that adds its parser and sets ``func``
# (``func(args, console) -> int``).  Keep their top-level imports light: they are
# imported for every ``tfiam`` invocation.
COMMAND_MODULES: list[str] = ["tfiam_tui.commands.replay", "tfiam_tui.commands.validate",
                              "tfiam_tui.commands.decrypt", "tfiam_tui.commands.wizard", "tfiam_tui.commands.lint",
                              "tfiam_tui.commands.backend", "tfiam_tui.commands.unlock",
                              "tfiam_tui.commands.ask", "tfiam_tui.commands.lifecycle.status",
                              "tfiam_tui.commands.lifecycle.rotate", "tfiam_tui.commands.lifecycle.offboard",
                              "tfiam_tui.commands.lifecycle.sandbox", "tfiam_tui.commands.lifecycle.adopt"]


# The engine's error classes, by module: looked up only when an error is being matched.
# Importing them up front would cost `tfiam validate` boto3 and python-gnupg (~0.1-0.3 s) for
# nothing, and a class whose module was never imported cannot have been raised.
_ENGINE = "tfiam_tui.engine"
MISSING_TOOL = ((f"{_ENGINE}.terraform.events", "TerraformNotFound"), (f"{_ENGINE}.secrets.gpg", "GpgNotFound"))
TERRAFORM_FAILED = ((f"{_ENGINE}.terraform.events", "TerraformFailed"),)
PGP_ERROR = ((f"{_ENGINE}.secrets.gpg", "PgpError"),)  # DecryptError, or a keyring tfiam cannot use
WORKSPACE_EDITED = ((f"{_ENGINE}.terraform.workspace", "WorkspaceEdited"),)
AWS_UNAVAILABLE = ((f"{_ENGINE}.aws.preflight", "PreflightError"), (f"{_ENGINE}.aws.sandbox", "SandboxError"))
PLAN_CHANGED = ((f"{_ENGINE}.pipeline.plans", "PlanChanged"),)


def _is(exc: BaseException, classes: tuple[tuple[str, str], ...]) -> bool:
    for module, name in classes:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


def report(exc: Exception, args: argparse.Namespace, console: Console) -> int:
    """Say what went wrong in the operator's terms and return the exit code."""
    from .common import UsageError

    if isinstance(exc, UsageError):
        console.error(f"{exc}. Nothing was written.")
        return Exit.USAGE
    if isinstance(exc, answers_mod.AnswersError):
        console.error(str(exc))
        console.error("nothing was written")
        return Exit.INVALID_ANSWERS
    if _is(exc, MISSING_TOOL):
        console.error(str(exc))
        return Exit.MISSING_TOOL
    if _is(exc, TERRAFORM_FAILED):
        from ..engine.terraform.events import TerraformFailed
        from ..engine.terraform.locks import explain_failure

        assert isinstance(exc, TerraformFailed)

        console.error(explain_failure(exc, getattr(args, "answers", None)) or str(exc))
        if hint := _provider_install_hint(exc) or _unreachable_hint(exc):
            console.error(hint)
        return Exit.INTERRUPTED if getattr(exc, "interrupted", False) else Exit.TERRAFORM_FAILED
    if _is(exc, PGP_ERROR):
        console.error(str(exc))
        return Exit.DECRYPT_FAILED
    if _is(exc, WORKSPACE_EDITED) or _is(exc, PLAN_CHANGED):
        console.error(str(exc))
        return Exit.REFUSED
    if _is(exc, AWS_UNAVAILABLE):
        console.error(f"{exc}. Nothing was written.")
        return Exit.AWS_UNAVAILABLE
    return unexpected(exc, console)


def unexpected(exc: BaseException, console: Console) -> int:
    """The last line of defence: one line, no traceback (unless TFIAM_DEBUG=1), no secret."""
    from ..engine.runlog import redact

    if os.environ.get("TFIAM_DEBUG") == "1":
        import traceback

        console.error(redact("".join(traceback.format_exception(exc))))
    console.error(redact(f"unexpected error ({type(exc).__name__}: {exc}); this is a bug in tfiam: "
                         "run again with TFIAM_DEBUG=1 for details and report it"))
    return Exit.ERROR


def interrupted(args: argparse.Namespace | None, console: Console) -> int:
    """Ctrl-C: exit 130.  Commands that ran terraform say that its state was saved (the
    runner stopped it with one SIGINT); the others have nothing to say."""
    if args is not None and getattr(args, "runs_terraform", False):
        console.error("interrupted. Run the same command again to continue: it picks up what terraform "
                      "saved and finishes what an interrupted apply left behind.")
    return Exit.INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    console = Console()
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        argv = list(sys.argv[1:] if argv is None else argv)
        if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
            argv.insert(0, "wizard")  # bare `tfiam [wizard options]` opens the wizard
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return Exit.OK
        try:
            return int(args.func(args, console))
        except Exception as exc:  # every error becomes one message and an exit code
            return report(exc, args, console)
    except KeyboardInterrupt:
        return interrupted(args, console)
    except Exception as exc:  # building the parser or reading argv: still one line
        return unexpected(exc, console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
