"""Managing one user from the interactive fronts (the wizard's Manage screen, ``tfiam ask``):
the user's status and the rotation steps a run of ``tfiam rotate`` could take now.

Everything here only reads (the AWS API and the state file, no terraform), so the operator
sees where the user stands and what the next step would do before choosing it.  The step
itself then runs as ``tfiam rotate`` runs it, with its own plan, confirmation and
verification: the fronts never apply a rotation step any other way.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..answers import Answers
from ..aws.clients import error_text
from ..terraform.statefile import read_state
from ..text import command
from . import rotation, status, table


@dataclass(frozen=True)
class Choice:
    """A rotation step the operator may take now, in words (``flags``: what ``tfiam rotate``
    is given for it)."""

    step: str
    label: str
    doing: str
    flags: tuple[str, ...] = ()


@dataclass
class Overview:
    user: str
    status_lines: list[str]
    needs_action: list[str]
    where: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    why_none: str = ""  # why the next step cannot run now, and the way on (choices may still override it)
    width: int = table.WIDTH

    def lines(self) -> list[str]:
        """The status, then the rotation, every line at most ``width`` columns."""
        out = [*self.status_lines]
        if self.where:
            out += ["", "Access key rotation:"]
            for line in self.where:
                out += textwrap.wrap(line, self.width, subsequent_indent="    ", break_on_hyphens=False)
        said = []
        if self.why_none:
            said.append(f"{'The next step cannot' if self.choices else 'No rotation step can'} run now: "
                        f"{self.why_none}.")
        said += [f"Can run now: {choice.label}: {choice.doing}." for choice in self.choices]
        for line in said:
            out += textwrap.wrap(line, self.width, subsequent_indent="  ", break_on_hyphens=False)
        return out


def overview(
    answers: Answers,
    *,
    answers_path: str,
    workspace: Path,
    credentials: tuple[str, str] | None = None,
    recipient_check: Callable[[dict[str, Any]], list[str]] | None = None,
    now: dt.datetime | None = None,
    width: int = table.WIDTH,
) -> Overview:
    """The user's status (as ``tfiam status`` prints it) and the rotation steps open now,
    in lines of at most ``width`` columns."""
    now = now or dt.datetime.now(dt.UTC)
    found = status.user_status(answers, answers_path=answers_path, workspace=workspace, credentials=credentials,
                               recipient_check=recipient_check, now=now)
    out = Overview(answers.user.name, table.user_lines(found, width), list(found.needs_action), width=width)
    if not answers.authentication.access_key:
        out.why_none = "the answers ask for no access key (authentication.access_key: false)"
    elif "unreadable" in found.needs_action:
        out.why_none = "AWS or the state could not be read (see the error above)"
    elif "offboarding" in found.needs_action:
        out.why_none = (f"the user is disabled (tfiam offboard); {command('tfiam', 'offboard', answers_path, '--cancel')} "
                        "enables it again")
    elif not found.exists or "not-applied" in found.needs_action or "not-managed" in found.needs_action:
        out.why_none = f"the user is not applied from this workspace yet; run {command('tfiam', 'replay', answers_path)} first"
    else:
        _rotation_choices(out, answers, workspace, credentials, answers_path, now)
    return out


def _rotation_choices(out: Overview, answers: Answers, workspace: Path, credentials: tuple[str, str] | None,
                      answers_path: str, now: dt.datetime) -> None:
    provider = answers.provider
    try:
        iam = status.iam_client(provider.region, provider.profile, provider.endpoint, credentials)
        facts = rotation.read_facts(iam, answers.user.name, read_state(answers, workspace))
    except (OSError, ValueError, RuntimeError, BotoCoreError, ClientError) as exc:
        out.why_none = error_text(exc) if isinstance(exc, BotoCoreError | ClientError) else str(exc)
        return
    out.where = rotation.where(facts, now)

    def step(**options: Any) -> rotation.Step | str:
        try:
            return rotation.next_step(facts, now=now, actor="(preview)", answers_path=answers_path, **options)
        except rotation.Refusal as exc:
            return str(exc)

    plain = step()
    if isinstance(plain, str):
        out.why_none = plain
        forced = step(force=True) if facts.phase == "started" else None
        if isinstance(forced, rotation.Step):
            skipping = "; ".join(forced.skipped)
            out.choices.append(Choice("cutover", "Cut over anyway", f"{forced.doing} (skipping: {skipping})",
                                      ("--force",)))
    else:
        out.choices.append(Choice(plain.name, _LABELS.get(plain.name, plain.name), plain.doing))
    if facts.phase != "idle" and isinstance(undo := step(rollback=True), rotation.Step):
        out.choices.append(Choice("rollback", "Roll back", undo.doing, ("--rollback",)))


_LABELS = {
    "start": "Start a rotation",
    "cutover": "Cut over to the new key",
    "finish": "Finish the rotation",
}
