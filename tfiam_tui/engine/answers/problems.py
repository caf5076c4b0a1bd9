"""What is wrong with an answers file, as :class:`Problem` lines naming the field
path and the rule, gathered in one :class:`AnswersError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .model import _BACKENDS, Answers, LocalBackend, S3Backend


class Problem(BaseModel):
    """One thing wrong with an answers file: where, and which rule."""

    model_config = ConfigDict(frozen=True)
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class AnswersError(Exception):
    """The answers are invalid; nothing was written.  ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{head}{len(problems)} problem(s) in the answers\n{lines}")


def _loc_to_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith("function-") or str(part).startswith("[key]"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc`` (for did-you-mean)."""
    model: Any = Answers
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        nxt = None
        for cand in _candidates(ann):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                nxt = cand
        if nxt is None:
            return None
        model = nxt
    return model


def _candidates(ann: Any):
    yield ann
    for arg in getattr(ann, "__args__", ()) or ():
        yield from _candidates(arg)


_TYPE_WORDS = {
    "string_type": "a string (quote it in YAML)",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "list_type": "a list",
    "dict_type": "a map of key: value",
    "model_type": "a map of key: value",
    "model_attributes_type": "a map of key: value",
}


def _problem_from(err: Mapping[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    etype = err["type"]
    backend_model = None
    if len(loc) >= 2 and loc[0] == "backend" and loc[1] in _BACKENDS:  # drop the union's tag
        backend_model, loc = _BACKENDS[loc[1]], (loc[0],) + loc[2:]
    field = _loc_to_path(loc)
    if etype == "union_tag_invalid" and field == "backend":
        tag = (err.get("ctx") or {}).get("tag")
        return Problem(field="backend.type", message=f"{tag!r} is not a backend this version writes; use 'local' or 's3'")
    if etype == "union_tag_not_found" and field == "backend":
        return Problem(field=field, message="is not a map of key: value with a type ('local' or 's3')")
    if etype == "extra_forbidden":
        parent = backend_model if loc[:-1] == ("backend",) and backend_model else _model_at(loc[:-1])
        key = str(loc[-1])
        if parent is LocalBackend and key in S3Backend.model_fields:
            return Problem(field=field, message=f"unknown key {key!r} for a local backend; set type: s3 to keep the state in S3")
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(key, list(parent.model_fields), n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {close[0]!r}?"
            allowed = ", ".join(parent.model_fields)
            return Problem(field=field, message=f"unknown key {key!r}{hint} (allowed here: {allowed})")
        return Problem(field=field, message=f"unknown key {key!r}")
    if etype == "missing":
        return Problem(field=field, message="is required")
    if etype in _TYPE_WORDS:
        return Problem(field=field, message=f"{err['input']!r} is not {_TYPE_WORDS[etype]}")
    if etype == "literal_error" and field == "version":
        return Problem(field=field, message=f"{err['input']!r} is not a supported version; this tfiam reads version: 1")
    msg = err["msg"]
    if etype == "string_too_long" and field.endswith("description"):
        msg = f"is {len(err['input'])} characters long; policy descriptions are at most 1000 characters"
    elif etype == "string_pattern_mismatch" and field.endswith("sid"):
        msg = f"{err['input']!r} is not a statement id; Sid is letters and digits only"
    elif etype in ("greater_than_equal", "less_than_equal") and field.endswith("password_length"):
        msg = f"{err['input']!r} is out of range; a console password is 8-128 characters"
    elif etype == "too_short" and field.endswith("statements"):
        msg = "is empty; a custom policy needs at least one statement"
    # model-level rules name the field they are about in their context
    sub = (err.get("ctx") or {}).get("tfiam_field")
    if sub:
        field = f"{field}.{sub}" if field else sub
    return Problem(field=field, message=msg)
