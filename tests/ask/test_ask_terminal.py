"""The real ``tfiam ask --sandbox --run`` console script in a real terminal (tmux), from
the first question to a verified user and decrypted credentials."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.test_e2e import TFIAM

pytestmark = pytest.mark.e2e


class Terminal:
    def __init__(self, name: str, command: str, width: int = 100, height: int = 40):
        assert shutil.which("tmux"), "tmux is required for the real-terminal tests"
        self.name = name
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command],
                       check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", self.name],
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 30, *, times: int = 1) -> None:
        """Until ``text`` is on screen ``times`` times (a question asked again shows twice)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.screen().count(text) >= times:
                return
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen {times}x after {timeout}s:\n{self.screen()}")

    def answer(self, prompt: str, *keys: str, literal: str | None = None, timeout: float = 30) -> None:
        """Wait for the question, type ``literal`` text and/or send tmux ``keys``, then wait
        until the screen shows them taken (an event, not a guess at how fast tfiam is)."""
        self.wait_for(prompt, timeout)
        before = self.screen()
        if literal is not None:
            subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", "--", literal], check=True)
        if keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)
        deadline = time.monotonic() + timeout
        while self.screen() == before and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_ask_sandbox_run_to_a_verified_user(tmp_path, empty_gnupghome, tf_plugin_dir):
    home = Path.home()
    saved = tmp_path / "bot.yaml"
    command = (f"cd {tmp_path} && env HOME={home} GNUPGHOME={empty_gnupghome} TERM=xterm "
               f"{TFIAM} ask --sandbox --run --save {saved} --plugin-dir {tf_plugin_dir}; "
               f"echo TFIAM-EXIT=$?; sleep 120")
    term = Terminal(f"tfiam-ask-{os.getpid()}-{uuid.uuid4().hex[:8]}", command)  # unique across concurrent runs
    try:
        term.answer("What do you want to do?", "Enter")  # the first choice: create a new user
        term.answer("AWS region", "Enter")
        term.answer("Credentials:", "Enter")
        term.answer("Terraform version constraint", "Enter")
        term.answer("provider version constraint", "Enter")
        term.answer("User name:", "Enter", literal="ask bot")
        term.answer("has a space", "C-u")  # asked again, showing the rule; clear the line
        term.answer("User name:", "Enter", literal="ask-bot")
        term.answer("Path:", "Enter")
        term.answer("Tag Owner", "Enter", literal="platform")
        term.answer("Tag Purpose", "Enter", literal="ask test")
        term.answer("Tag Expiry", "Enter", literal="2027-06-30")
        term.answer("Add another tag?", "n")
        term.answer("Permissions boundary", "Enter")
        term.answer("Create a group for this user?", "y")
        term.answer("Group name:", "Enter", literal="ask-group")
        term.answer("Add an AWS managed policy", "Enter", literal="ReadOnlyAccess")
        term.wait_for("Add an AWS managed policy", times=2)  # asked again for the next one
        term.answer("Add an AWS managed policy", "Enter")  # an empty answer finishes the list
        term.answer("Add a custom least-privilege policy", "n")
        term.answer("Create another group?", "n")
        term.answer("Existing groups to join", "Enter")
        term.answer("Attach policies to the user directly?", "n")
        term.answer("Access:", "Enter")  # access key
        term.answer("Encrypt the secrets to which PGP key?", "Down", "Down", "Enter")  # the sandbox key
        term.answer("Backend:", "Enter")
        term.answer("Workspace folder", "Enter")
        term.answer("Apply exactly this plan?", "y", timeout=300)  # init and plan run first
        term.answer("Decrypt the new credentials now?", "y", timeout=300)
        term.answer("Format:", "Enter")
        term.answer("Write them to", "Enter")
        term.wait_for("TFIAM-EXIT=", timeout=120)
        screen = term.screen()
    finally:
        term.close()
    assert "TFIAM-EXIT=0" in screen, screen
    assert "[ok] access key works" in screen and "[FAIL]" not in screen
    creds = tmp_path / "ask-bot.creds"
    assert creds.read_text().startswith("[ask-bot]\naws_access_key_id = AKIA")
    assert (creds.stat().st_mode & 0o777) == 0o600
    text = saved.read_text()
    assert "name: ask-bot" in text and "ReadOnlyAccess" in text
    secret = creds.read_text().split("aws_secret_access_key = ")[1].strip()
    assert secret not in screen  # shown nowhere but the file asked for
