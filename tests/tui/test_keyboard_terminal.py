"""Keyboard only, at 80x24, in a real terminal (tmux), typed in bursts as a paste, a macro or
an SSH session delivers them: every key of a burst (Tab and Enter included) lands where it
was meant to, the focused field is on screen after each step, a lint error blocks the step,
and the run ends with a verified user in the sandbox."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.ask.test_ask_terminal import Terminal
from tests.test_e2e import TFIAM
from tests.tui.test_wizard_terminal import apply_to_result
from tfiam_tui.tui.widgets.toggles import FOCUS_MARK

pytestmark = pytest.mark.e2e

UI = 120  # seconds a screen may take on a busy machine (each wait ends when the text shows)


def burst(term: Terminal, text: str) -> None:
    """``text`` in one write: Tab is \\t, Enter is \\r, as a terminal sends them."""
    subprocess.run(["tmux", "send-keys", "-t", term.name, "-l", "--", text], check=True)


def keys(term: Terminal, *names: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", term.name, *names], check=True)


def visible_screen(term: Terminal) -> list[str]:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", term.name], capture_output=True,
                          text=True).stdout.splitlines()


def form_words(term: Terminal) -> str:
    """The words of the form column (right of the step list), joined across lines."""
    right = [line.split("│", 1)[1] if "│" in line else line for line in visible_screen(term)]
    return " ".join(" ".join(right).split())


def focus_is_on_screen(term: Terminal) -> bool:
    """The ▸ focus mark shows in the form or on a button (the step list on the left is
    not part of the form: its column does not count)."""
    for line in visible_screen(term)[1:-1]:
        right = line.split("│", 1)[1] if "│" in line else line
        if FOCUS_MARK in right:
            return True
    return False


def wait_focus(term: Terminal, where: str) -> None:
    import time

    deadline = time.monotonic() + 30
    while not focus_is_on_screen(term):
        if time.monotonic() > deadline:
            raise AssertionError(f"{where}: no focused field on screen:\n" + "\n".join(visible_screen(term)))
        time.sleep(0.2)


def test_keyboard_only_in_bursts_to_a_verified_user_with_a_lint_error_on_the_way(
        tmp_path, empty_gnupghome, tf_plugin_dir):
    command = (f"cd {tmp_path} && env HOME={Path.home()} GNUPGHOME={empty_gnupghome} TERM=xterm-256color "
               f"NO_COLOR=1 {TFIAM} --sandbox --plugin-dir {tf_plugin_dir}; echo TFIAM-EXIT=$?; sleep 120")
    term = Terminal(f"tfiam-kbd-{os.getpid()}-{uuid.uuid4().hex[:8]}", command, width=80, height=24)
    try:
        term.wait_for("What do you want to do?", timeout=UI)
        wait_focus(term, "first choice")
        # The first choice, the region and the whole user step in one write: Enter changes
        # the step while the rest is still arriving, and each key goes to the step and the
        # field it was typed for.
        burst(term, "\reu-central-1\rkb-bot\t\tplatform\tci\t2027-06-30\r")
        term.wait_for("Step 3/8: Permissions", timeout=UI)
        wait_focus(term, "permissions")
        # A lint error (IAMFullAccess: TFIAM005, replay's exit 10) typed with the group name.
        # The "," after Enter shows that Enter was handled and refused: the step stayed, and
        # the key typed after it went on where it was typed (a trailing comma adds no policy).
        burst(term, "kb-group\t\t\tarn:aws:iam::aws:policy/IAMFullAccess\r,")
        term.wait_for("policy/IAMFullAccess,", timeout=UI)
        term.wait_for("TFIAM005", timeout=UI)
        screen = term.screen()
        assert "Step 3/8: Permissions" in screen and "Step 4/8" not in screen
        wait_focus(term, "permissions with its error")
        keys(term, "C-u")  # the field is emptied: the policy goes with it
        burst(term, "\r")
        term.wait_for("Step 4/8: Authentication", timeout=UI)
        term.wait_for("sandbox's throwaway key", timeout=UI)
        wait_focus(term, "authentication")
        burst(term, "\t\r")  # to the key list; Enter picks the sandbox's key
        term.wait_for("│ sandbox@tfiam.invalid ", timeout=UI)
        keys(term, "C-n")
        term.wait_for("Step 5/8: State", timeout=UI)
        wait_focus(term, "state")
        keys(term, "C-n")
        term.wait_for("Step 6/8: Review", timeout=UI)
        wait_focus(term, "review")
        review = form_words(term)
        assert "User kb-bot (path /) in eu-central-1" in review, review
        assert "Owner=platform, Purpose=ci, Expiry=2027-06-30" in review, review
        assert "Group kb-group (new): no policies" in review, review
        burst(term, "\r")  # Run plan → has the focus
        apply_to_result(term)
        term.wait_for("Try the new key against the sandbox at", timeout=UI)  # filled in once the run is read
        result = term.screen()
        assert "Try the new key against the sandbox at http://127.0.0.1:" in form_words(term), result
        keys(term, "C-q")
        term.wait_for("TFIAM-EXIT=", timeout=30)
        final = term.screen()
    finally:
        term.close()
    assert "[FAIL]" not in result and "[ok]" in result, result
    assert "Traceback" not in final and "TFIAM-EXIT=0" in final, final
