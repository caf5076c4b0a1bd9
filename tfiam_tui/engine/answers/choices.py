"""What the fronts offer to pick from: AWS regions, the operator's AWS profiles and the
shipped AWS managed policies; plus the custom policy's JSON as Terraform will send it.

Plain data for the wizard (``tui/``) and the plain prompts (``ask``), in one place.
Regions and profiles come from botocore (a boto3 dependency), so they match what the
SDKs and the provider know, and honour ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE``.
The managed policies are :mod:`.catalogue`'s (one reader of the bundled list).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..policy.catalogue import ManagedPolicy, managed_policies

__all__ = [
    "ManagedPolicy", "Region", "managed_policies", "policy_json", "profiles", "regions",
    "search_policies", "search_regions", "split_list",
]


@dataclass(frozen=True)
class Region:
    code: str
    description: str
    partition: str

    @property
    def label(self) -> str:
        return f"{self.code}  {self.description}"


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """Every region in botocore's endpoints data, commercial partition first."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    found: list[Region] = []
    for partition in data.get("partitions", []):
        for code, info in sorted(partition.get("regions", {}).items()):
            found.append(Region(code, info.get("description", ""), partition.get("partition", "")))
    found.sort(key=lambda r: (r.partition != "aws", r.code))
    return tuple(found)


def search_regions(text: str) -> list[Region]:
    """Regions whose code or description contains every word of ``text`` (any case)."""
    words = text.lower().split()
    return [r for r in regions() if all(w in f"{r.code} {r.description}".lower() for w in words)]


def profiles() -> list[str]:
    """Profile names in the operator's AWS config and credentials files (sorted)."""
    import botocore.session

    try:
        return sorted(set(botocore.session.Session().available_profiles))
    except Exception:  # a broken config file: offer the default chain only, the run will say why
        return []


def search_policies(text: str) -> list[ManagedPolicy]:
    """Shipped managed policies whose name or description contains every word of ``text``."""
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
