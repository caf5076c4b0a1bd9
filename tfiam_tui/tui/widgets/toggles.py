"""Checkboxes, radio buttons and selection lists whose state reads without colour.

Textual draws every toggle as ``▐X▌`` (or ``▐●▌``), checked or not: only the colour of
the inner glyph changes.  On a monochrome terminal, with NO_COLOR, for a colour-blind
operator or in a screen capture, every box looked ticked.  Here a ticked box is ``[x]``
and an empty one ``[ ]`` (radios ``(•)`` and ``( )``), and the one with the keyboard focus
has a ``▸`` in front of it, so where typing goes is visible without colour too.  Labels
wrap instead of being cut at the edge of an 80-column form.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Checkbox as TextualCheckbox
from textual.widgets import RadioButton as TextualRadioButton
from textual.widgets import SelectionList as TextualSelectionList

FOCUS_MARK = "▸"


class _Glyphs:
    """The button part of a toggle: focus mark, then the state in glyphs."""

    ON = "[x]"
    OFF = "[ ]"

    def _marked(self) -> bool:
        return bool(getattr(self, "has_focus", False))

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")  # type: ignore[attr-defined]
        mark = FOCUS_MARK if self._marked() else " "
        state = self.ON if self.value else self.OFF  # type: ignore[attr-defined]
        return Content.assemble(mark, (state, style))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.render().wrap(max(1, width))))  # type: ignore[attr-defined]


class Checkbox(_Glyphs, TextualCheckbox):
    """Textual's Checkbox with ``[x]``/``[ ]`` and the focus mark (a focus change redraws it)."""


class RadioButton(_Glyphs, TextualRadioButton):
    """In a RadioSet the set holds the focus and one button is highlighted (``-selected``):
    that one carries the mark while the set has the focus."""

    ON = "(•)"
    OFF = "( )"

    def _marked(self) -> bool:
        parent = self.parent
        return self.has_class("-selected") and bool(getattr(parent, "has_focus", False))


class SelectionList(TextualSelectionList):
    """Each option shows ``[x]`` or ``[ ]``; the highlighted one, while the list has the
    focus, ``▸`` in front of it.  One cell wider than Textual's ``▐X▌`` gutter."""

    def _get_left_gutter_width(self) -> int:
        return 5  # mark, "[x]", space

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        segments = list(line)
        index = self.scroll_offset.y + y
        if len(segments) < 4 or index >= self.option_count:
            return line
        option = self.get_option_at_index(index)
        ticked = option.value in self._selected
        marked = self.has_focus and self.highlighted == index
        left, inner, right, space = segments[:4]
        gutter = [
            Segment(FOCUS_MARK if marked else " ", space.style),
            Segment("[", left.style),
            Segment("x" if ticked else " ", inner.style),
            Segment("]", right.style),
            space,
        ]
        return Strip([*gutter, *segments[4:]])


__all__ = ["FOCUS_MARK", "Checkbox", "RadioButton", "SelectionList"]
