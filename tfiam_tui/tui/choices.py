"""The lists the wizard offers: AWS regions and the operator's AWS profiles.

Both come from botocore (a boto3 dependency), so they match what the SDKs and the
provider know, and honour ``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE``.
No Textual here: plain data for the screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


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
