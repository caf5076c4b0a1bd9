"""What a benchmark run needs: the provider mirror, a throwaway keyring, answers files
with fresh names, and workspaces rendered exactly as tfiam renders them."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from tfiam_tui.engine import answers as answers_mod
from tfiam_tui.engine import secrets
from tfiam_tui.engine.terraform import workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "ci-bot.yaml"  # 7 resources: user, group, policy, 2 attachments, membership, key

PROVIDER = Path("registry.terraform.io", "hashicorp", "aws")
_PROVIDER_GLOB = "*/*/terraform-provider-aws_*"  # VERSION/OS_ARCH/binary (unpacked mirror layout)
_PRUNE = {"proc", "sys", "dev", "run", ".git", ".terraform", "node_modules", "__pycache__", ".venv"}

KEY_EMAIL = "bench@tfiam.invalid"
KEY_PASSPHRASE = "tfiam-bench-not-secret"


class BenchError(RuntimeError):
    """Something the benchmark needs is missing; the message says what to do."""


# --------------------------------------------------------------------------- tools


def provider_binaries(mirror: Path) -> list[str]:
    return sorted(glob.glob(str(mirror / PROVIDER / _PROVIDER_GLOB)))


def find_plugin_dir(explicit: str | None) -> Path:
    """The provider mirror root: ``--plugin-dir``, else ``TFIAM_PLUGIN_DIR``, else the first
    directory under /opt or / holding registry.terraform.io/hashicorp/aws (unpacked)."""
    given = explicit or os.environ.get("TFIAM_PLUGIN_DIR")
    if given:
        if not provider_binaries(Path(given)):
            raise BenchError(f"{given} holds no {PROVIDER}/{_PROVIDER_GLOB}; point --plugin-dir at a provider mirror")
        return Path(given)
    for top in ("/opt", "/"):
        for dirpath, dirnames, _files in os.walk(top, onerror=lambda _e: None):
            if "registry.terraform.io" in dirnames and provider_binaries(Path(dirpath)):
                return Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in _PRUNE)
    raise BenchError(
        "no hashicorp/aws provider mirror found under /opt or /; create one with "
        "`terraform providers mirror DIR` and pass --plugin-dir DIR"
    )


def find_terraform(explicit: str | None) -> str:
    found = shutil.which(explicit or "terraform")
    if found is None:
        raise BenchError(f"{explicit or 'terraform'} is not on PATH; install Terraform >= 1.6 or pass --terraform-bin")
    return found


def find_tfiam() -> str:
    """The ``tfiam`` console script of the interpreter running the benchmark."""
    script = Path(sys.executable).parent / "tfiam"
    if not script.is_file():
        raise BenchError(f"{script} does not exist; install tfiam into this environment (pip install -e '.[dev]')")
    return str(script)


def pack_mirror(unpacked: Path, target: Path) -> Path:
    """A *packed* copy of the mirror (the provider as a .zip, stored uncompressed), which
    terraform unpacks on install like a registry download.  Returns the mirror root."""
    binary = Path(provider_binaries(unpacked)[0])
    version, platform = binary.parent.parent.name, binary.parent.name
    folder = target / PROVIDER
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / f"terraform-provider-aws_{version}_{platform}.zip", "w", zipfile.ZIP_STORED) as z:
        for item in sorted(binary.parent.iterdir()):
            z.write(item, item.name)
    return target


def mirror_cli_config(mirror: Path, path: Path) -> Path:
    """A CLI configuration installing hashicorp/aws from ``mirror`` only (no network)."""
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        "}\n"
    )
    return path


# --------------------------------------------------------------------------- keyring


@dataclass
class Keyring:
    """A throwaway GnuPG home with one key (passphrase in a file), like an operator's."""

    home: Path
    passphrase_file: Path
    key: secrets.PublicKey

    @classmethod
    def create(cls) -> Keyring:
        # a short path under /tmp: gpg-agent's socket path must stay under 108 characters
        home = Path(tempfile.mkdtemp(prefix="tfb-", dir="/tmp"))
        home.chmod(0o700)
        key = secrets.create_key("tfiam bench", KEY_EMAIL, KEY_PASSPHRASE, gnupghome=home)
        passphrase_file = home / "passphrase"
        passphrase_file.write_text(KEY_PASSPHRASE + "\n")
        passphrase_file.chmod(0o600)
        return cls(home, passphrase_file, key)

    def discard(self) -> None:
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)


# --------------------------------------------------------------------------- answers, workspaces


def fresh_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write_answers(path: Path, *, user: str, endpoint: str) -> Path:
    """The ci-bot example for ``user`` against ``endpoint``; its group and policy get names
    of their own too, so every run creates the same seven resources anew."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["provider"]["endpoint"] = endpoint
    data["user"]["name"] = user
    data["workspace"] = f"./ws-{user}"
    group = data["permissions"]["groups"][0]
    group["name"] = f"{user}-group"
    group["custom_policy"]["name"] = f"{user}-policy"
    data["authentication"]["pgp_key"] = KEY_EMAIL
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def render_workspace(answers_file: Path, target: Path, keyring: Keyring) -> None:
    """Write the workspace exactly as ``tfiam replay`` would (same engine, same files)."""
    loaded = answers_mod.load(answers_file)
    workspace.write(target, workspace.render(loaded, keyring.key.provider_b64))


def disk_bytes(path: Path) -> int:
    """Bytes allocated on disk below ``path`` (like ``du``; symlinks counted, not followed)."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        for name in [*dirnames, *filenames]:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total
