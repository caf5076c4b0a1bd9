"""Driving the wizard in tests: type into a field as a user would, read what it shows."""

from __future__ import annotations

from textual.widgets import Input

from tfiam_tui.tui.widgets.field import FieldError


async def type_into(pilot, selector: str, text: str, *, clear: bool = True) -> None:
    """Focus the field (like a click or tab would) and type ``text`` key by key."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    if clear and isinstance(widget, Input):
        widget.value = ""
        await pilot.pause()
    await pilot.press(*[_key(c) for c in text])
    await pilot.pause()


def _key(char: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(char)


def shown_errors(app) -> dict[str, str]:
    """{field path: error text} for every error line visible on the current screen."""
    return {e.path: str(e.render()) for e in app.screen.query(FieldError) if e.display}


def screen_name(app) -> str:
    return getattr(app.screen, "STEP", type(app.screen).__name__)


async def wait_for(pilot, condition, timeout: float = 120.0, step: float = 0.2) -> None:
    """Let the app run until ``condition()`` holds (workers run terraform meanwhile)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            screen = pilot.app.screen
            status = screen.query_one("#run-status").render() if screen.query("#run-status") else ""
            raise AssertionError(f"timed out after {timeout}s on screen {screen_name(pilot.app)}: {status}")
        await pilot.pause(step)


async def settle(pilot) -> None:
    """Bring the app to a state that does not depend on time, for a screenshot.

    What made snapshots flaky: a focused Input's cursor blinks every 0.5 s, so a screenshot
    taken "after 0.5 s" caught it on or off depending on machine load (same text, different
    SVG).  Here: no animations, workers (the keyring listing) finished, and the cursor held
    steady (visible) instead of blinking.  Test-only: the product keeps its blinking cursor.
    """
    app = pilot.app
    app.animation_level = "none"
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # the cursor stays visible; its timer stops
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


_KEY_NAMES = {" ": "space", "-": "minus"}


def post_burst(app, keys) -> None:
    """Post ``keys`` (characters, or key names such as "enter", "ctrl+u") to the App in one
    go, the way the terminal driver posts what arrives at once: nothing waits in between."""
    from textual import events

    for key in keys:
        character = key if len(key) == 1 else None
        app.post_message(events.Key(_KEY_NAMES.get(key, key), character))
