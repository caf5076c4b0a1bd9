"""What the headless commands share: terminal checks, passphrase files, terraform steps
printed line by line, and the second-Ctrl-C question."""

from __future__ import annotations

import sys
from pathlib import Path


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def read_passphrase_file(path: str | None) -> str | None:
    if not path:
        return None
    text = Path(path).read_text(encoding="utf-8")
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
