"""The real ``tfiam --sandbox`` console script in a real terminal (tmux, 80x24): answers
typed with send-keys, the screen read with capture-pane, from the first step to the
result screen with every check ok.  No GnuPG set-up: the sandbox's throwaway key."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.ask.test_ask_terminal import Terminal
from tests.test_e2e import TFIAM

pytestmark = pytest.mark.e2e

UI = 120  # seconds a screen may take on a machine busy with other tests (a wait ends when the text shows)


def keys(term: Terminal, *names: str, literal: str | None = None) -> None:
    if literal is not None:
        subprocess.run(["tmux", "send-keys", "-t", term.name, "-l", "--", literal], check=True)
    if names:
        subprocess.run(["tmux", "send-keys", "-t", term.name, *names], check=True)


def apply_to_result(term: Terminal) -> None:
    """From Run's first plan to a verified Result: Apply (focused), its question (Cancel has
    the focus; Tab to Apply), Continue."""
    term.wait_for("Step 7/8: Run", timeout=UI)
    term.wait_for("Plan ready", timeout=300)
    assert "Plan: " in term.screen() and "to add" in term.screen()
    keys(term, "Enter")
    term.wait_for("Apply exactly this plan?", timeout=UI)
    keys(term, "Tab", "Enter")
    term.wait_for("Applied", timeout=300)
    keys(term, "Enter")
    term.wait_for("Step 8/8: Result", timeout=UI)
    term.wait_for("The account matches the answers", timeout=120)


def test_wizard_in_a_real_terminal_reaches_a_verified_user_in_the_sandbox(tmp_path, empty_gnupghome, tf_plugin_dir):
    command = (f"cd {tmp_path} && env HOME={Path.home()} GNUPGHOME={empty_gnupghome} TERM=xterm-256color "
               f"{TFIAM} --sandbox --plugin-dir {tf_plugin_dir}; echo TFIAM-EXIT=$?; sleep 120")
    term = Terminal(f"tfiam-wiz-{os.getpid()}-{uuid.uuid4().hex[:8]}", command, width=80, height=24)
    try:
        term.wait_for("What do you want to do?", timeout=UI)
        keys(term, "Enter")  # the first choice, focused: create a new IAM user
        term.wait_for("Step 1/8: Provider", timeout=UI)
        term.wait_for("SANDBOX", timeout=UI)  # the permanent marker
        # The region and Enter in one go: waiting for "eu-central-1" to show is no sign that it
        # was all typed (the region list offers it after "eu-c"), and an Enter sent after that
        # sign could land on a half-typed region on a busy machine.
        keys(term, "Enter", literal="eu-central-1")
        term.wait_for("Step 2/8: User", timeout=UI)
        keys(term, "Enter", literal="term bot")  # a space: the rule shows under the field
        term.wait_for("has a space", timeout=UI)
        assert "Step 2/8" in term.screen()
        keys(term, "C-u")
        keys(term, literal="term-bot")
        term.wait_for("term-bot", timeout=UI)
        keys(term, "Enter")
        term.wait_for("Step 3/8: Permissions", timeout=UI)
        keys(term, literal="term-group")
        term.wait_for("term-group", timeout=UI)
        keys(term, "Enter")
        term.wait_for("Step 4/8: Authentication", timeout=UI)
        term.wait_for("sandbox's throwaway key", timeout=UI)  # offered because of --sandbox, first in the list
        # One burst, as a paste or a fast typist sends it: Tab must have moved the focus to the
        # key list before Enter is handled (Enter on the sign-in choices would re-pick a choice).
        keys(term, "Tab", "Enter")  # from the sign-in choices to the key list; Enter picks the key
        term.wait_for("│ sandbox@tfiam.invalid ", timeout=UI)
        keys(term, "C-n")
        term.wait_for("Step 5/8: State", timeout=UI)
        keys(term, "C-n")
        term.wait_for("Step 6/8: Review", timeout=UI)
        keys(term, "C-n")
        apply_to_result(term)
        result = term.screen()
        keys(term, "C-q")
        term.wait_for("TFIAM-EXIT=", timeout=30)
        final = term.screen()
    finally:
        term.close()
    assert "[FAIL]" not in result and "[ok]" in result, result
    assert "Access key id      AKIA" in result
    assert "hidden: r reveals" in result  # the secret is masked
    assert "TFIAM-EXIT=0" in final, final
    saved = (tmp_path / "term-bot.answers.yaml").read_text()
    assert "name: term-bot" in saved and "pgp_key: sandbox@tfiam.invalid" in saved
    assert (tmp_path / "tfiam-term-bot" / "terraform.tfstate").exists()
