"""A button that says it has the focus with a glyph as well as with colour.

Textual marks the focused button by colour and reverse video only; on a monochrome
terminal, with NO_COLOR or in a screen capture, Enter's target was a guess.  Here the
focused button reads ``▸ Next →``.  Two cells are kept for the mark whether or not it is
shown, so buttons do not move when the focus does.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.geometry import Size
from textual.widgets import Button as TextualButton

from .toggles import FOCUS_MARK


class Button(TextualButton):
    def render(self) -> RenderResult:
        label = super().render()
        mark = f"{FOCUS_MARK} " if self.has_focus else "  "
        return Content.assemble(mark, label) if isinstance(label, Content) else label

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return super().get_content_width(container, viewport) + 2
