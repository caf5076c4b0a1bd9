"""The run screen's live progress: what terraform is doing now (with a ticking clock), a bar
of the changes done, and one line per planned change with its state in a glyph and words.
Every line wraps (nothing is cut at 80 columns)."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from ..activity import Activity

STATE_WIDTH = 15  # "… destroying 59 s"
STYLES = {"done": "green", "failed": "bold red", "running": "yellow"}


class RunProgress(Vertical):
    """Renders an :class:`Activity`; ``tick()`` once a second while terraform runs."""

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.activity = Activity(clock)

    def compose(self) -> ComposeResult:
        yield Static("", id="activity", markup=False)
        yield ProgressBar(id="apply-progress", show_eta=False)
        yield Static("", id="changes", markup=False)

    def on_mount(self) -> None:
        self.query_one("#apply-progress").display = False
        self.show()

    def feed(self, event: object) -> None:
        self.activity.feed(event)
        self.show()

    def show(self) -> None:
        """Redraw from the activity (the clocks move on even when nothing arrived)."""
        activity = self.activity
        headline = activity.headline()
        box = self.query_one("#activity", Static)
        box.update(headline)
        box.display = bool(headline)
        changes = self.query_one("#changes", Static)
        changes.update(self._table())
        changes.display = bool(activity.rows)
        done, total = activity.counts()
        bar = self.query_one("#apply-progress", ProgressBar)
        if total:
            bar.update(total=total, progress=done)

    def _table(self) -> Table:
        """The state in its own column; a long address wraps inside its column."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=STATE_WIDTH, no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for row in self.activity.rows.values():
            grid.add_row(Text(self.activity.row_state(row), style=STYLES.get(row.state, "")),
                         Text(self.activity.row_change(row)))
            if row.error:
                grid.add_row("", Text(row.error, style="red"))
        return grid

    def show_bar(self, shown: bool) -> None:
        self.query_one("#apply-progress").display = shown
