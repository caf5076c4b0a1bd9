"""Stop during apply, in the wizard: one interrupt reaches terraform, it saves state,
the run screen says what was and was not created, and "Plan again" finishes the job.
AWS is slowed down at CreateAccessKey (test_interrupt's SlowProxy) so Stop lands
mid-apply, against real terraform, the aws provider and moto."""

from __future__ import annotations

import json

import boto3
import pytest
from textual.widgets import Button

from tests.fixtures_moto import unique_name
from tests.test_e2e import answers_file
from tests.test_interrupt import SlowProxy
from tests.tui.helpers import wait_for
from tfiam_tui.engine.aws import verify
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

pytestmark = pytest.mark.e2e


def status(app) -> str:
    return str(app.screen.query_one("#run-status").render())


async def plan_and_apply(pilot) -> None:
    """Wait for the plan, then Apply… and confirm in the modal (Cancel has the focus)."""
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.phase not in ("plan", "starting"), timeout=240)
    assert app.screen.phase == "planned", status(app)
    app.screen.query_one("#apply", Button).press()
    await pilot.pause()
    await pilot.press("tab", "enter")
    # The confirmation closes and the apply starts through a few messages: wait for it (one
    # pause was not always enough on a loaded machine); it may even be done already.
    await wait_for(pilot, lambda: app.screen.phase != "planned", timeout=60)
    assert app.screen.phase in ("apply", "applied", "nothing to do"), status(app)


async def test_stop_during_apply_saves_state_says_what_was_done_and_plan_again_finishes(
    tmp_path, monkeypatch, moto_endpoint, gnupghome, tf_plugin_dir
):
    monkeypatch.chdir(tmp_path)
    proxy = SlowProxy(moto_endpoint, "CreateAccessKey", delay=8)
    name, group = unique_name("wiz-stop"), unique_name("wiz-stop-group")
    answers = answers_file(tmp_path, "ci-bot.yaml", proxy.url, user__name=name, permissions__groups=[{"name": group}])
    session = Session(plugin_dir=tf_plugin_dir)
    app = create_app(answers_path=str(answers), session=session)
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="eu-central-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    state_file = tmp_path / "ws" / "terraform.tfstate"
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            app.goto("run")
            await plan_and_apply(pilot)
            await wait_for(pilot, proxy.held.is_set, timeout=120)  # terraform is creating the key
            assert app.screen.query_one("#stop", Button).display  # Stop is offered while terraform runs
            said_meanwhile: list[str] = []
            show = app.screen._status
            app.screen._status = lambda text: (said_meanwhile.append(text), show(text))
            await pilot.press("ctrl+c")
            assert session.pipeline.runner.sigints_sent == 1
            assert "asked terraform once to stop" in said_meanwhile[0]
            await pilot.press("ctrl+c")  # impatient: a second press only explains, never a second SIGINT
            await wait_for(pilot, lambda: app.screen.phase != "apply", timeout=120)
            assert app.screen.phase == "interrupted", status(app)
            assert session.pipeline.runner.sigints_sent == 1

            # The screen says what was and was not created; every planned resource is accounted for.
            said = status(app)
            assert said.startswith("Stopped. terraform saved its state and released the lock.")
            created = said.split("Created/changed: ", 1)[1].split("\n", 1)[0]
            not_done = said.split("Not done: ", 1)[1].split("\n", 1)[0]
            assert "aws_iam_user.this" in created
            for address in app.screen.rows:
                assert address in created or address in not_done or address in said, address
            assert "'Plan again' plans the rest" in said
            if "Failed: " in said:  # the key's request was cut off: AWS may still have made it
                assert "may still have finished in AWS" in said
            assert app.screen.query_one("#replan", Button).display
            # ...and it is true: the state holds what was created, and no lock is left.
            state = json.loads(state_file.read_text())
            in_state = {f"{r['type']}.{r['name']}" for r in state["resources"] if r["mode"] == "managed"}
            assert "aws_iam_user.this" in in_state
            assert not (tmp_path / "ws" / ".terraform.tfstate.lock.info").exists()
            assert iam.get_user(UserName=name)["User"]["UserName"] == name

            # The second run: Plan again plans only what is missing, applies it, verifies.
            app.screen.query_one("#replan", Button).press()
            await pilot.pause()
            await wait_for(pilot, lambda: app.screen.phase not in ("plan", "starting"), timeout=240)
            if app.screen.phase == "planned":
                assert not [a for a in app.screen.rows if a.endswith("aws_iam_user.this")]  # not created twice
                await plan_and_apply(pilot)
                await wait_for(pilot, lambda: app.screen.phase != "apply", timeout=240)
            assert app.screen.phase in ("applied", "nothing to do"), status(app)
            assert session.pipeline.runner.sigints_sent == 0  # a new run, never interrupted
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: getattr(app.screen, "_creds", None) is not None, timeout=120)
            checklist = str(app.screen.query_one("#checklist").render())
            creds = app.screen._creds

        keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
        if len(keys) == 1:  # terraform recorded the key before it stopped (or never asked for it)
            assert keys == [creds.access_key_id]
            assert "✓ The account matches the answers." in checklist and "[FAIL]" not in checklist, checklist
            return
        # AWS created the key but the interrupted terraform never got the answer (its request
        # was cancelled mid-flight): the key is in the account, not in state, and the second
        # run made the managed one.  Verification names the stray key and how to remove it;
        # nothing else fails.
        assert len(keys) == 2 and creds.access_key_id in keys
        failed = [line for line in checklist.splitlines() if line.startswith("[FAIL]")]
        orphan = next(k for k in keys if k != creds.access_key_id)
        assert len(failed) == 1 and orphan in failed[0] and "aws iam delete-access-key" in failed[0], checklist
        iam.delete_access_key(UserName=name, AccessKeyId=orphan)
        checks = session.pipeline.verify(creds)
        assert verify.all_ok(checks), verify.format_checklist(checks)
    finally:
        proxy.close()
