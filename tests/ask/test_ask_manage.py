"""``tfiam ask``, "manage a user" (issue 14, item 5): the status of a user made by replay and
the rotation step open now, taken through ``tfiam rotate``'s own plan and confirmation,
against the stand-in AWS with the real terraform and provider."""

from __future__ import annotations

import uuid

import pytest

from tests.ask.test_ask import DOWN, ENTER, KILL_LINE, run_ask
from tests.test_e2e import answers_file, run_tfiam
from tests.test_rotate import _keys
from tfiam_tui.engine.exitcodes import Exit

MANAGE = [DOWN, ENTER]  # the first question's second choice



@pytest.mark.e2e
def test_manage_shows_the_status_and_starts_a_rotation(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir,
                                                       monkeypatch):
    name = f"askrot-{uuid.uuid4().hex[:10]}"
    groups = [{"name": f"{name}-g", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=groups)
    made = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    [old] = _keys(moto_endpoint, name)

    keys = [
        *MANAGE,
        str(tmp_path / "nope.yaml") + ENTER, KILL_LINE,  # not a file: refused, asked again
        str(answers) + ENTER,
        ENTER,                                            # the first choice: start a rotation
        "y",                                              # rotate's own question: apply this step?
        DOWN, DOWN, DOWN, ENTER,                          # cut over anyway, roll back, again, done
    ]
    code, out = run_ask(keys, "--plugin-dir", tf_plugin_dir, monkeypatch=monkeypatch, create=False)
    assert code == Exit.OK, out
    # Before the step: the status as tfiam status prints it, and the step in words.
    assert f"{name}  (" in out and "  access keys" in out and old in out
    assert "Can run now: Start a rotation: make a new access key (slot b)" in out
    # The step ran as tfiam rotate runs it: its plan, then its verification.
    assert f"$ tfiam rotate {answers} --plugin-dir {tf_plugin_dir}" in out
    assert "This step (start)" in out and "Plan: 2 to add, 0 to change, 0 to destroy." in out
    keys_now = _keys(moto_endpoint, name)
    assert len(keys_now) == 2 and set(keys_now.values()) == {"Active"} and old in keys_now
    # Afterwards: where the rotation stands, and cutover offered only as an override.
    after = out.split("This step (start)", 1)[1]
    assert "Rotation started" in after
    assert "The next step cannot run now: the new key has not been used since it was made" in after
    assert "Can run now: Cut over anyway" in after and "Can run now: Roll back" in after
    assert out.split("Check again any time with:\n", 1)[1].splitlines()[0] == f"  tfiam status {answers}"


def test_manage_without_an_access_key_offers_no_step_and_changes_nothing(tmp_path, moto_endpoint, gnupghome,
                                                                        monkeypatch):
    name = f"askrot-{uuid.uuid4().hex[:10]}"
    answers = answers_file(tmp_path, "console-user.yaml", moto_endpoint, user__name=name,
                           authentication__access_key=False)
    keys = [*MANAGE, str(answers) + ENTER, DOWN, ENTER]  # past "show the status again": done
    code, out = run_ask(keys, monkeypatch=monkeypatch, create=False)
    assert code == Exit.OK, out
    assert "No rotation step can run now: the answers ask for no access key" in out
    assert "Can run now" not in out
    assert not (tmp_path / "ws").exists()  # looking wrote nothing


@pytest.mark.e2e
def test_manage_under_sandbox_reads_the_sandbox_says_so_and_hints_with_sandbox(tmp_path, gnupghome, monkeypatch):
    """A newcomer with no AWS credentials at all: the status is read from the sandbox with
    its dummy credentials (it said NoCredentialsError), each status opens with the SANDBOX
    line and its endpoint, every line fits 80 columns, and the hint carries --sandbox."""
    import re

    from tests.test_e2e import iam
    from tests.test_e2e import run_tfiam as tfiam

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    started = tfiam("sandbox", "start", timeout=120)  # this test's own: XDG_CACHE_HOME is the test's
    try:
        assert started.returncode == Exit.OK, started.stdout + started.stderr
        endpoint = re.search(r"at (http://127\.0\.0\.1:\d+) \(pid", started.stdout).group(1)
        name = f"asksbx-{uuid.uuid4().hex[:10]}"
        iam(endpoint, key=("SANDBOXACCESSKEYID00", "sandbox-secret-not-a-real-key")).create_user(UserName=name)
        answers = answers_file(tmp_path, "console-user.yaml", None, user__name=name,
                               authentication__access_key=False)
        keys = [*MANAGE, str(answers) + ENTER, DOWN, ENTER]  # past "show the status again": done
        code, out = run_ask(keys, "--sandbox", monkeypatch=monkeypatch, create=False)
    finally:
        tfiam("sandbox", "stop", timeout=60)
    assert code == Exit.OK, out
    lines = out.splitlines()
    assert lines[0] == "SANDBOX · nothing touches a real AWS account"
    status = out.split(f"SANDBOX: the stand-in AWS at {endpoint}", 1)[1]
    assert f"{name}  (" in status and "NoCredentialsError" not in out
    assert "\n  error" not in status.split("Check again")[0], status  # the status was read, not an error
    assert not [line for line in lines if len(line) > 80 and not line.startswith("  tfiam ")]
    assert out.split("Check again any time with:\n", 1)[1].splitlines()[0] == f"  tfiam status {answers} --sandbox"
