"""What really narrows a grant: a resource that names one principal's own, or a condition
that holds only sometimes.  The escalation rules downgrade a finding only on these; a
resource or a condition that only looks narrow (``user/${aws:username}*``, ``?`` in the
account, ``...IfExists``, a date in the past, ``iam:PassedToService`` for the very service
the path passes the role to, keys that shape the request rather than what it reaches:
``aws:RequestedRegion``, ``aws:UserAgent``, ``ec2:InstanceType``) leaves it as broad as
without.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from .resources import named_but_its_id

_WILD = re.compile(r"[*?]")
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_SEGMENT = re.compile(r"[/:]")


def broad_resource(resource: str) -> bool:
    """Whether a Resource matches beyond one principal's own: ``*`` or ``?`` in the region,
    the account or the name (not in the unique ID after a name: ``stack/web/*``); a policy
    variable anywhere but as a whole last segment of the name (``user/${aws:username}`` is
    one user; ``user/${aws:username}-admin`` another)."""
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return bool(_WILD.search(resource)) or resource == ""
    region, account, name = parts[3], parts[4], parts[5]
    if _WILD.search(region) or _WILD.search(account):
        return True
    if _WILD.search(name):
        return not named_but_its_id(resource)
    segments = _SEGMENT.split(_VARIABLE.sub("\0", name))  # a variable's own ':' is no separator
    return any("\0" in seg for seg in segments[:-1]) or ("\0" in segments[-1] and segments[-1] != "\0")


def any_of_its_type(resource: str) -> bool:
    """Whether a Resource names every resource of its type: ``*``, ``role/*``, ``*:role/?*``
    (the account may be a wildcard too; a fixed name in every account is one role's name)."""
    parts = resource.split(":", 5)
    name = parts[5] if len(parts) == 6 else resource
    last = _SEGMENT.split(name)[-1]
    return bool(last) and not last.strip("*?") and "*" in last


# Keys whose conditions bound a grant in time, not in who or what it reaches: one that
# holds now (DateGreaterThan a past date, DateLessThan a future one) narrows nothing.
_TIME_KEYS = {"aws:currenttime", "aws:epochtime", "aws:tokenissuetime"}
_DATE_TESTS = {
    "dategreaterthan": lambda now, v: now > v, "dategreaterthanequals": lambda now, v: now >= v,
    "datelessthan": lambda now, v: now < v, "datelessthanequals": lambda now, v: now <= v,
    "numericgreaterthan": lambda now, v: now > v, "numericgreaterthanequals": lambda now, v: now >= v,
    "numericlessthan": lambda now, v: now < v, "numericlessthanequals": lambda now, v: now <= v,
}


def _when(value: str) -> dt.datetime | None:
    try:
        if re.fullmatch(r"\d+", value):
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _holds_now(op: str, values: list[str]) -> bool:
    """Whether a time condition is true now (any of its values, as IAM ORs them)."""
    test = _DATE_TESTS.get(op)
    now = dt.datetime.now(dt.UTC)
    return test is not None and any(w is not None and test(now, w) for w in map(_when, values))
_PASSED_TO = {"iam:passedtoservice", "aws:passedtoservice"}
# Keys that shape the request, not which role or resource it reaches: the path works in the
# region, through the client, on the instance type they allow (aws:UserAgent is the
# caller's to write; IAM and its roles are global whatever aws:RequestedRegion says).
_SHAPE_KEYS = {"aws:useragent", "aws:requestedregion", "aws:viaawsservice", "ec2:instancetype", "ec2:region",
               "ec2:tenancy", "ec2:availabilityzone"}
_ANY_ADDRESS = {"0.0.0.0/0", "::/0"}


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _always_true(operator: str, key: str, values: list[str], passed_to: str | None) -> bool:
    """A condition entry that holds for every request the path makes."""
    key = key.lower()
    op = operator.lower().split(":", 1)[-1]  # ForAnyValue:/ForAllValues: qualify, they do not narrow more
    if key in _TIME_KEYS:
        return _holds_now(op, values)
    if key in _SHAPE_KEYS:
        return True
    if op in ("stringlike", "arnlike") and "*" in values:
        return True
    if op == "ipaddress" and key == "aws:sourceip" and _ANY_ADDRESS & set(values):
        return True
    if op == "bool" and key == "aws:securetransport" and "true" in [v.lower() for v in values]:
        return True  # every API call is made over TLS
    if key in _PASSED_TO and passed_to and op in ("stringequals", "stringlike", "stringequalsignorecase"):
        return any(fnmatch.fnmatchcase(passed_to.lower(), v.lower()) for v in values)
    return False


def condition_narrows(condition: Any, passed_to: str | None = None) -> bool:
    """Whether a statement's Condition limits a grant for a path whose role goes to
    ``passed_to`` (a service principal; ``None`` when no role is passed).  Entries are
    ANDed, so one entry that really narrows is enough."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            return True  # not a condition IAM reads; TFIAM046 territory, keep the finding cautious
        if str(operator).endswith("IfExists"):
            continue  # a request without the key passes
        for key, raw in block.items():
            if not _always_true(str(operator), str(key), _values(raw), passed_to):
                return True
    return False
