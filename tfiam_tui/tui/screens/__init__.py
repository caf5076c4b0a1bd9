"""One screen per wizard step (see ``form.STEPS``)."""

from __future__ import annotations


def step_screen(step: str):
    """A fresh screen for ``step``; its widgets are filled from the App's form."""
    from importlib import import_module

    module = import_module(f"{__name__}.{step}")
    return module.SCREEN()
