"""The wizard's answers while they are being edited: a plain dict shaped like the
answers file, checked by the engine's own model (``answers.parse``).

There is one set of rules: the problems shown next to a field are the engine's
:class:`~tfiam_tui.engine.answers.Problem` objects, matched to fields by path.
No Textual here, so the rules for "which problems belong to which step" are
tested without a terminal.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from ..engine import answers as answers_mod
from ..engine.answers import Answers, AnswersError, Problem

# The wizard's steps: (key, title, answer sections whose problems block leaving it).
STEPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("provider", "Provider", ("provider",)),
    ("user", "User", ("user",)),
    ("permissions", "Permissions", ("permissions",)),
    ("authentication", "Authentication", ("authentication",)),
    ("backend", "State", ("backend",)),
    ("review", "Review", ("",)),
    ("run", "Run", ()),
    ("result", "Result", ()),
]
STEP_KEYS = [key for key, _title, _prefixes in STEPS]


def default_data() -> dict[str, Any]:
    """A new user's answers before any question is answered (the CI-bot shape)."""
    return {
        "version": 1,
        "workspace": None,
        "provider": {
            "region": "",
            "profile": None,
            "terraform_version": ">= 1.6.0",
            "aws_provider_version": "~> 5.0",
            "endpoint": None,
        },
        "user": {"name": "", "path": "/", "tags": {}, "permissions_boundary": None, "force_destroy": False},
        "permissions": {
            "groups": [{"name": "", "managed_policies": [], "custom_policy": None}],
            "existing_groups": [],
            "user_managed_policies": [],
        },
        "authentication": {
            "access_key": True,
            "console": False,
            "password_reset_required": True,
            "password_length": 20,
            "pgp_key": None,
            "enforce_mfa": False,
        },
        "backend": {"type": "local"},
    }


_INDEX = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``permissions.groups[0].name`` -> ["permissions", "groups", 0, "name"]."""
    return [name if name else int(index) for name, index in _INDEX.findall(path)]


def belongs(problem_field: str, path: str) -> bool:
    """True when a problem at ``problem_field`` is about the field at ``path`` (or inside it)."""
    return problem_field == path or problem_field.startswith((path + ".", path + "["))


class Form:
    """The answers being edited, where they came from and whether they are saved."""

    def __init__(self, data: dict[str, Any] | None = None, path: Path | None = None):
        self.data: dict[str, Any] = data if data is not None else default_data()
        self.path = path  # the answers file (loaded from or saved to), if any
        self.dirty = False
        self._lint_cache: dict[tuple[str, str], list[Any]] = {}  # findings by step and answers

    # ---- loading and saving

    @classmethod
    def from_file(cls, path: Path) -> Form:
        """Pre-fill from an answers file.  An incomplete or invalid file still pre-fills
        (its problems show next to their fields); only unreadable YAML raises AnswersError."""
        text = Path(path).read_text(encoding="utf-8")
        raw = answers_mod.load_data(text, str(path))
        data = default_data()
        if isinstance(raw, dict):
            _merge(data, raw)
            if raw.get("permissions", {}) and "groups" in raw.get("permissions", {}):
                data["permissions"]["groups"] = copy.deepcopy(raw["permissions"]["groups"])
        return cls(data, Path(path))

    def save(self, path: Path | None = None) -> tuple[Path, list[Problem]]:
        """Write the answers file (no secrets are in it).  Complete answers go through the
        engine's writer; incomplete ones are saved as they are, to resume later, and their
        problems are returned."""
        target = Path(path or self.path or "tfiam-answers.yaml")
        problems = self.problems()
        if problems:
            from ..engine.fsutil import write_atomic

            head = "# tfiam answers file, INCOMPLETE: open it with `tfiam wizard --answers FILE` to finish.\n"
            body = answers_mod.dump_data(self.data)
            write_atomic(target, (head + body).encode("utf-8"), mode=0o644)
        else:
            answers_mod.save(self.answers(), target)
        self.path = target
        self.dirty = False
        return target, problems

    # ---- editing

    def get(self, path: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in split_path(path):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def set(self, path: str, value: Any) -> None:
        """Set the value at ``path``, creating maps on the way."""
        parts = split_path(path)
        node: Any = self.data
        for part, nxt in zip(parts, parts[1:], strict=False):  # each part with the one after it
            if isinstance(part, int):
                node = node[part]
            else:
                if not isinstance(node.get(part), (dict, list)):
                    node[part] = [] if isinstance(nxt, int) else {}
                node = node[part]
        last = parts[-1]
        unchanged = last in node and node[last] == value if isinstance(node, dict) else node[last] == value
        if unchanged and type(node[last]) is type(value):
            return
        node[last] = value
        self.dirty = True

    # ---- checking

    def problems(self, prefixes: tuple[str, ...] = ("",)) -> list[Problem]:
        """The engine's problems with these answers, limited to fields under ``prefixes``
        ("" = all)."""
        try:
            answers_mod.parse(self.data)
        except AnswersError as exc:
            return [p for p in exc.problems if any(pre == "" or belongs(p.field, pre) for pre in prefixes)]
        return []

    def step_problems(self, step: str) -> list[Problem]:
        """What keeps ``step`` from being done: the engine's problems with its answers, then
        the linter's errors about them.  A lint error stops the wizard exactly where it
        stops ``tfiam replay`` (exit 10), and is shown on the step that owns the field."""
        prefixes = _prefixes(step)
        if not prefixes:
            return []
        problems = self.problems(prefixes)
        if problems:
            return problems
        return [Problem(field=f.field, message=f"{f.message} ({f.rule}; fix: {f.hint})")
                for f in self.findings(step) or () if f.severity == "error"]

    def findings(self, step: str) -> list[Any] | None:
        """The linter's findings about ``step``'s answers, or None while they (or an earlier
        step's) are not valid yet: the linter reads valid answers only."""
        answers = self.lintable(step)
        if answers is None:
            return None
        key = (step, _fingerprint(self.data))
        if key not in self._lint_cache:
            from ..engine.policy import lint

            prefixes = _prefixes(step)
            found = [f for f in lint(answers) if any(pre == "" or belongs(f.field, pre) for pre in prefixes)]
            if len(self._lint_cache) >= 32:  # every step's last answers, and then some
                self._lint_cache.pop(next(iter(self._lint_cache)))
            self._lint_cache[key] = found
        return list(self._lint_cache[key])

    def lintable(self, step: str) -> Answers | None:
        """The answers as the linter can read them on ``step``.  Steps after it that are still
        open stand in with answers that ask for nothing (no group, no secret, local state),
        so a step's findings show before the later steps are answered; they are not
        reported (findings are kept to the step's own fields)."""
        index = STEP_KEYS.index(step)
        for key in STEP_KEYS[: index + 1]:
            if _prefixes(key) and self.problems(_prefixes(key)):
                return None
        data = copy.deepcopy(self.data)
        for key in STEP_KEYS[index + 1:]:
            for section in _prefixes(key):
                if section in _STAND_INS and self.problems((section,)):
                    data[section] = copy.deepcopy(_STAND_INS[section])
        try:
            return answers_mod.parse(data)
        except AnswersError:
            return None

    def answers(self) -> Answers:
        """The answers as the engine's model (raises AnswersError)."""
        return answers_mod.parse(self.data)

    def workspace_dir(self, override: str | None = None) -> Path | None:
        """Where the workspace goes (the engine's rule), or None while the user name is unknown."""
        if override:
            return Path(override).expanduser().resolve()
        name = self.get("user.name")
        if not name and not self.data.get("workspace"):
            return None
        base = self.path.resolve().parent if self.path else Path.cwd()
        rel = self.data.get("workspace") or f"./tfiam-{name}"
        return (base / Path(rel).expanduser()).resolve()


# What a step that is still open stands in with while an earlier step is linted.
_STAND_INS: dict[str, dict[str, Any]] = {
    "user": {**default_data()["user"], "name": "tfiam-stand-in"},
    "permissions": {"groups": [], "existing_groups": [], "user_managed_policies": []},
    "authentication": {**default_data()["authentication"], "access_key": False, "console": False},
    "backend": default_data()["backend"],
}


def _prefixes(step: str) -> tuple[str, ...]:
    for key, _title, prefixes in STEPS:
        if key == step:
            return prefixes
    raise KeyError(step)


def _fingerprint(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def _merge(into: dict, data: dict) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict) and key != "tags":
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
