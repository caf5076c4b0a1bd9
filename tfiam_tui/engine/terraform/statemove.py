"""Moving a workspace's local state to S3 without losing or overwriting any.

:func:`plan_init` decides how ``terraform init`` must run (plainly, ``-migrate-state``, or
``-reconfigure``) and refuses to overwrite a different state already in the bucket;
:func:`finish_init` checks that the remote state records exactly the local copy's
resources (every attribute) and outputs before it deletes the local copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..answers import Answers
from .backends import LOCAL_BACKUP, LOCAL_STATE, _error_code, client, region, s3_backend, state_url


def resource_addresses(state: dict) -> list[str]:
    """Every resource instance in a state document, as sorted addresses."""
    out = []
    for res in state.get("resources") or []:
        prefix = f"{res['module']}." if res.get("module") else ""
        mode = "data." if res.get("mode") == "data" else ""
        base = f"{prefix}{mode}{res.get('type')}.{res.get('name')}"
        for inst in res.get("instances") or [{}]:
            key = inst.get("index_key")
            out.append(base if key is None else f"{base}[{json.dumps(key)}]")
    return sorted(out)


def _summary(state: dict) -> str:
    return f"serial {state.get('serial')}, {len(resource_addresses(state))} resource(s)"


class MigrationError(RuntimeError):
    """Moving local state to S3 would lose or overwrite state; nothing was deleted."""


class BucketMissing(MigrationError):
    """The state bucket does not exist (yet): it holds no state."""


@dataclass
class InitStep:
    """How ``terraform init`` must run for the workspace, and what it moves.

    ``mode``: "plain"; "migrate" (``init -migrate-state`` copies the local state to S3;
    then :func:`finish_init` verifies and deletes the local copy); "adopt" (S3 already
    holds exactly the local state, e.g. after an interrupted migration: :func:`adopt`
    re-checks and deletes the local copy before init).  ``reconfigure``: the workspace
    was initialised for another backend (``init -reconfigure``; no state to carry over).
    """

    mode: str = "plain"
    target: str = ""
    local: dict | None = None
    reconfigure: bool = False

    @property
    def asks(self) -> bool:
        """Whether the operator must agree first (state is moved)."""
        return self.mode in ("migrate", "adopt")

    def question(self) -> str:
        what = _summary(self.local or {})
        if self.mode == "adopt":
            return (f"{self.target} already holds exactly this workspace's local state ({what}). "
                    "Use it, and delete the local copy?")
        return (f"This workspace's state is local ({what}). Move it to {self.target} "
                "(terraform init -migrate-state), and delete the local copy once S3 holds the same state?")


def _read_json(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if not text.strip():
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        raise MigrationError(f"{path} is not a Terraform state file (not JSON); move it aside first") from None
    return doc if isinstance(doc, dict) else None


def previous_backend(workspace_dir: Path) -> str | None:
    """The backend type ``terraform init`` last configured here (None: never initialised)."""
    doc = _read_json(Path(workspace_dir) / ".terraform" / "terraform.tfstate")
    backend = (doc or {}).get("backend") or {}
    return backend.get("type")


def remote_state(answers: Answers, credentials: tuple[str, str] | None = None) -> dict | None:
    """The state object in the bucket, or None when there is none yet."""
    backend = s3_backend(answers)
    assert backend is not None
    s3 = client(answers, "s3", credentials)
    try:
        body = s3.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read()
    except Exception as exc:
        code = _error_code(exc)
        if code in ("NoSuchKey", "404"):
            return None
        if code == "NoSuchBucket":
            raise BucketMissing(
                f"the bucket {backend.bucket!r} does not exist (region {region(answers)}); "
                "create it first: tfiam backend bootstrap ANSWERS"
            ) from None
        if code:
            raise MigrationError(f"cannot read {state_url(answers)}: {exc}") from None
        raise
    return json.loads(body) if body.strip() else None


def _content(state: dict) -> str:
    """What a state records, independent of its lineage and serial: every resource
    instance with all its attributes, and the outputs."""
    resources = sorted(
        state.get("resources") or [],
        key=lambda r: (r.get("module", ""), r.get("mode", ""), r.get("type", ""), r.get("name", "")),
    )
    return json.dumps({"resources": resources, "outputs": state.get("outputs") or {}}, sort_keys=True)


def _same_state(a: dict, b: dict) -> bool:
    """Whether two states record the same things.  Terraform (1.11) writes migrated
    state to S3 as a new lineage starting again at serial 1, so lineage and serial
    cannot be compared: every resource instance with every attribute, and every output,
    must be identical instead."""
    return _content(a) == _content(b)


def plan_init(answers: Answers, workspace_dir: Path, credentials: tuple[str, str] | None = None) -> InitStep:
    """Decide how to initialise the workspace.  Raises :class:`MigrationError` when the
    bucket already holds a *different* state (tfiam never overwrites one)."""
    if s3_backend(answers) is None:
        return InitStep()
    target = state_url(answers)
    reconfigure = previous_backend(workspace_dir) not in (None, "s3")
    local = _read_json(Path(workspace_dir) / LOCAL_STATE)
    if local is None:
        return InitStep("plain", target, reconfigure=reconfigure)
    remote = remote_state(answers, credentials)
    if remote is None:
        return InitStep("migrate", target, local)
    if _same_state(local, remote):
        return InitStep("adopt", target, local, reconfigure=reconfigure)
    raise MigrationError(
        f"{target} already holds a different state ({_summary(remote)}) than this workspace's "
        f"local {LOCAL_STATE} ({_summary(local)}); tfiam will not overwrite either. Point "
        "backend.key at a new object, or remove the one that is wrong yourself"
    )


def init_options(step: InitStep) -> dict[str, bool]:
    """Keyword arguments for ``Runner.init`` (besides the backend config file)."""
    return {"migrate_state": step.mode == "migrate", "reconfigure": step.reconfigure}


def _remove_local_copies(workspace_dir: Path) -> list[Path]:
    removed = []
    for name in (LOCAL_STATE, LOCAL_BACKUP):
        path = Path(workspace_dir) / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def adopt(step: InitStep, answers: Answers, workspace_dir: Path,
          credentials: tuple[str, str] | None = None) -> list[Path]:
    """Before init, for an "adopt" step: check again that S3 holds exactly the local
    state, then delete the local copy (else terraform init would offer to copy it)."""
    if step.mode != "adopt" or step.local is None:
        return []
    remote = remote_state(answers, credentials)
    if remote is None or not _same_state(step.local, remote):
        raise MigrationError(f"{step.target} changed since it was checked; the local {LOCAL_STATE} was kept")
    return _remove_local_copies(workspace_dir)


def finish_init(step: InitStep, pulled: dict, workspace_dir: Path) -> list[Path]:
    """After a migrating init: compare the state terraform now reads (``pulled``, from
    ``terraform state pull``) with the local copy; when they match, delete the local
    state and its backup and return what was deleted.  Raises :class:`MigrationError`
    (and deletes nothing) when they differ."""
    if step.mode != "migrate" or step.local is None:
        return []
    if not _same_state(step.local, pulled):
        raise MigrationError(
            f"after the migration {step.target} holds {_summary(pulled)}, which differs from the local copy "
            f"({_summary(step.local)}); the local {LOCAL_STATE} was kept. Compare them before going on"
        )
    return _remove_local_copies(workspace_dir)
