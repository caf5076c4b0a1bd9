"""Where the bundled Terraform modules and workspace templates live.

Inside the wheel they are under ``tfiam_tui/_bundled/``; in a source checkout (an
editable install) they are the ``modules/`` and ``workspace_templates/`` folders next to
the package.
"""

from __future__ import annotations

from pathlib import Path


def bundled_dir(name: str) -> Path:
    """``modules`` or ``workspace_templates``: inside the wheel (``_bundled``), or the
    source checkout next to the package (editable install)."""
    pkg = Path(__file__).resolve().parent.parent
    for candidate in (pkg / "_bundled" / name, pkg.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tfiam is installed without its {name}/ folder (looked in {pkg})")
