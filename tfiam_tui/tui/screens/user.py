"""Step 2: the user's name (checked as you type), path, tags and permissions boundary."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from ..form import Problem
from ..widgets.button import Button
from ..widgets.field import Field, FieldError
from ..widgets.input import Input
from .base import StepScreen

SUGGESTED_TAGS = [
    ("Owner", "team or person answerable for this user"),
    ("Purpose", "what the user is for, e.g. ci"),
    ("Expiry", "YYYY-MM-DD: when to review or delete it"),
]


class UserScreen(StepScreen):
    STEP = "user"
    INTRO = "The IAM user. Tags tell the next admin who owns it, why it exists and until when."

    def __init__(self) -> None:
        super().__init__()
        self.extra_rows = 0

    def form_fields(self) -> ComposeResult:
        form = self.form
        yield Field("User name", Input(form.get("user.name") or "", name="user.name", id="user-name",
                                       placeholder="e.g. ci-bot", compact=True), "user.name")
        yield Field("Path", Input(form.get("user.path") or "/", name="user.path", id="user-path", compact=True),
                    "user.path", hint="'/' or /team/sub/ (groups users in the console)")
        tags = dict(form.get("user.tags") or {})
        yield Label("Tags", classes="field-label")
        with Vertical(id="tags"):
            for key, hint in SUGGESTED_TAGS:
                with Horizontal(classes="tag-row"):
                    yield Input(key, classes="tag-key", disabled=True, compact=True)
                    yield Input(str(tags.pop(key, "")), classes="tag-value", placeholder=hint, compact=True,
                                id=f"tag-{key.lower()}")
            for key, value in tags.items():
                yield self._row(key, str(value))
        yield Button("+ Add tag", id="add-tag", compact=True)
        yield FieldError("user.tags")
        yield Field("Permissions boundary (optional policy ARN)",
                    Input(form.get("user.permissions_boundary") or "", name="user.permissions_boundary",
                          id="boundary", placeholder="arn:aws:iam::123456789012:policy/Boundary", compact=True),
                    "user.permissions_boundary")

    def _row(self, key: str = "", value: str = "") -> Horizontal:
        self.extra_rows += 1
        return Horizontal(
            Input(key, classes="tag-key", placeholder="Key", compact=True),
            Input(value, classes="tag-value", placeholder="Value", compact=True),
            classes="tag-row",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#user-name", Input).focus(scroll_visible=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.button.id == "add-tag":
            event.stop()
            row = self._row()
            self.query_one("#tags").mount(row)
            row.query(Input).first().focus()
            return
        super().on_button_pressed(event)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.input.has_class("tag-key") or event.input.has_class("tag-value"):
            self.form.set("user.tags", self._tags())
            self.touched.add("user.tags")
            self.refresh_problems()
            return
        super().on_input_changed(event)

    def _tags(self) -> dict[str, str]:
        tags: dict[str, str] = {}
        for row in self.query(".tag-row"):
            key_input, value_input = row.query(Input)
            key, value = key_input.value.strip(), value_input.value.strip()
            if key and (value or not key_input.disabled):
                tags[key] = value
        return tags

    def extra_problems(self) -> list[Problem]:
        expiry = (self.form.get("user.tags") or {}).get("Expiry")
        if expiry:
            try:
                dt.date.fromisoformat(expiry)
            except ValueError:
                return [Problem(field="user.tags.Expiry", message=f"{expiry!r} is not a date; write it as YYYY-MM-DD")]
        return []


SCREEN = UserScreen
