"""Batch terraform's event stream for the UI thread (no Textual here).

Posting one message per line makes a busy log slow to drain; :class:`Batcher` hands
lines over in batches (every ``interval`` seconds or ``max_lines`` lines), and every
other event on its own, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from ..engine.terraform.events import Finished, Line, run_to_end


class Batcher:
    def __init__(
        self,
        on_lines: Callable[[list[str]], object],
        on_event: Callable[[Any], object],
        *,
        interval: float = 0.05,
        max_lines: int = 500,
    ):
        self._on_lines = on_lines
        self._on_event = on_event
        self._interval = interval
        self._max = max_lines
        self._buffer: list[str] = []
        self._since = time.monotonic()

    def __call__(self, event: Any) -> None:
        if isinstance(event, Line):
            self._buffer.append(event.text)
            if len(self._buffer) >= self._max or time.monotonic() - self._since >= self._interval:
                self.flush()
        else:
            self.flush()
            self._on_event(event)

    def flush(self) -> None:
        if self._buffer:
            lines, self._buffer = self._buffer, []
            self._on_lines(lines)
        self._since = time.monotonic()


def drain(events: Iterable[Any], sink: Batcher) -> Finished:
    """Feed every event to ``sink``, then flush it; return the Finished event."""
    finished = run_to_end(events, sink, check=False)
    sink.flush()
    return finished
