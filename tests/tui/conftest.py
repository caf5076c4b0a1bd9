"""Every wizard test runs in its own folder: the wizard writes answers and workspaces
relative to the current directory.

And ``pilot.pause()`` settles chains of messages whatever the machine's load.  Textual's
own pause processes the messages queued when it is called, then waits for "CPU idle" by
comparing process time with wall time; on a machine whose cores are busy elsewhere the
process looks idle while a message posted by a handler (a checkbox that sets another
widget, which updates the form, which redraws the findings) is still queued.  Every
flaky wizard test of the loaded runs was such a chain.  Here a pause goes through the
screen's queues a few times over, each time waiting, by event, for every queue to reach
what was in it; a chain of up to that many hops is then done, on any machine."""

from __future__ import annotations

import asyncio

import pytest
from textual.pilot import Pilot

_ROUNDS = 4  # hops of a message chain a pause waits through


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _pauses_settle_message_chains(monkeypatch):
    original = Pilot.pause

    async def pause(self: Pilot, delay: float | None = None) -> None:
        if delay is None:
            for _ in range(_ROUNDS):
                await self._wait_for_screen()
                await asyncio.sleep(0)
        await original(self, delay)

    monkeypatch.setattr(Pilot, "pause", pause)
