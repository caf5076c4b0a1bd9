"""The run's secrets and credentials: the new user's decrypted secrets (memory only), and
the AWS credentials tfiam itself uses for its own API calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import secrets
from ..answers import Answers, S3Backend
from ..secrets import sandbox_key as sandbox_keys
from ..terraform.runner import Runner


@dataclass
class Credentials:
    """The new user's decrypted secrets.  Lives in memory only; never logged."""

    user_name: str
    user_arn: str
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def account_id(self) -> str:
        parts = self.user_arn.split(":")
        return parts[4] if len(parts) > 4 else ""


def sandboxed(answers: Answers, endpoint: str) -> Answers:
    """The answers as the sandbox runs them: every call to ``endpoint``, and no profile for
    the provider or the S3 state.  A profile would reach terraform's provider block and
    make its SDK run the operator's SSO login or ``credential_process``; under the sandbox
    the dummy credentials are the only ones."""
    provider = answers.provider.model_copy(update={"endpoint": endpoint, "profile": None})
    update: dict = {"provider": provider}
    if isinstance(answers.backend, S3Backend):
        update["backend"] = answers.backend.model_copy(update={"profile": None})
    return answers.model_copy(update=update)


def explicit_credentials(extra_env: dict[str, str | None]) -> tuple[str, str] | None:
    """The sandbox's dummy credentials, when a run's environment sets them; else None (the
    operator's profile or default chain)."""
    key_id, secret = extra_env.get("AWS_ACCESS_KEY_ID"), extra_env.get("AWS_SECRET_ACCESS_KEY")
    return (key_id, secret) if key_id and secret else None


def read_outputs(runner: Runner) -> dict:
    """The root outputs as plain values (``terraform output -json``)."""
    return values_of(runner.output())


def values_of(raw: dict) -> dict:
    """``{name: {"value", "type", "sensitive"}}`` -> ``{name: value}``."""
    return {name: (item.get("value") if isinstance(item, dict) else item) for name, item in raw.items()}


def chosen_key(outputs: dict, key_id: str | None = None) -> tuple[str, str] | None:
    """(access key id, encrypted secret) of the newest key, or of ``key_id``; None when the
    workspace has no key.  Raises secrets.DecryptError for a ``key_id`` it does not hold."""
    if key_id is None:
        newest = outputs.get("access_key_id")
        return (newest, _secret_of(newest, outputs.get("access_key_encrypted_secret"))) if newest else None
    held = {k.get("id"): k for k in (outputs.get("access_keys") or {}).values() if isinstance(k, dict)}
    if key_id not in held:
        have = ", ".join(sorted(str(k) for k in held if k)) or "none"
        raise secrets.DecryptError(f"this workspace holds no access key {key_id} (its keys: {have})")
    return key_id, _secret_of(key_id, held[key_id].get("encrypted_secret"))


def _secret_of(key_id: str, encrypted: str | None) -> str:
    """A key imported by tfiam adopt has no secret in the state: its holder keeps it."""
    if not encrypted:
        raise secrets.DecryptError(f"access key {key_id} was adopted as it is (tfiam adopt), so its secret was "
                                   "never in this workspace and there is nothing to decrypt; tfiam rotate makes "
                                   "a new key whose secret is")
    return encrypted


def decrypt_credentials(
    outputs: dict, *, passphrase: str | None = None, gnupghome: str | None = None, key_id: str | None = None
) -> Credentials:
    """Decrypt the encrypted outputs with the operator's secret key: the newest access key
    (the one a rotation hands over), or ``key_id``.  Raises secrets.DecryptError."""
    creds = Credentials(user_name=outputs.get("user_name") or "", user_arn=outputs.get("user_arn") or "")
    if key := chosen_key(outputs, key_id):
        creds.access_key_id = key[0]
        creds.secret_access_key = secrets.decrypt(key[1], passphrase=passphrase, gnupghome=gnupghome)
    if outputs.get("login_profile_encrypted_password"):
        creds.password = secrets.decrypt(
            outputs["login_profile_encrypted_password"], passphrase=passphrase, gnupghome=gnupghome
        )
    return creds


def workspace_credentials(workspace_dir: Path, outputs: dict, *, passphrase: str | None = None,
                          key_id: str | None = None) -> Credentials:
    """Decrypt a workspace's secrets: with the sandbox key when the sandbox made them,
    otherwise with the operator's keyring."""
    sandbox = sandbox_keys.workspace_keyring(Path(workspace_dir))
    if sandbox:
        home, sandbox_passphrase = sandbox
        return decrypt_credentials(outputs, passphrase=sandbox_passphrase, gnupghome=home, key_id=key_id)
    return decrypt_credentials(outputs, passphrase=passphrase, key_id=key_id)
