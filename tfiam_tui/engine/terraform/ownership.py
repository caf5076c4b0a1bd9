"""Whose folder is this?  tfiam writes only into a new or empty folder, or into its own
workspace for the same user and account.

A workspace is tfiam's when it holds tfiam's manifest (``.tfiam/manifest.json``): what
the workspace is for (the user, or the state bucket of a bootstrap), the AWS account
once known, the backend, and every file tfiam wrote with its SHA-256.  Anything else is
someone else's: their Terraform, their state, their home folder.  Writing there is how a
tool destroys a bucket it never knew about, so :func:`check` refuses, before a byte is
written, with what it found and what to do instead.

Symlinks: terraform and tfiam write through whatever path they are given, so one symlink
(``modules/`` -> elsewhere, ``terraform.tfstate.backup`` -> ``~/.bashrc``) would send
writes and chmods outside the workspace.  Any symlink in the workspace (outside
``.terraform/``, which terraform fills with links into its plugin cache) is refused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..answers import AnswersError, Problem

MANIFEST = ".tfiam/manifest.json"
FORMAT = 2
IAM_USER = "iam-user"
STATE_BACKEND = "state-backend"

# Files terraform reads on its own, in the root module or a module folder: a stray one
# changes what is applied.  The suffixes cover *_override.tf(.json), terraform.tfvars and
# *.auto.tfvars(.json); OpenTofu (--terraform-bin tofu) also reads *.tofu and *.tofu.json,
# and a .tofu file even replaces the .tf file of the same name.
_TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".tofu", ".tofu.json")
_STATE_NAMES = ("terraform.tfstate", "terraform.tfstate.backup")
# The root module's own resources (workspace_templates): the rotation and offboarding records.
_ROOT_RESOURCES = {("terraform_data", "key_rotation"), ("terraform_data", "offboarding")}
_ROOT_MODULE = "module.iam_user"  # workspace_templates/main.tf


@dataclass(frozen=True)
class Owner:
    """What a workspace is for: ``kind`` (IAM_USER or STATE_BACKEND) and its ``name``
    (the user name, or the bucket), in ``account_id`` once STS has said which."""

    kind: str
    name: str  # "" while not known yet (the wizard's early init): the workspace stays unclaimed
    account_id: str | None = None
    backend: str | None = None  # "local" or "s3://bucket/key"

    def describe(self) -> str:
        what = f"user {self.name}" if self.kind == IAM_USER else f"state backend {self.name}"
        return what + (f" in account {self.account_id}" if self.account_id else "")


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The workspace's manifest, or None when there is none (or it is not tfiam's JSON)."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files", {}), dict) else None


def manifest_owner(path: Path, manifest: dict[str, Any]) -> Owner | None:
    """Who the manifest says the workspace belongs to.  Manifests of tfiam before format 2
    held only the files; their user is the one in the tfvars tfiam wrote."""
    if manifest.get("kind") and manifest.get("name"):
        return Owner(str(manifest["kind"]), str(manifest["name"]), manifest.get("account_id"), manifest.get("backend"))
    try:
        tfvars = json.loads((path / "terraform.tfvars.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = tfvars.get("user_name") if isinstance(tfvars, dict) else None
    if isinstance(name, str) and name:
        return Owner(IAM_USER, name)
    if isinstance(tfvars, dict) and isinstance(tfvars.get("bucket"), str):
        return Owner(STATE_BACKEND, tfvars["bucket"])
    return None


def manifest_data(owner: Owner, digests: dict[str, str], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The manifest to write: the owner (keeping an account id learnt earlier) and the files."""
    account = owner.account_id or (previous or {}).get("account_id")
    return {
        "tool": "tfiam",
        "format": FORMAT,
        "kind": owner.kind,
        "name": owner.name,
        "account_id": account,
        "backend": owner.backend or (previous or {}).get("backend"),
        "files": dict(sorted(digests.items())),
    }


def _refuse(message: str) -> AnswersError:
    return AnswersError([Problem(field="workspace", message=message)])


def _forbidden_location(path: Path) -> str | None:
    resolved = path.resolve()
    home = Path.home().resolve()
    if resolved == Path(resolved.anchor):
        return f"{resolved} is the root of the filesystem"
    if resolved == home:
        return f"{resolved} is your home folder"
    if resolved in home.parents:
        return f"{resolved} holds your home folder"
    return None


def symlinks(path: Path) -> list[str]:
    """Symlinks inside the workspace, relative paths (``.terraform/``'s contents excepted)."""
    found = []
    for top, dirs, files in os.walk(path, followlinks=False):
        here = Path(top)
        rel_top = here.relative_to(path)
        for name in sorted(dirs + files):
            if (here / name).is_symlink():
                found.append((rel_top / name).as_posix())
        dirs[:] = [d for d in dirs if not (here / d).is_symlink() and not (rel_top == Path(".") and d == ".terraform")]
    return sorted(found)


def _foreign_terraform(path: Path, manifest: dict[str, Any], rendered: dict[str, bytes] | None) -> list[str]:
    """Terraform files here that tfiam did not write: every one would be applied with ours."""
    ours = set(manifest.get("files", {}))
    foreign = []
    for top, dirs, files in os.walk(path, followlinks=False):
        rel_top = Path(top).relative_to(path)
        dirs[:] = [d for d in dirs if not (rel_top == Path(".") and d in (".terraform", ".tfiam"))]
        for name in files:
            rel = (rel_top / name).as_posix()
            if rel in ours or not name.endswith(_TERRAFORM_SUFFIXES):
                continue
            if rendered is not None and rel in rendered and (path / rel).read_bytes() == rendered[rel]:
                continue  # exactly what tfiam is about to write (a file a newer tfiam adds)
            foreign.append(rel)
    return sorted(foreign)


def _foreign_state(path: Path) -> list[str]:
    """Resources in the local state that no tfiam workspace manages (someone's bucket)."""
    foreign = []
    for name in _STATE_NAMES:
        try:
            state = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for resource in state.get("resources", []) if isinstance(state, dict) else []:
            module = resource.get("module", "")
            ours = str(module).startswith(_ROOT_MODULE) or (not module and (resource.get("type"), resource.get(
                "name")) in _ROOT_RESOURCES)
            if resource.get("mode") == "managed" and not ours:
                foreign.append(f"{resource.get('type')}.{resource.get('name')} (in {name})")
    return sorted(set(foreign))


def check(path: Path, owner: Owner, rendered: dict[str, bytes] | None = None) -> None:
    """Refuse (AnswersError on the ``workspace`` field: exit 3, nothing written) unless
    ``path`` is new, empty, or tfiam's own workspace for ``owner``."""
    path = Path(path)
    if where := _forbidden_location(path):
        raise _refuse(f"{where}; tfiam writes a workspace only into a folder of its own. "
                      f"Choose a new folder, e.g. workspace: ./tfiam-{owner.name}")
    if path.is_symlink() and not path.exists():
        raise _refuse(f"{path} is a symlink to a folder that does not exist; choose a real folder")
    if not path.exists():
        return
    if not path.is_dir():
        raise _refuse(f"{str(path)!r} exists and is not a folder")
    if links := symlinks(path):
        raise _refuse(f"{path} holds symlinks ({', '.join(links)}); tfiam never writes through a symlink "
                      "out of its workspace. Replace them with real files or folders, or use a new folder")
    manifest = read_manifest(path)
    if manifest is None:
        entries = sorted(p.name for p in path.iterdir())
        if not entries:
            return
        shown = ", ".join(entries[:6]) + (f" and {len(entries) - 6} more" if len(entries) > 6 else "")
        raise _refuse(
            f"{path} is not empty ({shown}) and is not a tfiam workspace (no {MANIFEST}); tfiam writes "
            "only into a new or empty folder or a workspace it made, so nothing here is touched. Use a "
            f"new folder (workspace: in the answers file, or --workspace); to bring a user made elsewhere "
            "under tfiam, use tfiam adopt USER_NAME --save FILE (it writes a new workspace)")
    found = manifest_owner(path, manifest)
    if found is not None and (found.kind, found.name) != (owner.kind, owner.name):
        raise _refuse(
            f"{path} is the workspace of {found.describe()} (per {MANIFEST}); these answers are for "
            f"{owner.describe()}. Writing here would rename or replace {found.name}. Use another folder "
            f"for {owner.name} (workspace: ./tfiam-{owner.name})")
    if found and found.account_id and owner.account_id and found.account_id != owner.account_id:
        raise _refuse(
            f"{path} manages {found.describe()}; the credentials in use are for account {owner.account_id}. "
            "Use the profile of the workspace's account, or another folder for this account")
    if foreign := _foreign_terraform(path, manifest, rendered):
        raise _refuse(
            f"{path} holds Terraform files tfiam did not write: {', '.join(foreign)}. terraform would apply "
            "them along with the user, unseen by the linter and by verification. Move them out of the "
            "workspace, then run again")
    if owner.kind == IAM_USER and (foreign := _foreign_state(path)):
        raise _refuse(
            f"{path}'s state holds resources tfiam does not manage: {', '.join(foreign)}. Planning here "
            "would destroy them. Use a new folder for the user")
