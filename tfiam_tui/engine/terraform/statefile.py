"""A workspace's Terraform state, read as data without running terraform: the local file,
or the object in the S3 bucket.  ``tfiam status`` reads it this way (quick, and possible
while another run holds terraform's lock), and so does every run that writes the
workspace, to keep the access key slots a rotation decided (see keyslots)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..answers import Answers
from .statemove import BucketMissing, remote_state


def local_state(workspace: Path) -> dict[str, Any] | None:
    path = Path(workspace) / "terraform.tfstate"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.strip() else None


def read_state(answers: Answers, workspace: Path, credentials: tuple[str, str] | None = None, *,
               before_init: bool = False) -> dict[str, Any] | None:
    """The state (None: none yet).  Raises OSError, ValueError or MigrationError when it
    cannot be read.  ``before_init``: a bucket that does not exist yet holds no state (init
    offers to create it), and a state not yet moved to the bucket is still the local file.
    Any other error (access denied, a KMS key, throttling) is raised: guessing could plan
    the deletion of a key the bucket's state holds."""
    if answers.backend.type != "s3":
        return local_state(workspace)
    try:
        state = remote_state(answers, credentials)
    except BucketMissing:
        if not before_init:
            raise
        state = None
    if state is None and before_init:
        return local_state(workspace)
    return state


def addresses(state: dict[str, Any] | None) -> set[str]:
    """The address of every managed resource instance the state holds, as a plan or an
    ``import`` block names it (``module.m.type.name["key"]``, ``...[0]``)."""
    found: set[str] = set()
    for resource in (state or {}).get("resources", []):
        if resource.get("mode") != "managed":
            continue
        base = ".".join(p for p in (resource.get("module"), resource.get("type"), resource.get("name")) if p)
        for instance in resource.get("instances", []):
            index = instance.get("index_key")
            found.add(base if index is None else f"{base}[{json.dumps(index)}]")
    return found
