"""The linter over what the user effectively gets, as read from IAM.

The answers are linted before apply; a grant made by hand afterwards never was.  Every
policy document the user gets (:func:`.grants.effective_grants`) is linted here as one
document, so a Deny in one policy counts against an Allow in another and an escalation
spread over two policies (``iam:PassRole`` here, ``ec2:RunInstances`` there) is found.
Findings are then put back on the policy they came from.

An error-severity finding that involves a grant the answers did not ask for fails the
check.  One that involves only grants the answers chose but whose statements the lint
before apply could not read (an existing group's policies, a customer managed policy
named by ARN) is reported, not failed: the operator chose those by naming them.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from ..policy import Finding, lint_policy_document
from .expected import Check
from .grants import Grant

NAME = "effective permissions (linted as read from AWS)"

# The merged document's field: IAM accepts no control characters in a policy, so this
# prefix cannot occur in any text a policy puts into a finding's message.
_TOKEN = "\x00grants"
_AT = re.compile(re.escape(_TOKEN) + r"\.Statement\[(\d+)\]")
_SHOWN = 6  # findings listed in a detail; the rest are counted


def _statements(document: Any) -> list[Any] | None:
    if not isinstance(document, Mapping) or "Statement" not in document:
        return None
    raw = document["Statement"]
    return list(raw) if isinstance(raw, list) else [raw]


def lint_grants(grants: list[Grant]) -> tuple[list[tuple[Finding, list[Grant]]], int]:
    """Every finding over the grants' documents, each with the grants it involves
    (its field's, and those its message names), and the number of statements read."""
    merged: list[Any] = []
    origin: list[tuple[Grant, int]] = []  # merged statement index -> (grant, its own index)
    out: list[tuple[Finding, list[Grant]]] = []
    for grant in grants:
        statements = _statements(grant.document)
        if statements is None:  # not a policy document: lint it alone, for the finding
            for f in lint_policy_document(grant.document, field=grant.label()):
                out.append((f, [grant]))
            continue
        for i, statement in enumerate(statements):
            # Sids are unique within one policy, not across the user's policies merged here.
            merged.append({k: v for k, v in statement.items() if k != "Sid"} if isinstance(statement, Mapping)
                          else statement)
            origin.append((grant, i))
    if not merged:
        return out, 0

    def place(m: re.Match[str]) -> str:
        grant, i = origin[int(m.group(1))]
        return f"{grant.label()}: Statement[{i}]"

    with _LINTING:  # threads reading users of one policy set wait for the first lint, then hit the cache
        found = _lint_merged(json.dumps(merged, sort_keys=True, default=str))
    for f in found:
        involved = list({id(origin[int(i)][0]): origin[int(i)][0]
                         for i in _AT.findall(f.field + " " + f.message)}.values())
        placed = Finding(f.rule, f.severity, _AT.sub(place, f.field), _AT.sub(place, f.message), f.hint, f.refs)
        out.append((placed, involved))
    return out, len(merged)


_LINTING = threading.Lock()


@functools.lru_cache(maxsize=32)
def _lint_merged(statements_json: str) -> tuple[Finding, ...]:
    """The merged document's findings.  Cached by its text: ``tfiam status`` over many
    users of one policy set (50 bots with ReadOnlyAccess) lints its large documents once."""
    merged = json.loads(statements_json)
    return tuple(lint_policy_document({"Version": "2012-10-17", "Statement": merged}, field=_TOKEN))


def _line(f: Finding) -> str:
    return f"{f.field}: {f.message} ({f.rule})"


def _listed(findings: list[Finding]) -> str:
    shown = "; ".join(_line(f) for f in findings[:_SHOWN])
    more = len(findings) - _SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def effective_check(grants: list[Grant]) -> Check:
    """The checklist line for the linted effective permissions."""
    found, statements = lint_grants(grants)
    errors = [(f, involved) for f, involved in found if f.severity == "error"]
    failing = [f for f, involved in errors if any(not g.asked for g in involved)]
    noted = [f for f, involved in errors
             if involved and all(g.asked for g in involved) and any(not g.seen for g in involved)]
    summary = f"{len(grants)} policy(ies), {statements} statement(s) read"
    if failing:
        failing.sort(key=lambda f: f.rule)  # stable: full administrator access (TFIAM001) first
        also = f"; and {len(noted)} more in grants the answers chose by name" if noted else ""
        return Check(NAME, False,
                     f"{len(failing)} error(s) in grants the answers did not ask for: {_listed(failing)}{also}")
    detail = f"{summary}; no error in a grant the answers did not ask for"
    if noted:
        detail += (f"; note, in grants the answers chose by name but tfiam could not lint before apply: "
                   f"{_listed(noted)}")
    return Check(NAME, True, detail)
