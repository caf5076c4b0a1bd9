"""The wizard's "manage a user" (issue 14, item 5) in a real terminal (tmux, 80x24): the
first choice, the status of a user made by replay, and a rotation step taken through
``tfiam rotate`` itself (its plan and its question, on the plain terminal), then back in
the wizard with the status read again.  Real terraform and provider, the stand-in AWS."""

from __future__ import annotations

import os
import shlex
import uuid

import pytest

from tests.ask.test_ask_terminal import Terminal
from tests.test_e2e import TFIAM, answers_file, run_tfiam
from tests.test_rotate import _keys
from tests.tui.test_wizard_terminal import UI, keys
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

_PASSED_ON = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED", "GNUPGHOME")



def test_the_wizard_shows_a_users_status_and_takes_a_rotation_step(tmp_path, moto_endpoint, gnupghome,
                                                                    tf_plugin_dir):
    name = f"wizrot-{uuid.uuid4().hex[:10]}"
    groups = [{"name": f"{name}-g", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}]
    answers = answers_file(tmp_path, "ci-bot.yaml", moto_endpoint, user__name=name, permissions__groups=groups)
    made = run_tfiam("replay", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    [old] = _keys(moto_endpoint, name)

    # The tmux server may have been started by another test: hand this test's environment over.
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in _PASSED_ON if k in os.environ)
    command = (f"cd {tmp_path} && env {env} TERM=xterm-256color {TFIAM} --plugin-dir {tf_plugin_dir}; "
               f"echo TFIAM-EXIT=$?; sleep 120")
    term = Terminal(f"tfiam-manage-{os.getpid()}-{uuid.uuid4().hex[:8]}", command, width=80, height=24)
    try:
        term.wait_for("What do you want to do?", timeout=UI)
        keys(term, "Tab", "Enter")  # the second choice: manage a user
        term.wait_for("Answers file of the user", timeout=UI)
        keys(term, "Enter", literal="nope.yaml")  # no such file: the rule shows, nothing is read
        term.wait_for("nope.yaml is not a file", timeout=UI)
        keys(term, "C-u")
        keys(term, "Enter", literal="answers.yaml")
        term.wait_for("Can run now: Start a rotation", timeout=UI)
        before = term.screen()
        keys(term, "Enter")  # the step's button has the focus
        term.wait_for("Apply this step (start)?", timeout=300)  # tfiam rotate's own question
        plan = term.screen()
        keys(term, "y")
        term.wait_for("Press Enter to return to the wizard", timeout=300)
        ended = term.screen()
        keys(term, "Enter")
        term.wait_for("Roll back", timeout=UI)
        after = term.screen()
        keys(term, "C-q")
        term.wait_for("TFIAM-EXIT=", timeout=60)
        final = term.screen()
    finally:
        term.close()
    assert f"{name}  (answers.yaml)" in before and old in before and "needs action  nothing" in before
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in plan
    assert "the step is applied and verified" in ended and "[FAIL]" not in ended
    keys_now = _keys(moto_endpoint, name)
    assert len(keys_now) == 2 and set(keys_now.values()) == {"Active"} and old in keys_now
    assert all(key in after for key in keys_now), after  # the status was read again: both keys
    assert "Cut over anyway" in after and "rotation-in-progress" in after
    assert "TFIAM-EXIT=0" in final, final
