"""The answers: the model of one IAM user, the rule of every field, the problems an answers
file can have, and reading and writing answers files (YAML); the pick lists the fronts
offer (:mod:`.choices`).

Pure: data in, data (or :class:`AnswersError`) out.  May import ``policy`` (the managed
policies offered) and the engine's shared leaves; nothing of terraform, aws or secrets.

The names below are the room's public face, for ``from tfiam_tui.engine import answers``.
"""

from .files import Loader, dump_data, dumps, load, load_data, loads, parse, pgp_key_reference, save, to_data, workspace_dir
from .model import (
    Answers,
    Authentication,
    CustomPolicy,
    Group,
    LocalBackend,
    Permissions,
    Provider,
    S3Backend,
    Statement,
    User,
)
from .problems import AnswersError, Problem
from .rules import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Answers",
    "AnswersError",
    "Authentication",
    "CustomPolicy",
    "Group",
    "Loader",
    "LocalBackend",
    "Permissions",
    "Problem",
    "Provider",
    "S3Backend",
    "Statement",
    "User",
    "dump_data",
    "dumps",
    "load",
    "load_data",
    "loads",
    "parse",
    "pgp_key_reference",
    "save",
    "to_data",
    "workspace_dir",
]
