"""Reading and writing answers files (YAML), and where a file's workspace goes.

Loading validates everything before anything else happens and reports every problem
at once.  Dates stay text, duplicate keys are refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import Answers
from .problems import AnswersError, Problem, _problem_from


class Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text and refuses duplicate keys."""


# Dates stay strings: `Expiry: 2027-06-30` is a tag value, not a datetime.
Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: Loader, node: yaml.MappingNode, deep: bool = False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
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


def load_data(text: str, source: str | None = None) -> Any:
    """The YAML of an answers file (or a draft) as plain data, not yet validated.
    Raises :class:`AnswersError` naming the line and column when it is not YAML."""
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AnswersError([Problem(field="", message=f"not valid YAML: {where}{problem}")], source) from None


def loads(text: str, source: str | None = None) -> Answers:
    return parse(load_data(text, source), source)


def load(path: str | os.PathLike) -> Answers:
    """Read and validate an answers file.  Raises :class:`AnswersError`."""
    p = Path(path)
    src = str(p)
    if p.is_dir():
        raise AnswersError([Problem(field="", message="is a directory, not an answers file")], src)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise AnswersError([Problem(field="", message="no such file")], src) from None
    except OSError as exc:
        raise AnswersError([Problem(field="", message=f"cannot be read: {exc.strerror}")], src) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnswersError(
            [Problem(field="", message=f"is not UTF-8 text (bad byte at offset {exc.start})")], src
        ) from None
    return loads(text, src)


def to_data(answers: Answers) -> dict:
    """The answers as plain data, in the documented key order."""
    return answers.model_dump(mode="python")


def dumps(answers: Answers) -> str:
    header = "# tfiam answers file (no secrets here, ever). Reference: README.md, 'The answers file'.\n"
    return header + yaml.dump(
        to_data(answers), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def save(answers: Answers, path: str | os.PathLike) -> None:
    """Write the answers file atomically."""
    from ..fsutil import write_atomic

    write_atomic(Path(path), dumps(answers).encode("utf-8"), mode=0o644)


def workspace_dir(answers: Answers, answers_path: str | os.PathLike | None, override: str | None = None) -> Path:
    """Where the workspace goes: ``--workspace``, else the file's ``workspace`` key
    (relative to the answers file, so every run from anywhere finds the same state),
    else ``./tfiam-<user name>`` next to the answers file."""
    if override:
        return Path(override).expanduser().resolve()
    base = Path(answers_path).resolve().parent if answers_path else Path.cwd()
    rel = answers.workspace or f"./tfiam-{answers.user.name}"
    return (base / Path(rel).expanduser()).resolve()
