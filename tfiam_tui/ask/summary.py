"""The summary before saving: every answer, numbered, with the linter's findings; the
operator picks one to change (its question is asked again, with its validation) until the
answers are right, and confirms with Enter.

Answers that ``tfiam replay`` would stop on (a rule across several fields, a linter error)
cannot be saved: Enter is refused naming the field, the rule and the answer to change, so
a misspelled action is fixed here instead of by starting over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..engine import answers as answers_mod
from ..engine import policy as lint_mod
from .fields import as_text, get_at, has
from .screen import ask_valid, question, wrapped

CHANGE = "Number of an answer to change, or Enter to save these answers:"
CHANGE_BLOCKED = "Number of an answer to change (errors above: not saved yet):"


@dataclass
class Entry:
    """One answer in the summary: its field, its question's words, and how to ask it again."""

    path: str
    label: str
    again: Callable[[], Any]
    value: Callable[[dict], str] | None = None
    always: bool = False  # shown even when not answered (a suggested tag left empty)

    def shown_in(self, data: dict) -> bool:
        return self.always or has(data, self.path)

    def text(self, data: dict) -> str:
        return self.value(data) if self.value else as_text(get_at(data, self.path))


def _owner(entries: list[Entry], field: str) -> int | None:
    """The number (from 1) of the answer that owns ``field``; the longest matching path wins."""
    best: tuple[int, int] | None = None
    for n, entry in enumerate(entries, 1):
        p = entry.path
        if (field == p or field.startswith((p + ".", p + "["))) and (best is None or len(p) > best[1]):
            best = (n, len(p))
    return best[0] if best else None


def blockers(data: dict, entries: list[Entry]) -> tuple[answers_mod.Answers | None, list[str]]:
    """The parsed answers (None when they do not parse) and why they cannot be saved:
    each problem or linter error with its field, its rule and the answer to change."""
    try:
        answers = answers_mod.parse(data)
    except answers_mod.AnswersError as exc:
        problems = [(p.field, p.message) for p in exc.problems]
        return None, [_blocker(entries, field, message) for field, message in problems]
    errors = [f for f in lint_mod.lint(answers) if f.severity == "error"]
    return answers, [_blocker(entries, f.field, f"{f.rule} {f.message} (fix: {f.hint})") for f in errors]


def _blocker(entries: list[Entry], field: str, message: str) -> str:
    n = _owner(entries, field)
    where = f"change answer {n} ({entries[n - 1].label})" if n else "change the answers it names"
    return f"{field}: {message}; {where}"


def show(data: dict, entries: list[Entry], say: Callable[[str], None]) -> tuple[answers_mod.Answers | None, list[str]]:
    """Print every answer and the findings; return what :func:`blockers` returns."""
    answers, blocked = blockers(data, entries)
    if answers is not None:
        say(wrapped("\n" + lint_mod.format_text(lint_mod.lint(answers), source="these answers")))
    say("\nSummary: every answer, before saving")
    for n, entry in enumerate(entries, 1):
        say(wrapped(f"{n:>3}. {entry.label}: {entry.text(data)}"))
    if blocked:
        say(wrapped("Not saved yet: tfiam replay would stop on these:"))
        for line in blocked:
            say(wrapped(f"  {line}"))
    return answers, blocked


def _change_question(message: str) -> Callable[[str], Any]:
    import questionary

    return lambda typed: questionary.text(question(message), default=typed)


def review(interview: Any) -> answers_mod.Answers:
    """The summary loop: show, let the operator change answers, return the answers once
    they can be saved and the operator confirms them."""
    while True:
        entries = [e for e in interview.entries if e.shown_in(interview.data)]
        answers, blocked = show(interview.data, entries, interview.say)

        def check(text: str, entries=entries, blocked=blocked) -> bool | str:
            text = text.strip()
            if not text:
                return True if not blocked else "nothing is saved while " + blocked[0]
            if text.isascii() and text.isdigit() and 1 <= int(text) <= len(entries):
                return True
            return f"{text!r} is not an answer's number; type 1 to {len(entries)}, or nothing to save"

        picked = ask_valid(_change_question(CHANGE_BLOCKED if blocked else CHANGE), check, interview.say).strip()
        if not picked and answers is not None:
            return answers
        interview.change(entries[int(picked) - 1])
