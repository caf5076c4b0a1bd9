"""First-time setup of the S3 backend: the bucket (and lock table) the state lives in.

The chicken-and-egg problem: the workspace's state goes to a bucket that must exist
before ``terraform init``.  ``tfiam backend bootstrap`` solves it with a small
Terraform workspace of its own (``workspace_templates/state-backend/`` calling
``modules/state-backend/``):

1. :func:`detect` asks AWS (boto3) which pieces already exist: the bucket, its
   versioning, default encryption, public access block and policy, and the DynamoDB
   lock table when one is chosen.
2. :func:`render` writes the bootstrap workspace with an ``import`` block for each piece
   that exists, so Terraform adopts it instead of creating it twice, and passes the
   bucket's current policy in, so statements others put there are kept.
3. The front runs init/plan (and, after asking, apply) with the usual Runner and
   :func:`report` says what existed, what was created and what was changed.

The bootstrap workspace is scratch (a temporary folder): AWS itself is the record of
what exists, so running it again, from any machine, finds everything and changes
nothing.  Nothing tfiam does ever destroys the bucket or the table (the module also
sets ``prevent_destroy``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import bundled
from ..answers import Answers
from . import backends, ownership, workspace

MODULE = "module.state_backend"


class BootstrapError(RuntimeError):
    """The backend cannot be set up as asked (name taken, wrong region, bad table)."""


@dataclass(frozen=True)
class Piece:
    """One thing the backend needs, and whether AWS already has it."""

    label: str  # "bucket", "versioning", ...
    address: str  # resource address in the bootstrap workspace
    import_id: str  # HCL expression for the import id (a variable, never an answer)
    exists: bool
    detail: str = ""  # what AWS has now, e.g. "Enabled", "AES256"


@dataclass
class Inventory:
    """What the backend needs, as found in AWS."""

    bucket: str
    region: str
    pieces: list[Piece] = field(default_factory=list)
    bucket_policy: str | None = None  # the policy JSON on an existing bucket

    @property
    def existing(self) -> list[Piece]:
        return [p for p in self.pieces if p.exists]

    @property
    def missing(self) -> list[Piece]:
        return [p for p in self.pieces if not p.exists]

    def lines(self) -> list[str]:
        """One line per piece, for the operator."""
        out = []
        for p in self.pieces:
            state = f"exists ({p.detail})" if p.exists and p.detail else "exists" if p.exists else "missing"
            out.append(f"{p.label:<22} {state}")
        return out


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _bucket_region(location: str | None) -> str:
    """GetBucketLocation's answer as a region code (null means us-east-1, EU is eu-west-1)."""
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location or "us-east-1")


def detect(answers: Answers, credentials: tuple[str, str] | None = None) -> Inventory:
    """Look at the backend's bucket (and table) in AWS.  Raises :class:`BootstrapError`."""
    backend = backends.s3_backend(answers)
    if backend is None:
        raise BootstrapError("the answers keep the state locally (backend.type: local); there is nothing to bootstrap")
    region = backends.region(answers)
    inv = Inventory(bucket=backend.bucket, region=region)
    s3 = backends.client(answers, "s3", credentials)

    def piece(label: str, resource: str, exists: bool, detail: str = "", import_id: str = "var.bucket") -> None:
        inv.pieces.append(Piece(label, f"{MODULE}.{resource}", import_id, exists, detail))

    try:
        s3.head_bucket(Bucket=backend.bucket)
        bucket_exists = True
    except Exception as exc:
        code = _code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            bucket_exists = False
        elif code in ("403", "AccessDenied", "Forbidden"):
            raise BootstrapError(
                f"the bucket {backend.bucket!r} exists but this identity may not use it (access denied): "
                "bucket names are global, so another account may own it; choose another backend.bucket, "
                "or check your permissions (s3:ListBucket)"
            ) from None
        elif code in ("301", "PermanentRedirect"):
            raise BootstrapError(
                f"the bucket {backend.bucket!r} exists in another region than {region}; set backend.region to its region"
            ) from None
        else:
            raise
    piece("bucket", "aws_s3_bucket.state", bucket_exists)
    if bucket_exists:
        where = _bucket_region(s3.get_bucket_location(Bucket=backend.bucket).get("LocationConstraint"))
        if where != region:
            raise BootstrapError(
                f"the bucket {backend.bucket!r} is in {where}, but the state's region is {region}; "
                f"set backend.region: {where}"
            )
        inv.pieces[0] = Piece("bucket", inv.pieces[0].address, "var.bucket", True, where)
        status = s3.get_bucket_versioning(Bucket=backend.bucket).get("Status")
        piece("versioning", "aws_s3_bucket_versioning.state", bool(status), status or "")
        try:
            rules = s3.get_bucket_encryption(Bucket=backend.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
            algo = rules[0].get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm", "") if rules else ""
            piece("default encryption", "aws_s3_bucket_server_side_encryption_configuration.state", True, algo)
        except Exception as exc:
            if _code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            piece("default encryption", "aws_s3_bucket_server_side_encryption_configuration.state", False)
        try:
            block = s3.get_public_access_block(Bucket=backend.bucket)["PublicAccessBlockConfiguration"]
            on = sum(1 for value in block.values() if value)
            piece("public access block", "aws_s3_bucket_public_access_block.state", True, f"{on} of 4 blocks on")
        except Exception as exc:
            if _code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            piece("public access block", "aws_s3_bucket_public_access_block.state", False)
        try:
            inv.bucket_policy = s3.get_bucket_policy(Bucket=backend.bucket)["Policy"]
            tls = "DenyInsecureTransport" in inv.bucket_policy
            piece("bucket policy", "aws_s3_bucket_policy.state", True,
                  "denies non-TLS access" if tls else "no TLS-only statement yet")
        except Exception as exc:
            if _code(exc) != "NoSuchBucketPolicy":
                raise
            piece("bucket policy", "aws_s3_bucket_policy.state", False)
    else:
        for label, resource in (
            ("versioning", "aws_s3_bucket_versioning.state"),
            ("default encryption", "aws_s3_bucket_server_side_encryption_configuration.state"),
            ("public access block", "aws_s3_bucket_public_access_block.state"),
            ("bucket policy", "aws_s3_bucket_policy.state"),
        ):
            piece(label, resource, False)
    if backend.dynamodb_table:
        table_piece = ("DynamoDB lock table", "aws_dynamodb_table.lock[0]")
        dynamodb = backends.client(answers, "dynamodb", credentials)
        try:
            table = dynamodb.describe_table(TableName=backend.dynamodb_table)["Table"]
        except Exception as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            piece(*table_piece, False, import_id="var.dynamodb_table")
        else:
            keys = [(k["AttributeName"], k["KeyType"]) for k in table.get("KeySchema", [])]
            types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
            if keys != [("LockID", "HASH")] or types.get("LockID") != "S":
                raise BootstrapError(
                    f"the DynamoDB table {backend.dynamodb_table!r} exists, but its key is not LockID (string), "
                    "which Terraform's locking needs; choose another backend.dynamodb_table"
                )
            piece(*table_piece, True, "LockID key", import_id="var.dynamodb_table")
    return inv


def _imports(pieces: Iterable[Piece]) -> str:
    """``imports.tf``: adopt every existing piece.  Fixed text: addresses tfiam owns and
    ids taken from variables, never an answer spliced into HCL."""
    blocks = [
        "# Written by tfiam: what already exists in AWS is adopted, not created again.",
    ]
    for p in pieces:
        blocks.append(f"import {{\n  to = {p.address}\n  id = {p.import_id}\n}}")
    return "\n\n".join(blocks) + "\n"


def tfvars(answers: Answers, inventory: Inventory) -> dict:
    backend = backends.s3_backend(answers)
    assert backend is not None
    return {
        "region": inventory.region,
        "profile": backends.profile(answers),
        "endpoint": answers.provider.endpoint,
        "bucket": backend.bucket,
        "kms_key_id": backend.kms_key_id,
        "dynamodb_table": backend.dynamodb_table,
        "existing_bucket_policy": inventory.bucket_policy,
        "tags": {"ManagedBy": "tfiam"},
    }


def owner(answers: Answers) -> workspace.Owner:
    """The scratch workspace's owner: the state bucket it manages."""
    bucket = answers.backend.bucket if answers.backend.type == "s3" else "?"
    return workspace.Owner(ownership.STATE_BACKEND, bucket)


def render(answers: Answers, inventory: Inventory) -> dict[str, bytes]:
    """Every file of the bootstrap workspace, by relative path."""
    base = workspace.render(answers, None)  # the same pinned versions.tf and provider.tf
    files = {"versions.tf": base["versions.tf"], "provider.tf": base["provider.tf"]}
    templates = bundled.bundled_dir("workspace_templates") / "state-backend"
    for src in sorted(templates.iterdir()):
        if src.is_file() and src.suffix == ".tf":
            files[src.name] = src.read_bytes()
    module = bundled.bundled_dir("modules") / "state-backend"
    for src in sorted(module.rglob("*")):
        rel = src.relative_to(module)
        if src.is_file() and not rel.parts[0].startswith(".terraform") and src.suffix == ".tf":
            files[f"modules/state-backend/{rel.as_posix()}"] = src.read_bytes()
    if inventory.existing:
        files["imports.tf"] = _imports(inventory.existing).encode("utf-8")
    files[workspace.TFVARS] = (json.dumps(tfvars(answers, inventory), indent=2) + "\n").encode("utf-8")
    return files


@dataclass
class Report:
    """What bootstrap found and did."""

    existed: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        none = "nothing"
        return [
            f"already there: {', '.join(self.existed) or none}",
            f"created:       {', '.join(self.created) or none}",
            f"changed:       {', '.join(self.changed) or none}",
        ]


def report(inventory: Inventory, planned: Iterable[tuple[str, str]]) -> Report:
    """Combine what was found with the plan's (action, address) pairs."""
    actions = {address: action for action, address in planned}
    out = Report()
    for p in inventory.pieces:
        action = actions.get(p.address, "")
        if p.exists:
            out.existed.append(p.label)
            if action in ("update", "replace"):
                out.changed.append(p.label)
        elif action == "create":
            out.created.append(p.label)
    return out
