"""Reading and writing answers files (YAML), and where a file's workspace goes.

Loading validates everything before anything else happens and reports every problem
at once.  The YAML itself is read with limits (:mod:`.reading`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import Answers
from .problems import AnswersError, Problem, _problem_from
from .reading import Loader, load_data, read_text

__all__ = ["Loader", "dumps", "load", "load_data", "loads", "parse", "pgp_key_reference", "save", "to_data",
           "workspace_dir"]


class _Dumper(yaml.SafeDumper):
    pass


# YAML reads these as line breaks even inside quotes; only a double-quoted scalar escapes them.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def _str_presenter(dumper: yaml.SafeDumper, data: str):
    style = '"' if any(c in data for c in _YAML_BREAKS) else "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def parse(data: Any, source: str | None = None) -> Answers:
    """Validate already-parsed data (a dict) into :class:`Answers`."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise AnswersError(
            [Problem(field="", message=f"the answers file is {kind}; it must be a YAML map starting with 'version: 1'")],
            source,
        )
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            p = _problem_from(err)
            if p not in problems:
                problems.append(p)
        raise AnswersError(problems, source) from None


def loads(text: str, source: str | None = None) -> Answers:
    return parse(load_data(text, source), source)


def load(path: str | os.PathLike) -> Answers:
    """Read and validate an answers file.  Raises :class:`AnswersError`.  Paths in it
    (workspace, a pgp_key file) are relative to the file's folder."""
    src = str(path)
    answers = loads(read_text(path), src)
    return answers.with_source_dir(Path(path).resolve().parent)


def to_data(answers: Answers) -> dict:
    """The answers as plain data, in the documented key order."""
    return answers.model_dump(mode="python")


def dumps(answers: Answers) -> str:
    header = "# tfiam answers file (no secrets here, ever). Reference: README.md, 'The answers file'.\n"
    return header + dump_data(to_data(answers))


def dump_data(data: Any) -> str:
    """Plain data as the YAML tfiam writes: readable, and loading back as the same data."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def save(answers: Answers, path: str | os.PathLike) -> None:
    """Write the answers file atomically."""
    from ..fsutil import write_atomic

    write_atomic(Path(path), dumps(answers).encode("utf-8"), mode=0o644)


_KEY_ID = re.compile(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}")


def pgp_key_reference(answers: Answers) -> str | None:
    """``authentication.pgp_key`` as gpg should look it up: a fingerprint, key id or
    e-mail address as written; anything else is a key file, relative to the answers
    file's folder (as ``workspace`` is), never to the folder tfiam happens to run in."""
    ref = answers.authentication.pgp_key
    if not ref:
        return ref
    text = ref.strip()
    compact = text.replace(" ", "")
    compact = compact[2:] if compact[:2].lower() == "0x" else compact
    if _KEY_ID.fullmatch(compact) or text.lower().startswith("keybase:"):
        return ref
    if "@" in text and "/" not in text:
        return ref
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else answers.source_dir / path)


def workspace_dir(answers: Answers, answers_path: str | os.PathLike | None, override: str | None = None) -> Path:
    """Where the workspace goes: ``--workspace``, else the file's ``workspace`` key
    (relative to the answers file, so every run from anywhere finds the same state),
    else ``./tfiam-<user name>`` next to the answers file."""
    if override:
        return Path(override).expanduser().resolve()
    base = Path(answers_path).resolve().parent if answers_path else answers.source_dir
    rel = answers.workspace or f"./tfiam-{answers.user.name}"
    return (base / Path(rel).expanduser()).resolve()
