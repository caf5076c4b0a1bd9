"""The rules of the answers' fields: each returns the value or raises a
``PydanticCustomError`` whose message says what the value is and what IAM (or Terraform)
allows.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator
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
# Every pattern below is matched with fullmatch over ASCII classes: Python's "$" also
# matches before a final newline, and \d, \w, \s match Unicode digits, letters and spaces
# that IAM and Terraform refuse.
_PATH_RE = re.compile(r"/|/[\x21-\x7E]+/")


def _iam_path(value: str) -> str:
    if len(value) > 512 or not _PATH_RE.fullmatch(value):
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
        if not unicodedata.is_normalized("NFC", value):
            raise _fail(
                "tag", "{value!r} is not in Unicode NFC form; Terraform normalises every string, so IAM "
                "would get {nfc!r}: write that instead", {"value": value, "nfc": unicodedata.normalize("NFC", value)},
            )
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
    rf"arn:{_PARTITION}:iam::(aws|[0-9]{{12}}):policy/((?:[A-Za-z0-9+=,.@_-]+/)*)([A-Za-z0-9+=,.@_-]{{1,128}})"
)


def _policy_arn(value: str) -> str:
    m = _POLICY_ARN_RE.fullmatch(value)
    if not m:
        raise _fail(
            "policy_arn",
            "{value!r} is not a policy ARN; expected arn:aws:iam::aws:policy/NAME "
            "(AWS managed) or arn:aws:iam::123456789012:policy/PATH/NAME",
            {"value": value},
        )
    if m.group(2) == "aws":
        _known_managed_policy(value, m.group(1) or "", m.group(3), m.group(4))
    return value


def _known_managed_policy(value: str, partition: str, path: str, name: str) -> None:
    """An AWS managed policy must exist as named, path included: attaching
    .../policy/ViewOnlyAccess fails the apply, the policy is .../policy/job-function/ViewOnlyAccess.
    A name tfiam's list does not know and nothing close to: accepted (the policy may be newer
    than the list; the linter warns)."""
    import difflib

    from ..policy.catalogue import known_managed_policy_paths

    known = known_managed_policy_paths()
    right = known.get(name.lower())
    if right is None:
        close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.8)
        if not close:
            return
        right = known[close[0]]
    if right != path + name:
        suggestion = f"arn:aws{partition}:iam::aws:policy/{right}"
        raise _fail(
            "policy_arn", "{value!r} is not an AWS managed policy; did you mean {right}?",
            {"value": value, "right": suggestion},
        )


PolicyArn = Annotated[str, AfterValidator(_policy_arn)]


def _region(value: str) -> str:
    from . import choices

    if choices.known_region(value):
        return value
    close = choices.suggest_region(value)
    if close and close != value:
        raise _fail("region", "{value!r} is not an AWS region; did you mean {close}?", {"value": value, "close": close})
    if not _REGION_SHAPE.fullmatch(value):
        raise _fail("region", "{value!r} is not an AWS region; expected a code like eu-central-1 or us-east-1",
                    {"value": value})
    # Shaped like one: maybe a region newer than the installed botocore.
    raise _fail(
        "region",
        "{value!r} is not an AWS region the installed botocore ({version}) knows; if it is newer than that "
        "botocore, upgrade boto3 or name the region in {env} (e.g. {env}={value})",
        {"value": value, "version": choices.botocore_version(), "env": choices.EXTRA_REGIONS_ENV},
    )


_REGION_SHAPE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


Region = Annotated[str, AfterValidator(_region)]


# Terraform version constraints: comma-separated "OP VERSION" items.
# No "v" (provider constraints refuse it) and no prerelease (required_version refuses one).
_CONSTRAINT_RE = re.compile(r" *(=|!=|>|>=|<|<=|~>)? *[0-9]+(\.[0-9]+){0,2} *")


def _version_constraint(value: str) -> str:
    if not value or not all(_CONSTRAINT_RE.fullmatch(part) for part in value.split(",")):
        raise _fail(
            "version_constraint",
            "{value!r} is not a Terraform version constraint; expected e.g. '>= 1.6.0' or '~> 5.0'",
            {"value": value},
        )
    return value


VersionConstraint = Annotated[str, AfterValidator(_version_constraint)]
# Service prefixes any case (IAM matches them case-insensitively); action names may hold
# hyphens (vpc-lattice:AssociateViaAWSService-EventsAndStates).
_ACTION_RE = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?-]+")


def _action(value: str) -> str:
    if value != "*" and not _ACTION_RE.fullmatch(value):
        raise _fail(
            "action",
            "{value!r} is not an IAM action; expected service:Action (e.g. s3:GetObject, "
            "wildcards * and ? allowed) or '*'",
            {"value": value},
        )
    return value


def _resource(value: str) -> str:
    from .arns import arn_problem

    if value == "*":
        return value
    why = arn_problem(value)
    if why:
        raise _fail("resource", "{value!r} is not a resource: {why}; expected an ARN "
                    "(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, e.g. arn:aws:s3:::my-bucket/*) or '*'",
                    {"value": value, "why": why})
    return value


def _endpoint(value: str) -> str:
    from .arns import endpoint_problem

    why = endpoint_problem(value)
    if why:
        raise _fail(
            "endpoint", "{value!r} is not a URL tfiam can use: it {why}; expected a base URL such as "
            "http://127.0.0.1:5000 "
            "(http or https, a host, an optional port, no path)",
            {"value": value, "why": why},
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
    rf"(arn:{_PARTITION}:kms:[a-z0-9-]+:[0-9]{{12}}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)"
    r"|alias/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)


def _kms_key(value: str) -> str:
    if not _KMS_RE.fullmatch(value):
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
    if value != value.strip() or not all(c.isprintable() for c in value) or any(c in value for c in "[]"):
        raise _fail("profile", "{value!r} cannot be a profile name in an AWS config file (spaces at either "
                    "end, a control character or a bracket)", {"value": value})
    return value


def _workspace_path(value: str) -> str:
    """What the OS accepts as a folder path: refused here rather than as an OSError later."""
    why = None
    if not value.strip():
        why = "is empty"
    elif "\x00" in value:
        why = "has a NUL character"
    elif any(unicodedata.category(c) == "Cc" for c in value):
        why = "has a control character"
    elif len(value.encode("utf-8")) > 4095:
        why = "is longer than 4095 bytes"
    else:
        long = [part for part in value.split("/") if len(part.encode("utf-8")) > 255]
        if long:
            why = f"has a folder name of {len(long[0].encode('utf-8'))} bytes (at most 255)"
    if why:
        raise _fail("workspace", "{value!r} {why}; the workspace is a folder path, relative to the answers file",
                    {"value": value, "why": why})
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
WorkspacePath = Annotated[str, AfterValidator(_workspace_path)]
Resource = Annotated[str, AfterValidator(_resource)]
