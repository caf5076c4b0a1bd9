"""The ``tfiam`` command: argument parsing, console output and exit codes.

Commands other than the wizard never import Textual; questionary is imported only
when a question is actually asked.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import io
import json
import os
import sys
from pathlib import Path

from . import __version__
from .engine import answers as answers_mod
from .engine.exitcodes import Exit

EXIT_CODES_HELP = "\n".join(f"  {int(code):>3}  {code.name.lower().replace('_', ' ')}" for code in Exit)


# --------------------------------------------------------------------------- console helpers


class Console:
    """Plain line output for replay/decrypt.  Lines from terraform are indented."""

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


def _is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _read_passphrase_file(path: str | None) -> str | None:
    if not path:
        return None
    text = Path(path).read_text(encoding="utf-8")
    return text.rstrip("\r\n")


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    loaded = answers_mod.load(args.answers)
    ws = answers_mod.workspace_dir(loaded, args.answers, args.workspace)
    console.say(f"{args.answers}: valid (user {loaded.user.name}, workspace {ws})")
    return Exit.OK


def _render_event(event, console: Console) -> None:
    from .engine.terraform import Line

    if isinstance(event, Line):
        console.tf(event.text)


def _run_step(events, console: Console):
    """Drain one terraform step, printing its lines; raise TerraformFailed on failure."""
    from .engine.terraform import run_to_end

    return run_to_end(events, on_event=lambda e: _render_event(e, console), check=True)


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


def _ask_force_stop() -> bool:
    """A second Ctrl-C while terraform saves state: ask before forcing it out."""
    if not _is_terminal():
        return False
    print("\ntfiam: terraform is still stopping and saving state. Force it to stop now? "
          "Its state may be lost. [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    except (KeyboardInterrupt, EOFError):
        return False


def _apply_reporting_progress(pipeline, console: Console) -> None:
    """Apply; if it fails or is interrupted, say what was and was not created."""
    from .engine.terraform import ResourceProgress, TerraformFailed, run_to_end

    pipeline.runner.confirm_force_stop = _ask_force_stop

    done: list[str] = []
    failed: list[str] = []

    def on_event(event) -> None:
        _render_event(event, console)
        if isinstance(event, ResourceProgress):
            if event.phase == "complete":
                done.append(event.address)
            elif event.phase == "errored":
                failed.append(event.address)

    try:
        run_to_end(pipeline.apply(), on_event=on_event, check=True)
    except (KeyboardInterrupt, TerraformFailed):
        planned = [address for _action, address in pipeline.summary.changes]
        pending = [a for a in planned if a not in done and a not in failed]
        console.say(f"Stopped. Done before the stop ({len(done)}): {', '.join(done) or 'nothing'}")
        if failed:
            console.say(f"Failed ({len(failed)}): {', '.join(failed)}")
        console.say(f"Not done ({len(pending)}): {', '.join(pending) or 'nothing'}")
        console.say("Terraform saved its state; run the same command again to finish the job.")
        raise


def _print_summary(summary, console: Console) -> None:
    console.say(summary.headline())
    symbols = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<="}
    for action, address in summary.changes:
        console.say(f"  {symbols.get(action, action):>3} {address}")


def _confirm(summary, auto_approve: bool, console: Console) -> bool:
    if auto_approve:
        return True
    if not _is_terminal():
        console.error(
            "no terminal to ask for confirmation, so nothing was applied; review the plan above "
            "and run again with --auto-approve to apply it unattended"
        )
        return False
    from .prompts import confirm

    return confirm("Apply exactly this plan?", default=False)


def _credentials_for_verify(pipeline, passphrase_file: str | None, console: Console):
    """Decrypt the new secrets for the key check, asking for a passphrase if needed.

    Returns (credentials or None, reason it was not possible)."""
    from .engine import secrets

    passphrase = _read_passphrase_file(passphrase_file)
    try:
        return pipeline.credentials(passphrase), ""
    except secrets.PgpError as exc:
        if "passphrase" in str(exc) and passphrase is None and _is_terminal():
            from .prompts import secret

            try:
                return pipeline.credentials(secret("Passphrase of your PGP key (to test the new key):")), ""
            except secrets.DecryptError as again:
                return None, str(again)
        return None, str(exc)


def _print_lint(findings, source: str, console: Console) -> None:
    """The linter's errors and warnings (info only as a count; ``tfiam lint`` shows all)."""
    from .engine import lint as lint_mod

    shown = ("error", "warning")
    if any(f.severity in shown for f in findings):
        console.say(lint_mod.format_text(findings, source=f"lint {source}", severities=shown))


def _lint_gate(loaded, source: str, strict: bool, console: Console):
    """Lint the answers before anything is written or started.  Returns the findings to
    print once the run is under way, or ``None`` when they stop it (printed here)."""
    from .engine import lint as lint_mod

    findings = lint_mod.lint(loaded)
    if lint_mod.fails(findings, strict):
        _print_lint(findings, source, console)
        what = "errors" if lint_mod.fails(findings) else "warnings (--strict)"
        console.error(f"the linter found {what}; nothing was written. Details: tfiam lint {source}")
        return None
    return findings


def cmd_replay(args: argparse.Namespace, console: Console) -> int:
    from .engine import pipeline as pl
    from .engine import verify as verify_mod

    loaded = answers_mod.load(args.answers)
    findings = _lint_gate(loaded, args.answers, args.strict, console)
    if findings is None:
        return Exit.LINT_FAILED
    ws = answers_mod.workspace_dir(loaded, args.answers, args.workspace)
    with contextlib.ExitStack() as stack:
        extra_env: dict[str, str | None] = {}
        if args.sandbox:
            from .engine.sandbox import Sandbox

            sandbox = stack.enter_context(Sandbox())
            loaded = pl.with_endpoint(loaded, sandbox.endpoint)
            extra_env = Sandbox.env_overrides(os.environ)
            console.say(
                f"SANDBOX: a local stand-in AWS at {sandbox.endpoint} with dummy credentials. "
                "Nothing here touches a real AWS account; the sandbox vanishes when tfiam exits."
            )
        total = 6
        from .engine.terraform import cli_config_notice

        if notice := cli_config_notice():
            console.say(notice)
        _print_lint(findings, args.answers, console)
        pipeline = pl.Pipeline(
            loaded, ws, terraform_bin=args.terraform_bin, plugin_dir=args.plugin_dir, extra_env=extra_env,
            sandbox=args.sandbox, lock_timeout=args.lock_timeout,
        )
        pipeline.check()
        identity = pipeline.preflight()
        overwrite = args.overwrite
        edited = pipeline.edited_files()
        if edited and not overwrite:
            console.say(f"These workspace files were edited by hand since tfiam wrote them: {', '.join(edited)}")
            if not _is_terminal():
                console.error("refusing to overwrite hand edits without a terminal to ask on; pass --overwrite")
                return Exit.REFUSED
            from .prompts import confirm

            if not confirm("Overwrite them with what the answers say?", default=False):
                console.say("Nothing was written.")
                return Exit.REFUSED
            overwrite = True
        result = pipeline.prepare(overwrite_edits=overwrite)
        from .engine.runlog import RunLog

        console.attach_log(stack.enter_context(contextlib.closing(RunLog(ws, "replay"))))
        for warning in pipeline.loose_permissions():
            console.say(f"warning: {warning}")
        if pipeline.used_sandbox_key:
            console.say(
                f"SANDBOX: {loaded.authentication.pgp_key} is not in your GnuPG keyring, so the sandbox's "
                f"fake secrets are encrypted to a throwaway sandbox key ({pipeline.pgp_key.fingerprint})."
            )
        console.step(1, total, f"answers {args.answers}: valid (user {loaded.user.name}); acting as {identity}")
        console.step(
            2, total, f"workspace {ws}: {len(result.changed)} file(s) written, {len(result.unchanged)} unchanged"
        )
        from .commands.backend import init_workspace  # S3: moves local state there first, after asking

        if (stop := init_workspace(pipeline, console, auto_approve=args.auto_approve, step=(3, total))) is not None:
            return stop
        console.step(4, total, "terraform plan")
        _run_step(pipeline.plan(), console)
        summary = pipeline.summary
        _print_summary(summary, console)
        if summary.has_changes:
            if not _confirm(summary, args.auto_approve, console):
                console.say("Not applied.")
                return Exit.REFUSED
            console.step(5, total, "terraform apply (the plan above, nothing else)")
            _apply_reporting_progress(pipeline, console)
        else:
            console.step(5, total, "terraform apply: skipped, nothing to change")
        console.step(6, total, "verify against the AWS API")
        creds, why = (None, "")
        if loaded.authentication.access_key:
            creds, why = _credentials_for_verify(pipeline, args.passphrase_file, console)
        checks = pipeline.verify(creds)
        console.say(verify_mod.format_checklist(checks))
        if loaded.authentication.access_key and creds is None:
            console.say(f"  [--] the new access key works: not checked ({why})")
        if not verify_mod.all_ok(checks):
            console.error("verification failed: the account does not match the answers (see [FAIL] above)")
            return Exit.VERIFY_FAILED
        if loaded.authentication.access_key or loaded.authentication.console:
            console.say(
                f"Done. The secret is in the state only as PGP ciphertext. To hand it over:\n"
                f"  tfiam decrypt --workspace {ws} --format credentials --output FILE"
            )
        else:
            console.say("Done.")
        if args.timings:
            print(pipeline.timings.line(), file=console.err, flush=True)
    return Exit.OK


def _resolve_workspace(args: argparse.Namespace) -> Path:
    if args.workspace:
        return Path(args.workspace).expanduser().resolve()
    if args.answers:
        return answers_mod.workspace_dir(answers_mod.load(args.answers), args.answers)
    return Path.cwd()


from .engine.handover import format_credentials  # noqa: E402,F401 - re-exported for callers
from .engine.handover import write_private as _write_private  # noqa: E402


def cmd_decrypt(args: argparse.Namespace, console: Console) -> int:
    from .engine import pipeline as pl
    from .engine import secrets
    from .engine.terraform import Runner

    ws = _resolve_workspace(args)
    if not (ws / "terraform.tfvars.json").exists():
        console.error(f"{ws} is not a tfiam workspace (no terraform.tfvars.json); pass --workspace DIR")
        return Exit.USAGE
    if args.output is None and not sys.stdout.isatty():
        console.error(
            "refusing to print plaintext credentials to a pipe or file; "
            "use --output FILE (created 0600), or --output - if you really mean stdout"
        )
        return Exit.REFUSED
    if args.output not in (None, "-") and os.path.lexists(args.output):
        console.error(f"{args.output} already exists; tfiam will not overwrite it (choose a new file)")
        return Exit.REFUSED
    runner = Runner(ws, terraform_bin=args.terraform_bin)
    outputs = pl.read_outputs(runner)
    if not (outputs.get("access_key_id") or outputs.get("login_profile_encrypted_password")):
        console.error("this workspace's user has no access key or console password to decrypt")
        return Exit.DECRYPT_FAILED
    passphrase = _read_passphrase_file(args.passphrase_file)
    try:
        creds = pl.workspace_credentials(ws, outputs, passphrase=passphrase)
    except secrets.DecryptError as exc:
        if "passphrase" in str(exc) and passphrase is None and _is_terminal():
            from .prompts import secret

            creds = pl.workspace_credentials(ws, outputs, passphrase=secret("Passphrase of your PGP key:"))
        else:
            raise
    try:
        text = format_credentials(creds, args.format)
    except ValueError as exc:
        console.error(str(exc))
        return Exit.USAGE
    if args.output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_private(args.output, text)
        console.err.write(f"wrote {args.output} (mode 0600). Hand it over, then delete it.\n")
    return Exit.OK


# --------------------------------------------------------------------------- parser


def _duration(text: str) -> str:
    """A terraform duration such as 10s, 5m or 1m30s (for --lock-timeout)."""
    import re

    if not re.fullmatch(r"(\d+(ms|s|m|h))+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; use e.g. 30s, 5m or 1m30s")
    return text


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

    p = sub.add_parser("replay", help="validate, write the workspace, plan, apply, verify (headless)")
    p.add_argument("answers", help="answers file (YAML)")
    p.add_argument("--auto-approve", action="store_true", help="apply the plan without asking")
    p.add_argument("--workspace", help="workspace folder (overrides the answers file's 'workspace')")
    p.add_argument("--plugin-dir", help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    p.add_argument("--sandbox", action="store_true", help="run against a local stand-in AWS; touches no account")
    p.add_argument("--passphrase-file", help="file holding your PGP key's passphrase (for the key check)")
    p.add_argument("--overwrite", action="store_true",
                   help="rewrite workspace files even if they were edited by hand since tfiam wrote them")
    p.add_argument("--strict", action="store_true", help="stop on the linter's warnings too, not only its errors")
    p.add_argument("--lock-timeout", type=_duration, default="10s", metavar="DURATION",
                   help="how long plan and apply wait for the state lock, e.g. 30s or 5m (default: 10s)")
    p.add_argument("--timings", action="store_true",
                   help="at the end, print seconds per step and tfiam's peak memory to stderr")
    tf_options(p)
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("validate", help="check an answers file; writes nothing")
    p.add_argument("answers", help="answers file (YAML)")
    p.add_argument("--workspace", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("decrypt", help="decrypt the new user's credentials with your PGP key")
    p.add_argument("--workspace", help="workspace folder (default: from --answers, else the current folder)")
    p.add_argument("--answers", help="answers file, to find the workspace")
    p.add_argument("--format", choices=["json", "csv", "credentials"], default="json")
    p.add_argument("--output", help="file to create (mode 0600); '-' for stdout")
    p.add_argument("--passphrase-file", help="file holding your PGP key's passphrase")
    tf_options(p)
    p.set_defaults(func=cmd_decrypt)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub, tf_options)
    return parser


# Further subcommands, each in its own module under tfiam_tui/commands/ with
# ``register(subparsers, tf_options)`` that adds its parser and sets ``func``
# (``func(args, console) -> int``).  Keep their top-level imports light: they are
# imported for every ``tfiam`` invocation.
COMMAND_MODULES: list[str] = ["tfiam_tui.commands.wizard", "tfiam_tui.commands.lint",
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
