"""The run and result screens with a scripted terraform (tests/tui/scripted.py), at 80x24:
what the operator reads at each moment of an apply, exit codes in words, errors in full,
the result's endpoint and try command, Enter on every field, and focus always on screen.
(The real terraform, provider and moto run in test_flow.py and test_result_try.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Button, Input

from tests.tui.helpers import type_into, wait_for
from tests.tui.scripted import CHANGES, ScriptedSession
from tfiam_tui.tui.app import create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ci-bot.yaml"
SIZE = (80, 24)


@pytest.fixture
def wizard(tmp_path, monkeypatch, empty_gnupghome):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GNUPGHOME", empty_gnupghome)
    shutil.copy(EXAMPLE, tmp_path / "ci-bot.yaml")

    def make(answers: str = "ci-bot.yaml", **options):
        session = ScriptedSession(workspace=str(tmp_path / "ws"), terraform_bin="terraform-not-installed",
                                  keep_log=True, **options)
        return create_app(answers_path=answers, session=session), session

    return make


def screen_text(app) -> str:
    """Everything on the terminal, as the operator sees it (one string per row, joined)."""
    from rich.console import Console

    console = Console(width=SIZE[0], height=SIZE[1], record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def focus_on_screen(app) -> bool:
    """The focused widget is drawn on the terminal (not scrolled away, not hidden)."""
    focused = app.focused
    return focused is not None and focused in app.screen._compositor.visible_widgets


async def planned(pilot) -> None:
    app = pilot.app
    app.goto("run")
    await wait_for(pilot, lambda: getattr(app.screen, "phase", "") == "planned", timeout=30)
    await pilot.pause()


async def test_mid_apply_the_screen_says_what_is_done_what_runs_and_how_long(wizard):
    app, session = wizard(hold=True)
    async with app.run_test(size=SIZE) as pilot:
        await planned(pilot)
        log = " ".join(" ".join(line.text for line in app.screen.query_one("#log").lines).split())  # wrapped lines
        assert "[terraform plan: changes to apply (exit code 2) after 1.0 s]" in log
        assert "exit 2 after" not in log
        assert focus_on_screen(app) and app.focused.id == "apply"
        await pilot.press("enter")  # Apply… has the focus
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", timeout=20)
        await pilot.press("tab", "enter")
        try:
            await wait_for(pilot, session.pipeline.held.is_set, timeout=30)
            await wait_for(pilot, lambda: app.screen.rows.get(CHANGES[1][1]) == "running", timeout=30)
            session.now += 12  # twelve seconds pass with nothing from terraform
            await pilot.pause(1.5)  # the screen's clock ticks once a second
            await wait_for(pilot, lambda: "12 s" in str(app.screen.query_one("#activity").render()), timeout=30)
            rows = app.screen.rows
            assert rows[CHANGES[0][1]] == "done" and rows[CHANGES[1][1]] == "running"
            assert all(rows[address] == "waiting" for _action, address in CHANGES[2:])
            activity = str(app.screen.query_one("#activity").render())
            assert activity.startswith("[apply, 12 s] creating aws_iam_group_policy_attachment"), activity
            assert "(1 of 5 done)" in activity
            text = screen_text(app)
            assert "✓ done in 1 s" in text and "… creating 12 s" in text and "· waiting" in text
            assert app.screen.query_one("#stop", Button).display
        finally:
            session.pipeline.release.set()
        await wait_for(pilot, lambda: app.screen.phase == "applied", timeout=30)
        assert set(app.screen.rows.values()) == {"done"}
        assert str(app.screen.query_one("#activity").render()) == "terraform apply: succeeded (exit code 0) after 2.0 s"
        assert app.focused.id == "next" and focus_on_screen(app)


async def test_an_apply_error_is_shown_in_full_at_80_columns_and_the_row_says_failed(wizard):
    error = ("User ci-bot could not be created because the account's quota of IAM users is reached "
             "(LimitExceeded: Cannot exceed quota for UsersPerAccount: 5000); ask AWS for a higher quota")
    app, _session = wizard(fail=error)
    async with app.run_test(size=SIZE) as pilot:
        await planned(pilot)
        app.screen._confirmed(True)
        await wait_for(pilot, lambda: app.screen.phase == "failed", timeout=30)
        await pilot.pause()
        rows = app.screen.rows
        assert rows["aws_iam_user.this"] == "failed"
        status = str(app.screen.query_one("#run-status").render())
        assert "terraform apply failed (exit code 1)" in status
        text = " ".join(screen_text(app).split())
        for word in error.split():  # every word of it on the terminal: wrapped, not cut
            assert word in text, (word, text)
        app.screen.query_one("#changes").scroll_visible(animate=False)  # the operator scrolls down
        await pilot.pause()
        shown = screen_text(app)
        assert "✗ FAILED" in shown and "+ create aws_iam_user.this" in shown, shown
        assert app.focused.id == "replan" and focus_on_screen(app)  # Enter plans again


async def test_the_result_shows_the_endpoint_and_a_command_without_the_secret(wizard, tmp_path):
    app, session = wizard()
    async with app.run_test(size=SIZE) as pilot:
        await planned(pilot)
        app.screen._confirmed(True)
        await wait_for(pilot, lambda: app.screen.phase == "applied", timeout=30)
        await pilot.press("enter")  # Continue → has the focus
        await wait_for(pilot, lambda: getattr(app.screen, "_creds", None) is not None, timeout=30)
        await pilot.pause()
        secret = app.screen._creds.secret_access_key
        assert app.focused.id == "save-profile" and focus_on_screen(app)
        label = str(app.screen.query_one("#try-label").render())
        assert label == "Try the new key against AWS"  # the example has no endpoint: AWS itself
        before = str(app.screen.query_one("#try-command").render())
        assert before.startswith("Save it as a credentials profile (above) for a command")
        assert not app.screen.query_one("#copy-command", Button).display  # nothing to copy before the save
        assert "[ok] user ci-bot exists" in screen_text(app)  # the checklist is in sight at 80x24
        await pilot.press("enter")  # saves the profile
        await pilot.pause()
        saved = tmp_path / "ci-bot.credentials"
        assert saved.is_file() and (saved.stat().st_mode & 0o777) == 0o600
        shown = str(app.screen.query_one("#try-command").render())
        assert f"AWS_SHARED_CREDENTIALS_FILE={saved}" in shown and "--profile ci-bot" in shown
        assert "sts get-caller-identity" in shown or "get_caller_identity" in shown
        assert secret not in shown and secret not in screen_text(app)
        assert app.focused.id == "copy-command" and focus_on_screen(app)
        await pilot.press("enter")
        assert app.clipboard == app.screen.try_command() and secret not in app.clipboard
        where = str(app.screen.query_one("#where").render())
        assert "Endpoint       AWS, region eu-central-1" in where
        log = session.run_log.path.read_text()
        assert "Run log" in where and str(session.run_log.path) in where
    assert secret not in log and "terraform apply: succeeded (exit code 0)" in log
    assert f"wrote the new credentials to {saved}" in log


async def test_enter_in_the_passphrase_decrypts_and_a_wrong_one_says_so_on_screen(wizard):
    app, _session = wizard(passphrase="correct horse")
    async with app.run_test(size=SIZE) as pilot:
        await planned(pilot)
        app.screen._confirmed(True)
        await wait_for(pilot, lambda: app.screen.phase == "applied", timeout=30)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: getattr(app.focused, "id", None) == "passphrase", timeout=30)
        assert focus_on_screen(app)  # the field that has the focus is in sight at 80x24
        await type_into(pilot, "#passphrase", "wrong")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "bad passphrase" in screen_text(app), timeout=30)
        assert app.screen._creds is None and focus_on_screen(app)
        assert app.screen.query_one("#passphrase", Input).value == ""  # not kept in the widget
        await type_into(pilot, "#passphrase", "correct horse")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen._creds is not None, timeout=30)
        assert focus_on_screen(app)


async def test_a_console_only_user_is_offered_no_profile_and_no_command_line_flag(wizard, tmp_path):
    text = (tmp_path / "ci-bot.yaml").read_text()
    (tmp_path / "console.yaml").write_text(text.replace("access_key: true", "access_key: false")
                                           .replace("console: false", "console: true"))
    app, _session = wizard("console.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await planned(pilot)
        app.screen._confirmed(True)
        await wait_for(pilot, lambda: app.screen.phase == "applied", timeout=30)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: getattr(app.screen, "_creds", None) is not None, timeout=30)
        await pilot.pause()
        assert app.screen._creds.access_key_id is None and app.focused.id == "save-csv" and focus_on_screen(app)
        assert not app.screen.query_one("#save-profile", Button).display
        assert not app.screen.query_one("#try-box").display
        app.screen._save("credentials")  # even when asked for: words, no flag
        await pilot.pause()
        shown = screen_text(app)
        assert "save it as .csv" in shown and "--format" not in shown
        app.screen.query_one("#save-path", Input).focus()
        await pilot.press("enter")  # Enter in the path saves what this user has: the .csv
        await pilot.pause()
        assert (tmp_path / "ci-bot.csv").is_file()


def test_the_words_follow_terraform_from_start_to_exit_with_a_clock_that_ticks_while_it_is_quiet():
    """Every stage a plan of an existing user goes through, as the operator reads it."""
    from tfiam_tui.engine.terraform.events import Finished, PlannedChange, RefreshProgress, TerraformVersion
    from tfiam_tui.tui.activity import Activity

    now = [0.0]
    activity = Activity(lambda: now[0])
    activity.begin("plan")
    assert activity.headline() == "[plan, 0 s] starting terraform plan…"
    now[0] = 1
    activity.feed(TerraformVersion("1.11.4"))
    now[0] = 6  # the provider starts: nothing arrives, the clocks go on
    assert activity.headline().startswith("[plan, 6 s] terraform 1.11.4 started; starting the AWS provider")
    assert activity.headline().endswith("(this step 5 s)")
    activity.feed(RefreshProgress("module.iam_user.aws_iam_user.this", "start"))
    assert "reading aws_iam_user.this from AWS…" in activity.headline()
    activity.feed(RefreshProgress("module.iam_user.aws_iam_user.this", "complete"))
    assert "read 1 resource(s) from AWS; comparing them with the answers…" in activity.headline()
    activity.feed(PlannedChange("module.iam_user.aws_iam_group.this[\"g\"]", "update"))
    assert "planning: 1 change(s) so far…" in activity.headline()
    assert activity.lines() == ['· waiting  ~ update aws_iam_group.this["g"]']
    activity.feed(Finished("plan", 2, True, 7.5))
    now[0] = 60
    assert activity.headline() == "terraform plan: changes to apply (exit code 2) after 7.5 s"  # the clock stopped


def test_the_session_log_holds_early_lines_redacts_and_opens_one_log_per_workspace(tmp_path):
    """What was said before the workspace existed is written first; a secret-shaped value
    is redacted even if a caller slipped; another workspace gets its own log."""
    from tfiam_tui.tui.session import Session

    session = Session()
    session.log("Checking the PGP key, terraform and the workspace folder…")
    session.log("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    first = session.open_run_log(tmp_path / "one")
    session.log("terraform plan: changes to apply (exit code 2) after 6.3 s")
    assert session.open_run_log(tmp_path / "one") == first  # Plan again: the same log
    second = session.open_run_log(tmp_path / "two")
    session.close()
    text = first.read_text()
    assert text.splitlines()[0] == "Checking the PGP key, terraform and the workspace folder…"
    assert "wJalrXUtnFEMI" not in text and "[redacted]" in text
    assert "exit code 2" in text and second != first and second.parent == tmp_path / "two" / ".tfiam" / "logs"
    assert (first.stat().st_mode & 0o777) == 0o600 and (first.parent.stat().st_mode & 0o777) == 0o700


async def test_once_the_plan_is_ready_no_stage_says_it_is_still_under_way(wizard):
    app, _session = wizard()
    async with app.run_test(size=SIZE) as pilot:
        await planned(pilot)
        activity = str(app.screen.query_one("#activity").render())
        assert activity == "terraform plan: changes to apply (exit code 2) after 1.0 s", activity
