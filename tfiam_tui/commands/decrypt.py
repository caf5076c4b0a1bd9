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
from ..engine.secrets.handover import format_credentials, write_private
from .common import is_terminal, read_passphrase_file


def register(subparsers, tf_options) -> None:
    p = subparsers.add_parser("decrypt", help="decrypt the new user's credentials with your PGP key")
    p.add_argument("--workspace", help="workspace folder (default: from --answers, else the current folder)")
    p.add_argument("--answers", help="answers file, to find the workspace")
    p.add_argument("--format", choices=["json", "csv", "credentials"], default="json")
    p.add_argument("--output", help="file to create (mode 0600); '-' for stdout")
    p.add_argument("--passphrase-file", help="file holding your PGP key's passphrase")
    tf_options(p)
    p.set_defaults(func=cmd_decrypt)


def _resolve_workspace(args: argparse.Namespace) -> Path:
    if args.workspace:
        return Path(args.workspace).expanduser().resolve()
    if args.answers:
        return answers_mod.workspace_dir(answers_mod.load(args.answers), args.answers)
    return Path.cwd()




def cmd_decrypt(args: argparse.Namespace, console) -> int:
    from ..engine import pipeline as pl
    from ..engine import secrets
    from ..engine.terraform.runner import Runner

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
    passphrase = read_passphrase_file(args.passphrase_file)
    try:
        creds = pl.workspace_credentials(ws, outputs, passphrase=passphrase)
    except secrets.DecryptError as exc:
        if "passphrase" in str(exc) and passphrase is None and is_terminal():
            from ..ask.prompts import secret

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
        write_private(args.output, text)
        console.err.write(f"wrote {args.output} (mode 0600). Hand it over, then delete it.\n")
    return Exit.OK
