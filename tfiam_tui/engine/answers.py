"""The answers file: one YAML document describing one IAM user.

Loading validates everything before anything else happens and reports every
problem at once, each naming the field path and the rule it breaks.  The file
never holds a secret: the PGP key is referenced by fingerprint, e-mail or path.

Pure module: data in, data (or :class:`AnswersError`) out.  No I/O beyond
reading and writing the answers file itself.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError


def _fail(kind: str, template: str, ctx: dict[str, Any] | None = None) -> PydanticCustomError:
    """A validation error with its message formatted here, so values holding braces stay
    literal.  ``ctx["field"]`` names a sub-field for model-level rules."""
    ctx = dict(ctx or {})
    field = ctx.pop("field", None)
    message = template.format(**ctx)
    if field:  # pydantic only substitutes {tfiam_field}; nothing else in the text is touched
        return PydanticCustomError(kind, message, {"tfiam_field": field})
    return PydanticCustomError(kind, message)

SCHEMA_VERSION = 1

# --------------------------------------------------------------------------- rules
# Each rule is a function that returns the value or raises PydanticCustomError with
# a message that says what the value is and what IAM (or Terraform) allows.

_IAM_NAME_CHARS = re.compile(r"[A-Za-z0-9+=,.@_-]")
_IAM_NAME_RULE = "letters, digits and + = , . @ _ -"


def _iam_name(kind: str, max_len: int):
    rule = f"IAM {kind} names are 1-{max_len} characters of {_IAM_NAME_RULE}"

    def check(value: str) -> str:
        if not value:
            raise _fail("iam_name", "is empty; {rule}", {"rule": rule})
        if len(value) > max_len:
            raise _fail(
                "iam_name", "{value!r} is {n} characters long; {rule}",
                {"value": value, "n": len(value), "rule": rule},
            )
        bad = [c for c in value if not _IAM_NAME_CHARS.fullmatch(c)]
        if bad:
            what = "a space" if bad[0] == " " else f"the character {bad[0]!r}"
            raise _fail(
                "iam_name", "{value!r} has {what}; {rule}",
                {"value": value, "what": what, "rule": rule},
            )
        return value

    return check


UserName = Annotated[str, AfterValidator(_iam_name("user", 64))]
GroupName = Annotated[str, AfterValidator(_iam_name("group", 128))]
PolicyName = Annotated[str, AfterValidator(_iam_name("policy", 128))]

_PATH_RE = re.compile(r"^(/|/[\x21-\x7E]+/)$")


def _iam_path(value: str) -> str:
    if len(value) > 512 or not _PATH_RE.match(value):
        raise _fail(
            "iam_path",
            "{value!r} is not an IAM path; a path is '/' or starts and ends with '/' "
            "(e.g. /engineering/ci/), printable ASCII without spaces, at most 512 characters",
            {"value": value},
        )
    return value


IamPath = Annotated[str, AfterValidator(_iam_path)]

_TAG_PUNCTUATION = set("_.:/=+-@")


def _tag_char_ok(c: str) -> bool:
    cat = unicodedata.category(c)
    return cat[0] in ("L", "N", "Z") or c in _TAG_PUNCTUATION


_TAG_RULE = "letters, digits and spaces in any script, and _ . : / = + - @"


def _tag_text(kind: str, min_len: int, max_len: int):
    def check(value: str) -> str:
        if not (min_len <= len(value) <= max_len):
            raise _fail(
                "tag", "{value!r} is {n} characters long; tag {kind}s are {lo}-{hi} characters",
                {"value": value, "n": len(value), "kind": kind, "lo": min_len, "hi": max_len},
            )
        bad = [c for c in value if not _tag_char_ok(c)]
        if bad:
            raise _fail(
                "tag", "{value!r} has the character {c!r}; IAM tag {kind}s allow {rule}",
                {"value": value, "c": bad[0], "kind": kind, "rule": _TAG_RULE},
            )
        return value

    return check


def _tags(value: dict[str, str]) -> dict[str, str]:
    if len(value) > 50:
        raise _fail(
            "tags", "has {n} tags; IAM allows at most 50 tags on a user", {"n": len(value)}
        )
    return value


def _not_aws_prefixed(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise _fail("tags", "tag key {key!r} starts with 'aws:', which is reserved for AWS", {"key": key})
    return key


TagKey = Annotated[str, AfterValidator(_tag_text("key", 1, 128)), AfterValidator(_not_aws_prefixed)]
TagValue = Annotated[str, AfterValidator(_tag_text("value", 0, 256))]
Tags = Annotated[dict[TagKey, TagValue], AfterValidator(_tags)]

_PARTITION = r"aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?"
_POLICY_ARN_RE = re.compile(
    rf"^arn:{_PARTITION}:iam::(aws|\d{{12}}):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{{1,128}}$"
)


def _policy_arn(value: str) -> str:
    if not _POLICY_ARN_RE.match(value):
        raise _fail(
            "policy_arn",
            "{value!r} is not a policy ARN; expected arn:aws:iam::aws:policy/NAME "
            "(AWS managed) or arn:aws:iam::123456789012:policy/PATH/NAME",
            {"value": value},
        )
    return value


PolicyArn = Annotated[str, AfterValidator(_policy_arn)]

# The partitions' region patterns, as botocore's endpoints data states them.
_REGION_RE = re.compile(
    r"^((us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+|cn-\w+-\d+|us-gov-\w+-\d+|us-iso[bf]?-\w+-\d+"
    r"|eu-isoe-\w+-\d+|eusc-de-\w+-\d+)$"
)


def _region(value: str) -> str:
    if not _REGION_RE.match(value) or "_" in value:
        raise _fail(
            "region", "{value!r} is not an AWS region; expected a code like eu-central-1 or us-east-1",
            {"value": value},
        )
    return value


Region = Annotated[str, AfterValidator(_region)]

# Terraform version constraints: comma-separated "OP VERSION" items.
_CONSTRAINT_RE = re.compile(r"^\s*(=|!=|>|>=|<|<=|~>)?\s*v?\d+(\.\d+){0,2}(-[0-9A-Za-z.]+)?\s*$")


def _version_constraint(value: str) -> str:
    if not value or not all(_CONSTRAINT_RE.match(part) for part in value.split(",")):
        raise _fail(
            "version_constraint",
            "{value!r} is not a Terraform version constraint; expected e.g. '>= 1.6.0' or '~> 5.0'",
            {"value": value},
        )
    return value


VersionConstraint = Annotated[str, AfterValidator(_version_constraint)]

_ACTION_RE = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")


def _action(value: str) -> str:
    if value != "*" and not _ACTION_RE.match(value):
        raise _fail(
            "action",
            "{value!r} is not an IAM action; expected service:Action (e.g. s3:GetObject, "
            "wildcards * and ? allowed) or '*'",
            {"value": value},
        )
    return value


def _resource(value: str) -> str:
    if value != "*" and not value.startswith("arn:"):
        raise _fail(
            "resource", "{value!r} is not a resource; expected an ARN (arn:...) or '*'",
            {"value": value},
        )
    return value


def _endpoint(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        raise _fail(
            "endpoint", "{value!r} is not a URL; expected e.g. http://127.0.0.1:5000",
            {"value": value},
        )
    return value


_BUCKET_RULE = (
    "S3 bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, "
    "starting and ending with a letter or digit"
)
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name(value: str) -> str:
    why = None
    bad = [c for c in value if not re.fullmatch(r"[a-z0-9.-]", c)]
    if not 3 <= len(value) <= 63:
        why = f"is {len(value)} characters long"
    elif bad:
        why = "has uppercase letters" if bad[0].isupper() else f"has the character {bad[0]!r}"
    elif not (value[0].isalnum() and value[-1].isalnum()):
        why = "does not start and end with a letter or digit"
    elif ".." in value:
        why = "has two adjacent dots"
    elif re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        why = "looks like an IP address"
    elif value.startswith(_BUCKET_RESERVED_PREFIXES) or value.endswith(_BUCKET_RESERVED_SUFFIXES):
        why = "uses a prefix or suffix AWS reserves (xn--, sthree-, amzn-s3-demo-, -s3alias, --ol-s3, ...)"
    if why:
        raise _fail("bucket", "{value!r} {why}; {rule}", {"value": value, "why": why, "rule": _BUCKET_RULE})
    return value


def _state_key(value: str) -> str:
    why = None
    if not value:
        why = "is empty"
    elif len(value.encode("utf-8")) > 1024:
        why = "is longer than 1024 bytes"
    elif value.startswith("/") or value.endswith("/"):
        why = "starts or ends with '/'"
    elif "//" in value:
        why = "has an empty path segment ('//')"
    elif any(ord(c) < 32 or ord(c) == 127 for c in value):
        why = "has a control character"
    elif any(part in (".", "..") for part in value.split("/")):
        why = "has a '.' or '..' segment"
    if why:
        raise _fail(
            "state_key", "{value!r} {why}; a state key is an S3 object path like iam/users/ci-bot.tfstate",
            {"value": value, "why": why},
        )
    return value


BucketName = Annotated[str, AfterValidator(_bucket_name)]
StateKey = Annotated[str, AfterValidator(_state_key)]


def _must_encrypt(value: bool) -> bool:
    if value is not True:
        raise _fail(
            "encrypt",
            "false is rejected; the state holds everything about the user (and the encrypted secrets), "
            "so tfiam always stores it encrypted",
        )
    return value


_KMS_RE = re.compile(
    rf"^(arn:{_PARTITION}:kms:[a-z0-9-]+:\d{{12}}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)"
    r"|alias/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)


def _kms_key(value: str) -> str:
    if not _KMS_RE.match(value):
        raise _fail(
            "kms_key",
            "{value!r} is not a KMS key; expected a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), "
            "an alias ARN, alias/NAME, or a key id",
            {"value": value},
        )
    return value


def _profile_name(value: str) -> str:
    if not value.strip():
        raise _fail("profile", "is empty; name a profile from your AWS config, or use null for provider.profile")
    return value


def _dynamodb_table(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", value):
        raise _fail(
            "dynamodb_table",
            "{value!r} is not a DynamoDB table name; names are 3-255 characters of letters, digits and _ . -",
            {"value": value},
        )
    return value


def _policy_description(value: str) -> str:
    """IAM's CreatePolicy pattern: tab, line breaks and U+0020-U+00FF (Latin-1) only."""
    bad = [c for c in value if not (c in "\t\n" or " " <= c <= "\u00ff")]
    if bad:
        raise _fail(
            "description",
            "has the character {c!r}; IAM policy descriptions allow only Latin-1 text "
            "(U+0020-U+00FF), tabs and line breaks (\\n; a carriage return would not come back as typed)",
            {"c": bad[0]},
        )
    return value


def _effect(value: Any) -> Any:
    if value not in ("Allow", "Deny"):
        raise _fail(
            "effect", "{value!r} is not an effect; IAM accepts exactly 'Allow' or 'Deny' (case matters)",
            {"value": value},
        )
    return value


def _nonempty_list(what: str):
    def check(value: list) -> list:
        if not value:
            raise _fail("empty", "is empty; a statement needs at least one {what}", {"what": what})
        return value

    return check


Action = Annotated[str, AfterValidator(_action)]
Resource = Annotated[str, AfterValidator(_resource)]

# --------------------------------------------------------------------------- model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Provider(_Strict):
    region: Region
    profile: str | None = None
    terraform_version: VersionConstraint = ">= 1.6.0"
    aws_provider_version: VersionConstraint = "~> 5.0"
    endpoint: Annotated[str, AfterValidator(_endpoint)] | None = None


class User(_Strict):
    name: UserName
    path: IamPath = "/"
    tags: Tags = Field(default_factory=dict)
    permissions_boundary: PolicyArn | None = None
    force_destroy: bool = False


class Statement(_Strict):
    sid: Annotated[str, Field(pattern=r"^[A-Za-z0-9]*$")] | None = None
    effect: Annotated[str, AfterValidator(_effect)]
    actions: Annotated[list[Action], AfterValidator(_nonempty_list("action"))]
    resources: Annotated[list[Resource], AfterValidator(_nonempty_list("resource"))]


class CustomPolicy(_Strict):
    name: PolicyName
    description: Annotated[str, Field(max_length=1000), AfterValidator(_policy_description)] = ""
    statements: Annotated[list[Statement], Field(min_length=1)]


class Group(_Strict):
    name: GroupName
    managed_policies: list[PolicyArn] = Field(default_factory=list)
    custom_policy: CustomPolicy | None = None


class Permissions(_Strict):
    groups: list[Group] = Field(default_factory=list)
    existing_groups: list[GroupName] = Field(default_factory=list)
    user_managed_policies: list[PolicyArn] = Field(default_factory=list)


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
    def _pgp_when_secret(self) -> "Authentication":
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
    def _some_lock(self) -> "S3Backend":
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


class Answers(_Strict):
    version: Literal[1]
    workspace: str | None = None
    provider: Provider
    user: User
    permissions: Permissions = Field(default_factory=Permissions)
    authentication: Authentication = Field(default_factory=Authentication)
    backend: Backend = Field(default_factory=LocalBackend)

    @model_validator(mode="after")
    def _unique_names(self) -> "Answers":
        seen: set[str] = set()
        for group in [g.name for g in self.permissions.groups] + list(self.permissions.existing_groups):
            if group.lower() in seen:
                raise _fail(
                    "duplicate", "group {g!r} is listed twice; group names are "
                    "case-insensitively unique in IAM", {"g": group, "field": "permissions"},
                )
            seen.add(group.lower())
        return self


# --------------------------------------------------------------------------- errors


class Problem(BaseModel):
    """One thing wrong with an answers file: where, and which rule."""

    model_config = ConfigDict(frozen=True)
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class AnswersError(Exception):
    """The answers are invalid; nothing was written.  ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{head}{len(problems)} problem(s) in the answers\n{lines}")


def _loc_to_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith("function-"):
            continue
        elif str(part).startswith("[key]"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc`` (for did-you-mean)."""
    model: Any = Answers
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        nxt = None
        for cand in _candidates(ann):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                nxt = cand
        if nxt is None:
            return None
        model = nxt
    return model


def _candidates(ann: Any):
    yield ann
    for arg in getattr(ann, "__args__", ()) or ():
        yield from _candidates(arg)


_TYPE_WORDS = {
    "string_type": "a string (quote it in YAML)",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "list_type": "a list",
    "dict_type": "a map of key: value",
    "model_type": "a map of key: value",
    "model_attributes_type": "a map of key: value",
}


def _problem_from(err: dict) -> Problem:
    loc = tuple(err["loc"])
    etype = err["type"]
    backend_model = None
    if len(loc) >= 2 and loc[0] == "backend" and loc[1] in _BACKENDS:  # drop the union's tag
        backend_model, loc = _BACKENDS[loc[1]], (loc[0],) + loc[2:]
    field = _loc_to_path(loc)
    if etype == "union_tag_invalid" and field == "backend":
        tag = (err.get("ctx") or {}).get("tag")
        return Problem(field="backend.type", message=f"{tag!r} is not a backend this version writes; use 'local' or 's3'")
    if etype == "union_tag_not_found" and field == "backend":
        return Problem(field=field, message="is not a map of key: value with a type ('local' or 's3')")
    if etype == "extra_forbidden":
        parent = backend_model if loc[:-1] == ("backend",) and backend_model else _model_at(loc[:-1])
        key = str(loc[-1])
        if parent is LocalBackend and key in S3Backend.model_fields:
            return Problem(field=field, message=f"unknown key {key!r} for a local backend; set type: s3 to keep the state in S3")
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(key, list(parent.model_fields), n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {close[0]!r}?"
            allowed = ", ".join(parent.model_fields)
            return Problem(field=field, message=f"unknown key {key!r}{hint} (allowed here: {allowed})")
        return Problem(field=field, message=f"unknown key {key!r}")
    if etype == "missing":
        return Problem(field=field, message="is required")
    if etype in _TYPE_WORDS:
        return Problem(field=field, message=f"{err['input']!r} is not {_TYPE_WORDS[etype]}")
    if etype == "literal_error" and field == "version":
        return Problem(field=field, message=f"{err['input']!r} is not a supported version; this tfiam reads version: 1")
    msg = err["msg"]
    if etype == "string_too_long" and field.endswith("description"):
        msg = f"is {len(err['input'])} characters long; policy descriptions are at most 1000 characters"
    elif etype == "string_pattern_mismatch" and field.endswith("sid"):
        msg = f"{err['input']!r} is not a statement id; Sid is letters and digits only"
    elif etype in ("greater_than_equal", "less_than_equal") and field.endswith("password_length"):
        msg = f"{err['input']!r} is out of range; a console password is 8-128 characters"
    elif etype == "too_short" and field.endswith("statements"):
        msg = "is empty; a custom policy needs at least one statement"
    # model-level rules name the field they are about in their context
    sub = (err.get("ctx") or {}).get("tfiam_field")
    if sub:
        field = f"{field}.{sub}" if field else sub
    return Problem(field=field, message=msg)


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text and refuses duplicate keys."""


# Dates stay strings: `Expiry: 2027-06-30` is a tag value, not a datetime.
_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def parse(data: Any, source: str | None = None) -> Answers:
    """Validate already-parsed data (a dict) into :class:`Answers`."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise AnswersError(
            [Problem(field="", message=f"the answers file is {kind}; it must be a YAML map starting with 'version: 1'")],
            source,
        )
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            p = _problem_from(err)
            if p not in problems:
                problems.append(p)
        raise AnswersError(problems, source) from None


def loads(text: str, source: str | None = None) -> Answers:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AnswersError([Problem(field="", message=f"not valid YAML: {where}{problem}")], source) from None
    return parse(data, source)


def load(path: str | os.PathLike) -> Answers:
    """Read and validate an answers file.  Raises :class:`AnswersError`."""
    p = Path(path)
    src = str(p)
    if p.is_dir():
        raise AnswersError([Problem(field="", message="is a directory, not an answers file")], src)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise AnswersError([Problem(field="", message="no such file")], src) from None
    except OSError as exc:
        raise AnswersError([Problem(field="", message=f"cannot be read: {exc.strerror}")], src) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnswersError(
            [Problem(field="", message=f"is not UTF-8 text (bad byte at offset {exc.start})")], src
        ) from None
    return loads(text, src)


def to_data(answers: Answers) -> dict:
    """The answers as plain data, in the documented key order."""
    return answers.model_dump(mode="python")


def dumps(answers: Answers) -> str:
    header = "# tfiam answers file (no secrets here, ever). Reference: README.md, 'The answers file'.\n"
    return header + yaml.dump(
        to_data(answers), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def save(answers: Answers, path: str | os.PathLike) -> None:
    """Write the answers file atomically."""
    from .fsutil import write_atomic

    write_atomic(Path(path), dumps(answers).encode("utf-8"), mode=0o644)


def workspace_dir(answers: Answers, answers_path: str | os.PathLike | None, override: str | None = None) -> Path:
    """Where the workspace goes: ``--workspace``, else the file's ``workspace`` key
    (relative to the answers file, so every run from anywhere finds the same state),
    else ``./tfiam-<user name>`` next to the answers file."""
    if override:
        return Path(override).expanduser().resolve()
    base = Path(answers_path).resolve().parent if answers_path else Path.cwd()
    rel = answers.workspace or f"./tfiam-{answers.user.name}"
    return (base / Path(rel).expanduser()).resolve()
