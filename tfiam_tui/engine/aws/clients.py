"""boto3 sessions and calls as every AWS check in tfiam makes them.

Credentials come from the operator's usual AWS auth (a profile or the default chain),
or explicitly (the sandbox's dummy ones); errors become one line of text.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import botocore.session
from botocore.exceptions import ClientError

# botocore's session variables that lead to the operator's files: a profile named in
# AWS_PROFILE is looked up (and must exist) even when the credentials are explicit, and
# the config file is parsed for it.  With explicit credentials none of them is consulted.
_NO_OPERATOR_FILES = {
    "profile": (None, None, None, None),
    "config_file": (None, None, os.devnull, None),
    "credentials_file": (None, None, os.devnull, None),
}


def aws_session(region: str, profile: str | None, credentials: tuple[str, str] | None) -> Any:
    """A boto3 session: explicit credentials (the sandbox's), else the profile or the default chain."""
    if credentials is not None:
        return explicit_session(region, credentials)
    return boto3.session.Session(profile_name=profile, region_name=region)


def explicit_session(region: str, credentials: tuple[str, str]) -> Any:
    """A boto3 session with exactly these credentials and nothing of the operator's: no
    profile (from the answers or ``AWS_PROFILE``), no config or credentials file, so no
    SSO session, ``credential_process`` or role is ever looked at."""
    core = botocore.session.Session(session_vars=_NO_OPERATOR_FILES)
    return boto3.session.Session(
        aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1], region_name=region,
        botocore_session=core,
    )


def paged(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of a paginated IAM list call (``key``: the list in each page)."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def error_text(exc: Exception) -> str:
    """An AWS error in one line: the operation, the code and the message (never a traceback)."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        op = exc.operation_name
        return f"{op} failed: {err.get('Code', 'error')}: {err.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"
