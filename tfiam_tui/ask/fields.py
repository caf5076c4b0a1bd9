"""The interview's answers as plain answers-file data, addressed by dotted paths
(``permissions.groups[0].custom_policy.statements[1].actions``), and the checks of one
field by the answers model itself (the same messages as ``tfiam validate``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..engine import answers as answers_mod
from ..engine import secrets
from ..engine.text import shown


def _parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes)
    return parts


def set_at(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at a dotted path (``a.b[0].c``), creating maps and lists on the way."""
    parts = _parts(path)
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


_MISSING = object()


def _lookup(data: dict, path: str) -> Any:
    node: Any = data
    for part in _parts(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def get_at(data: dict, path: str, default: Any = None) -> Any:
    """The value at ``path``; ``default`` when it is absent or None."""
    node = _lookup(data, path)
    return default if node is _MISSING or node is None else node


def has(data: dict, path: str) -> bool:
    """Whether ``path`` was answered (an answer of None, "none", counts)."""
    return _lookup(data, path) is not _MISSING


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


def as_text(value: Any) -> str:
    """An answer as the summary shows it, escaped for the terminal."""
    if value is None or value == [] or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    return shown(value)


def split(text: str) -> list[str]:
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


def date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None
    return text


def key_ref(text: str) -> str:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"{text!r} is not a file")
    try:
        secrets.require_encryption_key(secrets.find_public_key(str(path)))
    except secrets.PgpError as exc:
        raise ValueError(str(exc)) from None
    return str(path.resolve())
