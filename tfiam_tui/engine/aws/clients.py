"""boto3 sessions and calls as every AWS check in tfiam makes them.

Credentials come from the operator's usual AWS auth (a profile or the default chain),
or explicitly (the sandbox's dummy ones); errors become one line of text.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError


def aws_session(region: str, profile: str | None, credentials: tuple[str, str] | None) -> Any:
    """A boto3 session: explicit credentials (the sandbox's), else the profile or the default chain."""
    if credentials is not None:
        return boto3.session.Session(
            aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1], region_name=region
        )
    return boto3.session.Session(profile_name=profile, region_name=region)


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
