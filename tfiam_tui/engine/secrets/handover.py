"""Handing decrypted credentials over: the formats an operator asks for, written
owner-only and never over an existing file.  Shared by ``tfiam decrypt`` and the wizard."""

from __future__ import annotations

import csv
import io
import json
import os


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
        raise ValueError("this user has no access key, so there is no credentials profile to write; use --format json")
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
