"""Wizard speed: time to the first interactive screen, and key latency while 10,000
terraform log lines stream into the run screen's log (through the same Batcher and
messages the workers use).  Run: .venv/bin/python bench/wizard_startup.py"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

from tfiam_tui.engine.terraform import Line
from tfiam_tui.tui.app import create_app
from tfiam_tui.tui.session import Session
from tfiam_tui.tui.stream import Batcher

LINES = 10_000


async def main() -> None:
    started = time.perf_counter()
    app = create_app(session=Session(terraform_bin="terraform-not-needed-for-the-benchmark"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first_screen = time.perf_counter() - started
        # A log to stream into: the run screen's Log widget, mounted on the current screen.
        from textual.widgets import Log

        log = Log(max_lines=20000, id="bench-log")
        await app.screen.query_one("#form").mount(log)

        def produce() -> None:
            # what RunScreen.on_terraform_lines does with each batch, on the UI thread
            sink = Batcher(lambda lines: app.call_from_thread(log.write_lines, lines), lambda _e: None)
            for n in range(LINES):
                sink(Line(f"aws_iam_user.this: Still creating... [{n}s elapsed] " + "x" * 60))
                if n % 100 == 0:
                    time.sleep(0.001)  # terraform's pace: thousands of lines a second
            sink.flush()

        producer = threading.Thread(target=produce)
        region = app.screen.query_one("#region")
        region.focus()
        latencies = []
        producer.start()
        while producer.is_alive() or len(latencies) < 20:
            before = len(region.value)
            t0 = time.perf_counter()
            await pilot.press("a")
            while len(region.value) == before:
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - t0)
            if len(latencies) > 400:
                break
        producer.join()
        await pilot.pause()
    print(f"time to first screen: {first_screen * 1000:.0f} ms")
    print(f"key latency while {LINES} lines streamed: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {sorted(latencies)[int(len(latencies) * 0.95)] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
          f"({len(latencies)} key presses); log holds {log.line_count} lines")


if __name__ == "__main__":
    import_start = time.perf_counter()
    asyncio.run(main())
