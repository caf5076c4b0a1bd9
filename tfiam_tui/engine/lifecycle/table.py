"""Status as text a person reads at 80 columns (every line fits; long details wrap)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from .status import NEEDS, Key, UserStatus

WIDTH = 80
_LABEL = 16  # "  needs action  " and the other labels
_ROW = 4  # indent of a key's row


def _wrap(label: str, text: str, width: int = WIDTH) -> list[str]:
    lead = f"  {label:<{_LABEL - 2}}"
    return textwrap.wrap(text, width, initial_indent=lead, subsequent_indent=" " * _LABEL,
                         break_on_hyphens=False, break_long_words=True) or [lead.rstrip()]


_USED_AT = _ROW + 20 + 1 + 8 + 1 + 5 + 2  # where LAST USED starts


def _key_lines(key: Key, width: int) -> list[str]:
    used = "never used" if key.last_used is None else " ".join(
        x for x in (key.last_used[:10], key.last_service, key.last_region) if x)
    lead = " " * _ROW + f"{key.id:<20} {key.status:<8} {key.age_days:>4}d  "
    lines = textwrap.wrap(used, width, initial_indent=lead, subsequent_indent=" " * _USED_AT,
                          break_on_hyphens=False, break_long_words=True)
    if not key.managed:
        lines.append(" " * (_ROW + 21) + "^ not in this workspace's state (made outside tfiam?)")
    return lines


def _expiry(s: UserStatus) -> str:
    if s.expiry is None:
        return "no Expiry tag"
    if s.expiry_days_left is None:
        return f"{s.expiry} (not a date)"
    if s.expiry_days_left < 0:
        return f"{s.expiry} ({-s.expiry_days_left} days overdue)"
    return f"{s.expiry} ({s.expiry_days_left} days left)"


def _console(s: UserStatus) -> str:
    if s.console is None:
        return "no password"
    c = s.console
    last = f"last sign-in {c.last_used[:10]}" if c.last_used else "never signed in"
    reset = ", must change it at next sign-in" if c.reset_required else ""
    return f"password set {c.created[:10]}{reset}, {last}"


def user_lines(s: UserStatus, width: int = WIDTH) -> list[str]:
    """One user's status; every line at most ``width`` columns (at least 60)."""
    width = max(60, width)
    head = f"{s.user}  ({s.answers})"
    lines = textwrap.wrap(head, width, break_long_words=True) or [head]
    for error in s.errors:
        lines += _wrap("error", error, width)
    if s.exists:
        if s.keys:
            lines.append("  access keys")
            lines.append(" " * _ROW + f"{'ID':<20} {'STATUS':<8} {'AGE':>5}  LAST USED")
            for k in s.keys:
                lines += _key_lines(k, width)
        else:
            lines += _wrap("access keys", "none", width)
        lines += _wrap("console", _console(s), width)
        lines += _wrap("MFA devices", ", ".join(s.mfa_devices) or "none", width)
    elif not s.errors:
        lines += _wrap("user", "not in AWS", width)
    lines += _wrap("Expiry", _expiry(s), width)
    lines += _wrap("rotation", f"due every {s.rotate_after_days} days", width)
    if s.rotation is not None:
        lines += _wrap("", f"under way: {s.rotation['phase']} at {s.rotation['since']}. {s.rotation['next_step']}", width)
    if s.offboarding is not None:
        o = s.offboarding
        lines += _wrap("offboarding", f"disabled {o['since']} by {o['by']}; the window ends {o['window_ends']}. "
                                      f"{o['next_step']}", width)
    for d in s.drift:
        lines += _wrap("drift", f"[FAIL] {d['check']}: {d['detail']}", width)
    for notice in [*s.other_key, *s.notices]:
        lines += _wrap("note", notice, width)
    if s.needs_action:
        for i, code in enumerate(s.needs_action):
            lines += _wrap("" if i else "needs action", f"{code}: {NEEDS[code]}", width)
    else:
        lines += _wrap("needs action", "nothing", width)
    return lines


def table(found: Iterable[UserStatus]) -> list[str]:
    out: list[str] = []
    for s in found:
        if out:
            out.append("")
        out += user_lines(s)
    return out
