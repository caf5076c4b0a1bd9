"""Reading YAML from an operator (or an attacker) with limits, so that no answers file
costs more than a moment and a few megabytes before tfiam says what is wrong.

An answers file is small: one user, at most ten groups, policies under IAM's 6,144
characters.  The limits below are far above that and far below what hurts:

* at most ``MAX_BYTES`` (1 MiB) are read, from a file or a device (``/dev/zero``);
* the events are counted and the nesting measured first, with libyaml's parser (which is
  not recursive), before anything is composed: ``MAX_EVENTS`` and ``MAX_DEPTH``;
* aliases are expanded only in arithmetic: the composed graph's size, counting each alias
  as a copy, must stay under ``MAX_NODES`` (a 1 KB "billion laughs" is refused at once);
* no list or map holds more than ``MAX_ITEMS`` entries;
* every key must be text: a list as a key, or ``2024:`` (a number), is named by field
  and line instead of reaching the model as something it cannot report.

Dates stay text and duplicate keys are refused, as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .problems import AnswersError, Problem

MAX_BYTES = 1024 * 1024
MAX_EVENTS = 20_000
MAX_DEPTH = 32
MAX_NODES = 50_000
MAX_ITEMS = 1_000  # in one list or map: a policy of 6,144 characters holds fewer actions than that

# libyaml when PyYAML was built with it: the pure-Python parser takes seconds per megabyte.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):
    """A safe loader that keeps dates as text and refuses duplicate keys."""


# Dates stay strings: `Expiry: 2027-06-30` is a tag value, not a datetime.
Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_KINDS = {"tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:bool": "true/false", "tag:yaml.org,2002:null": "null"}


def _refuse(message: str, source: str | None, field: str = "") -> AnswersError:
    return AnswersError([Problem(field=field, message=message)], source)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"


def _scan(text: str, source: str | None) -> None:
    depth = 0
    for events, event in enumerate(yaml.parse(text, Loader=Loader), start=1):
        if events > MAX_EVENTS:
            raise _refuse(f"has more than {MAX_EVENTS} YAML items; an answers file describes one user "
                          "and is far smaller", source)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(f"is nested more than {MAX_DEPTH} levels deep at {_where(event.start_mark)}; "
                              "answers are at most a few levels deep", source)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_graph(root: yaml.Node, source: str | None) -> None:
    """Keys are text; the document, aliases expanded, stays under MAX_NODES nodes."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, path: str) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known  # an alias: counted again, walked once
        if id(node) in open_nodes:
            raise _refuse(f"holds an alias to itself ({_where(node.start_mark)})", source, path)
        open_nodes.add(id(node))
        total = 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and len(node.value) > MAX_ITEMS:
            raise _refuse(f"has {len(node.value)} entries ({_where(node.start_mark)}); tfiam reads at most "
                          f"{MAX_ITEMS} in one list or map (IAM's own limits are far lower)", source, path)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not (isinstance(key, yaml.ScalarNode) and key.tag in (_STR, _MERGE)):
                    what = _KINDS.get(key.tag, "a list or map") if isinstance(key, yaml.ScalarNode) else "a list or map"
                    shown = f" {key.value!r}" if isinstance(key, yaml.ScalarNode) else ""
                    raise _refuse(f"has a key{shown} that is {what} ({_where(key.start_mark)}); keys are text "
                                  "(put quotes around it)", source, path)
                total += size(value, f"{path}.{key.value}" if path else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                total += size(item, f"{path}[{i}]")
        if total > MAX_NODES:
            raise _refuse(f"expands to more than {MAX_NODES} YAML items (through aliases, at "
                          f"{_where(node.start_mark)}); answers files need no such repetition", source, path)
        sizes[id(node)] = total
        return total

    size(root, "")


def load_data(text: str, source: str | None = None) -> Any:
    """The YAML of an answers file (or a draft) as plain data, not yet validated.
    Raises :class:`AnswersError` naming the line and column when it is not YAML, or the
    limit it breaks."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _refuse(f"is larger than {MAX_BYTES // 1024} KiB; an answers file describes one user", source)
    loader = None
    try:
        _scan(text, source)
        loader = Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{_where(mark)}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _refuse(f"not valid YAML: {where}{problem}", source) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path: str | os.PathLike) -> str:
    """An answers file's text: at most MAX_BYTES read, whatever the path is (a FIFO, a device)."""
    p = Path(path)
    src = str(p)
    if p.is_dir():
        raise _refuse("is a directory, not an answers file", src)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _refuse("no such file", src) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise _refuse(f"cannot be read: {getattr(exc, 'strerror', None) or exc}", src) from None
    if len(raw) > MAX_BYTES:
        raise _refuse(f"is larger than {MAX_BYTES // 1024} KiB; an answers file describes one user", src)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(f"is not UTF-8 text (bad byte at offset {exc.start})", src) from None
