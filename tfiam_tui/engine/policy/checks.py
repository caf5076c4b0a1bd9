"""The statement rules: action names, wildcards, escalation and exfiltration in one
statement, and escalation combinations across every statement the user gets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .catalogue import Catalogue
from .combinations import _denied, _wholly_denied, check_combinations, counts_for
from .conditions import check_conditions
from .escalation import DATA_EXFILTRATION, ESCALATION_ACTIONS, SINGLE_PATHS
from .findings import Finding, _finding, _sample
from .resources import mismatches
from .statements import _ACTION_SHAPE, _ALL_ACTIONS, _SERVICE_WILDCARD, _Entry, _Stmt


def _check_action_names(stmt: _Stmt, cat: Catalogue) -> list[Finding]:
    found = []
    for entry in [*stmt.actions, *stmt.not_actions]:
        value = entry.value
        if _ALL_ACTIONS.match(value):
            continue
        if not _ACTION_SHAPE.match(value):
            found.append(_finding(
                "TFIAM042", entry.path, f"{value!r} is not an IAM action",
                "write service:Action, e.g. s3:GetObject (wildcards * and ? allowed), or '*'"))
            continue
        prefix, _, name = value.partition(":")
        if cat.service_name(prefix) is None:
            close = cat.suggest_service(prefix)
            if close:
                found.append(_finding("TFIAM040", entry.path, f"{value!r}: no AWS service has the prefix {prefix!r}",
                                      f"did you mean {close}:{name}?"))
            else:
                found.append(_finding(
                    "TFIAM040", entry.path, f"{value!r}: {prefix!r} is not a service prefix tfiam knows",
                    "check the prefix in the Service Authorization Reference; if the service is newer than "
                    "tfiam's catalogue, ignore this", severity="warning"))
            continue
        if prefix.lower() in cat.retired:
            found.append(_finding(
                "TFIAM040", entry.path, f"{value!r}: {cat.service_name(prefix)} ({prefix}) is no longer in AWS's "
                "Service Authorization Reference (retired or renamed), so this grants nothing",
                "remove it, or use the service's current prefix", severity="warning"))
            continue
        if cat.expand(value):
            continue
        wildcard = "*" in name or "?" in name
        close = None if wildcard else cat.suggest_action(value)
        what = f"matches no {prefix} action" if wildcard else f"is not a {prefix} action"
        if close:
            found.append(_finding("TFIAM041", entry.path, f"{value!r} {what}; did you mean {close}?",
                                  f"use {close}: IAM ignores unknown actions, so this grants nothing"))
        else:
            found.append(_finding(
                "TFIAM041", entry.path, f"{value!r} {what} in tfiam's catalogue",
                f"check the spelling against the {cat.service_name(prefix)} actions; if the action is newer than "
                "tfiam's catalogue, ignore this", severity="warning"))
    return found


def _check_resource_fit(stmt: _Stmt) -> list[Finding]:
    """TFIAM044: an action no resource of its statement can be.  AWS's own documents are
    not the operator's to fix; a statement with NotAction or NotResource is not checked."""
    if stmt.managed or stmt.not_actions or stmt.not_resources:
        return []
    found = []
    for m in mismatches([e.value for e in stmt.actions], [r.value for r in stmt.resources], deny=not stmt.allow):
        # An action recorded as taking only '*' may have gained resource types since the data;
        # one on its own service's ARN may have a type the data lacks.
        weak = (not m.services and not m.types) or m.own_service_unlisted
        found.append(_finding("TFIAM044", stmt.actions[m.index].path, m.message(),
                              m.fix() + ("; if AWS added resource types for it since tfiam's data, ignore this"
                                         if weak else ""), severity="warning" if weak else "error"))
    return found


def _check_statement(stmt: _Stmt, cat: Catalogue, context: list[_Stmt]) -> list[Finding]:
    """Every per-statement rule.  ``context``: all statements the principal gets (for Deny)."""
    found = _check_action_names(stmt, cat)
    found.extend(_check_resource_fit(stmt))
    if not stmt.managed:  # AWS's own documents are IAM's to vouch for
        found.extend(check_conditions(stmt, cat))
    if not stmt.allow:
        return found
    star_resource = next((r for r in stmt.resources if r.value == "*"), None)
    if stmt.not_actions:
        found.append(_finding(
            "TFIAM012", stmt.path,
            f"Allow with NotAction grants every action except {_sample(e.value for e in stmt.not_actions)}",
            "list the actions to allow instead; NotAction also grants every action AWS adds later"))
        escalation, _ = _escalations(_Entry("", stmt.path), stmt, cat, context)
        if escalation:
            found.append(escalation)
        found.extend(_notaction_leaves_iam(stmt, cat, context))
    if stmt.not_resources:
        found.append(_finding("TFIAM012", stmt.path, "Allow with NotResource applies to every other resource",
                              "list the resources instead"))
    restrictable: dict[str, Any] = {}
    for entry in stmt.actions:
        value = entry.value
        subsumed = False
        if (_ALL_ACTIONS.match(value) or _SERVICE_WILDCARD.match(value)) and _wholly_denied(context, cat, value):
            continue  # an unconditional Deny on '*' takes back everything it covers: nothing is granted
        if _SERVICE_WILDCARD.match(value) and value.split(":", 1)[0].lower() == "iam" and not any(
                action.lower().startswith("iam:") and not _denied(context, cat, action)
                for action in ESCALATION_ACTIONS):
            # iam:* with every IAM way up denied: broad, no longer a way to grant itself anything
            found.append(_finding(
                "TFIAM010", entry.path, f"{value!r} allows every IAM action the Deny statements leave, none of "
                "them a way to grant itself more", "list the IAM actions needed"))
            subsumed = True
        elif _ALL_ACTIONS.match(value):
            subsumed = True
            if star_resource is not None and not stmt.narrowed():
                found.append(_finding(
                    "TFIAM001", entry.path, f"{value!r} on Resource '*' is full administrator access",
                    "grant the actions this user needs on the resources it needs; for occasional admin work "
                    "use a role assumed with MFA"))
            else:
                found.append(_finding(
                    "TFIAM002", entry.path, f"{value!r} allows every action of every AWS service",
                    "list the actions this user needs"))
        elif _SERVICE_WILDCARD.match(value):
            prefix = value.split(":", 1)[0]
            if prefix.lower() == "iam":
                subsumed = True
                found.append(_finding(
                    "TFIAM003", entry.path, f"{value!r} allows every IAM action: this user can grant itself anything",
                    "list the IAM actions needed, scoped to the users, groups or roles they concern"))
            elif cat.service_name(prefix):
                n = len(cat.actions_of(prefix))
                found.append(_finding(
                    "TFIAM010", entry.path, f"{value!r} allows all {n} actions of {cat.service_name(prefix)}",
                    f"list the {prefix} actions this user needs (e.g. {prefix}:Get*, {prefix}:List* for reading)"))
        escalation, escalating = _escalations(entry, stmt, cat, context)
        if escalation:
            found.append(escalation)
        if not subsumed:
            exposing = [a for a in cat.expand(value) if a.lower() in cat.credentials_exposure
                        and a not in escalating and not _denied(context, cat, a)]
            if exposing:
                found.append(_finding(
                    "TFIAM030", entry.path,
                    f"{_sample(exposing)} {'returns' if len(exposing) == 1 else 'return'} credentials "
                    f"to the caller{'' if value in exposing else f' (covered by {value!r})'}",
                    "fine when the job needs it (e.g. docker login to ECR); keep it to the users that do"))
            if star_resource is not None:
                for name in cat.expand(value):
                    info = cat.lookup(name)
                    if info and info.restrictable:
                        restrictable[name] = info
    if star_resource is not None and restrictable:
        names = sorted(restrictable)
        writes = [n for n in names if restrictable[n].level in ("Write", "Permissions management", "Tagging")]
        exfil = [n for n in names if n.lower() in DATA_EXFILTRATION]
        refs = []
        if writes:
            refs.append("CKV_AWS_290")
        if any(restrictable[n].level == "Permissions management" for n in names):
            refs.append("CKV_AWS_289")
        if exfil:
            refs.append("CKV_AWS_288")
        serious = bool(writes or exfil) and not stmt.narrowed()
        detail = "write" if writes else "data-reading" if exfil else ""
        shown = writes or exfil or names
        rest = f" (and {len(names) - len(shown)} other action(s))" if len(shown) < len(names) else ""
        found.append(_finding(
            "TFIAM011", star_resource.path,
            f"Resource '*' on {len(shown)} {detail + ' ' if detail else ''}action(s) that can be limited to "
            f"specific resources: {_sample(shown)}{rest}",
            "name the ARNs (e.g. arn:aws:s3:::my-bucket/*) or a pattern; keep '*' only for actions that "
            "cannot take a resource", severity="warning" if serious else "info", extra_refs=refs))
    return found


def _notaction_leaves_iam(stmt: _Stmt, cat: Catalogue, context: list[_Stmt]) -> list[Finding]:
    """TFIAM003 for an Allow NotAction that excludes none of IAM's permissions-management
    actions (``NotAction: ["s3:*", "ec2:*"]``, ``NotAction: iam:GetUser``): it allows them
    all, so, like ``iam:*``, it lets this user grant itself anything."""
    if not stmt.broad():
        return []
    managing = [a for a in cat.actions_of("iam") if (info := cat.lookup(a)) and info.level == "Permissions management"]
    left = [a for a in managing if stmt.grants(cat, a) is not None and not _denied(context, cat, a)]
    if len(left) < len(managing):
        return []
    return [_finding(
        "TFIAM003", stmt.path, f"Allow with NotAction leaves all {len(managing)} of IAM's permissions-management "
        f"actions allowed ({_sample(left)}): this user can grant itself anything",
        "list the actions to allow instead of those to leave out")]


def _escalations(entry: _Entry, stmt: _Stmt, cat: Catalogue,
                 context: list[_Stmt]) -> tuple[Finding | None, set[str]]:
    """The one-action escalations one action entry allows, as one finding (and the set)."""
    hits = []
    for path in SINGLE_PATHS:
        action = path.actions[0]
        covered = cat.covers(entry.value, action) if entry.value else stmt.grants(cat, action) is not None
        if covered and not _denied(context, cat, action) and counts_for(stmt, action, path):
            hits.append(path)
    if not hits:
        return None, set()
    names = _sample(p.actions[0] for p in hits)
    if not entry.value:  # a NotAction statement
        coverage = f" (NotAction leaves {names} allowed)"
    else:
        coverage = "" if [p.actions[0] for p in hits] == [entry.value] else f" ({entry.value!r} covers {names})"
    path = next((p for p in hits if stmt.broad(p.passed_to, p.on_self)), hits[0])
    broad = stmt.broad(path.passed_to, path.on_self)
    scope = "" if broad else " (scoped by its resources or a condition: check what they allow)"
    return _finding(
        "TFIAM020", entry.path,
        f"privilege escalation: {path.actions[0]} lets this user {path.how}{coverage}{scope} [{path.id}]",
        "remove it, or scope it to resources this user may fully control; administer IAM from a separate "
        "role assumed with MFA",
        severity="error" if broad else "warning"), {p.actions[0] for p in hits}


def _lint_stmts(stmts: list[_Stmt], cat: Catalogue, own: Iterable[_Stmt] | None = None) -> list[Finding]:
    found: list[Finding] = []
    for stmt in (stmts if own is None else own):
        found.extend(_check_statement(stmt, cat, stmts))
    found.extend(check_combinations(stmts, cat))
    return found
