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

    def send(self, *keys: str) -> None:
        """Send tmux keys (names like Enter, C-u) and text, in order."""
        for key in keys:
            literal = [] if key in ("Enter", "C-u", "Down", "Up") else ["-l", "--"]
            subprocess.run(["tmux", "send-keys", "-t", self.name, *literal, key], check=True)

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
        term.answer("Number of an answer to change, or Enter to save", "Enter")  # the summary: save
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


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_ask_at_80x24_sandbox_first_whole_messages_and_a_fix_in_the_summary(tmp_path, empty_gnupghome):
    """Issue 17, item 8, as a newcomer meets it at 80x24: the SANDBOX line first; a
    misspelled action's did-you-mean said whole; the action fixed from the summary (and a
    name changed there to an invalid one refused); the file saved with the fix; the replay
    hint with --sandbox."""
    saved = tmp_path / "bot.yaml"
    env = (f"env -i HOME={Path.home()} PATH={os.environ['PATH']} GNUPGHOME={empty_gnupghome} TERM=xterm "
           f"LANG=C.UTF-8 XDG_CACHE_HOME={tmp_path / 'cache'}")
    command = f"cd {tmp_path} && {env} {TFIAM} ask --sandbox --save {saved}; echo TFIAM-EXIT=$?; sleep 120"
    term = Terminal(f"tfiam-ask80-{os.getpid()}-{uuid.uuid4().hex[:8]}", command, width=80, height=24)
    change = "Number of an answer to change"
    try:
        term.wait_for("What do you want to do?")
        first = term.screen().splitlines()[0]
        term.answer("What do you want to do?", "Enter")
        for prompt in ("AWS region", "Credentials:", "Terraform version constraint", "provider version constraint"):
            term.answer(prompt, "Enter")
        term.answer("User name:", "Enter", literal="bot80")
        term.answer("Path:", "Enter")
        for tag in ("Tag Owner", "Tag Purpose", "Tag Expiry"):
            term.answer(tag, "Enter")
        term.answer("Add another tag?", "n")
        term.answer("Permissions boundary", "Enter")
        term.answer("Create a group for this user?", "y")
        term.answer("Group name:", "Enter", literal="bot80-g")
        term.answer("Add an AWS managed policy", "Enter")
        term.answer("Add a custom least-privilege policy", "y")
        term.answer("Custom policy name:", "Enter", literal="bot80-p")
        term.answer("Description:", "Enter")
        term.answer("Add a statement?", "y")
        term.answer("Effect:", "Enter")
        term.answer("Actions (service:Action", "Enter", literal="s3:GetObjekt")
        term.answer("Resources (ARNs", "Enter", literal="*")
        term.answer("Add another statement?", "n")
        term.answer("Create another group?", "n")
        term.answer("Existing groups to join", "Enter")
        term.answer("Attach policies to the user directly?", "n")
        term.answer("Access:", "Enter")
        term.answer("Encrypt the secrets to which PGP key?", "Down", "Down", "Enter")  # the sandbox key
        term.answer("Backend:", "Enter")
        term.answer("Workspace folder", "Enter")
        term.answer(change, "Enter")                    # save: refused
        term.wait_for("refused: nothing is saved while")
        refused = _flat(term.screen().rsplit("refused: nothing is saved while", 1)[1])
        term.send("5", "Enter")                         # change the user name ...
        term.wait_for("? User name: bot80", times=2)     # asked again, holding the answer
        term.send("C-u", "bot 80", "Enter")             # ... to one IAM refuses
        term.wait_for("refused: user.name: 'bot 80' has a space")
        name_refused = _flat(term.screen().rsplit("refused: user.name:", 1)[1])
        term.send("C-u", "bot80", "Enter")
        term.wait_for("Summary: every answer", times=2)
        term.send("16", "Enter")                        # the actions
        term.wait_for("? Actions (service:Action, comma-separated): s3:GetObjekt", times=2)
        term.send("C-u", "s3:GetObject", "Enter")
        term.wait_for("Summary: every answer", times=3)
        term.answer(change, "Enter")                    # save
        term.answer("Run it now", "n")
        term.wait_for("TFIAM-EXIT=")
        screen = term.screen()
    finally:
        term.close()
    assert first.startswith("SANDBOX") and first.endswith("nothing touches a real AWS account"), first
    assert refused.startswith("permissions.groups[0].custom_policy.statements[0].actions[0]: TFIAM041 "
                              "'s3:GetObjekt' is not a s3 action; did you mean s3:GetObject?"), refused
    assert "change answer 16 (Actions (group 1, statement 1))" in refused
    assert name_refused.startswith("'bot 80' has a space; IAM user names are 1-64 characters"), name_refused
    assert "TFIAM-EXIT=0" in screen, screen
    text = saved.read_text()
    assert "- s3:GetObject\n" in text and "GetObjekt" not in text and "name: bot80\n" in text
    assert f"tfiam replay {saved} --sandbox" in screen
