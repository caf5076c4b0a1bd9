"""``tfiam decrypt``: the new user's secrets, decrypted locally with the operator's PGP key
and handed over once: to a file created 0600, a credentials profile, or (asked for
explicitly) stdout.  Never to a pipe by default."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..engine import answers as answers_mod
from ..engine.exitcodes import Exit
from ..engine.secrets.handover import NoAccessKey, format_credentials, write_private
from ..engine.text import shown
from .common import UsageError, is_terminal, path_arg, read_passphrase_file


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("decrypt", help="decrypt the new user's credentials with your PGP key")
    p.add_argument("--workspace", type=path_arg, help="workspace folder (default: from --answers, else the current folder)")
    p.add_argument("--answers", type=path_arg, help="answers file, to find the workspace")
    p.add_argument("--format", choices=["json", "csv", "credentials"], default="json")
    p.add_argument("--output", type=path_arg, help="file to create (mode 0600); '-' for stdout")
    p.add_argument("--passphrase-file", type=path_arg, help="file holding your PGP key's passphrase")
    p.add_argument("--key", metavar="ID", help="the access key to decrypt (default: the newest; during a "
                   "rotation both keys are held)")
    tf_options(p)
    p.set_defaults(func=cmd_decrypt)


def _resolve_workspace(args: argparse.Namespace) -> Path:
    if args.workspace:
        return Path(args.workspace).expanduser().resolve()
    if args.answers:
        return answers_mod.workspace_dir(answers_mod.load(args.answers), args.answers)
    return Path.cwd()


def _check_output(output: str | None) -> None:
    """The folder ``--output`` creates its file in must be there and writable: found out
    before anything is decrypted, not after.  Raises UsageError."""
    if output in (None, "-"):
        return
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.lexists(folder) else "does not exist"
        raise UsageError("--output", f"the folder {shown(folder)} {what}; create it first, or choose another file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError("--output", f"no permission to create a file in {shown(folder)}")


def cmd_decrypt(args: argparse.Namespace, console) -> int:
    from ..engine import pipeline as pl
    from ..engine import secrets
    from ..engine.terraform.runner import Runner

    ws = _resolve_workspace(args)
    if not (ws / "terraform.tfvars.json").exists():
        console.error(f"{shown(ws)} is not a tfiam workspace (no terraform.tfvars.json); pass --workspace DIR")
        return Exit.USAGE
    if args.output is None and not sys.stdout.isatty():
        console.error(
            "refusing to print plaintext credentials to a pipe or file; "
            "use --output FILE (created 0600), or --output - if you really mean stdout"
        )
        return Exit.REFUSED
    _check_output(args.output)
    if args.output not in (None, "-") and os.path.lexists(args.output):
        console.error(f"{shown(args.output)} already exists; tfiam will not overwrite it (choose a new file)")
        return Exit.REFUSED
    passphrase = read_passphrase_file(args.passphrase_file)
    runner = Runner(ws, terraform_bin=args.terraform_bin)
    outputs = pl.read_outputs(runner)
    if not (outputs.get("access_key_id") or outputs.get("login_profile_encrypted_password")):
        console.error("this workspace's user has no access key or console password to decrypt")
        return Exit.DECRYPT_FAILED
    if args.key is not None:
        try:
            pl.chosen_key(outputs, args.key)
        except secrets.DecryptError as exc:
            raise UsageError("--key", str(exc)) from None
    try:
        creds = pl.workspace_credentials(ws, outputs, passphrase=passphrase, key_id=args.key)
    except secrets.DecryptError as exc:
        if "passphrase" in str(exc) and passphrase is None and is_terminal():
            from ..ask.prompts import secret

            creds = pl.workspace_credentials(ws, outputs, passphrase=secret("Passphrase of your PGP key:"),
                                             key_id=args.key)
        else:
            raise
    try:
        text = format_credentials(creds, args.format)
    except NoAccessKey as exc:
        console.error(f"{exc}; use --format json or csv")
        return Exit.USAGE
    except ValueError as exc:
        console.error(str(exc))
        return Exit.USAGE
    if args.output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            write_private(args.output, text)
        except FileExistsError:
            console.error(f"{shown(args.output)} already exists; tfiam will not overwrite it (choose a new file)")
            return Exit.REFUSED
        except OSError as exc:
            raise UsageError("--output", f"cannot create {shown(args.output)}: {exc.strerror or exc}") from None
        console.err.write(f"wrote {shown(args.output)} (mode 0600). Hand it over, then delete it.\n")
    return Exit.OK
