"""Policy statements as the linter sees them, from answers or from raw IAM policy
documents: actions and resources with the field path each came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from .catalogue import Catalogue
from .findings import Finding, _finding
from .scope import broad_resource, condition_narrows

_ACTION_SHAPE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$")
# every action: '*', '*:*', and any spelling of wildcards alone that every 'service:Action'
# fits ('?*', '*:?*', '**'): a '*' and at most two '?' (no action is shorter than 'svc:Xy')
_ALL_ACTIONS = re.compile(r"^(?=[^?]*(\?[^?]*){0,2}$)[*?]*\*[*?]*(:[*?]*\*[*?]*)?$")
# every action of a service: 'iam:*', and 'iam:?*' too (every action name has a character)
_SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:[*?]*\*[*?]*$")
_SELF_USER = re.compile(r":user/(.*/)?\$\{aws:username\}$")


@dataclass
class _Entry:
    value: str
    path: str


@dataclass
class _Stmt:
    """A statement normalised from answers or a policy document.

    ``where`` is the field path reported for grants from this statement: the entry's own
    path for statements the operator wrote, the managed policy's path for a shipped
    document (whose statements are not the operator's to fix).
    """

    path: str
    effect: str
    actions: list[_Entry]
    not_actions: list[_Entry] = dc_field(default_factory=list)
    resources: list[_Entry] = dc_field(default_factory=list)
    not_resources: list[_Entry] = dc_field(default_factory=list)
    condition: Any = None  # the statement's Condition, as written
    managed: str | None = None  # name of the AWS managed policy this statement came from
    managed_path: str = ""

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def conditional(self) -> bool:
        """Any Condition at all (a Deny with one may not apply: it takes back nothing for sure)."""
        return bool(self.condition)

    def narrowed(self, passed_to: str | None = None) -> bool:
        """Whether its Condition really limits it (for a role passed to ``passed_to``)."""
        return condition_narrows(self.condition, passed_to)

    def broad(self, passed_to: str | None = None, on_self: bool = False) -> bool:
        """True when nothing narrows who or what it applies to: no condition that really
        limits it, and a resource beyond one principal's own, or NotResource.  For a path
        that escalates ``on_self`` (a policy written on the user itself), the user's own
        ARN (``user/${aws:username}``) narrows nothing either."""
        if self.narrowed(passed_to):
            return False
        if self.not_resources or not self.resources:
            return True
        return any(broad_resource(r.value) or (on_self and _SELF_USER.search(r.value)) for r in self.resources)

    def grants(self, cat: Catalogue, action: str) -> str | None:
        """Where this statement covers ``action`` (a field path), or ``None``."""
        if self.actions:
            for entry in self.actions:
                if cat.covers(entry.value, action):
                    return self.managed_path or entry.path
            return None
        if self.not_actions:
            if any(cat.covers(e.value, action) for e in self.not_actions):
                return None
            return self.managed_path or self.path
        return None


def _self_only(stmt: _Stmt) -> bool:
    return bool(stmt.resources) and not stmt.not_resources and all(
        _SELF_USER.search(r.value) for r in stmt.resources
    )


def _strings(value: Any) -> list[str | None] | None:
    """A policy element as a list, each string kept and anything else ``None`` (named one
    by one); ``None`` when the element is neither a string nor a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else None for v in value]
    return None


def _from_answers(statements: Iterable[Any], field: str) -> list[_Stmt]:
    out = []
    for i, st in enumerate(statements):
        get = st.get if isinstance(st, Mapping) else (lambda k, d=None, st=st: getattr(st, k, d))
        path = f"{field}[{i}]"
        actions = [a for a in (get("actions") or []) if isinstance(a, str)]
        resources = [r for r in (get("resources") or []) if isinstance(r, str)]
        out.append(_Stmt(
            path=path,
            effect=get("effect") or "Allow",
            actions=[_Entry(a, f"{path}.actions[{j}]") for j, a in enumerate(actions)],
            resources=[_Entry(r, f"{path}.resources[{j}]") for j, r in enumerate(resources)],
        ))
    return out


def _from_document(document: Any, field: str, findings: list[Finding] | None,
                   managed: str | None = None, managed_path: str = "") -> list[_Stmt]:
    """Normalise a policy document; what cannot be read becomes a TFIAM043 finding."""

    def bad(path: str, message: str) -> None:
        if findings is not None:
            findings.append(_finding("TFIAM043", path, message,
                                     "write a policy document: {\"Version\": \"2012-10-17\", \"Statement\": [...]}"))

    prefix = f"{field}." if field else ""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except ValueError as exc:
            bad(field, f"is not JSON ({exc})")
            return []
    if not isinstance(document, Mapping) or "Statement" not in document:
        bad(field, "is not a policy document (a JSON object with a Statement)")
        return []
    shape: list[Finding] = []
    _document_shape(document, prefix, shape)
    raw = document["Statement"]
    listed = isinstance(raw, list)
    raw = raw if listed else [raw]
    out = []
    sids: dict[str, str] = {}
    for i, st in enumerate(raw):
        path = f"{prefix}Statement[{i}]" if listed else f"{prefix}Statement"
        if not isinstance(st, Mapping):
            bad(path, "is not a statement (a JSON object)")
            continue
        effect = st.get("Effect")
        if effect not in ("Allow", "Deny"):
            bad(f"{path}.Effect", f"{effect!r} is not an effect; IAM accepts exactly 'Allow' or 'Deny'")
            continue
        elements: dict[str, list[_Entry]] = {}
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key not in st:
                elements[key] = []
                continue
            values = _strings(st[key])
            if values is None:
                bad(f"{path}.{key}", f"must be a string or a list of strings, not {type(st[key]).__name__}")
                values = []
            listed_key = isinstance(st[key], list)
            elements[key] = []
            for j, v in enumerate(values):
                where = f"{path}.{key}[{j}]" if listed_key else f"{path}.{key}"
                if v is None:
                    bad(where, f"{st[key][j]!r} is not a string; IAM refuses the document")
                else:
                    elements[key].append(_Entry(v, where))
        if "Action" not in st and "NotAction" not in st:
            bad(path, "has neither Action nor NotAction")
            continue
        if not _statement_shape(st, path, sids, shape):
            continue  # IAM refuses the document; its grants are not read as if it took it
        out.append(_Stmt(path, effect, elements["Action"], elements["NotAction"], elements["Resource"],
                         elements["NotResource"], condition=st.get("Condition"),
                         managed=managed, managed_path=managed_path))
    if findings is not None and managed is None:  # AWS's own documents are IAM's to vouch for
        findings.extend(shape)
    return out


_VERSIONS = ("2012-10-17", "2008-10-17")
_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition",
             "Principal", "NotPrincipal"}
_SID = re.compile(r"[A-Za-z0-9]*")


def _short_arn(value: str) -> bool:
    """An ARN with fewer than its six parts, unless it ends in a bare wildcard that may stand
    for the rest (``arn:*``, ``arn:aws:*``)."""
    parts = value.split(":", 5)
    return len(parts) < 6 and parts[-1].strip("*?") != ""


def _shape(out: list[Finding], path: str, message: str, hint: str, severity: str = "error") -> None:
    out.append(_finding("TFIAM046", path, message, hint, severity=severity))


def _document_shape(document: Mapping[str, Any], prefix: str, out: list[Finding]) -> None:
    """TFIAM046 on the document: its Version (IAM refuses others; without one, or with the
    old one, policy variables like ${aws:username} are plain text) and unknown keys."""
    version = document.get("Version")
    where = f"{prefix}Version"
    if version is None:
        _shape(out, where, "has no Version: IAM reads it as 2008-10-17, where policy variables "
               "(${aws:username}) are literal text", 'add "Version": "2012-10-17"', "warning")
    elif version not in _VERSIONS:
        _shape(out, where, f"{version!r} is not a policy language version; IAM accepts 2012-10-17 or 2008-10-17",
               'use "Version": "2012-10-17"')
    elif version == "2008-10-17":
        _shape(out, where, "2008-10-17 treats policy variables (${aws:username}) as literal text",
               'use "Version": "2012-10-17"', "warning")
    for key in document:
        if key not in ("Version", "Statement", "Id"):
            _shape(out, f"{prefix}{key}", f"{key!r} is not an element of a policy document",
                   "a policy document has Version, Statement and optionally Id")


def _statement_shape(st: Mapping[str, Any], path: str, sids: dict[str, str], out: list[Finding]) -> bool:
    """TFIAM046 on one statement; False when IAM would refuse the whole document for it."""
    ok = True
    for key in st:
        if key not in _ELEMENTS:
            close = next((e for e in _ELEMENTS if e.lower() == str(key).lower().rstrip("s")), None)
            _shape(out, f"{path}.{key}", f"{key!r} is not a statement element" + (f"; did you mean {close}?"
                   if close else ""), f"the elements are {', '.join(sorted(_ELEMENTS - {'Principal', 'NotPrincipal'}))}")
            ok = False
    sid = st.get("Sid")
    if sid is not None:
        if not isinstance(sid, str) or not _SID.fullmatch(sid):
            _shape(out, f"{path}.Sid", f"{sid!r}: a Sid in an identity policy holds only letters and digits",
                   "rename it, e.g. AllowReadingReports")
            ok = False
        elif sid and sid in sids:
            _shape(out, f"{path}.Sid", f"Sid {sid!r} is used twice (first at {sids[sid]}); IAM wants them unique",
                   "give each statement its own Sid")
            ok = False
        elif sid:
            sids[sid] = path
    for key in ("Principal", "NotPrincipal"):
        if key in st:
            _shape(out, f"{path}.{key}", f"{key} belongs in a resource policy (a bucket's, a role's trust "
                   "policy); IAM refuses it in a user's or group's policy", f"remove {key}")
            ok = False
    for a, b in (("Action", "NotAction"), ("Resource", "NotResource")):
        if a in st and b in st:
            _shape(out, f"{path}.{b}", f"has both {a} and {b}; IAM accepts one of them", f"keep {a} or {b}")
            ok = False
    if "Resource" not in st and "NotResource" not in st:
        _shape(out, path, "has neither Resource nor NotResource; IAM refuses such a statement",
               'add "Resource": [...] (ARNs, or "*")')
        ok = False
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if st.get(key) == []:
            _shape(out, f"{path}.{key}", f"{key} is an empty list; IAM refuses a statement that names none",
                   f"list at least one {'action' if 'Action' in key else 'resource'}, or remove the statement")
            ok = False
    for key in ("Resource", "NotResource"):
        values = st.get(key)
        for j, value in enumerate(values if isinstance(values, list) else [values]):
            if isinstance(value, str) and value != "*" and (not value.startswith("arn:") or _short_arn(value)):
                where = f"{path}.{key}[{j}]" if isinstance(values, list) else f"{path}.{key}"
                what = ("is not a whole ARN (arn:partition:service:region:account:resource)"
                        if value.startswith("arn:") else "is neither an ARN nor '*'")
                _shape(out, where, f"{value!r} {what}; IAM refuses the document",
                       "write the resource's ARN (arn:aws:s3:::my-bucket/*), or '*'")
                ok = False
    return ok
