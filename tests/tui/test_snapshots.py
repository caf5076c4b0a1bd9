"""SVG snapshots of every step at 80x24 and 120x40 (pytest-textual-snapshot).

Review changes with ``pytest tests/tui/test_snapshots.py --snapshot-report`` and accept
them with ``--snapshot-update``; the SVGs are committed under ``__snapshots__``.

Every screenshot is taken after :func:`helpers.settle`: no animations, workers done and
the input cursor held steady.  (The blinking cursor is what made these flaky under load:
the same text, with the cursor caught on or off.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, ProgressBar

from tests.tui.helpers import settle, wait_for
from tests.tui.scripted import ScriptedSession
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ci-bot.yaml"
STEPS = ["provider", "user", "permissions", "authentication", "backend", "review"]
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture
def prefilled(tmp_path, monkeypatch, empty_gnupghome):
    """The CI-bot answers, at a relative path so the screens show the same text anywhere
    (and an empty keyring: real keys have a new fingerprint every run)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GNUPGHOME", empty_gnupghome)
    shutil.copy(EXAMPLE, tmp_path / "ci-bot.yaml")

    def make(session_class=Session):
        session = session_class(workspace="/srv/tfiam/ci-bot", terraform_bin="terraform-not-installed-for-snapshots")
        return create_app(answers_path="ci-bot.yaml", session=session)

    return make


@SIZES
@pytest.mark.parametrize("step", STEPS)
def test_step_snapshot(snap_compare, prefilled, step, size):
    async def go(pilot):
        if step != "provider":
            pilot.app.goto(step)
        await settle(pilot)

    assert snap_compare(prefilled(), terminal_size=size, run_before=go)


@SIZES
def test_run_screen_with_the_plan_summary_snapshot(snap_compare, prefilled, size):
    """The run screen once the plan is in: the log, the summary, a row per resource, Apply…"""

    async def go(pilot):
        pilot.app.goto("run")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "phase", "") == "planned", timeout=20)
        await settle(pilot)

    assert snap_compare(prefilled(ScriptedSession), terminal_size=size, run_before=go)


def test_run_screen_in_the_middle_of_an_apply_snapshot(snap_compare, prefilled):
    """Run at 80x24 while terraform applies: one change done, one creating for 7 s, three
    waiting, the bar, the clock and Stop.  (The scripted apply holds there; its clocks stand
    still, so the picture does not depend on the machine.)"""
    app = prefilled(lambda **kw: ScriptedSession(hold=True, **kw))
    session = app.session
    leave = app.exit

    def exit_after_the_screenshot(*args, **kwargs):
        session.pipeline.release.set()  # the held apply goes on; the app waits for it to end
        leave(*args, **kwargs)

    app.exit = exit_after_the_screenshot

    async def go(pilot):
        app.goto("run")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") == "planned", timeout=20)
        app.screen._confirmed(True)
        await wait_for(pilot, session.pipeline.held.is_set, timeout=20)
        await wait_for(pilot, lambda: "running" in app.screen.rows.values(), timeout=20)
        session.now += 7
        # The bar rounds its fill to whole cells only when it knows its width: set again once laid
        # out (the first "done" can arrive before the first layout, and drew a half cell).
        await pilot.pause()
        app.screen.progress.query_one(ProgressBar).update(progress=0)
        await pilot.pause()
        app.screen.progress.show()
        app.animation_level = "none"  # settle() without its wait for the workers: one is held
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=go)


@SIZES
def test_result_screen_with_checklist_and_masked_secret_snapshot(snap_compare, prefilled, size):
    """The result screen: every check ok, the key id shown, the secret masked, where to try
    the key once saved."""

    async def go(pilot):
        app = pilot.app
        app.goto("run")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") == "planned", timeout=20)
        app.screen._confirmed(True)
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") == "applied", timeout=20)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: getattr(app.screen, "_creds", None) is not None, timeout=20)
        app.screen.query_one("#save-path", Input).value = "ci-bot.credentials"  # not the temp folder's path
        await settle(pilot)

    assert snap_compare(prefilled(ScriptedSession), terminal_size=size, run_before=go)


def test_new_wizard_with_errors_snapshot(snap_compare, tmp_path, monkeypatch):
    """A first Next on an empty wizard: the rule broken, under the field."""
    monkeypatch.chdir(tmp_path)

    async def go(pilot):
        screen = pilot.app.screen
        screen.show_all = True  # what Next does, without its toast (whose fade is timing-dependent)
        screen.refresh_problems()
        await settle(pilot)

    app = create_app(session=Session(terraform_bin="terraform-not-installed-for-snapshots"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=go)
