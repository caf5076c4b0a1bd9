"""The wizard's text input: Textual's Input with its editing keys applied in the order typed.

Textual inserts a typed character as soon as the Input sees the key, but runs a bound key
(backspace, ctrl+u, ctrl+w, delete, arrows, enter) only after the key has bubbled up to the
App.  When the machine is busy (terraform init runs in the background while the operator
types) the next characters overtake it: ``ab`` backspace ``c`` became ``ab``, and text typed
right after ctrl+u was wiped with the old text.  Upstream: Textualize/textual#6605 (fix
proposed in #6631).  This Input runs its own bindings inline, where the characters are
inserted; App and screen priority bindings (ctrl+q, ctrl+c) are still checked first by the
App, and keys the Input does not bind (tab, escape, ctrl+n) still bubble as before.

The same race moved typed text between steps: Enter (or ctrl+n, escape) changes the step
only once the screen handles it, and the characters typed straight after went into the old
step's field (the user name appended to the region).  Those keys now wait, in order, for
the next step's first field (WizardApp.hold_keys / release_keys).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input as TextualInput


class Input(TextualInput):
    async def action_submit(self) -> None:
        """Enter moves to the next step from every field of a step (the screen says which
        fields use Enter for something else): keys typed from here on wait until the step
        has decided (see WizardApp.hold_keys)."""
        hold = getattr(self.app, "hold_keys", None)
        advances = getattr(self.screen, "advances_on_enter", None)
        if hold is not None and advances is not None and advances(self):
            hold()
        await super().action_submit()

    async def _on_key(self, event: events.Key) -> None:
        keep = getattr(self.app, "keep_if_held", None)
        if keep is not None and keep(event):  # typed after Enter, already queued here: for the next step
            event.stop()
            event.prevent_default()
            return
        if not event.is_printable:
            if self._moves_to_another_step(event.key):
                self.app.hold_keys()  # type: ignore[attr-defined]
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if binding.priority:
                    continue
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)

    def _moves_to_another_step(self, key: str) -> bool:
        """``key`` is the step's Next or Back (ctrl+n, escape), which the screen runs once
        the key has bubbled up to it: what is typed meanwhile is for the next step."""
        if getattr(self.app, "hold_keys", None) is None:
            return False
        bindings = self.screen._bindings.key_to_bindings.get(key, ())
        return any(binding.action in ("next", "back") for binding in bindings)
