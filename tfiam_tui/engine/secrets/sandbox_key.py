"""A throwaway PGP key for the sandbox, so trying tfiam needs no GnuPG setup.

When ``--sandbox`` runs and the answers' ``pgp_key`` is not in the operator's
keyring, the fake secrets of the stand-in AWS are encrypted to this key instead,
kept in a keyring of its own under the user's cache folder (never the operator's
keyring). Its passphrase is public on purpose: it guards nothing real. It is
never used against a real account.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .gpg import GpgNotFound, PgpError
from .keys import PublicKey, create_key, find_public_key, require_encryption_key

SANDBOX_NAME = "tfiam sandbox"
SANDBOX_EMAIL = "sandbox@tfiam.invalid"
SANDBOX_PASSPHRASE = "tfiam-sandbox-not-secret"
MARKER = Path(".tfiam") / "sandbox-key.json"


def sandbox_gnupghome() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = cache / "tfiam" / "sandbox-gnupg"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)
    return home


def sandbox_key() -> PublicKey:
    """The sandbox key, created on first use."""
    home = sandbox_gnupghome()
    try:
        return require_encryption_key(find_public_key(SANDBOX_EMAIL, gnupghome=home))
    except GpgNotFound:
        raise
    except PgpError:
        return create_key(SANDBOX_NAME, SANDBOX_EMAIL, SANDBOX_PASSPHRASE, gnupghome=home)


def mark_workspace(workspace: Path, key: PublicKey) -> None:
    """Record in the workspace that its secrets are encrypted to the sandbox key."""
    from ..fsutil import write_atomic

    (workspace / MARKER).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {"gnupghome": str(sandbox_gnupghome()), "fingerprint": key.fingerprint}
    write_atomic(workspace / MARKER, (json.dumps(data, indent=2) + "\n").encode(), mode=0o600)


def unmark_workspace(workspace: Path) -> None:
    (workspace / MARKER).unlink(missing_ok=True)


def workspace_keyring(workspace: Path) -> tuple[str, str] | None:
    """(gnupghome, passphrase) when the workspace's secrets use the sandbox key."""
    try:
        data = json.loads((workspace / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data["gnupghome"], SANDBOX_PASSPHRASE
