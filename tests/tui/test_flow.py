"""The whole wizard through its UI, against real terraform, the aws provider and a moto
server, with a real GnuPG key: first screen to a verified user and a decrypted key."""

from __future__ import annotations

import boto3
import pytest
import yaml
from textual.widgets import Button, Checkbox, Input

from tests.fixtures_moto import unique_name
from tests.tui.helpers import screen_name, shown_errors, type_into, wait_for
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

pytestmark = pytest.mark.e2e


async def answer_ci_bot(pilot, name: str, endpoint: str, group: str) -> None:
    """Steps 1-5 for the guide's CI bot, typed like an operator would."""
    app = pilot.app
    await type_into(pilot, "#region", "frankfurt")
    await pilot.press("enter")  # the only match is picked
    await pilot.pause()
    assert screen_name(app) == "user"  # endpoint below is typed on the way back
    await pilot.press("escape")
    await pilot.pause()
    app.screen.query_one("Collapsible").collapsed = False
    await type_into(pilot, "#endpoint", endpoint)
    await pilot.press("ctrl+n")
    await pilot.pause()

    assert screen_name(app) == "user"
    await type_into(pilot, "#user-name", name)
    await type_into(pilot, "#tag-owner", "platform")
    await type_into(pilot, "#tag-purpose", "ci")
    await type_into(pilot, "#tag-expiry", "2027-06-30")
    await pilot.press("ctrl+n")
    await pilot.pause()

    assert screen_name(app) == "permissions"
    await type_into(pilot, "#group-name", group)
    await type_into(pilot, "#policy-search", "PowerUser")
    app.screen.query_one("#policy-list").focus()
    await pilot.press("space")
    await pilot.pause()
    app.screen.query_one("#custom-on", Checkbox).value = True
    await pilot.pause()
    await type_into(pilot, "#custom-name", f"{group}-policy")
    await type_into(pilot, ".statement-actions", "sts:GetCallerIdentity, ecr:GetAuthorizationToken")
    await type_into(pilot, ".statement-resources", "*")
    await pilot.press("ctrl+n")
    await pilot.pause()

    assert screen_name(app) == "authentication", (shown_errors(app), app.form.data["permissions"])
    await wait_for(pilot, lambda: len(app.screen.keys) > 0, timeout=20)
    await type_into(pilot, "#pgp-key", "op@example.com")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "backend", timeout=20)
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert screen_name(app) == "review"


async def test_ci_bot_from_first_screen_to_verified_user_and_decrypted_key(
    tmp_path, monkeypatch, moto_endpoint, gnupghome, tf_plugin_dir
):
    monkeypatch.chdir(tmp_path)
    name, group = unique_name("wiz-bot"), unique_name("wiz-group")
    session = Session(workspace=str(tmp_path / "ws"), plugin_dir=tf_plugin_dir)
    app = create_app(session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await answer_ci_bot(pilot, name, moto_endpoint, group)
        review = app.screen.query_one("#summary").render()
        assert f"User        {name}" in str(review) and "PowerUserAccess" in str(review)

        await pilot.press("ctrl+n")  # Run plan
        await pilot.pause()
        assert screen_name(app) == "run"
        await wait_for(pilot, lambda: app.screen.phase != "plan", timeout=180)
        assert app.screen.phase == "planned", app.screen.query_one("#run-status").render()
        assert "Plan: 7 to add, 0 to change, 0 to destroy." in str(app.screen.query_one("#plan-headline").render())
        # init ran in the background while the questions were answered
        assert session.init_state == "done"

        app.screen.query_one("#apply", Button).press()
        # The confirmation, once mounted, has Cancel focused (times out otherwise): Enter alone never applies.
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen"
                       and getattr(app.focused, "id", None) == "cancel",
                       timeout=20)
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") in ("applied", "failed"), timeout=180)
        assert app.screen.phase == "applied", app.screen.query_one("#run-status").render()
        assert set(app.screen.rows.values()) == {"done"} and len(app.screen.rows) == 7
        assert app.screen.query_one("#apply-progress").percentage == 1.0

        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "result"
        # op@example.com has no passphrase: the wizard decrypts and checks the key right away
        await wait_for(pilot, lambda: app.screen._creds is not None, timeout=60)
        checklist = str(app.screen.query_one("#checklist").render())
        assert "✓ The account matches the answers." in checklist and "[FAIL]" not in checklist
        secret = app.screen._creds.secret_access_key
        key_id = app.screen._creds.access_key_id
        assert secret not in str(app.screen.query_one("#secret").render())  # masked until revealed
        await pilot.press("r")
        await pilot.pause()
        assert secret in str(app.screen.query_one("#secret").render())
        await pilot.press("r")
        await pilot.pause()
        assert secret not in str(app.screen.query_one("#secret").render())
        app.screen.query_one("#copy-secret", Button).press()
        await pilot.pause()
        assert app.clipboard == secret

        target = tmp_path / "handover.credentials"
        app.screen.query_one("#save-path", Input).value = str(target)
        app.screen.query_one("#save-profile", Button).press()
        await pilot.pause()
        where = str(app.screen.query_one("#where").render())
        # the log never showed a secret
        run_log = session.run_log.path.read_text()
        assert secret not in run_log and "terraform apply: succeeded (exit code 0)" in run_log

    assert (target.stat().st_mode & 0o777) == 0o600
    assert target.read_text() == f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    sts = boto3.client("sts", endpoint_url=moto_endpoint, region_name="eu-central-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{name}")
    saved = yaml.safe_load((tmp_path / f"{name}.answers.yaml").read_text())
    assert saved["user"]["tags"] == {"Owner": "platform", "Purpose": "ci", "Expiry": "2027-06-30"}
    assert saved["permissions"]["groups"][0]["managed_policies"] == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert f"tfiam replay {tmp_path / (name + '.answers.yaml')} --workspace {tmp_path / 'ws'}" in where


async def test_a_user_made_by_hand_earlier_stops_the_run_before_apply(
    tmp_path, monkeypatch, moto_endpoint, gnupghome, tf_plugin_dir
):
    """The run screen checks the plan's new names against the account: a clash is shown
    with the import commands, and Apply is not offered."""
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    name, group = unique_name("wiz-handmade"), unique_name("wiz-group")
    boto3.client("iam", endpoint_url=moto_endpoint, region_name="eu-central-1").create_user(UserName=name)
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "ci-bot.yaml").read_text())
    data["provider"]["endpoint"] = moto_endpoint
    data["user"]["name"] = name
    data["permissions"]["groups"][0]["name"] = group
    data["permissions"]["groups"][0]["custom_policy"]["name"] = f"{group}-policy"
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(data, sort_keys=False))
    session = Session(workspace=str(tmp_path / "ws"), plugin_dir=tf_plugin_dir)
    app = create_app(answers_path=str(answers), session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("run")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") not in ("starting", "plan"), timeout=180)
        status = str(app.screen.query_one("#run-status").render())
        assert app.screen.phase == "failed", status
        assert f"the user '{name}' already exists in the account" in status
        assert f"import module.iam_user.aws_iam_user.this {name}" in status
        assert not app.screen.query_one("#apply", Button).display
        assert app.screen.query_one("#replan", Button).display  # after importing, plan again
    groups = boto3.client("iam", endpoint_url=moto_endpoint, region_name="eu-central-1").list_groups()["Groups"]
    assert group not in {g["GroupName"] for g in groups}  # nothing was applied
