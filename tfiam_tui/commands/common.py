"""What the headless commands share: terminal checks, the rules for paths on the command
line, passphrase files, terraform steps printed line by line, and the second-Ctrl-C question."""

from __future__ import annotations

import argparse
import os
import sys

from ..engine.text import shown

# Linux's limits (NAME_MAX, PATH_MAX less its NUL); every file system tfiam writes to has them.
NAME_MAX = 255
PATH_MAX = 4095


class UsageError(Exception):
    """A command-line value that breaks a rule: exit 2 (a bad command line), nothing written.
    The message names the option and the rule."""

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(f"{option}: {message}")


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def path_rule(text: str) -> str | None:
    """Why ``text`` cannot be a path on this system (None when it can): checked before it
    reaches the OS, which would otherwise fail deep inside a step."""
    if not text:
        return "is empty; give a path"
    if "\0" in text:
        return f"{shown(text)} holds a NUL byte, which no path can"
    raw = os.fsencode(os.path.abspath(os.path.expanduser(text)))
    for part in raw.split(b"/"):
        if len(part) > NAME_MAX:
            return (f"{shown(os.fsdecode(part)[:40])}... is {len(part)} bytes long; a folder or file name "
                    f"can be at most {NAME_MAX} bytes")
    if len(raw) > PATH_MAX:
        return f"is {len(raw)} bytes long as an absolute path; a path can be at most {PATH_MAX} bytes"
    return None


def path_arg(text: str) -> str:
    """argparse ``type=`` for a path option: the same text, or exit 2 naming the option."""
    if problem := path_rule(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def read_passphrase_file(path: str | None, option: str = "--passphrase-file") -> str | None:
    """The passphrase in ``path`` (one line; the trailing line break dropped).  Read once:
    ``path`` may be a pipe, e.g. ``--passphrase-file <(pass show gpg)``.  Raises UsageError."""
    if not path:
        return None
    if problem := path_rule(path):
        raise UsageError(option, problem)
    if os.path.isdir(path):
        raise UsageError(option, f"{shown(path)} is a folder; give the file that holds the passphrase")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise UsageError(option, f"{shown(path)} does not exist") from None
    except OSError as exc:
        raise UsageError(option, f"{shown(path)} cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(option, f"{shown(path)} is not UTF-8 text") from None
    return text.rstrip("\r\n")


def render_event(event, console) -> None:
    from ..engine.terraform.events import Line

    if isinstance(event, Line):
        console.tf(event.text)


def run_step(events, console):
    """Drain one terraform step, printing its lines; raise TerraformFailed on failure."""
    from ..engine.terraform.events import run_to_end

    return run_to_end(events, on_event=lambda e: render_event(e, console), check=True)


def ask_force_stop() -> bool:
    """A second Ctrl-C while terraform saves state: ask before forcing it out."""
    if not is_terminal():
        return False
    print("\ntfiam: terraform is still stopping and saving state. Force it to stop now? "
          "Its state may be lost. [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    except (KeyboardInterrupt, EOFError):
        return False
