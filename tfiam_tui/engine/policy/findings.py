"""The linter's vocabulary and its reports: every rule (:data:`RULES`), the
:class:`Finding` it produces, their stable order, and the text and JSON reports.

Findings come back in a stable order: by field path (list indices numerically), then rule
id, then message.  Every rule is listed in :data:`RULES` and in docs/linting.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")
JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Rule:
    """A lint rule: stable id, what it is about, its usual severity, scanner cross-refs."""

    id: str
    title: str
    severity: str
    refs: tuple[str, ...] = ()


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("TFIAM001", "full administrator: Allow '*' on '*'", "error", ("CKV_AWS_62", "CKV_AWS_1", "AWS-0057")),
        Rule("TFIAM002", "Allow with action '*'", "error", ("CKV_AWS_63", "AWS-0057")),
        Rule("TFIAM003", "Allow 'iam:*'", "error", ("CKV2_AWS_40", "CKV_AWS_286", "AWS-0057")),
        Rule("TFIAM004", "AdministratorAccess attached", "error", ("CKV_AWS_274",)),
        Rule("TFIAM005", "IAMFullAccess attached", "error", ("CKV2_AWS_56", "CKV_AWS_286")),
        Rule("TFIAM006", "broad AWS managed policy attached", "warning"),
        Rule("TFIAM007", "customer managed policy not checked", "info"),
        Rule("TFIAM008", "unknown AWS managed policy", "error"),
        Rule("TFIAM010", "service wildcard (s3:*)", "warning", ("AWS-0057",)),
        Rule("TFIAM011", "Resource '*' on actions that can name their resources", "warning",
             ("CKV_AWS_355", "AWS-0057")),
        Rule("TFIAM012", "Allow with NotAction or NotResource", "warning", ("AWS-0057",)),
        Rule("TFIAM020", "privilege escalation", "error", ("CKV_AWS_286",)),
        Rule("TFIAM021", "privilege escalation through iam:PassRole", "error", ("CKV_AWS_286",)),
        Rule("TFIAM022", "privilege escalation through a combination of actions", "error", ("CKV_AWS_286",)),
        Rule("TFIAM030", "action that returns credentials", "info", ("CKV_AWS_287",)),
        Rule("TFIAM040", "unknown service prefix", "error"),
        Rule("TFIAM041", "unknown action", "error"),
        Rule("TFIAM042", "malformed action", "error"),
        Rule("TFIAM043", "malformed policy document", "error"),
        Rule("TFIAM044", "resource that cannot match the action", "error"),
        Rule("TFIAM045", "condition IAM would refuse or never match", "error"),
        Rule("TFIAM046", "malformed statement or document element", "error"),
        Rule("TFIAM050", "policy attached to the user directly", "warning", ("CKV_AWS_40", "AWS-0143")),
        Rule("TFIAM051", "console password and access key on one user", "warning"),
        Rule("TFIAM052", "console user without MFA enforcement", "warning", ("AWS-0123",)),
        Rule("TFIAM053", "MFA enforcement on an access key", "warning"),
        Rule("TFIAM054", "more managed policies than IAM's default quota", "warning"),
        Rule("TFIAM060", "review tag missing (Owner, Purpose, Expiry)", "warning"),
        Rule("TFIAM061", "Expiry tag in the past", "warning"),
        Rule("TFIAM062", "Expiry tag is not a date", "warning"),
        Rule("TFIAM070", "no permissions boundary", "info"),
        Rule("TFIAM071", "credential without a PGP key", "error"),
        Rule("TFIAM080", "remote state without encryption", "error"),
        Rule("TFIAM081", "remote state without locking", "error"),
        Rule("TFIAM082", "DynamoDB state locking where S3 native locking would do", "info"),
        Rule("TFIAM090", "IAM user instead of IAM Identity Center or a role", "info", ("CKV_AWS_273",)),
    ]
}


@dataclass(frozen=True)
class Finding:
    """One thing a reviewer would point at.

    ``field`` is the path of the value it is about (``permissions.groups[0].custom_policy
    .statements[1].actions[2]``), ``hint`` what to do instead, ``refs`` the ids of the same
    check in checkov (``CKV_AWS_*``) and trivy (``AWS-*``), where they have one.
    """

    rule: str
    severity: str
    field: str
    message: str
    hint: str
    refs: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return RULES[self.rule].title

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "title": self.title, "field": self.field,
                "message": self.message, "hint": self.hint, "refs": list(self.refs)}

    def __str__(self) -> str:
        return f"{self.severity} {self.rule} {self.field}: {self.message}"


def _finding(rule: str, field: str, message: str, hint: str, *, severity: str | None = None,
             extra_refs: Iterable[str] = ()) -> Finding:
    r = RULES[rule]
    refs = tuple(dict.fromkeys([*r.refs, *extra_refs]))
    return Finding(rule, severity or r.severity, field, message, hint, refs)


def _sample(names: Iterable[str], n: int = 4) -> str:
    names = list(names)
    head = ", ".join(names[:n])
    return head + (f" and {len(names) - n} more" if len(names) > n else "")


_SECTIONS = ["version", "workspace", "provider", "user", "permissions", "authentication", "backend"]


def _path_key(path: str) -> tuple:
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    section = _SECTIONS.index(head) if head in _SECTIONS else len(_SECTIONS)
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"[^.\[\]]+", path))
    return (section, parts)


def _ordered(findings: list[Finding]) -> list[Finding]:
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (_path_key(f.field), f.rule, f.message))


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        out[f.severity] += 1
    return out


def fails(findings: Iterable[Finding], strict: bool = False) -> bool:
    """Whether these findings stop a run: any error; with ``strict``, any warning too."""
    blocking = ("error", "warning") if strict else ("error",)
    return any(f.severity in blocking for f in findings)


def to_json(findings: list[Finding], *, source: str | None = None, strict: bool = False) -> dict[str, Any]:
    """The documented JSON shape of ``tfiam lint --format json`` (README, "Linting")."""
    return {
        "format": JSON_FORMAT_VERSION,
        "file": source,
        "strict": strict,
        "passed": not fails(findings, strict),
        "counts": counts(findings),
        "findings": [f.to_dict() for f in findings],
    }


def format_text(findings: list[Finding], *, source: str | None = None,
                severities: Iterable[str] = SEVERITIES) -> str:
    """Human-readable findings: one line each, then the fix and cross-references."""
    shown = set(severities)
    c = counts(findings)
    head = f"{source}: " if source else ""
    lines = [f"{head}{c['error']} error(s), {c['warning']} warning(s), {c['info']} info"]
    for f in findings:
        if f.severity not in shown:
            continue
        lines.append(f"  {f.severity:<7} {f.rule} {f.field}: {f.message}")
        lines.append(f"          fix: {f.hint}")
        if f.refs:
            lines.append(f"          same as: {', '.join(f.refs)}")
    return "\n".join(lines)
