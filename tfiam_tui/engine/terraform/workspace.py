"""Render answers into a Terraform workspace folder.

The workspace is the static root module from ``workspace_templates/``, a copy of
``modules/iam-user`` (so the workspace keeps working whatever happens to the tfiam
install), and ``terraform.tfvars.json`` carrying every answer.  Answer values are
never spliced into HCL: the only substitutions are the two version constraints,
which the terraform block cannot take from variables, validated by the answers
model and written as escaped HCL string literals.

``render`` is pure (answers in, files out); ``write`` puts them on disk
atomically, file by file, never touching state, ``.terraform/`` or the lock file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import fsutil
from ..answers import Answers, AnswersError, Problem
from ..answers.offboarding import disabled
from ..bundled import bundled_dir
from . import keyslots, ownership
from .backends import hcl_string
from .keyslots import KeySlots
from .ownership import MANIFEST, Owner

TFVARS = "terraform.tfvars.json"
MODULE_DIR = "modules/iam-user"
IMPORTS_TF = "imports.tf"
ADOPTION = ".tfiam/adoption.json"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# The only addresses an import block may name: the module's own resources (a policy ARN as
# the answers' rules allow it).  An address is HCL, not a string, so nothing else is written.
_IMPORTABLE = re.compile(r'module\.iam_user\.(aws_iam_user\.this|aws_iam_user_group_membership\.this\[0\]'
                         r'|aws_iam_user_login_profile\.this\[0\]|aws_iam_access_key\.this\["[ab]"\]'
                         r'|aws_iam_user_policy_attachment\.this\["arn:[A-Za-z0-9+=,.@_/:-]+"\])')


def tfvars(answers: Answers, pgp_key_b64: str | None, keys: KeySlots | None = None) -> dict:
    """The root module's variables (see workspace_templates/variables.tf).  ``keys``: the
    access key slots the state keeps (keyslots.from_state); None: a workspace with no state."""
    if keys is None:
        keys = keyslots.from_state(None, wanted=answers.authentication.access_key)
    if keys.offboarding is not None:  # disabled (tfiam offboard): kept so until it ends
        answers = disabled(answers, keys.offboarding)
    p, u, perm, auth = answers.provider, answers.user, answers.permissions, answers.authentication
    groups = []
    for g in perm.groups:
        custom = None
        if g.custom_policy is not None:
            custom = {
                "name": g.custom_policy.name,
                "description": g.custom_policy.description,
                "statements": [
                    {"sid": s.sid, "effect": s.effect, "actions": list(s.actions), "resources": list(s.resources)}
                    for s in g.custom_policy.statements
                ],
            }
        groups.append({"name": g.name, "managed_policy_arns": list(g.managed_policies), "custom_policy": custom})
    secret_wanted = auth.access_key or auth.console
    return {
        "region": p.region,
        "profile": p.profile,
        "endpoint": p.endpoint,
        "user_name": u.name,
        "user_path": u.path,
        "user_tags": dict(u.tags),
        "permissions_boundary": u.permissions_boundary,
        "force_destroy": u.force_destroy,
        "groups": groups,
        "existing_groups": list(perm.existing_groups),
        "user_policy_arns": list(perm.user_managed_policies),
        **keys.tfvars(),
        "create_login_profile": auth.console,
        "password_reset_required": auth.password_reset_required,
        "password_length": auth.password_length,
        "pgp_key": pgp_key_b64 if secret_wanted else None,
        "enforce_mfa": auth.enforce_mfa,
    }


def _render_template(text: str, values: dict[str, str], source: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in values:
            raise KeyError(f"{source}: unknown placeholder {{{{ {name} }}}}")
        return hcl_string(values[name])

    return _PLACEHOLDER.sub(sub, text)


def render(answers: Answers, pgp_key_b64: str | None, keys: KeySlots | None = None,
           adopted: tuple[Adoption, set[str]] | None = None) -> dict[str, bytes]:
    """Every file of the workspace, by relative path.  Deterministic.  ``adopted``: the
    workspace of a user tfiam adopt took over, and the addresses its state holds already."""
    files: dict[str, bytes] = {}
    values = {
        "terraform_version": answers.provider.terraform_version,
        "aws_provider_version": answers.provider.aws_provider_version,
    }
    templates = bundled_dir("workspace_templates")
    for src in sorted(templates.iterdir()):
        if not src.is_file() or src.name.startswith(".") or src.name.endswith(".md"):
            continue
        name = src.name
        text = src.read_text(encoding="utf-8")
        if name.endswith(".tmpl"):
            name = name[: -len(".tmpl")]
            text = _render_template(text, values, src.name)
        if name == "gitignore":
            name = ".gitignore"
        files[name] = text.encode("utf-8")
    module = bundled_dir("modules") / "iam-user"
    for src in sorted(module.rglob("*")):
        rel = src.relative_to(module)
        if src.is_file() and rel.parts[0] not in ("examples", ".terraform") and not src.name.startswith(".terraform"):
            files[f"{MODULE_DIR}/{rel.as_posix()}"] = src.read_bytes()
    files[TFVARS] = (json.dumps(tfvars(answers, pgp_key_b64, keys), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    from .backends import backend_files

    files.update(backend_files(answers))  # S3: backend.tf + s3.tfbackend replace the local backend.tf
    if adopted is not None:
        files.update(adopted[0].files(adopted[1]))
    return files


@dataclass(frozen=True)
class Adoption:
    """A user made elsewhere that ``tfiam adopt`` put under this workspace: the ``import``
    blocks that bring its resources into the state as they are, and its access keys' slots
    (which no state holds before the import).  Kept in the workspace (ADOPTION) until the
    state holds them all; the import blocks are written only while something is left to
    import, since a block for a slot a rotation has since removed would stop every plan."""

    user: str
    imports: tuple[tuple[str, str], ...]  # (resource address, import id)
    key_slots: tuple[tuple[str, str], ...] = ()  # (slot, "Active" | "Inactive")
    # Once the state held everything, the record is history: a key a rotation removed later
    # is not imported again.
    done: bool = False

    def __post_init__(self) -> None:
        if bad := [to for to, _ident in self.imports if not _IMPORTABLE.fullmatch(to)]:
            raise ValueError(f"not an address tfiam imports: {bad[0]!r}")
        if bad := [f"{k}={v}" for k, v in self.key_slots if k not in keyslots.SLOTS or v not in ("Active", "Inactive")]:
            raise ValueError(f"not a key slot: {bad[0]!r}")

    def pending(self, held: set[str]) -> list[tuple[str, str]]:
        return [] if self.done else [(to, ident) for to, ident in self.imports if to not in held]

    def waiting_slots(self, held: set[str]) -> dict[str, str]:
        """The adopted keys' slots not imported yet (an import apply cut off half-way)."""
        pending = {to for to, _ident in self.pending(held)}
        return {slot: status for slot, status in self.key_slots if keyslots.address(slot) in pending}

    def files(self, held: set[str]) -> dict[str, bytes]:
        data = {"format": 1, "user": self.user, "imports": [{"to": to, "id": ident} for to, ident in self.imports],
                "key_slots": dict(self.key_slots), "imported": not self.pending(held)}
        return {ADOPTION: (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                IMPORTS_TF: self._imports_tf(self.pending(held)).encode("utf-8")}

    def _imports_tf(self, pending: list[tuple[str, str]]) -> str:
        head = (f"# Written by tfiam adopt. {self.user} was made outside this workspace; these blocks bring\n"
                "# it into the state as it is (terraform >= 1.5), nothing created, changed or destroyed.\n")
        if not pending:
            return head + "# Everything was imported: nothing is left to import.\n"
        # The addresses are tfiam's own; the ids are AWS names and ids, written as HCL strings.
        blocks = [f"import {{\n  to = {to}\n  id = {hcl_string(ident)}\n}}\n" for to, ident in pending]
        return head + "\n" + "\n".join(blocks)


def read_adoption(path: Path) -> Adoption | None:
    """The workspace's adoption record (ADOPTION), or None for a workspace tfiam created."""
    try:
        data = json.loads((Path(path) / ADOPTION).read_text(encoding="utf-8"))
        return Adoption(str(data["user"]), tuple((str(i["to"]), str(i["id"])) for i in data["imports"]),
                        tuple((str(k), str(v)) for k, v in data.get("key_slots", {}).items()), data.get("imported") is True)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnswersError([Problem(field="workspace", message=f"{path / ADOPTION} is not tfiam's adoption "
                                    f"record ({exc}); restore it or run tfiam adopt again into a new folder")]) from None


def owner_of(answers: Answers, account_id: str | None = None) -> Owner:
    """The owner an answers file's workspace is for (see ownership)."""
    backend = answers.backend
    described = f"s3://{backend.bucket}/{backend.key}" if backend.type == "s3" else "local"
    return Owner(ownership.IAM_USER, answers.user.name, account_id, described)


def check_target(path: Path, owner: Owner, rendered: dict[str, bytes] | None = None) -> None:
    """Refuse a workspace we could not write, or that is not ours to write (see
    ownership.check), before anything is written."""
    ownership.check(path, owner, rendered)
    problem = None
    if path.exists() and not path.is_dir():
        problem = f"{str(path)!r} exists and is not a folder"
    else:
        parent = path
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            problem = f"{str(parent)!r} is not a folder"
        elif not os.access(parent, os.W_OK | os.X_OK):
            problem = f"no permission to write in {str(parent)!r}"
    if problem:
        raise AnswersError([Problem(field="workspace", message=problem)])


def _mkdirs_private(path: Path) -> None:
    """mkdir -p where every folder created is 0700 (Path.mkdir's parents get 0777-umask)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)


@dataclass
class WriteResult:
    path: Path
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class WorkspaceEdited(Exception):
    """Files tfiam wrote were changed by hand since; rewriting would lose the edits."""

    def __init__(self, path: Path, edited: list[str]):
        self.path = path
        self.edited = edited
        names = ", ".join(edited)
        super().__init__(
            f"{path}: edited by hand since tfiam wrote it: {names}. Rewriting would lose those "
            "edits; move them into the answers file (or the module), then run again and confirm, "
            "or pass --overwrite"
        )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def edited_files(path: Path, files: dict[str, bytes]) -> list[str]:
    """Files tfiam wrote last time (per the manifest) that now differ both from what it
    wrote and from what it is about to write: hand edits that a rewrite would lose."""
    manifest = ownership.read_manifest(path)
    if manifest is None:
        return []
    edited = []
    for rel, digest in sorted(manifest.get("files", {}).items()):
        try:
            current = _digest((path / rel).read_bytes())
        except OSError:
            continue  # deleted: rewriting restores it, nothing is lost
        if current != digest and (rel not in files or current != _digest(files[rel])):
            edited.append(rel)
    return edited


def write(path: Path, files: dict[str, bytes], *, owner: Owner, overwrite_edits: bool = False) -> WriteResult:
    """Write the rendered files into ``path`` for ``owner`` (folders it creates 0700,
    files 0600); refused unless the folder is new, empty or ``owner``'s workspace.

    Two phases, so a crash or a full disk leaves the old workspace as it was: every
    changed file is first written and fsynced beside its target, and only when all of
    them are on disk are they renamed into place.  Only the files tfiam renders are
    written; everything else in the folder (state, plan, ``.terraform/``, the lock
    file) is left alone, and a folder tfiam did not create keeps its mode.
    """
    check_target(path, owner, files)
    if not overwrite_edits:
        edited = edited_files(path, files)
        if edited:
            raise WorkspaceEdited(path, edited)
    result = WriteResult(path=path)
    previous = ownership.read_manifest(path)
    _mkdirs_private(path)
    staged: dict[Path, Path] = {}
    try:
        for rel, data in files.items():
            target = path / rel
            _mkdirs_private(target.parent)
            tmp = fsutil.stage(target, data, mode=0o600)
            if tmp is None:
                result.unchanged.append(rel)
            else:
                staged[target] = tmp
                result.changed.append(rel)
    except BaseException:
        fsutil.discard(staged)
        raise
    fsutil.commit(staged)
    # A partial write (the wizard's early init writes only the provider files) keeps what
    # tfiam wrote before: those files are still tfiam's.
    digests = {rel: digest for rel, digest in (previous or {}).get("files", {}).items() if (path / rel).is_file()}
    digests.update({rel: _digest(data) for rel, data in files.items()})
    manifest = ownership.manifest_data(owner, digests, previous)
    _mkdirs_private((path / MANIFEST).parent)
    fsutil.write_atomic(path / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode(), mode=0o600)
    return result
