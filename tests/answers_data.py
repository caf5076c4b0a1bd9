"""Test helper: change answers data at ``a__b__c`` paths (``__`` separates keys)."""

from __future__ import annotations


def apply_changes(data: dict, changes: dict) -> dict:
    """Set each value at its ``__``-separated key path in ``data`` (maps created on the way)."""
    for dotted, value in changes.items():
        node = data
        keys = dotted.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return data
