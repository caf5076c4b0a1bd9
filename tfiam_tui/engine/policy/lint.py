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
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .catalogue import catalogue, known_managed_policy_paths, managed_document, managed_policy, managed_policy_name
from .checks import _lint_stmts
from .combinations import managed_escalation
from .findings import Finding, _finding, _ordered, _sample
from .statements import _SERVICE_WILDCARD, _from_answers, _from_document, _Stmt

REVIEW_TAGS = ("Owner", "Purpose", "Expiry")


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


def _managed_findings(arn: str, path: str) -> tuple[list[Finding], list[_Stmt]]:
    """Verdict on one attached policy ARN, and its statements: every AWS managed policy
    tfiam knows is read by its real document (the picker's, or the bundled copies of the
    others).  The one-action escalations it permits come later
    (:func:`_managed_escalations`): a Deny in another policy may take them back."""
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
    document = managed_document(name)
    label = shipped.name if shipped else known.get(lower, name).rsplit("/", 1)[-1]
    stmts = _from_document(document, "", None, managed=label, managed_path=path) if document else []
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


def _managed_escalations(perm: Any, every: list[_Stmt], found: list[Finding]) -> list[Finding]:
    """TFIAM020 warnings for the AWS managed policies attached, skipping those already an
    error (AdministratorAccess, IAMFullAccess) and those tfiam does not know."""
    cat = catalogue()
    said = {f.field for f in found if f.rule in ("TFIAM004", "TFIAM005", "TFIAM007", "TFIAM008")}
    attached = [(f"permissions.groups[{gi}].managed_policies[{pi}]", arn)
                for gi, g in enumerate(perm.groups) for pi, arn in enumerate(g.managed_policies)]
    attached += [(f"permissions.user_managed_policies[{pi}]", arn) for pi, arn in enumerate(perm.user_managed_policies)]
    out = []
    for path, arn in attached:
        name = managed_policy_name(arn)
        if name is None or path in said:
            continue
        shipped = managed_policy(name)
        known = known_managed_policy_paths().get(name.lower())
        label = shipped.name if shipped else known.rsplit("/", 1)[-1] if known else name
        out.extend(managed_escalation(label, [s for s in every if s.managed_path == path], every, cat, path))
    return out


_ATTACHED_DEFAULT_QUOTA = 10  # managed policies per user or group, adjustable up to 20


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
    found.extend(_managed_escalations(perm, every, found))
    attached = [(f"permissions.groups[{gi}].managed_policies", g.managed_policies) for gi, g in enumerate(perm.groups)]
    for path, arns in [*attached, ("permissions.user_managed_policies", perm.user_managed_policies)]:
        if len(arns) > _ATTACHED_DEFAULT_QUOTA:  # over 20 the answers are refused
            found.append(_finding("TFIAM054", path, f"{len(arns)} managed policies attached here; IAM's default quota "
                                  f"is {_ATTACHED_DEFAULT_QUOTA}", "ask AWS for the quota increase (up to 20) before "
                                  "the apply, or merge the policies into a custom one", severity="warning"))

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
