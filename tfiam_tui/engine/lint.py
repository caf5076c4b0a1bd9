"""The built-in IAM linter: what a careful security reviewer would say, offline.

Pure: answers (or statements, or a policy document) in, :class:`Finding` objects out.
The only I/O is reading the bundled data (:mod:`.catalogue`).  Three entry points:

``lint(answers)``
    Every rule over a whole answers file: the custom policies' statements, the managed
    policies attached, the user, its credentials, tags and state backend.  Combinations
    (``iam:PassRole`` with ``ec2:RunInstances``...) are found across every policy the user
    gets, including the documents of the AWS managed policies tfiam ships.

``lint_statements(statements, field=...)``
    The statement rules alone, for the wizard to call live while the operator builds a
    custom policy: takes :class:`~.answers.Statement` objects or plain mappings (``effect``,
    ``actions``, ``resources``; missing keys are fine, so a half-typed statement lints),
    and reports field paths under ``field`` (``statements[1].actions[2]``).  Fast after
    the first call (the catalogue loads once, in about 50 ms).

``lint_policy_document(document, field=...)``
    The same rules over a raw IAM policy document (a dict or JSON text, ``Action`` or
    ``NotAction``, strings or lists, ``Condition``); paths like ``Statement[0].Action[1]``.
    Never raises on odd input: what is not a policy document is a finding.

Findings come back in a stable order: by field path (list indices numerically), then rule
id, then message.  Every rule is listed in :data:`RULES` and in the README ("Linting").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field as dc_field
from typing import Any

from .catalogue import (
    Catalogue,
    catalogue,
    known_managed_policy_paths,
    managed_policy,
    managed_policy_name,
)

SEVERITIES = ("error", "warning", "info")
JSON_FORMAT_VERSION = 1

# --------------------------------------------------------------------------- rules


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
        Rule("TFIAM030", "action that returns credentials", "info", ("CKV_AWS_287",)),
        Rule("TFIAM040", "unknown service prefix", "error"),
        Rule("TFIAM041", "unknown action", "error"),
        Rule("TFIAM042", "malformed action", "error"),
        Rule("TFIAM043", "malformed policy document", "error"),
        Rule("TFIAM050", "policy attached to the user directly", "warning", ("CKV_AWS_40", "AWS-0143")),
        Rule("TFIAM051", "console password and access key on one user", "warning"),
        Rule("TFIAM052", "console user without MFA enforcement", "warning", ("AWS-0123",)),
        Rule("TFIAM053", "MFA enforcement on an access key", "warning"),
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


# --------------------------------------------------------------------------- knowledge

# Rhino Security Labs' methods (as cloudsplaining and parliament encode them) that need one action.
ESCALATION_ACTIONS: dict[str, str] = {
    "iam:CreatePolicyVersion": "write a new default version of a policy attached to it, with any permissions",
    "iam:SetDefaultPolicyVersion": "switch a policy to an older, broader version",
    "iam:CreateAccessKey": "create an access key for another user and act as that user",
    "iam:CreateLoginProfile": "give another user a console password and sign in as them",
    "iam:UpdateLoginProfile": "reset another user's console password and sign in as them",
    "iam:AddUserToGroup": "add itself to a more privileged group",
    "iam:AttachUserPolicy": "attach AdministratorAccess to itself",
    "iam:AttachGroupPolicy": "attach AdministratorAccess to its own group",
    "iam:AttachRolePolicy": "attach AdministratorAccess to a role it can assume",
    "iam:PutUserPolicy": "write an inline administrator policy on itself",
    "iam:PutGroupPolicy": "write an inline administrator policy on its own group",
    "iam:PutRolePolicy": "write an inline administrator policy on a role it can assume",
    "iam:UpdateAssumeRolePolicy": "make a privileged role trust it, then assume that role",
    "glue:UpdateDevEndpoint": "put its SSH key on a Glue endpoint that runs with a privileged role",
    "lambda:UpdateFunctionCode": "run its own code in a Lambda function that has a privileged role",
}

# Acting on one's own user (``user/${aws:username}``) with these is self-service, not escalation.
_SELF_SERVICE = {"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile"}

# iam:PassRole plus any one of these lets the user run code as a role it passes.
PASSROLE_COMBOS: list[tuple[tuple[str, ...], str]] = [
    (("ec2:RunInstances",), "start an EC2 instance with a privileged instance profile"),
    (("ec2:RequestSpotInstances",), "start a spot instance with a privileged instance profile"),
    (("lambda:CreateFunction", "lambda:InvokeFunction"), "create a Lambda function with a privileged role and invoke it"),
    (("lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
     "create a Lambda function with a privileged role and trigger it from an event source"),
    (("lambda:CreateFunction", "lambda:AddPermission"),
     "create a Lambda function with a privileged role and let itself invoke it"),
    (("glue:CreateDevEndpoint",), "create a Glue development endpoint with a privileged role"),
    (("glue:CreateJob", "glue:StartJobRun"), "create and run a Glue job with a privileged role"),
    (("glue:CreateJob", "glue:CreateTrigger"), "create a Glue job with a privileged role and trigger it"),
    (("glue:UpdateJob", "glue:StartJobRun"), "give a Glue job a privileged role and run it"),
    (("glue:UpdateJob", "glue:CreateTrigger"), "give a Glue job a privileged role and trigger it"),
    (("cloudformation:CreateStack",), "create a CloudFormation stack that runs with a privileged role"),
    (("cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"),
     "deploy a CloudFormation stack set with a privileged role"),
    (("cloudformation:UpdateStackSet",), "give a CloudFormation stack set a privileged role"),
    (("datapipeline:CreatePipeline",), "create a Data Pipeline that runs with a privileged role"),
    (("ecs:RegisterTaskDefinition", "ecs:RunTask"), "run an ECS task with a privileged task role"),
    (("ecs:RegisterTaskDefinition", "ecs:StartTask"), "start an ECS task with a privileged task role"),
    (("ecs:RegisterTaskDefinition", "ecs:CreateService"), "create an ECS service with a privileged task role"),
    (("codebuild:CreateProject", "codebuild:StartBuild"), "run a CodeBuild project with a privileged role"),
    (("codebuild:CreateProject", "codebuild:StartBuildBatch"), "run a CodeBuild batch with a privileged role"),
    (("sagemaker:CreateNotebookInstance",), "create a SageMaker notebook with a privileged role"),
    (("sagemaker:CreateTrainingJob",), "run a SageMaker training job with a privileged role"),
    (("sagemaker:CreateProcessingJob",), "run a SageMaker processing job with a privileged role"),
    (("apprunner:CreateService",), "create an App Runner service with a privileged role"),
]

# Read actions that leak data when unconstrained (cloudsplaining's data-exfiltration list).
DATA_EXFILTRATION = {"s3:getobject", "ssm:getparameter", "ssm:getparameters", "ssm:getparametersbypath",
                     "secretsmanager:getsecretvalue"}

REVIEW_TAGS = ("Owner", "Purpose", "Expiry")

_ACTION_SHAPE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$")
_ALL_ACTIONS = re.compile(r"^\*+(:\*+)?$")
_SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*+$")
_SELF_USER = re.compile(r":user/(.*/)?\$\{aws:username\}$")


def _sample(names: Iterable[str], n: int = 4) -> str:
    names = list(names)
    head = ", ".join(names[:n])
    return head + (f" and {len(names) - n} more" if len(names) > n else "")


# --------------------------------------------------------------------------- statements


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
    conditional: bool = False
    managed: str | None = None  # name of the AWS managed policy this statement came from
    managed_path: str = ""

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    def broad(self) -> bool:
        """True when nothing narrows who or what it applies to: no condition, and a
        resource that is ``*``, a wildcard over a whole resource type, or NotResource."""
        if self.conditional:
            return False
        if self.not_resources or not self.resources:
            return True
        return any(_broad_resource(r.value) for r in self.resources)

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


def _broad_resource(resource: str) -> bool:
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    tail = parts[5] if len(parts) == 6 else resource
    return "*" in tail and "${aws:username}" not in tail


def _self_only(stmt: _Stmt) -> bool:
    return bool(stmt.resources) and not stmt.not_resources and all(
        _SELF_USER.search(r.value) for r in stmt.resources
    )


def _strings(value: Any) -> list[str] | None:
    """A policy element as a list of strings; ``None`` when it is neither."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
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
    raw = document["Statement"]
    listed = isinstance(raw, list)
    raw = raw if listed else [raw]
    out = []
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
                bad(f"{path}.{key}", "must be a string or a list of strings")
                values = []
            listed_key = isinstance(st[key], list)
            elements[key] = [_Entry(v, f"{path}.{key}[{j}]" if listed_key else f"{path}.{key}")
                             for j, v in enumerate(values)]
        if not elements["Action"] and not elements["NotAction"]:
            bad(path, "has neither Action nor NotAction")
            continue
        out.append(_Stmt(path, effect, elements["Action"], elements["NotAction"], elements["Resource"],
                         elements["NotResource"], conditional=bool(st.get("Condition")),
                         managed=managed, managed_path=managed_path))
    return out


# --------------------------------------------------------------------------- statement rules


def _denied(stmts: list[_Stmt], cat: Catalogue, action: str) -> bool:
    """An unconditional Deny on every resource removes ``action`` whatever allows it."""
    return any(
        not s.allow and not s.conditional and not s.not_resources
        and any(r.value == "*" for r in s.resources) and s.grants(cat, action) is not None
        for s in stmts
    )


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


def _check_statement(stmt: _Stmt, cat: Catalogue, context: list[_Stmt]) -> list[Finding]:
    """Every per-statement rule.  ``context``: all statements the principal gets (for Deny)."""
    found = _check_action_names(stmt, cat)
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
    if stmt.not_resources:
        found.append(_finding("TFIAM012", stmt.path, "Allow with NotResource applies to every other resource",
                              "list the resources instead"))
    restrictable: dict[str, Any] = {}
    for entry in stmt.actions:
        value = entry.value
        subsumed = False
        if _ALL_ACTIONS.match(value):
            subsumed = True
            if star_resource is not None and not stmt.conditional:
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
        serious = bool(writes or exfil) and not stmt.conditional
        detail = "write" if writes else "data-reading" if exfil else ""
        shown = writes or exfil or names
        found.append(_finding(
            "TFIAM011", star_resource.path,
            f"Resource '*' on {len(names)} {detail + ' ' if detail else ''}action(s) that can be limited to "
            f"specific resources: {_sample(shown)}",
            "name the ARNs (e.g. arn:aws:s3:::my-bucket/*) or a pattern; keep '*' only for actions that "
            "cannot take a resource", severity="warning" if serious else "info", extra_refs=refs))
    return found


def _escalations(entry: _Entry, stmt: _Stmt, cat: Catalogue,
                 context: list[_Stmt]) -> tuple[Finding | None, set[str]]:
    """The single-action escalations one action entry allows, as one finding (and the set)."""
    hits = []
    for action, how in ESCALATION_ACTIONS.items():
        covered = cat.covers(entry.value, action) if entry.value else stmt.grants(cat, action) is not None
        if not covered or _denied(context, cat, action):
            continue
        if action.lower() in _SELF_SERVICE and _self_only(stmt):
            continue
        hits.append((action, how))
    if not hits:
        return None, set()
    names = _sample(a for a, _ in hits)
    if not entry.value:  # a NotAction statement
        covered = f" (NotAction leaves {names} allowed)"
    else:
        covered = "" if [a for a, _ in hits] == [entry.value] else f" ({entry.value!r} covers {names})"
    action, how = hits[0]
    scope = "" if stmt.broad() else " (scoped by its resources or a condition: check what they allow)"
    return _finding(
        "TFIAM020", entry.path,
        f"privilege escalation: {action} lets this user {how}{covered}{scope}",
        "remove it, or scope it to resources this user may fully control; administer IAM from a separate "
        "role assumed with MFA",
        severity="error" if stmt.broad() else "warning"), {a for a, _ in hits}


def _check_combos(stmts: list[_Stmt], cat: Catalogue) -> list[Finding]:
    """iam:PassRole together with a service that runs code as the passed role."""
    passers = [(s, s.grants(cat, "iam:PassRole")) for s in stmts if s.allow]
    passers = [(s, where) for s, where in passers if where is not None]
    if not passers or _denied(stmts, cat, "iam:PassRole"):
        return []

    def granted_at(action: str) -> str | None:
        if _denied(stmts, cat, action):
            return None
        for s in stmts:
            if s.allow and (where := s.grants(cat, action)) is not None:
                return where
        return None

    reached = []
    for actions, how in PASSROLE_COMBOS:
        wheres = [granted_at(a) for a in actions]
        if all(w is not None for w in wheres):
            reached.append((actions, how, wheres))
    if not reached:
        return []
    found = []
    seen: set[str] = set()
    for stmt, where in passers:
        if where in seen:
            continue
        seen.add(where)
        actions, how, wheres = reached[0]
        others = sorted({w for _, _, ws in reached for w in ws} - {where})
        also = f" (granted at {', '.join(others)})" if others else ""
        more = f"; {len(reached) - 1} more such combination(s)" if len(reached) > 1 else ""
        source = f"{stmt.managed} grants iam:PassRole" if stmt.managed else "iam:PassRole"
        scope = "" if stmt.broad() else " (PassRole is scoped by its resources or a condition: check which roles)"
        found.append(_finding(
            "TFIAM021", where,
            f"privilege escalation: {source} with {' + '.join(actions)}{also} lets this user {how}{more}{scope}",
            "scope iam:PassRole to the one role the job needs (Resource: that role's ARN, Condition: "
            "iam:PassedToService), or drop it",
            severity="error" if stmt.broad() else "warning"))
    return found


def _lint_stmts(stmts: list[_Stmt], cat: Catalogue, own: Iterable[_Stmt] | None = None) -> list[Finding]:
    found: list[Finding] = []
    for stmt in (stmts if own is None else own):
        found.extend(_check_statement(stmt, cat, stmts))
    found.extend(_check_combos(stmts, cat))
    return found


def lint_statements(statements: Iterable[Any], *, field: str = "statements") -> list[Finding]:
    """Lint a custom policy's statements (answers ``Statement`` objects or mappings with
    ``effect``, ``actions``, ``resources``).  Paths are ``{field}[i].actions[j]`` etc.

    The wizard calls this on every edit of a statement, with ``field`` set to where the
    statements live in the answers (``permissions.groups[0].custom_policy.statements``).
    """
    cat = catalogue()
    return _ordered(_lint_stmts(_from_answers(statements, field), cat))


def lint_policy_document(document: Any, *, field: str = "") -> list[Finding]:
    """Lint a raw IAM policy document (dict or JSON text).  Never raises on odd input."""
    cat = catalogue()
    found: list[Finding] = []
    stmts = _from_document(document, field, found)
    found.extend(_lint_stmts(stmts, cat))
    return _ordered(found)


# --------------------------------------------------------------------------- answers rules


def _managed_findings(arn: str, path: str) -> tuple[list[Finding], list[_Stmt]]:
    """Verdict on one attached policy ARN, and its statements (when tfiam ships them)."""
    name = managed_policy_name(arn)
    if name is None:
        return [_finding("TFIAM007", path, f"{arn} is a customer managed policy; tfiam cannot read it offline",
                         "review its document yourself (aws iam get-policy-version), or describe the "
                         "permissions as a custom_policy so tfiam can check them")], []
    known = known_managed_policy_paths()
    if known and name.lower() not in known:
        from difflib import get_close_matches

        close = get_close_matches(name.lower(), list(known), n=1, cutoff=0.8)
        if close:
            right = f"arn:aws:iam::aws:policy/{known[close[0]]}"
            return [_finding("TFIAM008", path, f"there is no AWS managed policy {name!r}; did you mean {right}?",
                             f"use {right}; attaching a policy that does not exist fails the apply")], []
        return [_finding("TFIAM008", path, f"{name!r} is not an AWS managed policy tfiam knows",
                         "check the name in the IAM console; if the policy is newer than tfiam's list, "
                         "ignore this", severity="warning")], []
    found = []
    lower = name.lower()
    shipped = managed_policy(name)
    stmts = (_from_document(shipped.document, "", None, managed=shipped.name, managed_path=path)
             if shipped and shipped.document else [])
    if lower == "administratoraccess":
        found.append(_finding("TFIAM004", path, "AdministratorAccess gives this user every permission in the account",
                              "grant what the job needs; keep administrator access in a role assumed with MFA"))
    elif lower == "iamfullaccess":
        found.append(_finding("TFIAM005", path, "IAMFullAccess lets this user grant itself any permission",
                              "grant only the IAM actions needed, scoped to the users, groups or roles concerned"))
    elif lower == "poweruseraccess":
        found.append(_finding(
            "TFIAM006", path,
            "PowerUserAccess is broad: every action of every service except IAM, Organizations and Account, "
            "including running code as existing roles (lambda:UpdateFunctionCode)",
            "replace it with a custom policy listing what the job needs (run the job once with CloudTrail, "
            "or IAM Access Analyzer's policy generation, to find out)"))
    else:
        wild = sorted({e.value for s in stmts if s.allow and s.broad() for e in s.actions
                       if _SERVICE_WILDCARD.match(e.value)})
        if wild or lower.endswith("fullaccess"):
            what = f"grants {_sample(wild)} on every resource" if wild else "grants full access to a service"
            found.append(_finding("TFIAM006", path, f"{name} {what}",
                                  "use the service's read-only policy, or a custom policy scoped to your resources"))
    return found, stmts


def _tag_findings(tags: Mapping[str, str], today: dt.date) -> list[Finding]:
    found = []
    lowered = {k.lower(): k for k in tags}
    for wanted in REVIEW_TAGS:
        if wanted.lower() not in lowered:
            found.append(_finding(
                "TFIAM060", "user.tags", f"no {wanted} tag",
                {"Owner": "add Owner: the person or team answerable for this user",
                 "Purpose": "add Purpose: what this user is for, so a reviewer can judge its permissions",
                 "Expiry": "add Expiry: YYYY-MM-DD, the date to review or remove this user"}[wanted]))
    if "expiry" in lowered:
        key = lowered["expiry"]
        value = tags[key].strip()
        try:
            when = dt.date.fromisoformat(value[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}", value) else None
        except ValueError:
            when = None
        if when is None:
            found.append(_finding("TFIAM062", f"user.tags.{key}", f"{tags[key]!r} is not a date",
                                  "write the date as YYYY-MM-DD (quoted in YAML), e.g. \"2027-06-30\""))
        elif when < today:
            found.append(_finding("TFIAM061", f"user.tags.{key}",
                                  f"the Expiry date {when.isoformat()} has passed: this user is due for removal",
                                  "remove the user, or confirm with its Owner and set a new Expiry"))
    return found


def _backend_findings(backend: Any) -> list[Finding]:
    """State rules; they read the remote backend's settings when the answers have one."""
    kind = getattr(backend, "type", "local")
    if kind in (None, "local"):
        return []
    found = []
    if getattr(backend, "encrypt", True) is False:
        found.append(_finding("TFIAM080", "backend.encrypt",
                              "the state holds the user's ARN, tags and encrypted secrets; it is not encrypted at rest",
                              "set encrypt: true (and kms_key_id for a customer managed key)"))
    lockfile = getattr(backend, "use_lockfile", None)
    table = getattr(backend, "dynamodb_table", None)
    if not lockfile and not table:
        found.append(_finding("TFIAM081", "backend.use_lockfile",
                              "no state locking: two runs at once can corrupt the state",
                              "set use_lockfile: true (S3 native locking, Terraform >= 1.10)"))
    if table:
        found.append(_finding("TFIAM082", "backend.dynamodb_table",
                              "DynamoDB state locking is deprecated in Terraform >= 1.10",
                              "set use_lockfile: true and drop dynamodb_table (and the table, once no older "
                              "Terraform uses it)"))
    return found


def lint(answers: Any, *, today: dt.date | None = None) -> list[Finding]:
    """Every rule over a validated :class:`~.answers.Answers`.  ``today`` is for the
    Expiry rule (default: the local date)."""
    cat = catalogue()
    today = today or dt.date.today()
    found: list[Finding] = []
    perm, auth, user = answers.permissions, answers.authentication, answers.user

    own: list[_Stmt] = []
    every: list[_Stmt] = []
    for gi, group in enumerate(perm.groups):
        for pi, arn in enumerate(group.managed_policies):
            verdicts, stmts = _managed_findings(arn, f"permissions.groups[{gi}].managed_policies[{pi}]")
            found.extend(verdicts)
            every.extend(stmts)
        if group.custom_policy is not None:
            stmts = _from_answers(group.custom_policy.statements, f"permissions.groups[{gi}].custom_policy.statements")
            own.extend(stmts)
            every.extend(stmts)
    for pi, arn in enumerate(perm.user_managed_policies):
        path = f"permissions.user_managed_policies[{pi}]"
        verdicts, stmts = _managed_findings(arn, path)
        found.extend(verdicts)
        every.extend(stmts)
        found.append(_finding("TFIAM050", path, f"{arn} is attached to the user directly",
                              "attach it to a group (permissions.groups[].managed_policies) and put the user in it"))
    found.extend(_lint_stmts(every, cat, own))

    if auth.console and auth.access_key:
        found.append(_finding("TFIAM051", "authentication",
                              "this user gets both a console password and an access key",
                              "give people console access (with MFA) and automation an access key; split "
                              "them into two users unless there is a strong reason"))
    enforce_mfa = bool(getattr(auth, "enforce_mfa", False))
    if auth.console and not enforce_mfa:
        found.append(_finding("TFIAM052", "authentication.enforce_mfa",
                              "a console user without MFA enforcement can use a leaked password alone",
                              "set enforce_mfa: true: the user joins a group that denies everything but setting "
                              "up MFA until they sign in with it"))
    if enforce_mfa and auth.access_key:
        found.append(_finding("TFIAM053", "authentication.enforce_mfa",
                              "with enforce_mfa, calls made with the access key alone are denied",
                              "fine for a person who uses 'aws sts get-session-token --serial-number ...'; for "
                              "automation, turn enforce_mfa off"))
    if (auth.access_key or auth.console) and not auth.pgp_key:
        found.append(_finding("TFIAM071", "authentication.pgp_key",
                              "a credential is created but there is no PGP key to encrypt it to",
                              "set pgp_key to your key's fingerprint, e-mail or public key file"))

    found.extend(_tag_findings(user.tags, today))
    if user.permissions_boundary is None:
        found.append(_finding("TFIAM070", "user.permissions_boundary", "no permissions boundary",
                              "set a boundary policy as a ceiling on what any policy can grant this user "
                              "(e.g. one that denies IAM and Organizations changes)"))
    found.extend(_backend_findings(answers.backend))
    found.append(_finding(
        "TFIAM090", "user",
        "an IAM user has long-lived credentials; checkov's CKV_AWS_273 flags every one",
        "prefer IAM Identity Center (SSO) for people and roles (e.g. OIDC from CI) for automation; keep IAM "
        "users for what cannot use either"))
    return _ordered(found)


# --------------------------------------------------------------------------- output

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
