"""``tfiam ask``: the wizard's decisions as plain questions, one a line (questionary).

For terminals where a full-screen app does not fit: a serial console, a screen reader, a
narrow pane, a logged bastion session.  Every answer is validated as it is given by the
answers model itself (the same messages as ``tfiam validate``, :mod:`.fields`), so there
is no second copy of the rules here; a bad answer is refused in full and asked again
(:mod:`.screen`).  Each question asked is recorded with a way to ask it again, so the
summary before saving (:mod:`.summary`) can change any answer.  The result is an
ordinary answers file, which ``--run`` replays exactly as ``tfiam replay`` would.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import questionary
from questionary import Choice

from ..engine import policy as lint_mod
from ..engine.text import shown
from . import fields, keys
from .fields import get_at, set_at
from .screen import ask, ask_valid, question, sayer
from .summary import Entry

DEFAULT_CHAIN = "(the default credential chain: environment, SSO, instance role)"
SUGGESTED_TAGS = ("Owner", "Purpose", "Expiry")
ACCESS = {"key": "Programmatic (access key), for automation",
          "console": "Console (password, reset at first sign-in), for a person",
          "both": "Both (don't, without a strong reason: one identity, two kinds of secret)",
          "none": "None (only the permissions; credentials come from elsewhere)"}


class Interrupted(Exception):
    """Ctrl-C at a question."""


def _label(message: str, path: str = "") -> str:
    """A question as the summary names its answer: without the hint in brackets or the colon,
    and which group and statement it belongs to (``Actions (group 1, statement 2)``)."""
    label = re.sub(r"\s*\([^)]*\)\s*$", "", message.rstrip().rstrip(":?")).rstrip(":?") or message
    where = [f"{kind} {int(n) + 1}" for kind, n in re.findall(r"(group|statement)s\[(\d+)\]", path)]
    return f"{label} ({', '.join(where)})" if where else label


class Interview:
    """Asks the questions, keeping the answers in ``self.data`` (answers-file shape) and
    every question asked in ``self.entries`` (the summary's list)."""

    def __init__(self, data: dict | None = None, *, sandbox: bool = False, say: Callable[[str], None] = print):
        self.data: dict = copy.deepcopy(data) if data else {"version": 1}
        self.data.setdefault("version", 1)
        self.sandbox = sandbox
        self.say = sayer(say)
        self.entries: list[Entry] = []
        self._insert_at: int | None = None  # while one answer is changed: where new questions go

    # ------------------------------------------------------------------ helpers

    def record(self, path: str, message: str, again: Callable[[], Any], *,
               value: Callable[[dict], str] | None = None, always: bool = False) -> None:
        """Note that the question for ``path`` was asked, and how to ask it again."""
        entry = Entry(path, _label(message, path), again, value, always)
        for i, old in enumerate(self.entries):
            if old.path == path:
                self.entries[i] = entry
                return
        if self._insert_at is None:
            self.entries.append(entry)
        else:
            self.entries.insert(self._insert_at, entry)
            self._insert_at += 1

    def change(self, entry: Entry) -> None:
        """Ask ``entry``'s question again (and the questions that depend on its answer)."""
        self._insert_at = self.entries.index(entry) + 1 if entry in self.entries else None
        try:
            entry.again()
        finally:
            self._insert_at = None

    def text(self, path: str, message: str, *, default: Any = None, transform: Callable[[str], Any] = str,
             optional: bool = False, instruction: str | None = None, record: bool = True) -> Any:
        """Ask for ``path``; validate with the model; store and return the value."""
        if record:
            self.record(path, message, lambda: self.text(path, message, default=default, transform=transform,
                                                         optional=optional, instruction=instruction))
        current = get_at(self.data, path, default)
        typed = "" if current is None else (", ".join(current) if isinstance(current, list) else str(current))

        def check(text: str) -> bool | str:
            if optional and not text.strip():
                return True
            try:
                value = transform(text.strip())
            except ValueError as exc:
                return f"{path}: {exc}"
            candidate = copy.deepcopy(self.data)
            set_at(candidate, path, value)
            return fields.problem_for(candidate, path) or True

        if instruction:
            self.say(f"  {instruction}")
        raw = ask_valid(lambda d: questionary.text(question(message), default=d), check, self.say, typed)
        value = None if optional and not raw.strip() else transform(raw.strip())
        set_at(self.data, path, value)
        return value

    def confirm(self, message: str, default: bool) -> bool:
        return bool(ask(questionary.confirm(question(message), default=default)))

    def confirm_field(self, path: str, message: str, default: bool) -> None:
        self.record(path, message, lambda: self.confirm_field(path, message, default))
        set_at(self.data, path, self.confirm(message, default=bool(get_at(self.data, path, default))))

    def select(self, message: str, choices: list, default: Any = None) -> Any:
        values = [c.value if isinstance(c, Choice) else c for c in choices]
        return ask(questionary.select(question(message), choices=choices,
                                      default=default if default in values else None))

    def _model_check(self, path: str, value: Callable[[str], Any] = str.strip) -> Callable[[str], bool | str]:
        def check(text: str) -> bool | str:
            candidate = copy.deepcopy(self.data)
            set_at(candidate, path, value(text))
            return fields.problem_for(candidate, path) or True
        return check

    # ------------------------------------------------------------------ steps

    def provider(self) -> None:
        self.say("\n1/5 Provider: where and how Terraform talks to AWS")
        self.region()
        self.profile()
        self.text("provider.terraform_version", "Terraform version constraint:", default=">= 1.6.0")
        self.text("provider.aws_provider_version", "hashicorp/aws provider version constraint:", default="~> 5.0")
        if not self.sandbox and (get_at(self.data, "provider.endpoint") or self.confirm(
            "Advanced: use a stand-in AWS endpoint (moto, LocalStack)?", default=False
        )):
            self.text("provider.endpoint", "Stand-in endpoint URL (empty: real AWS):", optional=True)

    def region(self) -> None:
        from ..engine.answers import choices

        message = "AWS region (type to filter):"
        self.record("provider.region", message, self.region)
        codes = [r.code for r in choices.regions()]
        meta = {r.code: r.description for r in choices.regions()}
        region = ask_valid(lambda d: questionary.autocomplete(
            message, choices=codes, default=d, meta_information=meta, match_middle=True,
        ), self._model_check("provider.region"), self.say, get_at(self.data, "provider.region", "eu-central-1"))
        set_at(self.data, "provider.region", region.strip())

    def profile(self) -> None:
        from ..engine.answers import choices

        self.record("provider.profile", "Credentials:", self.profile,
                    value=lambda data: shown(get_at(data, "provider.profile") or DEFAULT_CHAIN))
        profiles = choices.profiles()
        current = get_at(self.data, "provider.profile")
        options = [Choice(DEFAULT_CHAIN, value="")] + [Choice(shown(p), value=p) for p in profiles]
        if current and current not in profiles:
            options.append(Choice(f"{shown(current)} (from the answers file; not in your AWS config)", value=current))
        set_at(self.data, "provider.profile", self.select("Credentials:", options, default=current or "") or None)

    def user(self) -> None:
        self.say("\n2/5 User: who this is (the name cannot change later without replacing the user)")
        self.text("user.name", "User name:")
        self.text("user.path", "Path:", default="/")
        tags = dict(get_at(self.data, "user.tags", {}) or {})
        set_at(self.data, "user.tags", tags)
        for key in SUGGESTED_TAGS:
            self.tag(key, optional=True)
        for key in [k for k in tags if k not in SUGGESTED_TAGS]:
            self.tag(key)
        while self.confirm("Add another tag?", default=False):
            key = ask_valid(lambda d: questionary.text("Tag key:", default=d), self._tag_key_ok, self.say)
            self.tag(key.strip())
        self.text("user.permissions_boundary", "Permissions boundary policy ARN (empty for none):", optional=True)

    def tag(self, key: str, *, optional: bool = True) -> None:
        path = f"user.tags.{key}"
        suggested = key in SUGGESTED_TAGS
        message = f"Tag {key} (empty to skip):" if suggested else f"Tag {key} (empty to remove it):"
        self.record(path, message, lambda: self.tag(key, optional=optional), always=suggested)
        hint = "YYYY-MM-DD, the date to review or remove this user" if key == "Expiry" else None
        self.text(path, message, optional=optional, transform=fields.date if key == "Expiry" else str,
                  instruction=hint, record=False)
        if get_at(self.data, path) is None:
            self.data["user"]["tags"].pop(key, None)

    def _tag_key_ok(self, text: str) -> bool | str:
        candidate = copy.deepcopy(self.data)
        candidate.setdefault("user", {}).setdefault("tags", {})[text.strip()] = ""
        return fields.problem_for(candidate, f"user.tags.{text.strip()}") or True

    def permissions(self) -> None:
        self.say("\n3/5 Permissions: through groups, not on the user")
        groups = list(get_at(self.data, "permissions.groups", []) or [])
        set_at(self.data, "permissions.groups", groups)
        i = 0
        while i < len(groups) or self.confirm(
            "Create a group for this user?" if not groups else "Create another group?", default=not groups
        ):
            if i >= len(groups):
                groups.append({})
            self.group(i)
            i += 1
        self.text("permissions.existing_groups", "Existing groups to join (comma-separated, empty for none):",
                  default=[], transform=fields.split)
        if get_at(self.data, "permissions.user_managed_policies") or self.confirm(
            "Attach policies to the user directly? (discouraged: use a group)", default=False
        ):
            self.text("permissions.user_managed_policies", "Policy ARNs for the user (comma-separated):",
                      default=[], transform=fields.split)
        self.show_findings()

    def group(self, i: int) -> None:
        base = f"permissions.groups[{i}]"
        self.text(f"{base}.name", "Group name:")
        self.managed_policies(i)
        custom = get_at(self.data, f"{base}.custom_policy")
        if custom or self.confirm("Add a custom least-privilege policy to this group?", default=False):
            self.custom_policy(f"{base}.custom_policy")

    def managed_policies(self, i: int) -> None:
        from ..engine.answers import choices

        base = f"permissions.groups[{i}]"
        self.record(f"{base}.managed_policies", "AWS managed policies:", lambda: self.managed_policies(i))
        arns = list(get_at(self.data, f"{base}.managed_policies", []) or [])
        set_at(self.data, f"{base}.managed_policies", arns)
        by_name = {p.name: p.arn for p in choices.managed_policies()}
        meta = {p.name: p.description[:70] for p in choices.managed_policies()}
        if arns:
            self.say(f"  managed policies: {', '.join(arns)}")
            if not self.confirm("Keep these managed policies?", default=True):
                arns.clear()
        while True:
            n = len(arns)
            path = f"{base}.managed_policies[{n}]"
            check = self._model_check(path, lambda text: _policy_arn(text, by_name))
            picked = ask_valid(lambda d: questionary.autocomplete(
                question("Add an AWS managed policy (name or ARN; empty to finish):"), choices=sorted(by_name),
                default=d, meta_information=meta, match_middle=True,
            ), _or_empty(check), self.say).strip()
            if not picked:
                break
            arns.append(_policy_arn(picked, by_name))

    def custom_policy(self, base: str) -> None:
        self.text(f"{base}.name", "Custom policy name:")
        self.text(f"{base}.description", "Description:", default="")
        statements = list(get_at(self.data, f"{base}.statements", []) or [])
        set_at(self.data, f"{base}.statements", statements)
        j = 0
        while j < len(statements) or self.confirm("Add a statement?" if not statements else "Add another statement?",
                                                  default=not statements):
            if j >= len(statements):
                statements.append({"effect": "Allow"})
            path = f"{base}.statements[{j}]"
            self.effect(path)
            self.text(f"{path}.actions", "Actions (service:Action, comma-separated):", transform=fields.split)
            self.text(f"{path}.resources", "Resources (ARNs or *, comma-separated):", transform=fields.split)
            self.lint_statement(base, j)
            j += 1

    def lint_statement(self, base: str, j: int) -> None:
        path = f"{base}.statements[{j}]"
        found = [f for f in lint_mod.lint_statements(get_at(self.data, f"{base}.statements", []),
                                                     field=f"{base}.statements")
                 if f.field == path or f.field.startswith((path + ".", path + "["))]
        for finding in found:
            self.say(f"  {finding.severity}: {finding.field}: {finding.message}")
        if any(f.severity == "error" for f in found):
            self.say("  (answers with an error are not saved: the summary before saving lets you change this one)")

    def effect(self, path: str) -> None:
        self.record(f"{path}.effect", "Effect:", lambda: self.effect(path))
        set_at(self.data, f"{path}.effect",
               self.select("Effect:", ["Allow", "Deny"], default=get_at(self.data, f"{path}.effect", "Allow")))

    def authentication(self) -> None:
        self.say("\n4/5 Authentication: how this user signs in")
        auth = get_at(self.data, "authentication", {}) or {}
        current = {(True, False): "key", (False, True): "console", (True, True): "both"}.get(
            (bool(auth.get("access_key")), bool(auth.get("console"))), "none" if auth else "key")
        self.record("authentication.access_key", "Access:", self.authentication, value=_access_text)
        kind = self.select("Access:", [Choice(label, value=value) for value, label in ACCESS.items()], default=current)
        set_at(self.data, "authentication.access_key", kind in ("key", "both"))
        set_at(self.data, "authentication.console", kind in ("console", "both"))
        if kind == "both":
            self.say("  warning: one user with both an access key and a console password is rarely right; "
                     "prefer two identities")
        if kind in ("console", "both"):
            self.confirm_field("authentication.password_reset_required", "Require a new password at first sign-in?",
                               True)
            self.text("authentication.password_length", "Password length:", default=20, transform=int)
            self.confirm_field("authentication.enforce_mfa",
                               "Require MFA? (until the person signs in with MFA, only setting it up is allowed)", True)
        if kind != "none":
            self.pgp_key()
        self.entries = [e for e in self.entries if e.path != "authentication.pgp_key" or kind != "none"]
        if kind not in ("console", "both"):
            self.entries = [e for e in self.entries if e.path not in (
                "authentication.password_reset_required", "authentication.password_length",
                "authentication.enforce_mfa")]

    def pgp_key(self) -> None:
        keys.pgp_key(self)

    def state(self) -> None:
        self.say("\n5/5 State: where Terraform keeps what it created")
        self.record("backend.type", "Backend:", self.state)
        kind = self.select("Backend:", [
            Choice("Local (a file in the workspace; one admin)", value="local"),
            Choice("S3 (encrypted, locked; for teams and CI)", value="s3"),
        ], default=get_at(self.data, "backend.type", "local"))
        if kind == "local":
            set_at(self.data, "backend", {"type": "local"})
            return
        backend = dict(get_at(self.data, "backend", {}) or {})
        backend["type"] = "s3"
        set_at(self.data, "backend", backend)
        self.text("backend.bucket", "State bucket:")
        name = get_at(self.data, "user.name", "user")
        self.text("backend.key", "State object key:", default=f"iam/users/{name}.tfstate")
        self.text("backend.region", "Bucket region (empty: the provider's):", optional=True)

    def workspace(self) -> None:
        name = get_at(self.data, "user.name", "user")
        self.text("workspace", "Workspace folder (relative to the answers file):", default=f"./tfiam-{name}")

    def show_findings(self) -> None:
        from ..engine import answers as answers_mod

        try:
            answers = answers_mod.parse(self.data)
        except answers_mod.AnswersError:
            return  # not complete yet; findings come again before saving
        findings = lint_mod.lint(answers)
        if findings:
            self.say("Findings:")
            for f in findings:
                self.say(f"  {f.severity:<7} {f.rule} {f.field}: {f.message}")

    def run(self) -> None:
        """Ask every question once (the summary, :func:`.summary.review`, comes next)."""
        self.provider()
        self.user()
        self.permissions()
        self.authentication()
        self.state()
        self.workspace()


def _policy_arn(text: str, by_name: dict[str, str]) -> str:
    """What was typed for an AWS managed policy, as its ARN: a name from the list, an ARN
    as it is, another name as an AWS managed policy's (so the model can say did-you-mean)."""
    text = text.strip()
    if text in by_name or ":" in text:
        return by_name.get(text, text)
    return f"arn:aws:iam::aws:policy/{text}"


def _or_empty(check: Callable[[str], bool | str]) -> Callable[[str], bool | str]:
    """``check``, but an empty answer (which ends a list) is always accepted."""
    return lambda text: True if not text.strip() else check(text)


def _access_text(data: dict) -> str:
    auth = get_at(data, "authentication", {}) or {}
    kind = {(True, False): "key", (False, True): "console", (True, True): "both"}.get(
        (bool(auth.get("access_key")), bool(auth.get("console"))), "none")
    return ACCESS[kind]


def save_draft(data: dict, path) -> None:
    """Write what was answered so far (it may not be complete or valid yet)."""
    import yaml

    from ..engine.fsutil import write_atomic

    text = "# tfiam answers (draft: not complete; finish with tfiam ask --answers THIS_FILE)\n"
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    write_atomic(path, text.encode("utf-8"), mode=0o644)
