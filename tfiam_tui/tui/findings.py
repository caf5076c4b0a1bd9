"""The linter's findings for the wizard (the engine's ``lint``; no second copy of its rules)."""

from __future__ import annotations

from .form import Form, belongs

_ORDER = {"error": 0, "high": 0, "warning": 1, "medium": 1, "info": 2, "low": 2}


def findings_for(form: Form, prefixes: tuple[str, ...]) -> list[str] | None:
    """Lines ``SEVERITY field: message`` for findings under ``prefixes`` ("" = all), or None
    while the answers are incomplete (the linter works on valid answers)."""
    try:
        answers = form.answers()
    except Exception:
        return None
    try:
        from ..engine.policy import lint
    except ImportError:  # the linter is not installed in this build
        return []
    found = []
    for finding in lint(answers):
        field = getattr(finding, "field", "") or ""
        if any(p == "" or belongs(field, p) for p in prefixes):
            found.append(finding)
    found.sort(key=lambda f: _ORDER.get(str(getattr(f, "severity", "")).lower(), 3))
    return [f"{str(getattr(f, 'severity', '')).upper():<7} {getattr(f, 'field', '')}: {getattr(f, 'message', f)}"
            for f in found]
