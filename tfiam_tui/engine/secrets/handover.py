"""Handing decrypted credentials over: the formats an operator asks for, written
owner-only and never over an existing file.  Shared by ``tfiam decrypt`` and the wizard."""

from __future__ import annotations

import csv
import io
import json
import os

from ..text import command


class NoAccessKey(ValueError):
    """A credentials profile was asked for a user without an access key (console only)."""


def format_credentials(creds, fmt: str) -> str:
    """Render decrypted credentials as json, csv (the console's download) or a credentials profile."""
    if fmt == "json":
        return json.dumps(
            {
                "user_name": creds.user_name,
                "access_key_id": creds.access_key_id,
                "secret_access_key": creds.secret_access_key,
                "password": creds.password,
            },
            indent=2,
        ) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["User name", "Password", "Access key ID", "Secret access key", "Console login link"])
        link = f"https://{creds.account_id}.signin.aws.amazon.com/console" if creds.password else ""
        writer.writerow(
            [creds.user_name, creds.password or "", creds.access_key_id or "", creds.secret_access_key or "", link]
        )
        return buf.getvalue()
    if not creds.access_key_id:
        raise NoAccessKey("this user has no access key, so there is no credentials profile to write")
    return (
        f"[{creds.user_name}]\n"
        f"aws_access_key_id = {creds.access_key_id}\n"
        f"aws_secret_access_key = {creds.secret_access_key}\n"
    )


def write_private(path: str, text: str) -> None:
    """Create ``path`` owner-only (0600); refuse to overwrite (a secret is handed over once)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(text)


def try_key_command(
    credentials_file: str, profile: str, *, region: str, endpoint: str | None, aws_cli: str | None, python: str
) -> str:
    """A command that asks STS who the new key belongs to, reading the key from the
    credentials profile saved at ``credentials_file`` (so no secret is on the command line,
    in the shell's history or on the screen).  With the aws CLI (``aws_cli``: its name or
    path) when there is one, else a boto3 one-liner run by ``python`` (tfiam's own, which
    has boto3).  ``endpoint``: the stand-in AWS (the sandbox), None for AWS itself."""
    env = f"AWS_SHARED_CREDENTIALS_FILE={command(credentials_file)}"
    if aws_cli:
        words: list[object] = [aws_cli, "--profile", profile, "--region", region]
        if endpoint:
            words += ["--endpoint-url", endpoint]
        return f"{env} {command(*words, 'sts', 'get-caller-identity')}"
    client = f"client('sts', region_name={json.dumps(region)}"
    client += f", endpoint_url={json.dumps(endpoint)})" if endpoint else ")"
    code = (f"import boto3; print(boto3.Session(profile_name={json.dumps(profile)}).{client}"
            ".get_caller_identity()['Arn'])")
    return f"{env} {command(python, '-c', code)}"
