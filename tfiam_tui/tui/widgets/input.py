"""The wizard's text input: Textual's Input with its editing keys applied in the order typed.

Textual inserts a typed character as soon as the Input sees the key, but runs a bound key
(backspace, ctrl+u, ctrl+w, delete, arrows, enter) only after the key has bubbled up to the
App.  When the machine is busy (terraform init runs in the background while the operator
types) the next characters overtake it: ``ab`` backspace ``c`` became ``ab``, and text typed
right after ctrl+u was wiped with the old text.  Upstream: Textualize/textual#6605 (fix
proposed in #6631).  This Input runs its own bindings inline, where the characters are
inserted; App and screen priority bindings (ctrl+q, ctrl+c) are still checked first by the
App, and keys the Input does not bind (tab, escape, ctrl+n) still bubble as before.

The same race moved typed text between steps: the characters typed straight after Enter
(or ctrl+n, escape) went into the old step's field (the user name appended to the region).
The App now holds every key that follows one that leaves the step, from the moment the key
arrives, and hands them, in order, to the next step's first field (WizardApp.hold_keys).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input as TextualInput


class Input(TextualInput):
    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if binding.priority:
                    continue
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)
