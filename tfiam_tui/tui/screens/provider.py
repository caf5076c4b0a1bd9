"""Step 1: region, credentials, versions; under "advanced" a stand-in endpoint and mirror."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.suggester import SuggestFromList
from textual.widgets import Collapsible, OptionList, Select
from textual.widgets.option_list import Option

from ...engine.answers import choices
from ..widgets.field import Field
from ..widgets.input import Input
from .base import StepScreen

DEFAULT_CHAIN = "__default__"


class ProviderScreen(StepScreen):
    STEP = "provider"
    INTRO = "Where the user is created and with which credentials Terraform works."

    def form_fields(self) -> ComposeResult:
        form = self.form
        region = form.get("provider.region") or ""
        yield Field(
            "Region (type to search)",
            Input(region, name="provider.region", id="region", placeholder="e.g. eu-central-1 or Frankfurt",
                  suggester=SuggestFromList([r.code for r in choices.regions()]), compact=True),
            "provider.region",
        )
        yield OptionList(*self._region_options(region), id="region-list")
        profiles = choices.profiles()
        current = form.get("provider.profile")
        options = [("Default credential chain (environment, SSO, instance role)", DEFAULT_CHAIN)]
        options += [(f"profile {p}", p) for p in profiles]
        if current and current not in profiles:
            options.append((f"profile {current} (not in your AWS config files)", current))
        yield Field(
            "Credentials", Select(options, value=current or DEFAULT_CHAIN, allow_blank=False, id="profile",
                                  compact=True),
            "provider.profile",
            hint=f"{len(profiles)} profile(s) found in your AWS config and credentials files.",
        )
        yield Field("Terraform version", Input(form.get("provider.terraform_version") or "",
                    name="provider.terraform_version", id="tf-version", compact=True), "provider.terraform_version")
        yield Field("AWS provider version", Input(form.get("provider.aws_provider_version") or "",
                    name="provider.aws_provider_version", id="aws-version", compact=True),
                    "provider.aws_provider_version")
        with Collapsible(title="Advanced", collapsed=not (form.get("provider.endpoint") or self.wizard.session.plugin_dir)):
            yield Field("Stand-in AWS endpoint (moto, LocalStack)",
                        Input(form.get("provider.endpoint") or "", name="provider.endpoint", id="endpoint",
                              placeholder="empty = real AWS", compact=True), "provider.endpoint")
            yield Field("Provider mirror directory (terraform init -plugin-dir)",
                        Input(self.wizard.session.plugin_dir or "", id="plugin-dir", placeholder="empty = registry",
                              compact=True), "plugin_dir")

    @staticmethod
    def _region_options(text: str) -> list[Option]:
        found = choices.search_regions(text) if text and not any(r.code == text for r in choices.regions()) else []
        return [Option(r.label, id=r.code) for r in found[:8]]

    def changed(self, path: str) -> None:
        if path == "provider.region":
            options = self.query_one("#region-list", OptionList)
            options.clear_options()
            options.add_options(self._region_options(self.query_one("#region", Input).value.strip()))
            options.display = options.option_count > 0

    def on_mount(self) -> None:
        super().on_mount()
        options = self.query_one("#region-list", OptionList)
        options.display = options.option_count > 0
        self.query_one("#region", Input).focus(scroll_visible=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "region-list" and event.option.id:
            region = self.query_one("#region", Input)
            region.value = event.option.id
            region.focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "profile":
            self.form.set("provider.profile", None if event.value in (DEFAULT_CHAIN, Select.BLANK) else event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # the base handler runs only through super()
        options = self.query_one("#region-list", OptionList)
        if event.input.id == "region" and options.option_count == 1:
            code = options.get_option_at_index(0).id or event.input.value
            event.input.value = code
            self.form.set("provider.region", code)
        super().on_input_submitted(event)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.prevent_default()  # the base handler runs only through super()
        if event.input.id == "plugin-dir":
            self.wizard.session.plugin_dir = event.value.strip() or None
            return
        super().on_input_changed(event)


SCREEN = ProviderScreen
