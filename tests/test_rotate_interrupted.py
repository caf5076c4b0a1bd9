"""A rotation step killed in the middle of its apply converges on the next run (issue 14:
"a step interrupted in the middle converges on the next run").  The start step is
interrupted while AWS is carrying out CreateAccessKey for the new slot: a proxy in front of
the stand-in holds that call until terraform (or tfiam) is SIGKILLed, then forwards it, so
the new key exists in AWS whether or not anybody heard about it.  The next ``tfiam rotate``
neither loses the old key nor leaves a key nobody holds the secret of."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid

import pytest

from tests.test_converge import Descendants, HoldingProxy, Run, _answers, _replay, terraform_apply_of, wait_gone
from tests.test_e2e import TFIAM
from tests.test_rotate import _keys
from tfiam_tui.engine.exitcodes import Exit

pytestmark = pytest.mark.e2e

NEW_KEY = 'module.iam_user.aws_iam_access_key.this["b"]'



def _rotate(answers, tf_plugin_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run([TFIAM, "rotate", str(answers), "--auto-approve", "--plugin-dir", tf_plugin_dir],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)


def _state_slots(ws) -> dict[str, str]:
    state = json.loads((ws / "terraform.tfstate").read_text())
    return {i["index_key"]: i["attributes"]["id"] for r in state["resources"] if r["type"] == "aws_iam_access_key"
            for i in r["instances"]}


@pytest.mark.parametrize("how", ["kill-terraform", "kill-tfiam"])
def test_a_rotation_start_killed_mid_call_converges(tmp_path, moto_endpoint, gnupghome, tf_plugin_dir, how):
    name = f"rotkill-{uuid.uuid4().hex[:10]}"
    ws = tmp_path / "ws"
    made = _replay(_answers(tmp_path, "ci-bot.yaml", moto_endpoint, name), tf_plugin_dir)
    assert made.returncode == Exit.OK, made.stdout + made.stderr
    [old] = _keys(moto_endpoint, name)

    proxy = HoldingProxy(moto_endpoint, "CreateAccessKey")
    start = Run("rotate", str(_answers(tmp_path, "ci-bot.yaml", proxy.url, name)), "--auto-approve",
                "--plugin-dir", tf_plugin_dir)
    started = Descendants()
    try:
        start.wait_for(f"{NEW_KEY}: Creating...", timeout=300)
        assert proxy.held.wait(60), start.output
        terraform = terraform_apply_of(start.proc.pid)
        started.note(terraform)
        if how == "kill-terraform":  # terraform dies with the call in flight; tfiam lives on
            os.kill(terraform, signal.SIGKILL)
            proxy.release.set()
            assert start.finish(timeout=120) == Exit.TERRAFORM_FAILED, start.output
            assert "Stopped. Done before the stop" in start.output
        else:  # tfiam dies; terraform, in its own session, finishes the apply by itself
            os.kill(start.proc.pid, signal.SIGKILL)
            assert start.finish(timeout=60) == -signal.SIGKILL
            proxy.release.set()
        assert proxy.forwarded.wait(60), start.output  # AWS made the new key either way
        wait_gone(terraform, timeout=300)
    finally:
        start.kill()
        proxy.close()
        started.cleanup(grace=0 if how == "kill-terraform" else 30)
    left = _keys(moto_endpoint, name)
    assert len(left) == 2 and left[old] == "Active", left
    [made_new] = set(left) - {old}

    answers = _answers(tmp_path, "ci-bot.yaml", moto_endpoint, name)
    again = _rotate(answers, tf_plugin_dir)
    said = again.stdout + again.stderr
    assert "Traceback" not in said
    if how == "kill-terraform":
        # Nobody holds the secret of the key terraform never heard back about: it goes, and
        # the start step runs again from the beginning, beside the old key.
        assert again.returncode == Exit.OK, said
        assert f"access key {made_new} of {name} was created at" in again.stdout, said
        assert "This step (start)" in again.stdout and "[FAIL]" not in again.stdout, said
        keys = _keys(moto_endpoint, name)
        assert len(keys) == 2 and set(keys.values()) == {"Active"} and old in keys and made_new not in keys
    else:
        # terraform finished the step and saved it: the rotation stands at "started", and the
        # next step (cutover) waits for the new key to be used, as after any start.
        assert again.returncode == Exit.REFUSED, said
        assert "Rotation started" in again.stdout and "has not been used since it was made" in again.stderr, said
        assert _keys(moto_endpoint, name) == left
    assert _state_slots(ws) == {"a": old, "b": next(k for k in _keys(moto_endpoint, name) if k != old)}
    replay = _replay(answers, tf_plugin_dir)  # and the workspace agrees with the state: no change
    assert replay.returncode == Exit.OK and "No changes." in replay.stdout, replay.stdout + replay.stderr
