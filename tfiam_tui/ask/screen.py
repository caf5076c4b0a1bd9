"""How ``tfiam ask`` puts text on the terminal: every line wrapped to its width, and a wrong
answer's whole message printed above the question asked again.

questionary shows a validator's message in a one-line bottom toolbar, which a terminal
cuts at its width: at 80 columns the field name alone can take half of it, and a
did-you-mean at the end was lost.  Here the answer is checked after Enter instead; a
wrong one is said in full (wrapped, as many lines as it needs) and the question comes
again with the typed text as its default, so it can be corrected rather than retyped.
That is also what a screen reader or a serial console can follow: plain lines, in order.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

SANDBOX_LINE = "SANDBOX · nothing touches a real AWS account"
REFUSED = "  refused: "


def width() -> int:
    """The terminal's width (COLUMNS when set; 80 when it cannot be told), at least 40."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def wrapped(text: str, columns: int | None = None) -> str:
    """``text`` with every line wrapped at a word to ``columns`` (the terminal's width);
    a continuation keeps the line's own indent plus two spaces.  A word longer than a
    line (an ARN) is broken, so no line is ever wider than the terminal."""
    columns = columns or width()
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= columns:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(line, columns, subsequent_indent=indent + "  ", break_on_hyphens=False) or [""]
    return "\n".join(out)


def sayer(say: Callable[[str], None]) -> Callable[[str], None]:
    """``say``, wrapping each message to the terminal's width as it is said."""
    def said(text: str = "") -> None:
        say(wrapped(text))

    return said


def question(message: str) -> str:
    """A question's text wrapped to the terminal (leaving room for a short answer after it):
    prompt_toolkit would break a long one mid-word at the edge."""
    return wrapped(message, max(30, width() - 12)).replace("\n", "\n  ")


def ask(q: Any) -> Any:
    """Ask a questionary question; Ctrl-C raises KeyboardInterrupt, Ctrl-D EOFError."""
    return q.unsafe_ask()


def ask_valid(make: Callable[[str], Any], check: Callable[[str], bool | str], say: Callable[[str], None],
              default: str = "") -> str:
    """Ask ``make(default)`` until ``check(answer)`` is True; each refusal is said whole
    (``check`` returns the message) and the question is asked again, holding what was
    typed.  Returns the accepted answer as typed."""
    typed = default
    while True:
        answer = ask(make(typed))
        verdict = check(answer)
        if verdict is True:
            return answer
        say(wrapped(REFUSED + str(verdict)))
        typed = answer


@contextlib.contextmanager
def keys_kept() -> Iterator[None]:
    """Keep every key typed ahead for the next question.

    Between two questions (after a refusal is said, before the question comes again) the
    terminal is back in its line-editing mode, where Ctrl-U, Ctrl-W and Backspace typed in
    that instant are taken by the terminal itself and never reach the question.  For the
    life of the block the terminal has no line editing and no echo (keys wait, unechoed,
    for the next question; Ctrl-C still interrupts); then it is as it was.  Pending input
    is never flushed.  Nothing changes when stdin is not a terminal."""
    try:
        import termios

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except Exception:  # not a terminal (a pipe, a test's stand-in), or no termios here
        yield
        return
    quiet = list(saved)
    quiet[3] &= ~(termios.ECHO | termios.ICANON)
    quiet[6] = list(saved[6])
    quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
