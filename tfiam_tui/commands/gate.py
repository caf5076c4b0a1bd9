"""The destroy gate on the command line: every command that applies a plan shows its
dangerous changes first and asks through :func:`approved`.

``--auto-approve`` applies plans without dangerous changes; one with any is refused
unless ``--allow-destroy`` is also given.  On a terminal, a dangerous plan is confirmed
by typing the user (or bucket) name, a plain one by yes/no.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .common import is_terminal

if TYPE_CHECKING:  # the pipeline package is heavy; every tfiam command imports this module
    from ..engine.pipeline.review import PlanReview

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<="}


def add_allow_destroy(parser) -> None:
    parser.add_argument("--allow-destroy", action="store_true",
                        help="with --auto-approve: also apply a plan that deletes, replaces or takes away "
                             "something live (without it such a plan is refused)")


def show(review: PlanReview | None, headline: str, changes: Iterable[tuple[str, str]], console) -> None:
    """The dangerous changes in their own block, then the plan's headline and every change."""
    for line in [*review.note_lines(), *review.danger_lines()] if review is not None else []:
        console.say(line)
    console.say(headline)
    for action, address in changes:
        console.say(f"  {SYMBOLS.get(action, action):>3} {address}")


def approved(review: PlanReview, *, name: str, auto_approve: bool, allow_destroy: bool, console,
             purpose: Iterable[str] = ()) -> bool:
    """Whether to apply the reviewed plan (asking when needed).  False: nothing applied
    (the reason has been said)."""
    from ..engine.pipeline.review import Decision, decide

    decision = decide(review, auto_approve=auto_approve, allow_destroy=allow_destroy, terminal=is_terminal(),
                      purpose=purpose)
    if decision is Decision.APPLY:
        return True
    if decision is Decision.REFUSE_DANGER:
        console.error(
            "the plan deletes, replaces or takes away something live (DANGER above), and --auto-approve alone "
            "never applies that, so nothing was applied. If it is what you mean, run again with "
            "--auto-approve --allow-destroy, or without --auto-approve on a terminal to confirm it")
        return False
    if decision is Decision.REFUSE_NO_TERMINAL:
        console.error(
            "no terminal to ask for confirmation, so nothing was applied; review the plan above "
            "and run again with --auto-approve to apply it unattended")
        return False
    if decision is Decision.CONFIRM:
        from ..ask.prompts import confirm

        return confirm("Apply exactly this plan?", default=False)
    from ..ask.prompts import typed

    answer = typed(f"This plan deletes, replaces or takes away something live (DANGER above). "
                   f"To apply it anyway, type {name}:")
    if answer != name:
        console.say(f"That is not {name}; nothing was applied.")
        return False
    return True
