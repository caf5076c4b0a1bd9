"""Wizard speed: time to the first interactive screen, and key latency while terraform
streams thousands of log lines into the run screen's log (through the same Batcher and
messages the workers use).  Run: .venv/bin/python bench/wizard_startup.py

Key latency is measured from the moment the terminal driver hands Textual a key to the
first screen refresh that shows it (the key is posted like a real key press; the clock
stops in a ``call_after_refresh`` callback).  ``Pilot.press`` is not used for this: it
waits until the whole process is idle, so with a log streaming it measures how long the
stream keeps the CPU busy, not how long a key takes.
"""

from __future__ import annotations

import time

LAUNCHED = time.perf_counter()  # before importing Textual and the wizard

# The imports below come after LAUNCHED on purpose: time to the first screen includes importing them.
import asyncio  # noqa: E402 - timed, after LAUNCHED
import statistics  # noqa: E402 - timed, after LAUNCHED
import threading  # noqa: E402 - timed, after LAUNCHED

from textual import events  # noqa: E402 - timed, after LAUNCHED

from tfiam_tui.engine.terraform.events import Line  # noqa: E402 - timed, after LAUNCHED
from tfiam_tui.tui.app import create_app  # noqa: E402 - timed, after LAUNCHED
from tfiam_tui.tui.messages import TerraformLines  # noqa: E402 - timed, after LAUNCHED
from tfiam_tui.tui.session import Session  # noqa: E402 - timed, after LAUNCHED
from tfiam_tui.tui.stream import Batcher  # noqa: E402 - timed, after LAUNCHED

LINES = 10_000
LINES_PER_SECOND = 2_500  # a busy terraform apply with many resources; 4 s of streaming
KEY_INTERVAL = 0.05


async def key_latency(app, widget, key: str = "a") -> float:
    """Seconds from a key reaching the app to the refresh that shows its effect."""
    before = widget.value
    shown = asyncio.Event()
    started = time.perf_counter()
    app._driver.send_message(events.Key(key, key))  # what the terminal driver does for a key press
    while widget.value == before:
        await asyncio.sleep(0.0005)
    app.call_after_refresh(shown.set)
    await shown.wait()
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))]


async def main() -> None:
    app = create_app(session=Session(terraform_bin="terraform-not-needed-for-the-benchmark"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first_screen = time.perf_counter() - LAUNCHED
        # The run screen's log and message path: a Log on the current screen, fed by a
        # Batcher from a thread, its batches posted as TerraformLines messages.
        from textual.widgets import Log

        class RunLog(Log):
            def on_terraform_lines(self, message: TerraformLines) -> None:  # as RunScreen does
                self.write_lines(message.lines)

        log = RunLog(max_lines=20000, id="bench-log")
        await app.screen.query_one("#form").mount(log)
        region = app.screen.query_one("#region")
        region.focus()
        await pilot.pause()
        idle = [await key_latency(app, region) for _ in range(20)]

        def produce() -> None:
            sink = Batcher(lambda lines: log.post_message(TerraformLines(lines)), lambda _e: None)
            per_tick = LINES_PER_SECOND // 100
            for n in range(LINES):
                sink(Line(f"module.iam_user.aws_iam_user.this: Still creating... [{n}s elapsed] " + "x" * 60))
                if n % per_tick == 0:
                    time.sleep(0.01)
            sink.flush()

        producer = threading.Thread(target=produce)
        streaming: list[float] = []
        producer.start()
        stream_started = time.perf_counter()
        while producer.is_alive():
            streaming.append(await key_latency(app, region))
            await asyncio.sleep(KEY_INTERVAL)
        producer.join()
        stream_time = time.perf_counter() - stream_started
        await pilot.pause()
    print(f"time to first screen (from launch, imports included): {first_screen * 1000:.0f} ms")
    print(f"key latency idle: median {statistics.median(idle) * 1000:.1f} ms, max {max(idle) * 1000:.1f} ms")
    print(f"key latency while {LINES} lines streamed in {stream_time:.1f} s: median "
          f"{statistics.median(streaming) * 1000:.1f} ms, p95 {pct(streaming, 0.95) * 1000:.1f} ms, "
          f"max {max(streaming) * 1000:.1f} ms ({len(streaming)} key presses); log holds {log.line_count} lines")
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak RSS of this process (the wizard with {LINES} lines in its log): {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
