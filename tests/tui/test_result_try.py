"""The wizard against a sandbox (a moto server standing in for AWS), with real terraform, the
aws provider and GnuPG: the result screen names the sandbox's endpoint, the command it shows
really works with the decrypted key (run here, as the operator would in another terminal),
and the run writes the same redacted run log as ``tfiam replay``: no secret in it."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from textual.widgets import Button

from tests.fixtures_moto import unique_name
from tests.test_e2e import answers_file, files_containing
from tests.tui.helpers import wait_for
from tests.tui.test_run_progress import screen_text
from tfiam_tui.engine.secrets.handover import try_key_command
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session

pytestmark = pytest.mark.e2e


def operator_shell() -> dict[str, str]:
    """Another terminal of the operator's: none of the test's (or tfiam's) AWS variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def run_shown(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], env=operator_shell(), capture_output=True, text=True,
                          timeout=120, check=False)


async def test_the_result_names_the_sandbox_and_its_command_works_with_the_new_key(
    tmp_path, monkeypatch, moto_endpoint, gnupghome, tf_plugin_dir
):
    monkeypatch.chdir(tmp_path)
    name, group = unique_name("wiz-try"), unique_name("wiz-try-group")
    answers = answers_file(tmp_path, "ci-bot.yaml", None, user__name=name, permissions__groups=[{"name": group}])
    session = Session(sandbox=True, sandbox_factory=lambda: SimpleNamespace(endpoint=moto_endpoint),
                      plugin_dir=tf_plugin_dir)
    app = create_app(answers_path=str(answers), session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("run")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") not in ("starting", "plan"), timeout=240)
        assert app.screen.phase == "planned", str(app.screen.query_one("#run-status").render())
        assert app.focused.id == "apply"
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.focused, "id", None) == "cancel", timeout=20)
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") in ("applied", "failed"), timeout=240)
        assert app.screen.phase == "applied", app.screen.query_one("#run-status").render()
        assert str(app.screen.query_one("#activity").render()).startswith("terraform apply: succeeded (exit code 0)")
        assert set(app.screen.rows.values()) == {"done"}
        await pilot.press("enter")  # Continue →
        await wait_for(pilot, lambda: getattr(app.screen, "_creds", None) is not None, timeout=120)
        await pilot.pause()
        screen = app.screen
        secret, key_id = screen._creds.secret_access_key, screen._creds.access_key_id
        label = str(screen.query_one("#try-label").render())
        assert label == f"Try the new key against the sandbox at {moto_endpoint}"
        assert moto_endpoint in screen_text(app)  # at 80x24 too: wrapped, never cut
        where = str(screen.query_one("#where").render())
        assert f"Endpoint       {moto_endpoint} (the sandbox, a stand-in AWS;" in where
        assert app.focused.id == "save-profile"
        await pilot.press("enter")  # save the profile: the command reads the key from it
        await pilot.pause()
        shown = str(screen.query_one("#try-command").render())
        assert shown.startswith("Saved.") and secret not in shown
        command = shown.splitlines()[-1]
        await pilot.press("r")  # the operator asks to see the secret once
        await pilot.pause()
        assert secret in str(screen.query_one("#secret").render())
        await pilot.press("r")
        encrypted = session.current_pipeline().outputs()["access_key_encrypted_secret"]
        log_path = session.run_log.path

    # Run what the screen shows, from a shell with no AWS variables: STS names the new user.
    saved = tmp_path / f"{name}.credentials"
    assert f"AWS_SHARED_CREDENTIALS_FILE={saved}" in command and f"--endpoint-url {moto_endpoint}" in command
    ran = run_shown(command)
    assert ran.returncode == 0, ran.stderr
    assert f":user/{name}" in ran.stdout
    # Without the aws CLI the screen shows a boto3 one-liner: it works the same way.
    one_liner = try_key_command(str(saved), name, region="eu-central-1", endpoint=moto_endpoint, aws_cli=None,
                                python=sys.executable)
    assert secret not in one_liner
    ran = run_shown(one_liner)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().endswith(f":user/{name}")
    # The answer comes from the key in the file: another key id is not the new user.  (The
    # stand-in checks key ids, not signatures: a wrong secret would pass it, never AWS.)
    other = tmp_path / "other.credentials"
    other.write_text(saved.read_text().replace(key_id, "AKIA" + "Z" * 16))
    elsewhere = run_shown(command.replace(str(saved), str(other)))
    assert f":user/{name}" not in elsewhere.stdout

    # The run log: what was said, redacted; never the secret nor its ciphertext.
    log = log_path.read_text()
    assert log_path.parent == tmp_path / "ws" / ".tfiam" / "logs" and log_path.name.endswith("-wizard.log")
    assert (log_path.stat().st_mode & 0o777) == 0o600
    assert f"SANDBOX: the stand-in AWS at {moto_endpoint}" in log
    assert "terraform plan: changes to apply (exit code 2)" in log
    assert "terraform apply: succeeded (exit code 0)" in log
    assert "✓ The account matches the answers." in log and f"access key id {key_id}" in log
    assert secret not in log and encrypted not in log
    # The secret is only where the operator asked for it: the saved profile (and the copy made here).
    assert sorted(files_containing(tmp_path, secret)) == sorted([saved, other])


async def test_a_run_that_cannot_start_still_says_why_and_writes_no_log_outside_a_workspace(
    tmp_path, monkeypatch, moto_endpoint, gnupghome
):
    """terraform missing: the run stops before anything is written, in words; the log is
    opened only once the workspace is tfiam's, so nothing is left anywhere."""
    monkeypatch.chdir(tmp_path)
    name = unique_name("wiz-notf")
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name)
    session = Session(workspace=str(tmp_path / "ws"), terraform_bin="no-such-terraform-here")
    app = create_app(answers_path=str(answers), session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("run")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") not in ("starting", "plan"), timeout=120)
        status = str(app.screen.query_one("#run-status").render())
        assert app.screen.phase == "failed" and "no-such-terraform-here" in status, status
        assert app.screen.query_one("#replan", Button).display
    assert session.run_log is None
    assert not (tmp_path / "ws" / ".tfiam" / "logs").exists()
