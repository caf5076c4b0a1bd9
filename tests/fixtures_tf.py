"""The real terraform binary and the hashicorp/aws provider mirror, found once per session.

Missing either is a test FAILURE with instructions, never a skip: CI must run the
real thing.  Set ``TFIAM_PLUGIN_DIR`` to point at a mirror explicitly.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import pytest

PROVIDER_DIR = Path("registry.terraform.io", "hashicorp", "aws")
PROVIDER_GLOB = "*/*/terraform-provider-aws_*"  # VERSION/OS_ARCH/binary
_PRUNE = {"proc", "sys", "dev", "run", ".git", ".terraform", "node_modules", "__pycache__", ".venv"}


def _has_aws_provider(mirror_root: Path) -> bool:
    return bool(glob.glob(str(mirror_root / PROVIDER_DIR / PROVIDER_GLOB)))


def _search(top: str) -> Path | None:
    """First directory below ``top`` holding registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*."""
    for dirpath, dirnames, _files in os.walk(top, onerror=lambda _e: None):
        if "registry.terraform.io" in dirnames and _has_aws_provider(Path(dirpath)):
            return Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in _PRUNE)
    return None


def find_plugin_dir() -> Path:
    """The provider mirror root (the directory to pass as ``-plugin-dir``)."""
    configured = os.environ.get("TFIAM_PLUGIN_DIR")
    if configured:
        if not _has_aws_provider(Path(configured)):
            pytest.fail(
                f"TFIAM_PLUGIN_DIR={configured} has no {PROVIDER_DIR}/{PROVIDER_GLOB}; "
                "point it at a terraform provider mirror (terraform providers mirror DIR)."
            )
        return Path(configured)
    for top in ("/opt", "/"):
        found = _search(top)
        if found is not None:
            return found
    pytest.fail(
        "No hashicorp/aws provider mirror found under /opt or /. Create one with "
        "`terraform providers mirror DIR` (unpacked layout: DIR/registry.terraform.io/hashicorp/aws/"
        "VERSION/OS_ARCH/terraform-provider-aws_*) and set TFIAM_PLUGIN_DIR=DIR."
    )


@pytest.fixture(scope="session")
def tf_plugin_dir() -> str:
    """Root of the local provider mirror holding hashicorp/aws."""
    return str(find_plugin_dir())


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    """Absolute path of the real terraform binary on PATH."""
    found = shutil.which("terraform")
    if found is None:
        pytest.fail(
            "terraform is not on PATH; install Terraform >= 1.6 "
            "(https://developer.hashicorp.com/terraform/install). Tests never skip it."
        )
    return found
