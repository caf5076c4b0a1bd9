"""The shipped list of common AWS managed policies (``tfiam_tui/data/managed_policies.json``)
and the custom-policy document shown live.  No Textual here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "managed_policies.json"


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    description: str


@lru_cache(maxsize=1)
def managed_policies() -> tuple[ManagedPolicy, ...]:
    try:
        raw = json.loads(DATA.read_text(encoding="utf-8"))
    except OSError:
        return ()
    return tuple(ManagedPolicy(p["name"], p["arn"], p.get("description", "")) for p in raw.get("policies", []))


def search(text: str) -> list[ManagedPolicy]:
    words = text.lower().split()
    return [p for p in managed_policies() if all(w in f"{p.name} {p.description}".lower() for w in words)]


def split_list(text: str) -> list[str]:
    """'a, b c' -> ['a', 'b', 'c'] (commas or spaces separate items)."""
    return [item for item in re.split(r"[,\s]+", text) if item]


def policy_json(custom_policy: dict[str, Any] | None) -> str:
    """The IAM policy document the custom policy's statements make, as Terraform will send it."""
    statements = []
    for st in (custom_policy or {}).get("statements") or []:
        item: dict[str, Any] = {}
        if st.get("sid"):
            item["Sid"] = st["sid"]
        item["Effect"] = st.get("effect")
        item["Action"] = st.get("actions") or []
        item["Resource"] = st.get("resources") or []
        statements.append(item)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
