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


def _engine_modules() -> list[str]:
    names = []
    for path in sorted(ENGINE.rglob("*.py")):
        rel = path.relative_to(ENGINE.parent.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        names.append(".".join(parts))
    return names


def test_engine_imports_no_front():
    """Every engine module, imported in a fresh interpreter, loads no front and no UI library."""
    modules = _engine_modules()
    assert "tfiam_tui.engine.terraform.runner" in modules and len(modules) > 30
    loaded = _modules_after("import " + ", ".join(m for m in modules if not m.endswith("catalogue_build")))
    assert set(modules) - {"tfiam_tui.engine.policy.catalogue_build"} <= loaded
    for forbidden in ("textual", "questionary", "prompt_toolkit", "tfiam_tui.tui", "tfiam_tui.ask",
                      "tfiam_tui.commands"):
        assert forbidden not in loaded, forbidden


def test_the_pure_rooms_load_no_terraform_aws_or_gpg():
    """answers/ and policy/ are data in, data out: importing them loads no boto3, gnupg or
    python-terraform, and nothing of the terraform, aws or secrets rooms."""
    loaded = _modules_after("import tfiam_tui.engine.answers, tfiam_tui.engine.answers.choices, "
                            "tfiam_tui.engine.policy")
    assert "tfiam_tui.engine.policy.lint" in loaded
    for forbidden in ("boto3", "gnupg", "python_terraform", "tfiam_tui.engine.terraform",
                      "tfiam_tui.engine.aws", "tfiam_tui.engine.secrets"):
        assert forbidden not in loaded, forbidden


@pytest.mark.parametrize("argv", [["--help"], ["validate", "examples/ci-bot.yaml"], ["status", "--help"]])
def test_headless_commands_do_not_load_textual(argv):
    loaded = _modules_after(
        "import sys, contextlib, io\n"
        "from tfiam_tui.commands.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try:\n        main({argv!r})\n    except SystemExit:\n        pass"
    )
    assert "tfiam_tui.commands.cli" in loaded
    assert "textual" not in loaded and "questionary" not in loaded


def test_only_the_engine_starts_processes():
    """terraform runs only through engine/terraform/ (the runner starts it, process.py follows
    it), the sandbox server only through engine/aws/sandbox.py (and sandbox_service.py, the
    one that lives across commands); gpg (and gpgconf, to stop a
    throwaway agent) only in engine/secrets/.  (engine/policy/catalogue_build.py, the
    maintainers' data generator, runs pip; tfiam never calls it.)"""
    allowed = {ENGINE / "terraform" / "runner.py", ENGINE / "terraform" / "process.py",
               ENGINE / "aws" / "sandbox.py", ENGINE / "aws" / "sandbox_service.py", ENGINE / "secrets" / "gpg.py",
               ENGINE / "policy" / "catalogue_build.py"}
    for path in ENGINE.parent.rglob("*.py"):
        text = path.read_text()
        if path not in allowed:
            assert "import subprocess" not in text and "os.system" not in text, path
        if path != ENGINE / "terraform" / "runner.py":
            assert "generate_cmd_string" not in text and "python_terraform" not in text, path


def test_the_fronts_share_one_copy_of_the_pick_lists():
    """Regions, profiles and the shipped managed policies live in the engine
    (engine/answers/choices.py, reading the policy list through engine/policy/catalogue.py); no front
    keeps its own copy, and both fronts import the engine's."""
    package = ENGINE.parent
    assert not (package / "tui" / "choices.py").exists() and not (package / "tui" / "policies.py").exists()
    generator = ENGINE / "policy" / "catalogue_build.py"  # writes the file; tfiam never imports it
    readers = [p for p in package.rglob("*.py") if "managed_policies.json" in p.read_text() and p != generator]
    assert readers == [ENGINE / "policy" / "catalogue.py"]
    for path in package.rglob("*.py"):
        text = path.read_text()
        assert "catalogue_build import" not in text and "import catalogue_build" not in text, path
    for path in [*(package / "ask").rglob("*.py"), *(package / "tui").rglob("*.py")]:
        text = path.read_text()
        assert "import botocore" not in text and "from botocore" not in text, (
            f"{path} reads AWS data itself; use tfiam_tui.engine.answers.choices")
    from tfiam_tui.engine.answers import choices

    assert any(r.code == "eu-central-1" for r in choices.regions())
    assert "PowerUserAccess" in {p.name for p in choices.search_policies("power user")}
    assert "from ..engine.answers import choices" in (package / "ask" / "interview.py").read_text()
