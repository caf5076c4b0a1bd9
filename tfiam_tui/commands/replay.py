"""``tfiam replay ANSWERS``: the headless front.  Validate and lint the answers, write the
workspace, init, plan, apply exactly that plan (after asking, or --auto-approve), verify
against the AWS API.  CI and repeat onboarding use it; so does ``tfiam ask --run``."""

from __future__ import annotations

import argparse
import contextlib

from ..engine import answers as answers_mod
from ..engine.exitcodes import Exit
from ..engine.text import command, shown
from . import gate
from .common import ask_force_stop, is_terminal, path_arg, read_passphrase_file, render_event, run_step


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("replay", help="validate, write the workspace, plan, apply, verify (headless)")
    p.add_argument("answers", type=path_arg, help="answers file (YAML)")
    p.add_argument("--auto-approve", action="store_true",
                   help="apply the plan without asking (not one that deletes or replaces: see --allow-destroy)")
    gate.add_allow_destroy(p)
    p.add_argument("--workspace", type=path_arg, help="workspace folder (overrides the answers file's 'workspace')")
    p.add_argument("--plugin-dir", type=path_arg, help="local provider mirror for terraform init (env TFIAM_PLUGIN_DIR)")
    p.add_argument("--sandbox", action="store_true", help="run against a local stand-in AWS; touches no account")
    p.add_argument("--passphrase-file", type=path_arg, help="file holding your PGP key's passphrase (for the key check)")
    p.add_argument("--overwrite", action="store_true",
                   help="rewrite workspace files even if they were edited by hand since tfiam wrote them")
    p.add_argument("--strict", action="store_true", help="stop on the linter's warnings too, not only its errors")
    p.add_argument("--lock-timeout", type=_duration, default="10s", metavar="DURATION",
                   help="how long plan and apply wait for the state lock, e.g. 30s or 5m (default: 10s)")
    p.add_argument("--timings", action="store_true",
                   help="at the end, print seconds per step and tfiam's peak memory to stderr")
    tf_options(p)
    p.set_defaults(func=cmd_replay, runs_terraform=True)


def _duration(text: str) -> str:
    """A terraform duration such as 10s, 5m or 1m30s (for --lock-timeout)."""
    import re

    if not re.fullmatch(r"(\d+(ms|s|m|h))+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; use e.g. 30s, 5m or 1m30s")
    return text


def sandbox_line(sandbox) -> str:
    """The SANDBOX line every --sandbox command prints first."""
    if sandbox.lives:
        return (f"SANDBOX: the stand-in AWS at {sandbox.endpoint} (tfiam sandbox start) with dummy credentials. "
                "Nothing here touches a real AWS account; it lives until tfiam sandbox stop.")
    return (f"SANDBOX: a local stand-in AWS at {sandbox.endpoint} with dummy credentials. Nothing here touches a "
            "real AWS account; the sandbox vanishes when tfiam exits (tfiam sandbox start keeps one running).")


def _apply_reporting_progress(pipeline, console) -> None:
    """Apply; if it fails or is interrupted, say what was and was not created."""
    from ..engine.terraform.events import ResourceProgress, TerraformFailed, run_to_end

    pipeline.runner.confirm_force_stop = ask_force_stop

    done: list[str] = []
    failed: list[str] = []

    def on_event(event) -> None:
        render_event(event, console)
        if isinstance(event, ResourceProgress):
            if event.phase == "complete":
                done.append(event.address)
            elif event.phase == "errored":
                failed.append(event.address)

    try:
        run_to_end(pipeline.apply(), on_event=on_event, check=True)
    except (KeyboardInterrupt, TerraformFailed) as exc:
        planned = [address for _action, address in pipeline.summary.changes]
        pending = [a for a in planned if a not in done and a not in failed]
        console.say(f"Stopped. Done before the stop ({len(done)}): {', '.join(done) or 'nothing'}")
        if failed:
            console.say(f"Failed ({len(failed)}): {', '.join(failed)}")
        console.say(f"Not done ({len(pending)}): {', '.join(pending) or 'nothing'}")
        console.say(_how_it_stopped(exc, pipeline.runner.sigints_sent))
        raise


def _how_it_stopped(exc: BaseException, sigints: int) -> str:
    """Whether terraform saved its state: it does when it exits on its own or after one
    SIGINT; not when it was killed or forced out."""
    returncode = getattr(exc, "returncode", 0)
    if returncode < 0 or sigints > 1:
        how = f"killed by signal {-returncode}" if returncode < 0 else "forced to stop"
        return (f"terraform was {how} before it finished, so it may not have saved all it created. Run the "
                "same command again: it finds what the apply left behind and finishes the job.")
    return "Terraform saved its state; run the same command again to finish the job."


def _credentials_for_verify(pipeline, passphrase: str | None, console):
    """Decrypt the new secrets for the key check, asking for a passphrase if needed.

    Returns (credentials or None, reason it was not possible)."""
    if why := pipeline.key_check_skipped():
        return None, why
    creds, why = _decrypted_for_verify(pipeline, passphrase, console)
    if creds is not None and (late := pipeline.key_check_skipped()):  # a passphrase prompt left open too long
        return None, late
    return creds, why


def _decrypted_for_verify(pipeline, passphrase: str | None, console):
    from ..engine import secrets

    try:
        return pipeline.credentials(passphrase), ""
    except secrets.PgpError as exc:
        if "passphrase" in str(exc) and passphrase is None and is_terminal():
            from ..ask.prompts import secret

            try:
                return pipeline.credentials(secret("Passphrase of your PGP key (to test the new key):")), ""
            except secrets.DecryptError as again:
                return None, str(again)
        return None, str(exc)


def _print_lint(findings, source: str, console) -> None:
    """The linter's errors and warnings (info only as a count; ``tfiam lint`` shows all)."""
    from ..engine import policy as lint_mod

    severities = ("error", "warning")
    if any(f.severity in severities for f in findings):
        console.say(lint_mod.format_text(findings, source=f"lint {shown(source)}", severities=severities))


def _lint_gate(loaded, source: str, strict: bool, console):
    """Lint the answers before anything is written or started.  Returns the findings to
    print once the run is under way, or ``None`` when they stop it (printed here)."""
    from ..engine import policy as lint_mod

    findings = lint_mod.lint(loaded)
    if lint_mod.fails(findings, strict):
        _print_lint(findings, source, console)
        what = "errors" if lint_mod.fails(findings) else "warnings (--strict)"
        console.error(f"the linter found {what}; nothing was written. Details: {command('tfiam', 'lint', source)}")
        return None
    return findings


def cmd_replay(args: argparse.Namespace, console) -> int:
    from ..engine import pipeline as pl
    from ..engine.aws import preflight, verify

    loaded = answers_mod.load(args.answers)
    # Read now, not at the key check after the apply: a missing or unreadable file stops
    # the run before anything is written (and a pipe can be read only once).
    passphrase = read_passphrase_file(args.passphrase_file)
    findings = _lint_gate(loaded, args.answers, args.strict, console)
    if findings is None:
        return Exit.LINT_FAILED
    ws = answers_mod.workspace_dir(loaded, args.answers, args.workspace)
    with contextlib.ExitStack() as stack:
        extra_env: dict[str, str | None] = {}
        if args.sandbox:
            from ..engine.aws import sandbox_service
            from ..engine.aws.sandbox import isolated_environ
            from ..engine.pipeline.credentials import sandboxed

            sandbox = stack.enter_context(sandbox_service.for_run())
            loaded = sandboxed(loaded, sandbox.endpoint)
            # Before any boto3 session exists: every one this process makes sees only the
            # dummy credentials, whoever builds it.
            extra_env = stack.enter_context(isolated_environ())
            console.say(sandbox_line(sandbox))
        total = 6
        from ..engine.terraform.cliconfig import cli_config_notice

        if notice := cli_config_notice():
            console.say(notice)
        _print_lint(findings, args.answers, console)
        pipeline = pl.Pipeline(
            loaded, ws, terraform_bin=args.terraform_bin, plugin_dir=args.plugin_dir, extra_env=extra_env,
            sandbox=args.sandbox, lock_timeout=args.lock_timeout,
        )
        pipeline.check()
        identity = pipeline.preflight()
        if (pipeline.key_slots().offboarding or {}).get("phase") == "deleting":
            console.error(f"the delete of {loaded.user.name} (tfiam offboard) was confirmed and has begun; a replay "
                          f"would make again what it removed. Finish it with "
                          f"{command('tfiam', 'offboard', args.answers)}. Nothing was changed.")
            return Exit.REFUSED
        overwrite = args.overwrite
        edited = pipeline.edited_files()
        if edited and not overwrite:
            console.say(f"These workspace files were edited by hand since tfiam wrote them: {', '.join(edited)}")
            if not is_terminal():
                console.error("refusing to overwrite hand edits without a terminal to ask on; pass --overwrite")
                return Exit.REFUSED
            from ..ask.prompts import confirm

            if not confirm("Overwrite them with what the answers say?", default=False):
                console.say("Nothing was written.")
                return Exit.REFUSED
            overwrite = True
        result = pipeline.prepare(overwrite_edits=overwrite)
        from ..engine.runlog import RunLog

        console.attach_log(stack.enter_context(contextlib.closing(RunLog(ws, "replay"))))
        for warning in pipeline.loose_permissions():
            console.say(f"warning: {warning}")
        if pipeline.used_sandbox_key:
            console.say(
                f"SANDBOX: {shown(loaded.authentication.pgp_key)} is not in your GnuPG keyring, so the sandbox's "
                f"fake secrets are encrypted to a throwaway sandbox key ({pipeline.pgp_key and pipeline.pgp_key.fingerprint})."
            )
        console.step(1, total, f"answers {shown(args.answers)}: valid (user {loaded.user.name}); acting as {identity}")
        console.step(
            2, total, f"workspace {shown(ws)}: {len(result.changed)} file(s) written, {len(result.unchanged)} unchanged"
        )
        from .backend import init_workspace

        if (stop := init_workspace(pipeline, console, auto_approve=args.auto_approve, step=(3, total))) is not None:
            return stop
        for line in pipeline.recover().lines():
            console.say(line)
        console.step(4, total, "terraform plan")
        stack.callback(pipeline.discard_plan)  # a run that does not apply leaves no plan behind
        run_step(pipeline.plan(), console)
        summary = pipeline.summary
        assert summary is not None  # run_step raised unless the plan succeeded
        gate.show(pipeline.review, summary.headline(), summary.changes, console)
        conflicts, unchecked = pipeline.name_conflicts()
        if unchecked:
            console.say(f"warning: could not check for existing users, groups or policies of the same names ({unchecked})")
        if conflicts:
            console.error(preflight.format_conflicts(conflicts, ws))
            return Exit.REFUSED
        if summary.has_changes:
            assert pipeline.review is not None
            if not gate.approved(pipeline.review, name=loaded.user.name, auto_approve=args.auto_approve,
                                 allow_destroy=args.allow_destroy, console=console):
                console.say("Not applied.")
                return Exit.REFUSED
            console.step(5, total, "terraform apply (the plan above, nothing else)")
            _apply_reporting_progress(pipeline, console)
        else:
            console.step(5, total, "terraform apply: skipped, nothing to change")
        console.step(6, total, "verify against the AWS API")
        for notice in pipeline.recipient_notices():
            console.say(f"note: {notice}")
        creds, why = (None, "")
        if loaded.authentication.access_key:
            creds, why = _credentials_for_verify(pipeline, passphrase, console)
        checks = pipeline.verify(creds)
        console.say(verify.format_checklist(checks))
        if loaded.authentication.access_key and creds is None:
            console.say(f"  [--] the new access key works: not checked ({why})")
        if not verify.all_ok(checks):
            console.error("verification failed: the account does not match the answers (see [FAIL] above)")
            return Exit.VERIFY_FAILED
        outputs = pipeline.outputs() if loaded.authentication.access_key or loaded.authentication.console else {}
        if outputs and not (outputs.get("access_key_encrypted_secret") or outputs.get("login_profile_encrypted_password")):
            console.say("Done. The secrets were adopted as they are (tfiam adopt): they stay with whoever holds them, "
                        "none is in the state, and there is nothing new to hand over.")
        elif outputs:
            console.say(
                f"Done. The secret is in the state only as PGP ciphertext. To hand it over:\n"
                f"  {command('tfiam', 'decrypt', '--workspace', ws, '--format', 'credentials', '--output', 'FILE')}"
            )
        else:
            console.say("Done.")
        if args.timings:
            print(pipeline.timings.line(), file=console.err, flush=True)
    return Exit.OK
