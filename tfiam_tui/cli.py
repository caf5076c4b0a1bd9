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

from . import __version__
from .engine import answers as answers_mod
from .engine.exitcodes import Exit

EXIT_CODES_HELP = "\n".join(f"  {int(code):>3}  {code.name.lower().replace('_', ' ')}" for code in Exit)


# --------------------------------------------------------------------------- console helpers


class Console:
    """Plain line output for the headless commands.  Lines from terraform are indented."""

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
        print(text, file=self.out, flush=True)
        self._record(text)

    def step(self, n: int, total: int, text: str) -> None:
        self.say(f"[{n}/{total}] {text}")

    def tf(self, text: str) -> None:
        self.say(f"    {text}" if text else "")

    def error(self, text: str) -> None:
        print(f"tfiam: {text}", file=self.err, flush=True)
        self._record(f"tfiam: {text}")


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfiam",
        description="Put an AWS IAM user under Terraform the right way.",
        epilog=f"exit codes:\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfiam {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def tf_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--terraform-bin", default=os.environ.get("TFIAM_TERRAFORM_BIN", "terraform"),
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
                              "tfiam_tui.commands.ask"]


def _raised(module: str, name: str) -> type[BaseException] | tuple[()]:
    """The exception class ``tfiam_tui.engine.<module>.<name>`` for an ``except`` clause, or
    ``()`` (matches nothing) when that module was never imported: then nothing can have
    raised it.  Python evaluates an ``except`` clause only when an exception reaches it."""
    loaded = sys.modules.get(f"{__package__}.engine.{module}")
    return getattr(loaded, name) if loaded is not None else ()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "wizard")  # bare `tfiam [wizard options]` opens the wizard
    args = parser.parse_args(argv)
    console = Console()
    if not getattr(args, "func", None):
        parser.print_help()
        return Exit.OK
    # Error classes are looked up only when an error is being matched (see _raised): importing
    # them up front would cost `tfiam validate` boto3 and python-gnupg (~0.1-0.3 s) for nothing.
    try:
        return int(args.func(args, console))
    except answers_mod.AnswersError as exc:
        console.error(str(exc))
        console.error("nothing was written")
        return Exit.INVALID_ANSWERS
    except (_raised("terraform", "TerraformNotFound"), _raised("secrets", "GpgNotFound")) as exc:
        console.error(str(exc))
        return Exit.MISSING_TOOL
    except _raised("terraform", "TerraformFailed") as exc:
        from .engine.remote_state import explain_failure

        console.error(explain_failure(exc, getattr(args, "answers", None)) or str(exc))
        if hint := _provider_install_hint(exc) or _unreachable_hint(exc):
            console.error(hint)
        return Exit.INTERRUPTED if getattr(exc, "interrupted", False) else Exit.TERRAFORM_FAILED
    except _raised("secrets", "PgpError") as exc:  # DecryptError, or a keyring tfiam cannot use
        console.error(str(exc))
        return Exit.DECRYPT_FAILED
    except _raised("workspace", "WorkspaceEdited") as exc:
        console.error(str(exc))
        return Exit.REFUSED
    except _raised("verify", "PreflightError") as exc:
        console.error(f"{exc}. Nothing was written.")
        return Exit.AWS_UNAVAILABLE
    except KeyboardInterrupt:
        console.error("interrupted; terraform was stopped cleanly and its state saved. Run the same command again to continue.")
        return Exit.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, no secret
        from .engine.runlog import redact

        if os.environ.get("TFIAM_DEBUG"):
            import traceback

            console.error(redact("".join(traceback.format_exception(exc))))
        console.error(redact(f"unexpected error ({type(exc).__name__}): {exc}"))
        console.error("this is a bug in tfiam; run again with TFIAM_DEBUG=1 for details and report it")
        return Exit.ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
