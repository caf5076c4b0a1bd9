"""The linter's findings for the wizard (the engine's ``lint``; no second copy of its rules)."""

from __future__ import annotations

from .form import Form

_ORDER = {"error": 0, "warning": 1, "info": 2}


def findings_for(form: Form, step: str) -> list[str] | None:
    """Lines ``SEVERITY field: message`` for the findings about ``step``'s answers, most
    severe first, or None while its answers (or an earlier step's) are not valid yet."""
    found = form.findings(step)
    if found is None:
        return None
    found.sort(key=lambda f: _ORDER.get(f.severity, 3))
    return [f"{f.severity.upper():<7} {f.field}: {f.message}" for f in found]
