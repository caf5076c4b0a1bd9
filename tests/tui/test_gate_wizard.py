"""The destroy gate in the wizard: a plan that deletes shows the DANGER block and is applied
only once the user name is typed (real terraform, provider and moto)."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from tests.fixtures_moto import unique_name
from tests.test_e2e import answers_file, iam, run_tfiam
from tests.tui.helpers import screen_name, type_into, wait_for
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

pytestmark = pytest.mark.e2e


async def test_a_dangerous_plan_needs_the_user_name_typed(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir):
    name = unique_name("wiz-gate")
    groups = [{"name": f"{name}-keep"}, {"name": f"{name}-drop"}]
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=groups)
    first = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert first.returncode == Exit.OK, first.stdout + first.stderr
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=groups[:1])

    client = iam(moto_endpoint)

    def groups_now() -> set[str]:
        return {g["GroupName"] for g in client.list_groups_for_user(UserName=name)["Groups"]}

    session = Session(workspace=str(tmp_path / "ws"), plugin_dir=tf_plugin_dir)
    app = create_app(answers_path=str(answers), session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        app.goto("run")
        await pilot.pause()
        assert screen_name(app) == "run"
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") in ("planned", "failed"), timeout=240)
        assert app.screen.phase == "planned", app.screen.query_one("#run-status").render()
        headline = str(app.screen.query_one("#plan-headline").render())
        assert "DANGER: this plan deletes" in headline and "Plan: 0 to add, 1 to change, 1 to destroy." in headline

        app.screen.query_one("#apply", Button).press()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "TypeToConfirmScreen", timeout=20)
        dialog = app.screen
        body = str(dialog.query_one("#dialog-body").render())
        assert f"group {name}-drop will be deleted" in body
        confirm = dialog.query_one("#confirm", Button)
        assert confirm.disabled
        await pilot.press("enter")  # Enter out of habit: nothing happens
        await type_into(pilot, "#type-to-confirm", name[:-1])
        await pilot.press("enter")
        assert app.screen is dialog and confirm.disabled  # a near miss is not the name
        await type_into(pilot, "#type-to-confirm", name)
        assert not confirm.disabled
        assert groups_now() == {g["name"] for g in groups}  # nothing applied yet
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") in ("applied", "failed"), timeout=240)
        assert app.screen.phase == "applied", app.screen.query_one("#run-status").render()
    assert groups_now() == {f"{name}-keep"}
