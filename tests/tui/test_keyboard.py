"""Keyboard only at 80x24: what has the focus is on screen and marked without colour,
Enter moves on from every field, a lint error blocks the step that owns it (as it stops
``tfiam replay``), and a terminal too small for the wizard says so instead of breaking.
No terraform here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Input

from tests.tui.helpers import screen_name, shown_errors, type_into
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.form import STEP_KEYS
from tfiam_tui.tui.session import Session
from tfiam_tui.tui.widgets.toggles import FOCUS_MARK, Checkbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EDITED_STEPS = STEP_KEYS[:6]  # provider .. review: the steps with fields


@pytest.fixture(autouse=True)
def _empty_keyring(empty_gnupghome, monkeypatch):
    monkeypatch.setenv("GNUPGHOME", empty_gnupghome)  # the wizard lists no real key here


def session() -> Session:
    return Session(workspace="/srv/tfiam/test", terraform_bin="terraform-not-installed-for-this-test")


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def form_words(app) -> str:
    """The words in the form column (right of the step list, without its scrollbar)."""
    right = [line.split("│", 1)[1] if "│" in line else line for line in screen_text(app).splitlines()]
    text = " ".join(right).translate({ord(c): " " for c in "▁▂▃▄▅▆▇█"})
    return " ".join(text.split())


def visible(app, widget: Widget) -> bool:
    """The whole widget lies inside the part of the screen the operator sees: inside the
    scrolled form's window when it is in the form."""
    region = widget.region
    if region.height == 0 or region.width == 0:
        return False
    forms = [node for node in widget.ancestors_with_self if getattr(node, "id", None) == "form"]
    window = forms[0].region if forms else app.screen.region
    return window.contains_region(region)


@pytest.mark.parametrize("step", EDITED_STEPS)
async def test_tab_through_a_step_keeps_every_focused_field_on_screen_at_80x24(step, empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.goto(step)
        await pilot.pause()
        if step == "permissions":  # the longest step: the custom policy's statements too
            app.screen.query_one("#custom-on", Checkbox).value = True
            await pilot.pause()
        seen: list[str] = []
        for _ in range(40):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            assert focused is not None
            name = f"{type(focused).__name__}#{focused.id or focused.name}"
            assert visible(app, focused), f"{step}: {name} has the focus at {focused.region}, off screen"
            seen.append(name)
        assert len(set(seen)) >= 3, seen  # the walk went through the step's fields


async def test_the_focused_field_and_every_toggles_state_read_without_colour(empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        new_group = app.screen.query_one("#new-group", Checkbox)
        new_group.focus()
        await pilot.pause()
        text = screen_text(app)
        assert f"{FOCUS_MARK}[x] Create a new group" in text  # ticked, and where the focus is
        assert "[x] PowerUserAccess" in text and "[ ] AdministratorAccess" in text
        await pilot.press("tab")
        await pilot.pause()
        text = screen_text(app)
        assert f"{FOCUS_MARK} Group name" in text and f"{FOCUS_MARK}[x] Create" not in text
        app.screen.query_one("#policy-list").focus()
        await pilot.pause()
        assert f"{FOCUS_MARK}[x] PowerUserAccess" in screen_text(app)
        await pilot.press("down", "space")  # tick the next one
        await pilot.pause()
        assert f"{FOCUS_MARK}[x] AdministratorAccess" in screen_text(app)


async def test_labels_and_hints_wrap_at_80_columns_instead_of_being_cut(empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        app.screen.query_one("#custom-on", Checkbox).focus()
        await pilot.pause()
        words = form_words(app)
        assert "Custom policy (least privilege, statement by statement)" in words
        hint = next(label for label in app.screen.query(".field-label") if "type to filter" in str(label.render()))
        app.screen.query_one("#form").scroll_to_widget(hint, animate=False, top=True)
        await pilot.pause()
        words = form_words(app)
        assert "(type to filter, Enter or ↓ to the list, space ticks one)" in words


@pytest.mark.parametrize("field", ["#tag-expiry", "#boundary", "#user-path"])
async def test_enter_moves_on_from_every_field_of_the_user_step(field, empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("user")
        await pilot.pause()
        app.screen.query_one(field, Input).focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "permissions"


async def test_enter_in_an_invalid_field_stays_and_says_why(empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("user")
        await pilot.pause()
        await type_into(pilot, "#tag-expiry", "next year")
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "user"
        assert "is not a date" in shown_errors(app)["user.tags"]


async def test_enter_in_the_policy_filter_moves_into_the_list_not_to_the_next_step(empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        await type_into(pilot, "#policy-search", "read only")
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "permissions" and app.focused.id == "policy-list"
        assert app.screen.query_one("#policy-search", Input).value == "read only"  # no space typed into it


async def test_a_lint_error_blocks_its_step_and_the_run_with_replays_message(tmp_path, empty_gnupghome, monkeypatch):
    """IAMFullAccess is a lint error (TFIAM005): replay stops on it with exit 10.  The wizard
    shows it live under the field, refuses Next there, and the run cannot be reached."""
    answers = tmp_path / "bot.yaml"
    answers.write_text((EXAMPLES / "ci-bot.yaml").read_text())
    app = create_app(answers_path=str(answers), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        assert "Findings appear once" not in str(app.screen.query_one("#findings").render())
        await type_into(pilot, "#other-arns", "arn:aws:iam::aws:policy/IAMFullAccess")
        shown = shown_errors(app)
        field = "permissions.groups[0].managed_policies"
        assert "TFIAM005" in shown.get(field, ""), shown  # live, before Next
        assert "ERROR" in str(app.screen.query_one("#findings").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "permissions"
        assert "permissions" not in app.done_steps()  # the step list does not tick it
        app.jump("run")
        await pilot.pause()
        assert screen_name(app) == "permissions"  # sent back to the step that owns the error
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = shown[field].removeprefix("✗ ").split(" (TFIAM005")[0]

    lint = subprocess.run([sys.executable, "-m", "tfiam_tui", "replay", str(answers), "--workspace",
                           str(tmp_path / "ws")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "300"})
    assert lint.returncode == 10, lint.stdout + lint.stderr
    assert message in " ".join((lint.stdout + lint.stderr).split())
    assert not (tmp_path / "ws").exists()  # replay wrote nothing either


async def test_a_statement_that_grants_iam_star_is_blocked_under_it_and_unblocked_when_narrowed(
        empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        actions = app.screen.query(".statement-actions").first(Input)
        await type_into(pilot, f"#{actions.id}" if actions.id else ".statement-actions", "iam:*")
        statement = "permissions.groups[0].custom_policy.statements[0]"
        assert "TFIAM003" in shown_errors(app).get(statement, ""), shown_errors(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "permissions"
        await type_into(pilot, ".statement-actions", "iam:GetUser")
        assert not shown_errors(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "authentication"


async def test_a_policy_typed_as_another_arn_is_ticked_in_the_list_and_goes_when_deleted(
        empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        await type_into(pilot, "#other-arns", "arn:aws:iam::aws:policy/IAMFullAccess")
        listing = app.screen.query_one("#policy-list")
        assert "arn:aws:iam::aws:policy/IAMFullAccess" in listing.selected
        assert shown_errors(app)  # TFIAM005, as above
        await type_into(pilot, "#other-arns", "")
        assert app.form.get("permissions.groups[0].managed_policies") == ["arn:aws:iam::aws:policy/PowerUserAccess"]
        assert "arn:aws:iam::aws:policy/IAMFullAccess" not in listing.selected
        assert not shown_errors(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "authentication"


@pytest.mark.parametrize("size", [(1, 1), (20, 5), (60, 15), (79, 24), (80, 23)])
async def test_a_terminal_below_80x24_says_so_and_points_to_ask_then_comes_back(size, empty_gnupghome, monkeypatch):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("user")
        await pilot.pause()
        await type_into(pilot, "#user-name", "still-here")
        await pilot.resize_terminal(*size)
        await pilot.pause()
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "TooSmallScreen"
        if size[0] >= 60:
            words = " ".join(screen_text(app).split())
            assert f"This terminal is {size[0]}x{size[1]}" in words and "tfiam ask" in words
        await pilot.press("x")  # dropped on the notice: nothing typed into the hidden form
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause(0.1)
        assert screen_name(app) == "user"
        assert app.screen.query_one("#user-name", Input).value == "still-here"


async def test_the_wizard_starts_in_a_small_terminal_without_a_crash(empty_gnupghome, monkeypatch):
    app = create_app(session=session())
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "TooSmallScreen"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause(0.1)
        assert screen_name(app) == "provider"


async def test_keys_typed_while_gpg_checks_the_key_go_to_the_next_step(empty_gnupghome, monkeypatch, tmp_path):
    """Authentication asks gpg (in a worker) before it lets the operator on: keys typed
    meanwhile wait for the verdict and land on State, never in Authentication's fields."""
    import time as _time

    from tests.tui.helpers import post_burst
    from tfiam_tui.engine import secrets

    monkeypatch.setattr(secrets, "find_public_key", lambda ref: (_time.sleep(1.5), ref)[1])  # a slow gpg
    monkeypatch.setattr(secrets, "require_encryption_key", lambda key: None)
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("authentication")
        await pilot.pause()
        app.screen.query_one("#pgp-key", Input).focus()
        await pilot.pause()
        before = app.form.get("authentication.pgp_key")
        post_burst(app, ["enter", "escape"])  # Next, then straight away Back (from State)
        for _ in range(60):
            await pilot.pause(0.1)
            if screen_name(app) == "authentication" and app._held_keys is None and not app._deciding:
                break
        assert app.form.get("authentication.pgp_key") == before  # nothing typed into it
        assert screen_name(app) == "authentication"  # went to State, and escape came back


async def test_quit_typed_with_enter_asks_after_the_step_changes_and_the_question_stays(
        empty_gnupghome, monkeypatch):
    from tests.tui.helpers import post_burst

    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("user")
        await pilot.pause()
        await type_into(pilot, "#user-name", "changed-bot")  # unsaved: quitting asks first
        post_burst(app, ["enter", "ctrl+q"])
        for _ in range(40):
            await pilot.pause(0.1)
            if type(app.screen).__name__ == "ConfirmScreen":
                break
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert [type(s).__name__ for s in app.screen_stack][-2] == "PermissionsScreen"
        await pilot.press("enter")  # Cancel has the focus
        await pilot.pause()
        assert screen_name(app) == "permissions"


async def test_nothing_opens_over_the_too_small_notice_and_it_stays_over_a_new_step(empty_gnupghome, monkeypatch):
    app = create_app(session=session())  # no answers file: ctrl+s would ask where to save
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(70, 20)
        await pilot.pause()
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "TooSmallScreen"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "TooSmallScreen"
        app.goto("user")  # e.g. a worker that moves on while the window is small
        await pilot.pause()
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "TooSmallScreen"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause(0.1)
        assert screen_name(app) == "user"
