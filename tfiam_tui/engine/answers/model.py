"""The answers model: one IAM user, as pydantic models with a strict schema.

Every field carries its rule (:mod:`.rules`); model-level rules check what spans
several answers.  The file never holds a secret: the PGP key is referenced by
fingerprint, e-mail or path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator

from . import limits
from .rules import (
    Action,
    BucketName,
    GroupName,
    IamPath,
    PolicyArn,
    PolicyName,
    Region,
    Resource,
    StateKey,
    Tags,
    UserName,
    VersionConstraint,
    WorkspacePath,
    _dynamodb_table,
    _effect,
    _endpoint,
    _fail,
    _kms_key,
    _must_encrypt,
    _nonempty_list,
    _policy_description,
    _profile_name,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Provider(_Strict):
    region: Region
    profile: Annotated[str, AfterValidator(_profile_name)] | None = None
    terraform_version: VersionConstraint = ">= 1.6.0"
    aws_provider_version: VersionConstraint = "~> 5.0"
    endpoint: Annotated[str, AfterValidator(_endpoint)] | None = None


class User(_Strict):
    name: UserName
    path: IamPath = "/"
    tags: Tags = Field(default_factory=dict)
    permissions_boundary: PolicyArn | None = None
    force_destroy: bool = False

    @model_validator(mode="after")
    def _tag_keys(self) -> User:
        try:
            limits.tag_keys_unique(self.tags)
        except Exception as exc:  # re-raised naming the field
            raise _with_field(exc, "tags") from None
        return self


class Statement(_Strict):
    sid: Annotated[str, Field(pattern=r"^[A-Za-z0-9]*$")] | None = None
    effect: Annotated[str, AfterValidator(_effect)]
    actions: Annotated[list[Action], AfterValidator(_nonempty_list("action"))]
    resources: Annotated[list[Resource], AfterValidator(_nonempty_list("resource"))]

    @model_validator(mode="after")
    def _resources_fit(self) -> Statement:
        """An action whose resources are all of another service is never granted (or
        denied): IAM takes the policy and silently does nothing with it.  Finer
        mismatches (a bucket for s3:GetObject) are the linter's TFIAM044, since AWS may
        have added a resource type after tfiam's data."""
        from ..policy.resources import mismatches

        found = next((m for m in mismatches(list(self.actions), list(self.resources), deny=self.effect == "Deny")
                      if m.services), None)
        if found is not None:
            raise _fail("resource", "{m}: {f}", {"m": found.message(), "f": found.fix(),
                                                 "field": f"actions[{found.index}]"})
        return self


class CustomPolicy(_Strict):
    name: PolicyName
    description: Annotated[str, Field(max_length=1000), AfterValidator(_policy_description)] = ""
    statements: Annotated[list[Statement], Field(min_length=1)]

    @model_validator(mode="after")
    def _fits(self) -> CustomPolicy:
        limits.unique_sids(self.statements)
        limits.policy_fits(self.statements)
        return self


class Group(_Strict):
    name: GroupName
    managed_policies: list[PolicyArn] = Field(default_factory=list)
    custom_policy: CustomPolicy | None = None

    @model_validator(mode="after")
    def _attachments(self) -> Group:
        limits.unique_policy_arns(self.managed_policies, "managed_policies")
        return self


class Permissions(_Strict):
    groups: list[Group] = Field(default_factory=list)
    existing_groups: list[GroupName] = Field(default_factory=list)
    user_managed_policies: list[PolicyArn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _attachments(self) -> Permissions:
        limits.unique_policy_arns(self.user_managed_policies, "user_managed_policies")
        return self


class Authentication(_Strict):
    access_key: bool = False
    console: bool = False
    password_reset_required: bool = True
    password_length: Annotated[int, Field(ge=8, le=128)] = 20
    pgp_key: str | None = None
    # Put the user in a group "<user>-mfa-required" whose policy (AWS's documented one)
    # denies everything but setting up MFA until the user signs in with MFA.
    enforce_mfa: bool = False

    @model_validator(mode="after")
    def _pgp_when_secret(self) -> Authentication:
        if (self.access_key or self.console) and not self.pgp_key:
            raise _fail(
                "pgp_required",
                "is required when access_key or console is true; secrets are always "
                "encrypted to your PGP key (plaintext in state is not an option)",
                {"field": "pgp_key"},
            )
        return self


class LocalBackend(_Strict):
    """State in the workspace folder (terraform.tfstate, owner-only)."""

    type: Literal["local"] = "local"


class S3Backend(_Strict):
    """State in an S3 bucket: encrypted, versioned (see ``tfiam backend bootstrap``), locked."""

    type: Literal["s3"]
    bucket: BucketName
    key: StateKey
    region: Region | None = None  # None: provider.region
    encrypt: Annotated[bool, AfterValidator(_must_encrypt)] = True
    kms_key_id: Annotated[str, AfterValidator(_kms_key)] | None = None
    use_lockfile: bool = True
    dynamodb_table: Annotated[str, AfterValidator(_dynamodb_table)] | None = None
    profile: Annotated[str, AfterValidator(_profile_name)] | None = None  # None: provider.profile

    @model_validator(mode="after")
    def _some_lock(self) -> S3Backend:
        if not self.use_lockfile and self.dynamodb_table is None:
            raise _fail(
                "no_lock",
                "is false and no dynamodb_table is set, so nothing would lock the state and two runs "
                "at once could corrupt it; set use_lockfile: true (S3 native locking, Terraform >= 1.10)",
                {"field": "use_lockfile"},
            )
        return self

    def notes(self) -> list[str]:
        """Things worth telling the operator that are not errors."""
        out = []
        if self.dynamodb_table is not None:
            out.append(
                "backend.dynamodb_table: DynamoDB locking is deprecated since Terraform 1.11; "
                "use_lockfile: true locks with S3 alone (keep the table only while older "
                "Terraform versions still run against this state)"
            )
        return out


def _backend_tag(value: Any) -> str | None:
    """Which backend a value is; a map without ``type`` is the local backend."""
    if isinstance(value, dict):
        return value.get("type", "local")
    return getattr(value, "type", None)


Backend = Annotated[
    Annotated[LocalBackend, Tag("local")] | Annotated[S3Backend, Tag("s3")],
    Discriminator(_backend_tag),
]
_BACKENDS: dict[str, type[BaseModel]] = {"local": LocalBackend, "s3": S3Backend}


class Lifecycle(_Strict):
    # How old an active access key may get before status says rotation is due (CIS AWS
    # Foundations asks for 90 days).
    rotate_after_days: Annotated[int, Field(ge=1, le=3650)] = 90


class Answers(_Strict):
    version: Literal[1]
    workspace: WorkspacePath | None = None
    provider: Provider
    user: User
    permissions: Permissions = Field(default_factory=Permissions)
    authentication: Authentication = Field(default_factory=Authentication)
    backend: Backend = Field(default_factory=LocalBackend)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)

    # The folder of the answers file it was read from: where its relative paths start
    # (workspace, a pgp_key file).  None: built in a front, relative to the current folder.
    _source_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _names_and_quotas(self) -> Answers:
        limits.names_and_quotas(self)
        limits.same_partition(self)
        return self

    def __eq__(self, other: object) -> bool:
        # The same answers read from two folders are the same answers: equality is the fields'.
        return type(other) is type(self) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return super().__hash__()

    @property
    def source_dir(self) -> Path:
        return self._source_dir or Path.cwd()

    def with_source_dir(self, folder: Path | None) -> Answers:
        self._source_dir = folder  # a private attribute: allowed on a frozen model
        return self


def _with_field(exc: Exception, field: str) -> Exception:
    from pydantic_core import PydanticCustomError

    if isinstance(exc, PydanticCustomError):
        return PydanticCustomError(exc.type, exc.message(), {"tfiam_field": field})
    return exc
