"""Step 3: a group (new and/or existing ones), AWS managed policies, a custom policy built
statement by statement with its JSON shown live, and the linter's findings as you build."""

from __future__ import annotations

import copy
from typing import Any

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input as TextualInput
from textual.widgets import Label, Select, Static

from ...engine.answers import choices
from ..widgets.button import Button
from ..widgets.field import Field, FieldError
from ..widgets.input import Input
from ..widgets.toggles import Checkbox, SelectionList
from .base import StepScreen

GROUP = "permissions.groups[0]"
CUSTOM = f"{GROUP}.custom_policy"
NEW_STATEMENT = {"effect": "Allow", "actions": [], "resources": []}


class PermissionsScreen(StepScreen):
    STEP = "permissions"
    INTRO = ("Permissions go on a group, not on the user: create a group (or join existing ones) and "
             "attach AWS managed policies and a least-privilege custom policy to it.")

    def __init__(self) -> None:
        super().__init__()
        self._stash: dict[str, Any] | None = None  # the group while "create a new group" is off

    def form_fields(self) -> ComposeResult:
        form = self.form
        groups = form.get("permissions.groups") or []
        group = groups[0] if groups else {"name": "", "managed_policies": [], "custom_policy": None}
        self._stash = copy.deepcopy(group)
        self._typed_other = self._other_arns()  # the ARNs in "Other policy ARNs"
        yield Checkbox("Create a new group for this user", bool(groups), id="new-group", compact=True)
        with Vertical(id="group-box"):
            yield Field("Group name", Input(group.get("name") or "", name=f"{GROUP}.name", id="group-name",
                                            placeholder="e.g. ci-group", compact=True), f"{GROUP}.name")
            yield Label("AWS managed policies for the group (type to filter, Enter or ↓ to the list, "
                        "space ticks one)", classes="field-label")
            yield Input(id="policy-search", placeholder="e.g. read only, s3, PowerUser", compact=True)
            yield SelectionList(*self._policy_options(""), id="policy-list")
            yield Field("Other policy ARNs (comma separated)",
                        Input(", ".join(self._other_arns()), id="other-arns", compact=True,
                              placeholder="arn:aws:iam::123456789012:policy/Name"),
                        f"{GROUP}.managed_policies")
            custom = group.get("custom_policy")
            yield Checkbox("Custom policy (least privilege, statement by statement)", custom is not None,
                           id="custom-on", compact=True)
            with Vertical(id="custom-box"):
                yield Field("Policy name", Input((custom or {}).get("name") or "", name=f"{CUSTOM}.name",
                                                 id="custom-name", compact=True), f"{CUSTOM}.name")
                yield Field("Description", Input((custom or {}).get("description") or "",
                                                 name=f"{CUSTOM}.description", id="custom-description",
                                                 compact=True), f"{CUSTOM}.description")
                yield Vertical(id="statements")
                yield Button("+ Add statement", id="add-statement", compact=True)
                yield FieldError(f"{CUSTOM}.statements")
                yield Label("Policy document (live)", classes="field-label")
                yield Static(id="policy-json")
        yield Field("Existing groups to join (comma separated)",
                    Input(", ".join(form.get("permissions.existing_groups") or []), id="existing-groups",
                          compact=True), "permissions.existing_groups")
        yield Field("Policies attached directly to the user (discouraged)",
                    Input(", ".join(form.get("permissions.user_managed_policies") or []), id="user-policies",
                          compact=True), "permissions.user_managed_policies")
        yield FieldError("permissions")
        yield Label("Findings", classes="field-label")
        yield Static(id="findings", markup=False)

    # ---- building blocks

    def _selected(self) -> list[str]:
        return list(self.form.get(f"{GROUP}.managed_policies") or [])

    def _other_arns(self) -> list[str]:
        shipped = {p.arn for p in choices.managed_policies()}
        return [arn for arn in self._selected() if arn not in shipped]

    def _policy_options(self, text: str) -> list[tuple[str, str, bool]]:
        selected = set(self._selected())
        found = choices.search_policies(text)
        found.sort(key=lambda p: p.arn not in selected)
        return [(f"{p.name} — {p.description}", p.arn, p.arn in selected) for p in found]

    def _refill_list(self) -> None:
        listing = self.query_one("#policy-list", SelectionList)
        listing.clear_options()
        listing.add_options(self._policy_options(self.query_one("#policy-search", Input).value))
        if listing.option_count:
            listing.highlighted = 0

    def _statement_row(self, index: int, st: dict[str, Any]) -> Vertical:
        base = f"{CUSTOM}.statements[{index}]"
        return Vertical(
            Horizontal(
                Label(f"Statement {index + 1}", classes="statement-title"),
                Select([("Allow", "Allow"), ("Deny", "Deny")], value=st.get("effect") or "Allow",
                       allow_blank=False, compact=True, classes="statement-effect", name=f"{base}.effect"),
                Button("Remove", classes="remove-statement", compact=True, name=str(index)),
                classes="statement-head",
            ),
            Input(", ".join(st.get("actions") or []), placeholder="actions, e.g. s3:GetObject, s3:ListBucket",
                  compact=True, classes="statement-actions", name=f"{base}.actions"),
            Input(", ".join(st.get("resources") or []), placeholder="resources, e.g. arn:aws:s3:::bucket/*",
                  compact=True, classes="statement-resources", name=f"{base}.resources"),
            FieldError(base),
            classes="statement",
        )

    async def _rebuild_statements(self) -> None:
        box = self.query_one("#statements", Vertical)
        await box.remove_children()
        statements = self.form.get(f"{CUSTOM}.statements") or []
        await box.mount_all([self._statement_row(i, st) for i, st in enumerate(statements)])

    async def on_mount(self) -> None:  # type: ignore[override]  # Textual awaits async ones
        await self._rebuild_statements()
        self._show_boxes()
        super().on_mount()
        self._refresh_live()
        (self.query_one("#group-name", Input) if self.form.get("permissions.groups") else
         self.query_one("#new-group", Checkbox)).focus(scroll_visible=False)

    def _show_boxes(self) -> None:
        self.query_one("#group-box").display = bool(self.form.get("permissions.groups"))
        self.query_one("#custom-box").display = self.form.get(CUSTOM) is not None

    def _refresh_live(self) -> None:
        self.query_one("#policy-json", Static).update(
            Syntax(choices.policy_json(self.form.get(CUSTOM)), "json", theme="ansi_dark", background_color="default")
        )
        self.query_one("#findings", Static).update(self.wizard.findings_text("permissions"))

    def changed(self, path: str) -> None:
        self._refresh_live()

    # ---- events

    async def on_checkbox_changed(self, event: Checkbox.Changed) -> None:  # type: ignore[override]  # Textual awaits async ones
        event.prevent_default()  # the base handler runs only through super()
        event.stop()
        if event.checkbox.id == "new-group":
            if event.value:
                self.form.set("permissions.groups", [copy.deepcopy(self._stash)])
            else:
                self._stash = copy.deepcopy(self.form.get(GROUP)) or self._stash
                self.form.set("permissions.groups", [])
        elif event.checkbox.id == "custom-on":
            if event.value:
                name = self.query_one("#custom-name", Input).value.strip()
                statements = [copy.deepcopy(NEW_STATEMENT)]
                self.form.set(CUSTOM, {"name": name, "description": "", "statements": statements})
                await self._rebuild_statements()
            else:
                self.form.set(CUSTOM, None)
        self.touched.add("permissions")
        self._show_boxes()
        self._refresh_live()
        self.refresh_problems()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        widget = event.input
        value = event.value
        if widget.id == "policy-search":
            event.stop()
            self._refill_list()
            return
        if widget.id in ("other-arns", "existing-groups", "user-policies"):
            event.stop()
            items = choices.split_list(value)
            if widget.id == "other-arns":
                # What was typed here before goes; what was ticked in the list stays.  (Keeping
                # every shipped ARN made one typed here impossible to remove by deleting it.)
                kept = [a for a in self._selected() if a not in self._typed_other]
                self._typed_other = items
                items = kept + [a for a in items if a not in kept]
                path = f"{GROUP}.managed_policies"
            else:
                path = {"existing-groups": "permissions.existing_groups",
                        "user-policies": "permissions.user_managed_policies"}[widget.id]
            self.form.set(path, items)
            self.touched.add(path)
            if widget.id == "other-arns":
                self._refill_list()  # a shipped policy typed here shows ticked in the list too
        elif widget.has_class("statement-actions") or widget.has_class("statement-resources"):
            event.stop()
            name = widget.name or ""  # every statement field is named by its answers path
            self.form.set(name, choices.split_list(value))
            self.touched.add(name)
        else:
            super().on_input_changed(event)
            return
        self.changed(widget.name or "")
        self.refresh_problems()

    def advances_on_enter(self, field: TextualInput) -> bool:
        return field.id != "policy-search"  # Enter in the filter moves into the list it filters

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "policy-search":
            event.prevent_default()
            event.stop()
            self.query_one("#policy-list", SelectionList).focus()

    def on_key(self, event) -> None:
        if event.key == "down" and isinstance(self.focused, Input) and self.focused.id == "policy-search":
            event.stop()
            self.query_one("#policy-list", SelectionList).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.has_class("statement-effect") and event.select.name:
            self.form.set(event.select.name, event.value)
            self._refresh_live()

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        arn = event.selection.value
        selected = self._selected()
        if arn in selected:
            selected.remove(arn)
        else:
            selected.append(arn)
        self.form.set(f"{GROUP}.managed_policies", selected)
        self.touched.add(f"{GROUP}.managed_policies")
        self._refresh_live()
        self.refresh_problems()

    async def on_button_pressed(self, event: Button.Pressed) -> None:  # type: ignore[override]  # Textual awaits async ones
        event.prevent_default()  # the base handler runs only through super()
        if event.button.id == "add-statement":
            event.stop()
            statements = list(self.form.get(f"{CUSTOM}.statements") or [])
            statements.append(copy.deepcopy(NEW_STATEMENT))
            self.form.set(f"{CUSTOM}.statements", statements)
            await self._rebuild_statements()
            self.query(".statement-actions").last().focus()
        elif event.button.has_class("remove-statement"):
            event.stop()
            statements = list(self.form.get(f"{CUSTOM}.statements") or [])
            del statements[int(event.button.name or 0)]
            self.form.set(f"{CUSTOM}.statements", statements)
            await self._rebuild_statements()
        else:
            super().on_button_pressed(event)
            return
        self._refresh_live()
        self.refresh_problems()


SCREEN = PermissionsScreen
