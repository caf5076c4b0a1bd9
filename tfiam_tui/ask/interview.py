"""``tfiam ask``: the wizard's decisions as plain questions, one a line (questionary).

For terminals where a full-screen app does not fit: a serial console, a screen
reader, a narrow pane, a logged bastion session.  Every answer is validated as it
is given by the answers model itself (the same messages as ``tfiam validate``), so
there is no second copy of the rules here; a bad answer is asked again, showing
the rule.  The result is an ordinary answers file, which ``--run`` replays exactly
as ``tfiam replay`` would.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import questionary
from questionary import Choice

from ..engine import answers as answers_mod
from ..engine import policy as lint_mod
from ..engine import secrets
from ..engine.text import shown

DEFAULT_CHAIN = "(the default credential chain: environment, SSO, instance role)"
SUGGESTED_TAGS = ("Owner", "Purpose", "Expiry")


class Interrupted(Exception):
    """Ctrl-C at a question."""


def _ask(question: questionary.Question) -> Any:
    answer = question.unsafe_ask()  # raises KeyboardInterrupt on Ctrl-C
    return answer


def _set(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at a dotted path (``a.b[0].c``), creating maps and lists on the way."""
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes)
    node: Any = data
    for part, nxt in zip(parts, parts[1:], strict=False):  # each part with the one after it
        if isinstance(part, int):
            while len(node) <= part:
                node.append({} if not isinstance(nxt, int) else [])
            node = node[part]
        else:
            node = node.setdefault(part, [] if isinstance(nxt, int) else {})
    last = parts[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _get(data: dict, path: str, default: Any = None) -> Any:
    node: Any = data
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        try:
            if name:
                node = node[name]
            for i in indexes:
                node = node[int(i)]
        except (KeyError, IndexError, TypeError):
            return default
    return default if node is None else node


def problem_for(data: dict, path: str) -> str | None:
    """The answers model's message for ``path`` in ``data`` (other fields are ignored:
    they may simply not be answered yet)."""
    try:
        answers_mod.parse(data)
    except answers_mod.AnswersError as exc:
        for problem in exc.problems:
            if problem.field == path or problem.field.startswith((path + ".", path + "[")):
                return f"{problem.field}: {problem.message}"
    return None


class Interview:
    """Asks the questions, keeping the answers in ``self.data`` (answers-file shape)."""

    def __init__(self, data: dict | None = None, *, sandbox: bool = False, say: Callable[[str], None] = print):
        self.data: dict = copy.deepcopy(data) if data else {"version": 1}
        self.data.setdefault("version", 1)
        self.sandbox = sandbox
        self.say = say

    # ------------------------------------------------------------------ helpers

    def text(self, path: str, message: str, *, default: Any = None, transform: Callable[[str], Any] = str,
             optional: bool = False, instruction: str | None = None) -> Any:
        """Ask for ``path``; validate with the model; store and return the value."""
        current = _get(self.data, path, default)
        shown = "" if current is None else (", ".join(current) if isinstance(current, list) else str(current))

        def validate(text: str) -> bool | str:
            if optional and not text.strip():
                return True
            try:
                value = transform(text.strip())
            except ValueError as exc:
                return f"{path}: {exc}"
            candidate = copy.deepcopy(self.data)
            _set(candidate, path, value)
            return problem_for(candidate, path) or True

        raw = _ask(questionary.text(message, default=shown, validate=validate, instruction=instruction))
        value = None if optional and not raw.strip() else transform(raw.strip())
        _set(self.data, path, value)
        return value

    def confirm(self, message: str, default: bool) -> bool:
        return bool(_ask(questionary.confirm(message, default=default)))

    def select(self, message: str, choices: list, default: Any = None) -> Any:
        values = [c.value if isinstance(c, Choice) else c for c in choices]
        return _ask(questionary.select(message, choices=choices, default=default if default in values else None))

    # ------------------------------------------------------------------ steps

    def provider(self) -> None:
        from ..engine.answers import choices

        self.say("\n1/5 Provider: where and how Terraform talks to AWS")
        codes = [r.code for r in choices.regions()]
        meta = {r.code: r.description for r in choices.regions()}
        current = _get(self.data, "provider.region", "eu-central-1")

        def validate(text: str) -> bool | str:
            candidate = copy.deepcopy(self.data)
            _set(candidate, "provider.region", text.strip())
            return problem_for(candidate, "provider.region") or True

        region = _ask(questionary.autocomplete(
            "AWS region (type to filter):", choices=codes, default=current, meta_information=meta,
            match_middle=True, validate=validate,
        ))
        _set(self.data, "provider.region", region.strip())
        profiles = choices.profiles()
        current_profile = _get(self.data, "provider.profile")
        options = [Choice(DEFAULT_CHAIN, value="")] + [Choice(shown(p), value=p) for p in profiles]
        if current_profile and current_profile not in profiles:
            options.append(Choice(f"{shown(current_profile)} (from the answers file; not in your AWS config)",
                                  value=current_profile))
        profile = self.select("Credentials:", options, default=current_profile or "")
        _set(self.data, "provider.profile", profile or None)
        self.text("provider.terraform_version", "Terraform version constraint:", default=">= 1.6.0")
        self.text("provider.aws_provider_version", "hashicorp/aws provider version constraint:", default="~> 5.0")
        if not self.sandbox and (_get(self.data, "provider.endpoint") or self.confirm(
            "Advanced: use a stand-in AWS endpoint (moto, LocalStack)?", default=False
        )):
            self.text("provider.endpoint", "Stand-in endpoint URL (empty: real AWS):", optional=True)

    def user(self) -> None:
        self.say("\n2/5 User: who this is (the name cannot change later without replacing the user)")
        self.text("user.name", "User name:")
        self.text("user.path", "Path:", default="/")
        tags = dict(_get(self.data, "user.tags", {}) or {})
        _set(self.data, "user.tags", tags)
        for key in SUGGESTED_TAGS:
            hint = "YYYY-MM-DD, the date to review or remove this user" if key == "Expiry" else None
            transform = _date if key == "Expiry" else str
            self.text(f"user.tags.{key}", f"Tag {key} (empty to skip):", optional=True, transform=transform,
                      instruction=hint)
            if _get(self.data, f"user.tags.{key}") is None:
                self.data["user"]["tags"].pop(key, None)
        for key in [k for k in tags if k not in SUGGESTED_TAGS]:
            self.text(f"user.tags.{key}", f"Tag {key}:", optional=True)
        while self.confirm("Add another tag?", default=False):
            key = _ask(questionary.text("Tag key:", validate=lambda t: self._tag_key_ok(t)))
            self.text(f"user.tags.{key.strip()}", f"Tag {key.strip()} value:", default="")
        self.text("user.permissions_boundary", "Permissions boundary policy ARN (empty for none):", optional=True)

    def _tag_key_ok(self, text: str) -> bool | str:
        candidate = copy.deepcopy(self.data)
        candidate.setdefault("user", {}).setdefault("tags", {})[text.strip()] = ""
        return problem_for(candidate, f"user.tags.{text.strip()}") or True

    def permissions(self) -> None:
        self.say("\n3/5 Permissions: through groups, not on the user")
        groups = list(_get(self.data, "permissions.groups", []) or [])
        _set(self.data, "permissions.groups", groups)
        i = 0
        while i < len(groups) or self.confirm(
            "Create a group for this user?" if not groups else "Create another group?", default=not groups
        ):
            if i >= len(groups):
                groups.append({})
            self.group(i)
            i += 1
        self.text("permissions.existing_groups", "Existing groups to join (comma-separated, empty for none):",
                  default=[], transform=_split)
        if _get(self.data, "permissions.user_managed_policies") or self.confirm(
            "Attach policies to the user directly? (discouraged: use a group)", default=False
        ):
            self.text("permissions.user_managed_policies", "Policy ARNs for the user (comma-separated):",
                      default=[], transform=_split)
        self.show_findings()

    def group(self, i: int) -> None:
        from ..engine.answers import choices

        base = f"permissions.groups[{i}]"
        self.text(f"{base}.name", "Group name:")
        arns = list(_get(self.data, f"{base}.managed_policies", []) or [])
        _set(self.data, f"{base}.managed_policies", arns)
        by_name = {p.name: p.arn for p in choices.managed_policies()}
        meta = {p.name: p.description[:70] for p in choices.managed_policies()}
        if arns:
            self.say(f"  managed policies: {', '.join(arns)}")
            if not self.confirm("Keep these managed policies?", default=True):
                arns.clear()
        while True:
            n = len(arns)

            def validate(text: str, n=n) -> bool | str:
                if not text.strip():
                    return True
                candidate = copy.deepcopy(self.data)
                _set(candidate, f"{base}.managed_policies[{n}]", by_name.get(text.strip(), text.strip()))
                return problem_for(candidate, f"{base}.managed_policies[{n}]") or True

            picked = _ask(questionary.autocomplete(
                "Add an AWS managed policy (name or ARN; empty to finish):", choices=sorted(by_name),
                meta_information=meta, match_middle=True, validate=validate,
            )).strip()
            if not picked:
                break
            arns.append(by_name.get(picked, picked))
        custom = _get(self.data, f"{base}.custom_policy")
        if custom or self.confirm("Add a custom least-privilege policy to this group?", default=False):
            self.custom_policy(f"{base}.custom_policy")

    def custom_policy(self, base: str) -> None:
        self.text(f"{base}.name", "Custom policy name:")
        self.text(f"{base}.description", "Description:", default="")
        statements = list(_get(self.data, f"{base}.statements", []) or [])
        _set(self.data, f"{base}.statements", statements)
        j = 0
        while j < len(statements) or self.confirm("Add a statement?" if not statements else "Add another statement?",
                                                  default=not statements):
            if j >= len(statements):
                statements.append({"effect": "Allow"})
            path = f"{base}.statements[{j}]"
            effect = self.select("Effect:", ["Allow", "Deny"], default=_get(self.data, f"{path}.effect", "Allow"))
            _set(self.data, f"{path}.effect", effect)
            self.text(f"{path}.actions", "Actions (service:Action, comma-separated):", transform=_split)
            self.text(f"{path}.resources", "Resources (ARNs or *, comma-separated):", transform=_split)
            for finding in lint_mod.lint_statements([statements[j]], field=path):
                self.say(f"  {finding.severity}: {finding.message}")
            j += 1

    def authentication(self) -> None:
        self.say("\n4/5 Authentication: how this user signs in")
        auth = _get(self.data, "authentication", {}) or {}
        current = {(True, False): "key", (False, True): "console", (True, True): "both"}.get(
            (bool(auth.get("access_key")), bool(auth.get("console"))), "none" if auth else "key")
        kind = self.select("Access:", [
            Choice("Programmatic (access key), for automation", value="key"),
            Choice("Console (password, reset at first sign-in), for a person", value="console"),
            Choice("Both (don't, without a strong reason: one identity, two kinds of secret)", value="both"),
            Choice("None (only the permissions; credentials come from elsewhere)", value="none"),
        ], default=current)
        _set(self.data, "authentication.access_key", kind in ("key", "both"))
        _set(self.data, "authentication.console", kind in ("console", "both"))
        if kind == "both":
            self.say("  warning: one user with both an access key and a console password is rarely right; "
                     "prefer two identities")
        if kind in ("console", "both"):
            _set(self.data, "authentication.password_reset_required",
                 self.confirm("Require a new password at first sign-in?",
                              default=_get(self.data, "authentication.password_reset_required", True)))
            self.text("authentication.password_length", "Password length:", default=20, transform=int)
            _set(self.data, "authentication.enforce_mfa",
                 self.confirm("Require MFA? (until the person signs in with MFA, only setting it up is allowed)",
                              default=_get(self.data, "authentication.enforce_mfa", True)))
        if kind != "none":
            self.pgp_key()

    def pgp_key(self) -> None:
        keys = secrets.list_keys()
        current = _get(self.data, "authentication.pgp_key")
        options = [
            Choice(f"{shown(k.name)} <{shown(k.email)}> {k.fingerprint[-16:]}" + ("" if k.can_encrypt else "  (cannot encrypt)"),
                   value=k.fingerprint, disabled=None if k.can_encrypt else "cannot encrypt")
            for k in keys
        ]
        if current and current not in [k.fingerprint for k in keys]:
            options.insert(0, Choice(f"{shown(current)} (from the answers file)", value=current))
        options += [Choice("A public key file...", value="@file"), Choice("Create a new key for this...", value="@new")]
        if self.sandbox:
            options.append(Choice("The sandbox's throwaway key (sandbox only)", value="@sandbox"))
        picked = self.select("Encrypt the secrets to which PGP key?", options,
                             default=current if current else None)
        if picked == "@file":
            self.text("authentication.pgp_key", "Path to the public key file:", transform=_key_ref)
        elif picked == "@new":
            name = _ask(questionary.text("Name on the new key:", validate=lambda t: bool(t.strip()) or "a name is needed"))
            email = _ask(questionary.text("E-mail on the new key:",
                                          validate=lambda t: "@" in t or "an e-mail address is needed"))
            while True:
                first = _ask(questionary.password("Passphrase for the new key:"))
                again = _ask(questionary.password("The passphrase again:"))
                if first and first == again:
                    break
                self.say("  the passphrases differ (or are empty); again")
            try:
                key = secrets.create_key(name, email, first)
            except secrets.PgpError as exc:
                self.say(f"  {exc}")
                return self.pgp_key()
            finally:
                first = again = ""  # noqa: F841 - drop the passphrase as soon as possible
            self.say(f"  created {key.fingerprint}")
            _set(self.data, "authentication.pgp_key", key.fingerprint)
        elif picked == "@sandbox":
            _set(self.data, "authentication.pgp_key", "sandbox@tfiam.invalid")
        else:
            _set(self.data, "authentication.pgp_key", picked)

    def state(self) -> None:
        self.say("\n5/5 State: where Terraform keeps what it created")
        kind = self.select("Backend:", [
            Choice("Local (a file in the workspace; one admin)", value="local"),
            Choice("S3 (encrypted, locked; for teams and CI)", value="s3"),
        ], default=_get(self.data, "backend.type", "local"))
        if kind == "local":
            _set(self.data, "backend", {"type": "local"})
            return
        backend = dict(_get(self.data, "backend", {}) or {})
        backend["type"] = "s3"
        _set(self.data, "backend", backend)
        self.text("backend.bucket", "State bucket:")
        name = _get(self.data, "user.name", "user")
        self.text("backend.key", "State object key:", default=f"iam/users/{name}.tfstate")
        self.text("backend.region", "Bucket region (empty: the provider's):", optional=True)

    def workspace(self) -> None:
        name = _get(self.data, "user.name", "user")
        self.text("workspace", "Workspace folder (relative to the answers file):", default=f"./tfiam-{name}")

    def show_findings(self) -> None:
        try:
            answers = answers_mod.parse(self.data)
        except answers_mod.AnswersError:
            return  # not complete yet; findings come again before saving
        findings = lint_mod.lint(answers)
        if findings:
            self.say("Findings:")
            for f in findings:
                self.say(f"  {f.severity:<7} {f.rule} {f.field}: {f.message}")

    def run(self) -> answers_mod.Answers:
        self.provider()
        self.user()
        self.permissions()
        self.authentication()
        self.state()
        self.workspace()
        return answers_mod.parse(self.data)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


def _date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None
    return text


def _key_ref(text: str) -> str:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"{text!r} is not a file")
    try:
        secrets.require_encryption_key(secrets.find_public_key(str(path)))
    except secrets.PgpError as exc:
        raise ValueError(str(exc)) from None
    return str(path.resolve())


def save_draft(data: dict, path: Path) -> None:
    """Write what was answered so far (it may not be complete or valid yet)."""
    import yaml

    from ..engine.fsutil import write_atomic

    text = "# tfiam answers (draft: not complete; finish with tfiam ask --answers THIS_FILE)\n"
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    write_atomic(path, text.encode("utf-8"), mode=0o644)
