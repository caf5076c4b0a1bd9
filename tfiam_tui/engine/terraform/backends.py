"""The ``s3`` backend of a tfiam workspace (``backend.type: s3``): its files and AWS access.

:func:`backend_files` gives ``backend.tf`` (``backend "s3" {}``) and ``s3.tfbackend``,
the partial backend configuration ``terraform init -backend-config=s3.tfbackend`` reads.
Every value is an escaped HCL string literal (:func:`hcl_string`); a stand-in endpoint
(``provider.endpoint``) is used for S3, DynamoDB, STS and IAM with path-style addressing
and the checks only real AWS can answer skipped.  The state lock is :mod:`.locks`, moving
local state to S3 is :mod:`.statemove`.

Talks to AWS with boto3 (imported when needed, so rendering stays cheap).
"""

from __future__ import annotations

import json
from typing import Any

from ..answers import Answers, S3Backend
from ..bundled import bundled_dir

LOCAL_STATE = "terraform.tfstate"
LOCAL_BACKUP = "terraform.tfstate.backup"
BACKEND_CONFIG_FILE = "s3.tfbackend"


def hcl_string(value: str) -> str:
    """An HCL quoted string literal that means exactly ``value`` (no interpolation)."""
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def s3_backend(answers: Answers) -> S3Backend | None:
    """The answers' S3 backend, or None when the state is local."""
    backend = answers.backend
    return backend if isinstance(backend, S3Backend) else None


def region(answers: Answers) -> str:
    """The bucket's region: ``backend.region``, else ``provider.region``."""
    backend = s3_backend(answers)
    return (backend.region if backend and backend.region else None) or answers.provider.region


def profile(answers: Answers) -> str | None:
    """The AWS profile for the state: ``backend.profile``, else ``provider.profile``."""
    backend = s3_backend(answers)
    return (backend.profile if backend else None) or answers.provider.profile


def state_url(answers: Answers) -> str:
    backend = s3_backend(answers)
    return f"s3://{backend.bucket}/{backend.key}" if backend else LOCAL_STATE


def _attributes(pairs: list[tuple[str, str]]) -> list[str]:
    """``name = value`` lines with the ``=`` aligned, as ``terraform fmt`` writes them."""
    width = max(len(name) for name, _ in pairs)
    return [f"{name:<{width}} = {value}" for name, value in pairs]


def backend_config(answers: Answers) -> str:
    """The text of ``s3.tfbackend`` (HCL attributes; every value an escaped literal)."""
    backend = s3_backend(answers)
    if backend is None:
        raise ValueError("the answers keep the state locally; there is no s3 backend configuration")
    pairs = [
        ("bucket", hcl_string(backend.bucket)),
        ("key", hcl_string(backend.key)),
        ("region", hcl_string(region(answers))),
        ("encrypt", "true"),
        ("skip_region_validation", "true"),  # as the provider block: tfiam checked the region
    ]
    if backend.kms_key_id:
        pairs.append(("kms_key_id", hcl_string(backend.kms_key_id)))
    pairs.append(("use_lockfile", "true" if backend.use_lockfile else "false"))
    if backend.dynamodb_table:
        pairs.append(("dynamodb_table", hcl_string(backend.dynamodb_table)))
    if name := profile(answers):
        pairs.append(("profile", hcl_string(name)))
    lines = [
        "# Written by tfiam from the answers file's backend section; read by",
        f"# `terraform init -backend-config={BACKEND_CONFIG_FILE}`. No credentials here.",
        *_attributes(pairs),
    ]
    endpoint = answers.provider.endpoint
    if endpoint:
        url = hcl_string(endpoint)
        lines += [
            "",
            "# A stand-in AWS: every service the backend calls goes there, path-style, and the",
            "# checks only real AWS can answer are skipped.",
            *_attributes([
                ("endpoints", f"{{ s3 = {url}, dynamodb = {url}, sts = {url}, iam = {url} }}"),
                ("use_path_style", "true"),
                ("skip_credentials_validation", "true"),
                ("skip_requesting_account_id", "true"),
                ("skip_metadata_api_check", "true"),
                ("skip_s3_checksum", "true"),
            ]),
        ]
    return "\n".join(lines) + "\n"


def backend_files(answers: Answers) -> dict[str, bytes]:
    """Files that replace the local ``backend.tf`` when the state goes to S3 (else none)."""
    if s3_backend(answers) is None:
        return {}
    template = bundled_dir("workspace_templates") / "backends" / "s3.tf"
    return {
        "backend.tf": template.read_bytes(),
        BACKEND_CONFIG_FILE: backend_config(answers).encode("utf-8"),
    }


def backend_config_file(answers: Answers) -> str | None:
    """What ``terraform init -backend-config=`` gets, or None for local state."""
    return BACKEND_CONFIG_FILE if s3_backend(answers) else None


def client(answers: Answers, service: str, credentials: tuple[str, str] | None = None) -> Any:
    """A boto3 client for the state's region, profile and (stand-in) endpoint.

    ``credentials``: explicit (key id, secret), e.g. the sandbox's dummy ones; otherwise
    the profile or boto3's default chain."""
    import boto3
    from botocore.config import Config

    if credentials is not None:
        session = boto3.session.Session(
            aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1], region_name=region(answers)
        )
    else:
        session = boto3.session.Session(profile_name=profile(answers), region_name=region(answers))
    endpoint = answers.provider.endpoint
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=30,
        s3={"addressing_style": "path"} if endpoint else None,
    )
    return session.client(service, endpoint_url=endpoint, config=config)


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def is_aws_error(exc: BaseException) -> bool:
    """Whether ``exc`` is botocore's (an AWS answer or a connection problem)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, (BotoCoreError, ClientError))
