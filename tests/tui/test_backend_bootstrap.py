"""The State step's "Create the bucket (and lock table) if missing", in sandbox mode:
real terraform and the aws provider against the moto server, driven through the UI."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from botocore.exceptions import ClientError
from textual.widgets import Log

from tests.fixtures_moto import SANDBOX_REGION, sandbox_client, unique_name
from tests.tui.helpers import screen_name, wait_for
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.screens.dialogs import ConfirmScreen
from tfiam_tui.tui.session import Session

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ci-bot.yaml"


def status(app) -> str:
    return str(app.screen.query_one("#bootstrap-status").render())


def confirmation_open(app) -> bool:
    """The confirmation is on screen, mounted, with its default (Cancel) focused: the
    screen becomes current before it has mounted its widgets."""
    return isinstance(app.screen, ConfirmScreen) and app.focused is not None and app.focused.id == "cancel"


async def press_bootstrap(pilot) -> None:
    pilot.app.screen.query_one("#bootstrap").focus()
    await pilot.pause()
    await pilot.press("enter")


async def test_state_step_creates_the_missing_bucket_and_table_in_the_sandbox(
    tmp_path, moto_endpoint, tf_plugin_dir
):
    bucket, table = unique_name("wiz-state"), unique_name("wiz-lock")
    data = yaml.safe_load(EXAMPLE.read_text())
    data["provider"].update(region=SANDBOX_REGION, endpoint=None)  # sandbox mode supplies the endpoint
    data["backend"] = {"type": "s3", "bucket": bucket, "key": "iam/users/ci-bot.tfstate", "dynamodb_table": table}
    answers = tmp_path / "ci-bot.yaml"
    answers.write_text(yaml.safe_dump(data))
    shutil.rmtree(tmp_path / "tfiam-ci-bot", ignore_errors=True)
    # The session's sandbox is the test's moto server (no stop(): the server is shared).
    session = Session(sandbox=True, sandbox_factory=lambda: SimpleNamespace(endpoint=moto_endpoint),
                      plugin_dir=tf_plugin_dir)
    s3, dynamodb = sandbox_client(moto_endpoint, "s3"), sandbox_client(moto_endpoint, "dynamodb")
    app = create_app(answers_path=str(answers), session=session)
    async with app.run_test(size=(120, 50)) as pilot:
        app.goto("backend")
        await pilot.pause()
        assert screen_name(app) == "backend"

        # Cancel is the default: Enter on the confirmation creates nothing.
        await press_bootstrap(pilot)
        await wait_for(pilot, lambda: confirmation_open(app), timeout=120)
        body = str(app.screen.query_one("#dialog-body").render())
        assert f"s3://{bucket}" in body and "aws_dynamodb_table.lock[0]" in body
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Not applied" in status(app), timeout=10)
        with pytest.raises(ClientError):
            s3.head_bucket(Bucket=bucket)

        # Again, and confirm: the bucket and table are created, the log shows terraform's lines.
        await press_bootstrap(pilot)
        await wait_for(pilot, lambda: confirmation_open(app), timeout=120)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: status(app).startswith(("✓", "✗")), timeout=180)
        report = status(app)
        assert report.startswith("✓"), report
        assert "already there: nothing" in report
        assert "created:       bucket, versioning, default encryption, public access block, bucket policy, " \
               "DynamoDB lock table" in report
        log = "\n".join(app.screen.query_one("#bootstrap-log", Log).lines)
        assert "Apply complete" in log or "Creation complete" in log, log[-2000:]
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert dynamodb.describe_table(TableName=table)["Table"]["KeySchema"][0]["AttributeName"] == "LockID"

        # A second run finds everything and changes nothing (no confirmation needed).
        await press_bootstrap(pilot)
        await wait_for(pilot, lambda: status(app).startswith(("✓", "✗")), timeout=180)
        report = status(app)
        assert "Nothing to create or change" in report, report
        assert "already there: bucket, versioning" in report and "created:       nothing" in report
        assert screen_name(app) == "backend"
