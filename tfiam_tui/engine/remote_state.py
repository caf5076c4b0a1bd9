"""Team state in S3: the backend files, the state lock, and moving local state to S3.

Three jobs, all about the ``s3`` backend of a tfiam workspace (``backend.type: s3``):

* **Rendering** (pure): :func:`backend_files` gives ``backend.tf`` (``backend "s3" {}``)
  and ``s3.tfbackend``, the partial backend configuration ``terraform init
  -backend-config=s3.tfbackend`` reads.  Every value is an escaped HCL string literal;
  a stand-in endpoint (``provider.endpoint``) is used for S3, DynamoDB, STS and IAM with
  path-style addressing and the checks only real AWS can answer skipped.
* **The lock**: :func:`explain_failure` reads who holds the lock out of terraform's
  "Error acquiring the state lock" diagnostic and says how to get on (or that another
  run made the saved plan stale); :func:`read_lock` reads the lock from the lock object
  (``KEY.tflock``) or the DynamoDB item, for ``tfiam unlock``.
* **Migration** from local state: :func:`plan_init` decides how ``terraform init`` must
  run (plainly, ``-migrate-state``, or ``-reconfigure``) and refuses to overwrite a
  different state already in the bucket; :func:`finish_init` checks that the remote state
  records exactly the local copy's resources (every attribute) and outputs before it
  deletes the local copy.

Talks to AWS with boto3 (imported when needed, so rendering stays cheap).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answers import Answers, S3Backend
from .terraform import TerraformFailed
from .workspace import bundled_dir, hcl_string

BACKEND_CONFIG_FILE = "s3.tfbackend"
LOCAL_STATE = "terraform.tfstate"
LOCAL_BACKUP = "terraform.tfstate.backup"
LOCK_SUFFIX = ".tflock"  # S3 native locking (use_lockfile): the lock is the object KEY.tflock
DEFAULT_LOCK_TIMEOUT = "10s"  # how long plan/apply wait for the lock (replay's --lock-timeout default)
LOCK_ERROR_SUMMARY = "Error acquiring the state lock"


# --------------------------------------------------------------------------- answers


def s3_backend(answers: Answers) -> S3Backend | None:
    """The answers' S3 backend, or None when the state is local."""
    backend = answers.backend
    return backend if isinstance(backend, S3Backend) else None


def region(answers: Answers) -> str:
    """The bucket's region: ``backend.region``, else ``provider.region``."""
    backend = s3_backend(answers)
    return (backend.region if backend and backend.region else None) or answers.provider.region


def profile(answers: Answers) -> str | None:
    """The AWS profile for the state: ``backend.profile``, else ``provider.profile``."""
    backend = s3_backend(answers)
    return (backend.profile if backend else None) or answers.provider.profile


def state_url(answers: Answers) -> str:
    backend = s3_backend(answers)
    return f"s3://{backend.bucket}/{backend.key}" if backend else LOCAL_STATE


# --------------------------------------------------------------------------- rendering


def _attributes(pairs: list[tuple[str, str]]) -> list[str]:
    """``name = value`` lines with the ``=`` aligned, as ``terraform fmt`` writes them."""
    width = max(len(name) for name, _ in pairs)
    return [f"{name:<{width}} = {value}" for name, value in pairs]


def backend_config(answers: Answers) -> str:
    """The text of ``s3.tfbackend`` (HCL attributes; every value an escaped literal)."""
    backend = s3_backend(answers)
    if backend is None:
        raise ValueError("the answers keep the state locally; there is no s3 backend configuration")
    pairs = [
        ("bucket", hcl_string(backend.bucket)),
        ("key", hcl_string(backend.key)),
        ("region", hcl_string(region(answers))),
        ("encrypt", "true"),
    ]
    if backend.kms_key_id:
        pairs.append(("kms_key_id", hcl_string(backend.kms_key_id)))
    pairs.append(("use_lockfile", "true" if backend.use_lockfile else "false"))
    if backend.dynamodb_table:
        pairs.append(("dynamodb_table", hcl_string(backend.dynamodb_table)))
    if profile(answers):
        pairs.append(("profile", hcl_string(profile(answers))))
    lines = [
        "# Written by tfiam from the answers file's backend section; read by",
        f"# `terraform init -backend-config={BACKEND_CONFIG_FILE}`. No credentials here.",
        *_attributes(pairs),
    ]
    endpoint = answers.provider.endpoint
    if endpoint:
        url = hcl_string(endpoint)
        lines += [
            "",
            "# A stand-in AWS: every service the backend calls goes there, path-style, and the",
            "# checks only real AWS can answer are skipped.",
            *_attributes([
                ("endpoints", f"{{ s3 = {url}, dynamodb = {url}, sts = {url}, iam = {url} }}"),
                ("use_path_style", "true"),
                ("skip_credentials_validation", "true"),
                ("skip_requesting_account_id", "true"),
                ("skip_metadata_api_check", "true"),
                ("skip_region_validation", "true"),
                ("skip_s3_checksum", "true"),
            ]),
        ]
    return "\n".join(lines) + "\n"


def backend_files(answers: Answers) -> dict[str, bytes]:
    """Files that replace the local ``backend.tf`` when the state goes to S3 (else none)."""
    if s3_backend(answers) is None:
        return {}
    template = bundled_dir("workspace_templates") / "backends" / "s3.tf"
    return {
        "backend.tf": template.read_bytes(),
        BACKEND_CONFIG_FILE: backend_config(answers).encode("utf-8"),
    }


def backend_config_file(answers: Answers) -> str | None:
    """What ``terraform init -backend-config=`` gets, or None for local state."""
    return BACKEND_CONFIG_FILE if s3_backend(answers) else None


# --------------------------------------------------------------------------- AWS access


def client(answers: Answers, service: str, credentials: tuple[str, str] | None = None) -> Any:
    """A boto3 client for the state's region, profile and (stand-in) endpoint.

    ``credentials``: explicit (key id, secret), e.g. the sandbox's dummy ones; otherwise
    the profile or boto3's default chain."""
    import boto3
    from botocore.config import Config

    if credentials is not None:
        session = boto3.session.Session(
            aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1], region_name=region(answers)
        )
    else:
        session = boto3.session.Session(profile_name=profile(answers), region_name=region(answers))
    endpoint = answers.provider.endpoint
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=30,
        s3={"addressing_style": "path"} if endpoint else None,
    )
    return session.client(service, endpoint_url=endpoint, config=config)


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def is_aws_error(exc: BaseException) -> bool:
    """Whether ``exc`` is botocore's (an AWS answer or a connection problem)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, (BotoCoreError, ClientError))


# --------------------------------------------------------------------------- the lock


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
    def from_json(cls, doc: Any) -> "LockInfo | None":
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
    lines += [
        "If that run is still going, let it finish and run again (or wait longer: --lock-timeout 5m).",
        f"If it died and left the lock behind, release it: tfiam unlock {answers_path or 'ANSWERS'}",
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


# --------------------------------------------------------------------------- migration


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
            raise MigrationError(
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
