"""SVG snapshots of every question step at 80x24 and 120x40 (pytest-textual-snapshot).

Review changes with ``pytest tests/tui/test_snapshots.py --snapshot-report`` and accept
them with ``--snapshot-update``; the SVGs are committed under ``__snapshots__``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ci-bot.yaml"
STEPS = ["provider", "user", "permissions", "authentication", "backend", "review"]


@pytest.fixture
def prefilled(tmp_path, monkeypatch, empty_gnupghome):
    """The CI-bot answers, at a relative path so the screens show the same text anywhere
    (and an empty keyring: real keys have a new fingerprint every run)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GNUPGHOME", empty_gnupghome)
    shutil.copy(EXAMPLE, tmp_path / "ci-bot.yaml")

    def make():
        session = Session(workspace="/srv/tfiam/ci-bot", terraform_bin="terraform-not-installed-for-snapshots")
        return create_app(answers_path="ci-bot.yaml", session=session)

    return make


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("step", STEPS)
def test_step_snapshot(snap_compare, prefilled, step, size):
    async def go(pilot):
        if step != "provider":
            pilot.app.goto(step)
        await pilot.pause(0.5)  # keyring listed by its worker
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(prefilled(), terminal_size=size, run_before=go)


def test_new_wizard_with_errors_snapshot(snap_compare, tmp_path, monkeypatch):
    """A first Next on an empty wizard: the rule broken, under the field."""
    monkeypatch.chdir(tmp_path)

    async def go(pilot):
        screen = pilot.app.screen
        screen.show_all = True  # what Next does, without its toast (whose fade is timing-dependent)
        screen.refresh_problems()
        await pilot.pause(0.3)
        await pilot.wait_for_scheduled_animations()

    app = create_app(session=Session(terraform_bin="terraform-not-installed-for-snapshots"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=go)
