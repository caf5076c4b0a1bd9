"""What the fronts offer to pick from: AWS regions, the operator's AWS profiles and the
shipped AWS managed policies; plus the custom policy's JSON as Terraform will send it.

Plain data for the wizard (``tui/``) and the plain prompts (``ask``), in one place.
Regions and profiles come from botocore (a boto3 dependency), so they match what the
SDKs and the provider know, and honour ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE``.
The managed policies are :mod:`.catalogue`'s (one reader of the bundled list).
"""

from __future__ import annotations

import json
import os
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


EXTRA_REGIONS_ENV = "TFIAM_EXTRA_REGIONS"


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """Every region the installed botocore knows (opt-in ones included), commercial
    partition first.  ``partitions.json`` lists regions before ``endpoints.json`` gains
    them, so both are read; ``*-global`` pseudo-regions are left out."""
    from botocore.loaders import create_loader

    loader = create_loader()
    found: dict[str, Region] = {}
    for partition in loader.load_data("partitions").get("partitions", []):
        for code, info in partition.get("regions", {}).items():
            if not code.endswith("-global"):
                found[code] = Region(code, info.get("description", ""), partition.get("id", ""))
    for partition in loader.load_data("endpoints").get("partitions", []):
        for code, info in partition.get("regions", {}).items():
            if code not in found and not code.endswith("-global"):
                found[code] = Region(code, info.get("description", ""), partition.get("partition", ""))
    return tuple(sorted(found.values(), key=lambda r: (r.partition != "aws", r.code)))


def extra_regions() -> set[str]:
    """Regions newer than the installed botocore, named by the operator in
    ``TFIAM_EXTRA_REGIONS`` (comma-separated), the documented way through until an upgrade."""
    return {code.strip() for code in os.environ.get(EXTRA_REGIONS_ENV, "").split(",") if code.strip()}


def known_region(code: str) -> bool:
    return any(r.code == code for r in regions()) or code in extra_regions()


def partition_of(code: str) -> str | None:
    """The partition of a known region (``aws``, ``aws-cn``, ...); None if unknown."""
    return next((r.partition for r in regions() if r.code == code), None)


def suggest_region(code: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(code.lower(), [r.code for r in regions()], n=1, cutoff=0.75)
    return close[0] if close else None


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


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
