"""The sandbox's stand-in AWS (moto) for tests: one server per test session.

The server is tfiam's own (:mod:`tfiam_tui.engine.moto_server`, started through
:class:`~tfiam_tui.engine.sandbox.Sandbox`), so tests exercise exactly what users
get.  IAM state is shared within a session: give every user, group and policy a
name from :func:`unique_name`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from tfiam_tui.engine.aws.sandbox import Sandbox

SANDBOX_REGION = "us-east-1"


def unique_name(prefix: str) -> str:
    """A fresh IAM-safe name, so tests sharing the session's server never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sandbox_client(endpoint: str, service: str, **credentials: str) -> Any:
    """A boto3 client for ``service`` talking to the sandbox (dummy credentials by default)."""
    env = Sandbox.env()
    return boto3.session.Session(
        aws_access_key_id=credentials.get("aws_access_key_id", env["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=credentials.get("aws_secret_access_key", env["AWS_SECRET_ACCESS_KEY"]),
        region_name=SANDBOX_REGION,
    ).client(service, endpoint_url=endpoint)


@pytest.fixture(scope="session")
def moto_sandbox() -> Iterator[Sandbox]:
    """The running :class:`Sandbox` (one per session / xdist worker)."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def moto_endpoint(moto_sandbox: Sandbox) -> str:
    """Base URL of the session's stand-in AWS, e.g. http://127.0.0.1:40123."""
    return moto_sandbox.endpoint


@pytest.fixture
def moto_iam(moto_endpoint: str) -> Any:
    """A boto3 IAM client for the session's stand-in AWS."""
    return sandbox_client(moto_endpoint, "iam")


@pytest.fixture
def moto_client(moto_endpoint: str) -> Callable[..., Any]:
    """Factory: ``moto_client("sts", aws_access_key_id=..., aws_secret_access_key=...)``."""
    return lambda service, **credentials: sandbox_client(moto_endpoint, service, **credentials)
