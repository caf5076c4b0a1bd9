"""Pilot tests per step: errors next to their fields, back/next keep answers, pre-fill
from an answers file, ctrl+s saves.  No terraform here (see test_flow.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textual.widgets import Input

from tests.tui.helpers import post_burst, screen_name, shown_errors, type_into, wait_for
from tfiam_tui.engine import answers as answers_mod
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def no_terraform_session() -> Session:
    """A session whose background init cannot start: terraform is not needed here."""
    return Session(terraform_bin="terraform-not-installed-for-this-test")


async def test_provider_refuses_a_bad_region_and_explains_next_to_the_field():
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#region", "mars-north-1")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "provider"
        assert "is not an AWS region" in shown_errors(app)["provider.region"]
        await type_into(pilot, "#tf-version", "version six")
        assert "not a Terraform version constraint" in shown_errors(app)["provider.terraform_version"]


async def test_region_search_offers_matches_and_enter_picks_the_only_one():
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#region", "tokyo")
        options = app.screen.query_one("#region-list")
        assert options.option_count == 1 and options.get_option_at_index(0).id == "ap-northeast-1"
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "user" and app.form.get("provider.region") == "ap-northeast-1"


async def test_profiles_come_from_the_operators_aws_files(_isolated_home):
    aws = _isolated_home / ".aws"
    aws.mkdir()
    (aws / "config").write_text("[profile admin]\nregion = eu-west-1\n")
    (aws / "credentials").write_text("[ci]\naws_access_key_id = x\naws_secret_access_key = y\n")
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        values = [value for _label, value in app.screen.query_one("#profile")._options]
        assert {"admin", "ci"} <= set(values)


async def test_user_name_is_checked_as_you_type_and_back_next_keep_answers():
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#region", "eu-central-1")
        await pilot.press("enter")
        await pilot.pause()
        await type_into(pilot, "#user-name", "ci bot")
        assert "has a space" in shown_errors(app)["user.name"]  # before any Next
        await type_into(pilot, "#user-name", "ci-bot")
        assert "user.name" not in shown_errors(app)
        await type_into(pilot, "#tag-expiry", "next year")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "user"
        assert "YYYY-MM-DD" in shown_errors(app)["user.tags"]
        await type_into(pilot, "#tag-expiry", "2027-06-30")
        await type_into(pilot, "#tag-owner", "platform")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "permissions"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#user-name", Input).value == "ci-bot"
        assert app.screen.query_one("#tag-owner", Input).value == "platform"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#region", Input).value == "eu-central-1"


async def test_permissions_statement_errors_sit_at_the_statement_and_json_is_live():
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=no_terraform_session())
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("permissions")
        await pilot.pause()
        assert '"ecr:BatchGetImage"' in app.screen.query_one("#policy-json").content.code
        await type_into(pilot, ".statement-actions", "s3 GetObject")
        errors = shown_errors(app)
        assert "not an IAM action" in errors["permissions.groups[0].custom_policy.statements[0]"]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "permissions"
        await type_into(pilot, ".statement-actions", "s3:GetObject")
        assert '"s3:GetObject"' in app.screen.query_one("#policy-json").content.code
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "authentication"


async def test_authentication_needs_a_key_that_exists(gnupghome):
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=no_terraform_session())
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("authentication")
        await pilot.pause()
        await type_into(pilot, "#pgp-key", "")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "is required when access_key or console is true" in shown_errors(app)["authentication.pgp_key"]
        await type_into(pilot, "#pgp-key", "nobody@example.com")
        await pilot.press("ctrl+n")
        for _ in range(50):
            await pilot.pause(0.1)
            if "authentication.pgp_key" in shown_errors(app):
                break
        assert "no public key" in shown_errors(app)["authentication.pgp_key"]
        assert screen_name(app) == "authentication"
        await type_into(pilot, "#pgp-key", "signonly@example.com")
        await pilot.press("ctrl+n")
        for _ in range(50):
            await pilot.pause(0.1)
            if "authentication.pgp_key" in shown_errors(app):
                break
        assert "encrypt" in shown_errors(app)["authentication.pgp_key"]


async def test_both_access_key_and_console_shows_the_guides_warning():
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=no_terraform_session())
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("authentication")
        await pilot.pause()
        assert not app.screen.query_one("#both-warning").display
        app.screen.query_one("#kind-both").value = True
        await pilot.pause()
        assert app.screen.query_one("#both-warning").display
        assert app.form.get("authentication.console") is True
        await type_into(pilot, "#password-length", "6")
        assert "8-128" in shown_errors(app)["authentication.password_length"]


async def test_prefill_from_answers_file_then_ctrl_s_saves_the_same_answers(tmp_path):
    source = tmp_path / "bot.yaml"
    source.write_text((EXAMPLES / "ci-bot.yaml").read_text())
    app = create_app(answers_path=str(source), session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.query_one("#region", Input).value == "eu-central-1"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#user-name", Input).value == "ci-bot"
        await type_into(pilot, "#tag-owner", "security")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.form.dirty
    original = yaml.safe_load((EXAMPLES / "ci-bot.yaml").read_text())
    original["user"]["tags"]["Owner"] = "security"
    assert answers_mod.load(source) == answers_mod.parse(original)


async def test_ctrl_s_on_a_new_wizard_asks_where_and_saves_incomplete_answers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#region", "eu-west-1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "SavePathScreen"
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "provider"
    saved = tmp_path / "tfiam.answers.yaml"
    assert "INCOMPLETE" in saved.read_text()
    resumed = create_app(answers_path=str(saved), session=no_terraform_session())
    async with resumed.run_test(size=(80, 24)) as pilot:
        assert resumed.screen.query_one("#region", Input).value == "eu-west-1"


async def test_quit_with_unsaved_answers_asks_first_and_cancel_is_the_default():
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#region", "eu-west-1")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen"
                       and getattr(app.focused, "id", None) == "cancel",
                       timeout=20)
        await pilot.press("enter")  # Cancel has the focus
        await pilot.pause()
        assert screen_name(app) == "provider" and app.is_running


async def test_review_shows_summary_and_highlighted_workspace_files():
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=no_terraform_session())
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("review")
        await pilot.pause()
        summary = str(app.screen.query_one("#summary").render())
        assert "User        ci-bot (path /) in eu-central-1" in summary
        assert "Group       ci-group (new): PowerUserAccess, ci-policy (custom, 1 statement(s))" in summary
        panes = [p.id for p in app.screen.query("TabPane")]
        assert "file-terraform-tfvars-json" in panes and "file-main-tf" in panes


async def test_command_palette_jumps_only_to_reachable_steps():
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.jump("review")
        await pilot.pause()
        assert screen_name(app) == "provider"  # step 1 is not done yet


async def test_state_step_s3_fields_are_the_engines_and_each_rule_sits_under_its_field(tmp_path):
    source = tmp_path / "bot.yaml"
    source.write_text((EXAMPLES / "ci-bot.yaml").read_text())
    app = create_app(answers_path=str(source), session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("backend")
        await pilot.pause()
        assert not app.screen.query_one("#s3-box").display
        app.screen.query_one("#type-s3").value = True
        await pilot.pause()
        assert app.screen.query_one("#s3-box").display
        assert app.form.get("backend.key") == "iam/users/ci-bot.tfstate"  # a sensible key, typed over at will
        await type_into(pilot, "#s3-bucket", "Team_State")
        await type_into(pilot, "#s3-region", "mars-1")
        await type_into(pilot, "#s3-kms-key-id", "my key")
        app.screen.query_one("#s3-encrypt").value = False
        app.screen.query_one("#s3-use-lockfile").value = False
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "backend"
        errors = shown_errors(app)
        assert "has uppercase letters" in errors["backend.bucket"]
        assert "is not an AWS region" in errors["backend.region"]
        assert "always stores it encrypted" in errors["backend.encrypt"]
        assert "is not a KMS key" in errors["backend.kms_key_id"]
        await type_into(pilot, "#s3-bucket", "")
        assert "0 characters long" in shown_errors(app)["backend.bucket"]  # the rule, not "None is not a string"

        await type_into(pilot, "#s3-bucket", "team-state")
        await type_into(pilot, "#s3-region", "")
        await type_into(pilot, "#s3-kms-key-id", "alias/terraform-state")
        await type_into(pilot, "#s3-profile", "")
        app.screen.query_one("#s3-encrypt").value = True
        await pilot.pause()
        assert "nothing would lock the state" in shown_errors(app)["backend.use_lockfile"]
        await type_into(pilot, "#s3-dynamodb-table", "tf-locks")  # the old way still locks...
        assert not shown_errors(app)
        assert "deprecated" in str(app.screen.query_one("#backend-note").render())  # ...with a note
        # switching to Local and back keeps what was typed
        app.screen.query_one("#type-local").value = True
        await pilot.pause()
        assert app.form.get("backend") == {"type": "local"}
        app.screen.query_one("#type-s3").value = True
        await pilot.pause()
        assert app.form.get("backend.bucket") == "team-state"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "review"
        assert "s3://team-state/iam/users/ci-bot.tfstate (eu-central-1, DynamoDB tf-locks)" in str(
            app.screen.query_one("#summary").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = answers_mod.load(source).backend
    assert (saved.type, saved.bucket, saved.key, saved.region, saved.kms_key_id, saved.use_lockfile,
            saved.dynamodb_table, saved.profile, saved.encrypt) == (
        "s3", "team-state", "iam/users/ci-bot.tfstate", None, "alias/terraform-state", False, "tf-locks", None, True)


async def test_console_user_gets_mfa_by_default_and_the_linter_says_why_on_the_step():
    app = create_app(answers_path=str(EXAMPLES / "ci-bot.yaml"), session=no_terraform_session())
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("authentication")
        await pilot.pause()
        mfa = app.screen.query_one("#enforce-mfa")
        assert not mfa.display or not app.screen.query_one("#console-box").display  # access key only: hidden
        def findings() -> str:
            return str(app.screen.query_one("#auth-findings").render())

        # Each change goes widget -> message -> form -> findings: wait for the last hop, as
        # a loaded machine may need more than one pause for it.
        app.screen.query_one("#kind-console").value = True
        await wait_for(pilot, lambda: app.form.get("authentication.enforce_mfa") is True, timeout=30)
        assert app.screen.query_one("#console-box").display and mfa.value is True
        await wait_for(pilot, lambda: "TFIAM052" not in findings(), timeout=30)
        mfa.value = False
        await wait_for(pilot, lambda: "leaked password" in findings(), timeout=30)
        assert "authentication.enforce_mfa" in findings()
        app.screen.query_one("#kind-both").value = True
        mfa.value = True
        await wait_for(pilot, lambda: "calls made with the access key alone are denied" in findings(), timeout=30)
        app.goto("review")
        await wait_for(pilot, lambda: any("MFA required" in str(w.render()) for w in app.screen.query("#summary")),
                       timeout=30)


async def test_editing_keys_typed_in_a_burst_apply_in_the_order_typed():
    """Textual runs bound keys (backspace, ctrl+u) only after they bubble to the App, while
    characters go in at once; the wizard's Input applies both in order (textual#6605).
    Keys are posted the way the terminal driver posts them, without waiting in between."""
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#region", "eu-central-1")
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "user"
        post_burst(app, [*"term bot", "ctrl+u", *"ci-bax", "backspace", "backspace", *"ot"])
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#user-name", Input).value == "ci-bot"
        assert app.form.get("user.name") == "ci-bot"


@pytest.mark.parametrize("next_key", ["enter", "ctrl+n"])
async def test_keys_typed_while_the_next_step_opens_go_to_the_next_step(next_key):
    """Region, Enter (or ctrl+n) and the user name typed in one go, as the terminal driver
    posts them: the name lands in the User step's first field, and the region keeps what
    was typed for it."""
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        post_burst(app, [*"eu-central-1", next_key, *"fast-bot"])
        for _ in range(10):
            await pilot.pause()
        assert screen_name(app) == "user"
        assert app.form.get("provider.region") == "eu-central-1"
        assert app.screen.query_one("#user-name", Input).value == "fast-bot"
        assert app.form.get("user.name") == "fast-bot"


async def test_next_typed_while_the_next_step_opens_moves_on_from_that_step():
    """ctrl+n pressed twice in quick succession: the second one, held while the User step
    opened, is replayed there and moves on (it once stopped at the screen and was lost)."""
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        post_burst(app, [*"eu-central-1", "ctrl+n", *"fast-bot", "ctrl+n"])
        for _ in range(20):
            await pilot.pause()
        assert app.form.get("user.name") == "fast-bot"
        assert screen_name(app) == "permissions"



async def test_text_typed_after_tab_in_one_burst_goes_to_the_field_tab_moved_to():
    """"platform" Tab "ci" arriving together (a paste, a macro, SSH): Textual's own Tab
    binding ran only after the key bubbled up from the focused field, so "ci" reached the
    Owner field first (Owner = "platformci", Purpose empty)."""
    app = create_app(session=no_terraform_session())
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("user")
        await wait_for(pilot, lambda: bool(app.screen.query("#tag-owner")), timeout=60)
        app.screen.query_one("#tag-owner").focus()
        await pilot.pause()
        post_burst(app, [*"platform", "tab", *"ci", "shift+tab", "end", *"-team"])
        for _ in range(10):
            await pilot.pause()
        assert app.screen.query_one("#tag-owner", Input).value == "platform-team"
        assert app.screen.query_one("#tag-purpose", Input).value == "ci"
        assert app.form.get("user.tags.Purpose") == "ci"
