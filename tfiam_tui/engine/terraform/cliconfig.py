"""The operator's Terraform CLI configuration, as tfiam finds it, and the provider cache.

tfiam copes with whatever CLI configuration the operator has or lacks: a
``TF_CLI_CONFIG_FILE`` that names a missing file is replaced by an empty one (and said
once, not per command), and a provider plugin cache is used only when the operator has
none of their own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PLUGIN_CACHE_ENV = "TF_PLUGIN_CACHE_DIR"


def missing_cli_config(env: dict[str, str] | None = None) -> str | None:
    """The path in ``TF_CLI_CONFIG_FILE`` when it names a file that does not exist."""
    path = (env if env is not None else os.environ).get("TF_CLI_CONFIG_FILE")
    return path if path and not os.path.exists(path) else None


def cli_config_notice() -> str | None:
    """One line for the operator when their Terraform CLI configuration is missing."""
    path = missing_cli_config()
    if not path:
        return None
    return (
        f"note: TF_CLI_CONFIG_FILE names {path}, which does not exist; terraform runs "
        "without a CLI configuration (as it would, but without repeating the warning per command)"
    )


# plugin_cache_dir set in an HCL (`plugin_cache_dir = ...` starting a line) or JSON
# (`"plugin_cache_dir": ...`) CLI configuration file.  A regex, not an HCL parser: a
# setting commented out with # or // does not count; one inside a /* ... */ comment would.
_PLUGIN_CACHE_SETTING = re.compile(r'^[ \t]*plugin_cache_dir[ \t]*=|"plugin_cache_dir"[ \t]*:', re.MULTILINE)


def _cli_config_files(env: dict[str, str]) -> list[Path]:
    """The CLI configuration files terraform reads: TF_CLI_CONFIG_FILE (or the older
    TERRAFORM_CONFIG) alone when set; otherwise ~/.terraformrc and ~/.terraform.d/*.tfrc(.json)."""
    override = env.get("TF_CLI_CONFIG_FILE") or env.get("TERRAFORM_CONFIG")
    if override:
        return [Path(override)]
    home = Path(env.get("HOME") or Path.home())
    config_dir = home / ".terraform.d"
    return [home / ".terraformrc", *sorted(config_dir.glob("*.tfrc")), *sorted(config_dir.glob("*.tfrc.json"))]


def operator_plugin_cache(env: dict[str, str]) -> bool:
    """True when the operator has a provider plugin cache of their own: ``TF_PLUGIN_CACHE_DIR``
    set, or ``plugin_cache_dir`` in a CLI configuration file terraform would read."""
    if env.get(PLUGIN_CACHE_ENV):
        return True
    for path in _cli_config_files(env):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _PLUGIN_CACHE_SETTING.search(text):
            return True
    return False


def tfiam_plugin_cache(env: dict[str, str]) -> Path | None:
    """tfiam's shared provider cache, ``$XDG_CACHE_HOME/tfiam/plugin-cache`` (else
    ``~/.cache/tfiam/plugin-cache``), created if missing; None when the operator has their own.

    With it, ``terraform init`` unpacks a downloaded provider once into the cache and links
    each workspace to it, instead of putting a copy (~700 MB for hashicorp/aws) in every
    workspace.  (Providers from ``-plugin-dir`` or an unpacked mirror are linked anyway.)
    """
    if operator_plugin_cache(env):
        return None
    cache_home = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    cache = Path(cache_home) / "tfiam" / "plugin-cache"
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None  # terraform would refuse a cache it cannot open; run without one
    return cache
