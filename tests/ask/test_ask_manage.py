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
    assert f"Check again any time with: tfiam status {answers}" in out


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
