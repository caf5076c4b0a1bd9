"""Questions asked on a terminal with questionary (the plain-prompt front).

Imported only when a question is asked, so headless commands never load it.
"""

from __future__ import annotations


def confirm(question: str, *, default: bool = False) -> bool:
    import questionary

    answer = questionary.confirm(question, default=default).ask()
    if answer is None:  # Ctrl-C inside questionary
        raise KeyboardInterrupt
    return bool(answer)


def secret(question: str) -> str:
    """A hidden answer (a passphrase); never echoed, never stored."""
    import questionary

    answer = questionary.password(question).ask()
    if answer is None:
        raise KeyboardInterrupt
    return answer


def typed(question: str) -> str:
    """A short answer typed in full (a name confirming a dangerous plan)."""
    import questionary

    answer = questionary.text(question).ask()
    if answer is None:
        raise KeyboardInterrupt
    return answer.strip()
