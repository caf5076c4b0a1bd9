"""Layering rules that keep the engine usable by every front."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "tfiam_tui" / "engine"


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_engine_imports_no_front():
    modules = " ".join(f"tfiam_tui.engine.{p.stem}" for p in sorted(ENGINE.glob("*.py")) if p.stem != "__init__")
    loaded = _modules_after(f"import {modules.replace(' ', ', ')}")
    assert "textual" not in loaded and "questionary" not in loaded and "prompt_toolkit" not in loaded


@pytest.mark.parametrize("argv", [["--help"], ["validate", "examples/ci-bot.yaml"]])
def test_headless_commands_do_not_load_textual(argv):
    loaded = _modules_after(
        "import sys, contextlib, io\n"
        "from tfiam_tui.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try:\n        main({argv!r})\n    except SystemExit:\n        pass"
    )
    assert "tfiam_tui.cli" in loaded
    assert "textual" not in loaded and "questionary" not in loaded


def test_only_the_engine_starts_processes():
    """terraform runs only through engine/terraform.py, the sandbox server only through
    engine/sandbox.py; gpg (and gpgconf, to stop a throwaway agent) only in engine/secrets.py.
    (engine/catalogue_build.py, the maintainers' data generator, runs pip; tfiam never calls it.)"""
    allowed = {ENGINE / "terraform.py", ENGINE / "sandbox.py", ENGINE / "secrets.py", ENGINE / "catalogue_build.py"}
    for path in ENGINE.parent.rglob("*.py"):
        text = path.read_text()
        if path not in allowed:
            assert "import subprocess" not in text and "os.system" not in text, path
        if path != ENGINE / "terraform.py":
            assert "generate_cmd_string" not in text and "python_terraform" not in text, path


def test_the_fronts_share_one_copy_of_the_pick_lists():
    """Regions, profiles and the shipped managed policies live in the engine
    (engine/choices.py, reading the policy list through engine/catalogue.py); no front
    keeps its own copy, and both fronts import the engine's."""
    package = ENGINE.parent
    assert not (package / "tui" / "choices.py").exists() and not (package / "tui" / "policies.py").exists()
    generator = ENGINE / "catalogue_build.py"  # writes the file; tfiam never imports it
    readers = [p for p in package.rglob("*.py") if "managed_policies.json" in p.read_text() and p != generator]
    assert readers == [ENGINE / "catalogue.py"]
    for path in package.rglob("*.py"):
        text = path.read_text()
        assert "catalogue_build import" not in text and "import catalogue_build" not in text, path
    for path in [package / "ask.py", *(package / "tui").rglob("*.py")]:
        text = path.read_text()
        assert "import botocore" not in text and "from botocore" not in text, (
            f"{path} reads AWS data itself; use tfiam_tui.engine.choices")
    from tfiam_tui.engine import choices

    assert any(r.code == "eu-central-1" for r in choices.regions())
    assert "PowerUserAccess" in {p.name for p in choices.search_policies("power user")}
    assert "from .engine import choices" in (package / "ask.py").read_text()
