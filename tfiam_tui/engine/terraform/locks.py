"""The state lock: who holds it, and what to tell the operator.

:func:`explain_failure` reads who holds the lock out of terraform's "Error acquiring the
state lock" diagnostic and says how to get on (or that another run made the saved plan
stale); :func:`read_lock` reads the lock from the lock object (``KEY.tflock``) or the
DynamoDB item, for ``tfiam unlock``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..answers import Answers, AnswersError, load
from ..text import shell_quote
from .backends import _error_code, client, s3_backend
from .events import TerraformFailed

LOCK_SUFFIX = ".tflock"  # S3 native locking (use_lockfile): the lock is the object KEY.tflock
DEFAULT_LOCK_TIMEOUT = "10s"  # how long plan/apply wait for the lock (replay's --lock-timeout default)
LOCK_ERROR_SUMMARY = "Error acquiring the state lock"


@dataclass(frozen=True)
class LockInfo:
    """Who holds the state lock (Terraform's LockInfo)."""

    id: str
    who: str = ""
    created: str = ""
    operation: str = ""
    path: str = ""
    version: str = ""
    info: str = ""

    def describe(self) -> list[str]:
        """The lock, one fact a line, for the operator."""
        rows = [
            ("lock id", self.id),
            ("held by", self.who),
            ("since", self.created),
            ("operation", self.operation.removeprefix("OperationType")),
            ("terraform", self.version),
            ("state", self.path),
            ("info", self.info),
        ]
        return [f"{name + ':':<11}{value}" for name, value in rows if value]

    @classmethod
    def from_json(cls, doc: Any) -> LockInfo | None:
        """From the JSON terraform writes into the lock object / DynamoDB ``Info``."""
        if isinstance(doc, (str, bytes)):
            try:
                doc = json.loads(doc)
            except ValueError:
                return None
        if not isinstance(doc, dict) or not doc.get("ID"):
            return None
        return cls(
            id=str(doc["ID"]),
            who=str(doc.get("Who") or ""),
            created=str(doc.get("Created") or ""),
            operation=str(doc.get("Operation") or ""),
            path=str(doc.get("Path") or ""),
            version=str(doc.get("Version") or ""),
            info=str(doc.get("Info") or ""),
        )


_LOCK_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):[ \t]*(.*?)\s*$", re.M)


def parse_lock_text(text: str) -> LockInfo | None:
    """The ``Lock Info:`` block of terraform's lock error (diagnostic detail or plain output)."""
    if "Lock Info:" not in text:
        return None
    block = text.split("Lock Info:", 1)[1]
    fields = {name: value for name, value in _LOCK_FIELD.findall(block)}
    if not fields.get("ID"):
        return None
    return LockInfo(
        id=fields["ID"],
        who=fields.get("Who", ""),
        created=fields.get("Created", ""),
        operation=fields.get("Operation", ""),
        path=fields.get("Path", ""),
        version=fields.get("Version", ""),
        info=fields.get("Info", ""),
    )


def lock_from_failure(failure: TerraformFailed) -> LockInfo | None:
    """The lock a failed command ran into, from its error diagnostics (``-json``
    commands) or its last output lines (``init``); None when it failed for another reason."""
    for diag in failure.diagnostics:
        if diag.summary == LOCK_ERROR_SUMMARY:
            return parse_lock_text(diag.detail) or LockInfo(id="")
    text = "\n".join(failure.last_lines)
    if LOCK_ERROR_SUMMARY in text:
        return parse_lock_text(text) or LockInfo(id="")
    return None


def explain_lock(failure: TerraformFailed, answers_path: str | None = None) -> str | None:
    """For a command that failed on the state lock: who holds it, since when, its id,
    and how to get on.  None when the failure is not about the lock."""
    lock = lock_from_failure(failure)
    if lock is None:
        return None
    who = lock.who or "another run"
    lines = [f"terraform {failure.command} could not lock the state: {who} holds the lock.",
             *(f"  {row}" for row in lock.describe())]
    if _local_state(answers_path, lock):
        # The local backend locks with the OS: the lock ends with the process that holds it
        # (even a killed one), so there is never a lock to release by hand.
        lines += [
            "Another terraform (a second tfiam run, or terraform by hand) is working in this workspace "
            "right now. Let it finish and run again (or wait longer: --lock-timeout 5m).",
        ]
        return "\n".join(lines)
    lines += [
        "If that run is still going, let it finish and run again (or wait longer: --lock-timeout 5m).",
        "If it died and left the lock behind, release it: tfiam unlock "
        + (shell_quote(answers_path) if answers_path else "ANSWERS"),
        "(it shows the lock and asks before it runs terraform force-unlock).",
    ]
    return "\n".join(lines)


def explain_failure(failure: TerraformFailed, answers_path: str | None = None) -> str | None:
    """What to tell the operator about a failure caused by another run on the same state
    (the lock is held; or the saved plan went stale because another run applied first);
    None for any other failure."""
    explained = explain_lock(failure, answers_path)
    if explained is None and any(d.summary == "Saved plan is stale" for d in failure.diagnostics):
        explained = (
            f"terraform {failure.command}: the saved plan is stale: another run changed the state after "
            "this plan was made, so nothing was applied. Run the same command again to plan from the "
            "current state."
        )
    return explained


def _local_state(answers_path: str | None, lock: LockInfo) -> bool:
    """Whether the lock is on local state: per the answers file when it can be read, else
    by the lock's path (local: a file path; S3: bucket/key)."""
    if answers_path:
        try:
            return s3_backend(load(answers_path)) is None
        except (AnswersError, OSError):  # unreadable answers: fall back to the lock's own path
            pass
    return lock.path.startswith("/") or "/" not in lock.path


def read_lock(answers: Answers, credentials: tuple[str, str] | None = None) -> LockInfo | None:
    """The lock on the answers' state as stored in AWS: the S3 lock object, then the
    DynamoDB item.  None when the state is not locked."""
    backend = s3_backend(answers)
    if backend is None:
        return None
    if backend.use_lockfile:
        s3 = client(answers, "s3", credentials)
        try:
            body = s3.get_object(Bucket=backend.bucket, Key=backend.key + LOCK_SUFFIX)["Body"].read()
        except Exception as exc:  # botocore ClientError: no such key (or bucket) means no lock
            if _error_code(exc) not in ("NoSuchKey", "404", "NoSuchBucket"):
                raise
        else:
            found = LockInfo.from_json(body)
            if found:
                return found
    if backend.dynamodb_table:
        table = client(answers, "dynamodb", credentials)
        try:
            item = table.get_item(
                TableName=backend.dynamodb_table,
                Key={"LockID": {"S": f"{backend.bucket}/{backend.key}"}},
                ConsistentRead=True,
            ).get("Item")
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":  # no table, no lock
                raise
            item = None
        if item and "Info" in item:
            return LockInfo.from_json(item["Info"].get("S", ""))
    return None
