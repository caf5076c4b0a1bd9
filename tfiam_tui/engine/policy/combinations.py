"""Escalation paths over every statement a principal gets: when a grant counts for a path
(self-service, AWS managed policy ARNs, the ``unscoped`` actions), what an unconditional
Deny takes back, the paths that need more than one action (TFIAM021 with iam:PassRole,
TFIAM022 without), and the one-action paths of AWS managed policies (TFIAM020, a warning:
the operator did not write them, but the finding names the path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .catalogue import Catalogue
from .escalation import _SELF_SERVICE, COMBINED_PATHS, SINGLE_PATHS, EscalationPath, managed_policy_paths
from .findings import Finding, _finding, _sample
from .scope import any_of_its_type
from .statements import _self_only, _Stmt

_VERSIONING = {"iam:createpolicyversion", "iam:setdefaultpolicyversion"}
_AWS_MANAGED_POLICY = re.compile(r"arn:[^:]*:iam::aws:policy/.*")


def _unconditional_denies(stmts: list[_Stmt]) -> list[_Stmt]:
    """The Deny statements on every resource, without a condition: what they cover is gone
    whatever allows it."""
    return [s for s in stmts if not s.allow and not s.conditional and not s.not_resources
            and any(r.value == "*" for r in s.resources)]


def _denied(stmts: list[_Stmt], cat: Catalogue, action: str) -> bool:
    return any(d.grants(cat, action) is not None for d in _unconditional_denies(stmts))


def _wholly_denied(stmts: list[_Stmt], cat: Catalogue, pattern: str) -> bool:
    """Whether the unconditional Denies cover every action ``pattern`` covers."""
    denies = _unconditional_denies(stmts)
    names = cat.expand(pattern) if denies else ()
    return bool(names) and all(any(d.grants(cat, name) is not None for d in denies) for name in names)


def counts_for(stmt: _Stmt, action: str, path: EscalationPath) -> bool:
    """Whether a statement that covers ``action`` gives it in a way that serves ``path``."""
    low = action.lower()
    if low in _SELF_SERVICE and _self_only(stmt):
        return False  # its own keys and password: self-service
    if low in _VERSIONING and stmt.resources and not stmt.not_resources and all(
            _AWS_MANAGED_POLICY.match(r.value) for r in stmt.resources):
        return False  # customers cannot version AWS managed policies
    return low not in path.unscoped or _on_any(stmt, path)


def _on_any(stmt: _Stmt, path: EscalationPath) -> bool:
    """An ``unscoped`` action counts only on every resource of its type, unconditionally:
    sts:AssumeRole on one role name (in one account or all) is the ordinary use."""
    if stmt.narrowed(path.passed_to):
        return False
    return bool(stmt.not_resources) or not stmt.resources or any(any_of_its_type(r.value) for r in stmt.resources)


def _grant(stmts: list[_Stmt], cat: Catalogue, action: str, path: EscalationPath) -> tuple[_Stmt, str] | None:
    for s in stmts:
        if s.allow and (where := s.grants(cat, action)) is not None and counts_for(s, action, path):
            return s, where
    return None


def _reach(stmts: list[_Stmt], cat: Catalogue, path: EscalationPath) -> list[tuple[_Stmt, str]] | None:
    """Where each action of ``path`` is granted, or ``None`` when one is missing or denied."""
    grants = []
    for action in path.actions:
        hit = None if _denied(stmts, cat, action) else _grant(stmts, cat, action, path)
        if hit is None:
            return None
        grants.append(hit)
    return grants


def _lower(path: EscalationPath) -> set[str]:
    return {a.lower() for a in path.actions}


def _minimal(reached: list[tuple[EscalationPath, list[tuple[_Stmt, str]]]], known: set[str]
             ) -> list[tuple[EscalationPath, list[tuple[_Stmt, str]]]]:
    """Drop a path that needs more than another one reached (or a one-action path in ``known``):
    the shorter one says it."""
    return [(p, g) for p, g in reached
            if not _lower(p) & known and not any(_lower(o) < _lower(p) for o, _ in reached)]


def _one_managed(grants: list[tuple[_Stmt, str]]) -> bool:
    return all(s.managed for s, _ in grants) and len({s.managed_path for s, _ in grants}) == 1


def check_combinations(stmts: list[_Stmt], cat: Catalogue) -> list[Finding]:
    # a path one AWS managed policy permits alone is that policy's TFIAM020 (managed_escalation)
    reached = [(p, g) for p in COMBINED_PATHS if (g := _reach(stmts, cat, p)) is not None and not _one_managed(g)]
    if not reached:
        return []
    singles = {p.actions[0].lower() for p in SINGLE_PATHS if _reach(stmts, cat, p) is not None}
    passing = _minimal([(p, g) for p, g in reached if p.passes_role], set())
    others = _minimal([(p, g) for p, g in reached if not p.passes_role], singles)
    return [*_passrole_findings(stmts, cat, passing), *_combination_findings(others)]


def _passrole_findings(stmts: list[_Stmt], cat: Catalogue,
                       reached: list[tuple[EscalationPath, list[tuple[_Stmt, str]]]]) -> list[Finding]:
    """TFIAM021, once for each statement granting iam:PassRole."""
    if not reached:
        return []
    found = []
    seen: set[str] = set()
    for stmt in stmts:
        where = stmt.grants(cat, "iam:PassRole") if stmt.allow else None
        if where is None or where in seen:
            continue
        seen.add(where)
        broad = [p for p, _ in reached if stmt.broad(p.passed_to, p.on_self)]
        path = (broad or [p for p, _ in reached])[0]
        others = sorted({w for p, g in reached for a, (_, w) in zip(p.actions, g, strict=True)
                         if a.lower() != "iam:passrole"} - {where})
        also = f" (granted at {', '.join(others)})" if others else ""
        more = f"; {len(reached) - 1} more such combination(s)" if len(reached) > 1 else ""
        source = f"{stmt.managed} grants iam:PassRole" if stmt.managed else "iam:PassRole"
        scope = "" if broad else " (PassRole is scoped by its resources or a condition: check which roles)"
        found.append(_finding(
            "TFIAM021", where,
            f"privilege escalation: {source} with {' + '.join(path.needs)}{also} lets this user {path.how}"
            f"{more}{scope} [{path.id}]",
            "scope iam:PassRole to the one role the job needs (Resource: that role's ARN, Condition: "
            "iam:PassedToService), or drop it",
            severity="error" if broad and not stmt.managed else "warning"))
    return found


def _combination_findings(reached: list[tuple[EscalationPath, list[tuple[_Stmt, str]]]]) -> list[Finding]:
    """TFIAM022, once per place a path's first action is granted (``ec2:*`` reaches two)."""
    by_place: dict[str, list[tuple[EscalationPath, list[tuple[_Stmt, str]]]]] = {}
    for path, grants in reached:
        by_place.setdefault(grants[0][1], []).append((path, grants))
    found = []
    for place, paths in by_place.items():
        scoped = [(p, g) for p, g in paths if not all(s.broad(p.passed_to, p.on_self) and not s.managed for s, _ in g)]
        path, grants = next(((p, g) for p, g in paths if (p, g) not in scoped), paths[0])
        wheres = [w for w in dict.fromkeys(w for _, w in grants) if w != place]
        at = f" (granted at {', '.join(wheres)})" if wheres else ""
        more = f"; {len(paths) - 1} more such combination(s)" if len(paths) > 1 else ""
        broad = len(scoped) < len(paths)
        scope = "" if broad else " (scoped by resources, a condition or an AWS managed policy: check what they allow)"
        found.append(_finding(
            "TFIAM022", place,
            f"privilege escalation: {' + '.join(path.actions)}{at} lets this user {path.how}{more}{scope} [{path.id}]",
            "drop one of them, or scope them to resources this user may fully control",
            severity="error" if broad else "warning"))
    return found


def managed_escalation(name: str, stmts: Iterable[_Stmt], context: list[_Stmt], cat: Catalogue,
                       path: str) -> list[Finding]:
    """One TFIAM020 (a warning) naming the paths an AWS managed policy permits on its own:
    from its shipped document, or from the table when tfiam ships none."""
    own = list(stmts)
    if own:
        singles = [p for p in SINGLE_PATHS if not _denied(context, cat, p.actions[0]) and _reach(own, cat, p)]
        known = {p.actions[0].lower() for p in singles}
        combined = [(p, g) for p in COMBINED_PATHS if (g := _reach(own, cat, p)) and not _denied_any(context, cat, p)]
        hits = singles + [p for p, _ in _minimal(combined, known)]
    else:
        hits = list(managed_policy_paths(name))
    if not hits:
        return []
    first = hits[0]
    more = f"; also {_sample(_label(p) for p in hits[1:])}" if hits[1:] else ""
    return [_finding(
        "TFIAM020", path,
        f"privilege escalation: {name} permits {_label(first)}, which lets this user {first.how} [{first.id}]{more}",
        "attach it only where the job needs it and a permissions boundary caps it, or write a custom policy "
        "without these actions", severity="warning")]


def _denied_any(context: list[_Stmt], cat: Catalogue, path: EscalationPath) -> bool:
    return any(_denied(context, cat, a) for a in path.actions)


def _label(path: EscalationPath) -> str:
    if len(path.actions) == 1:
        return path.actions[0]
    return f"iam:PassRole with {' + '.join(path.needs)}" if path.passes_role else " + ".join(path.actions)
