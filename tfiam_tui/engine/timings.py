"""Wall-clock seconds per pipeline step, for ``tfiam replay --timings`` and ``python -m bench``.

A :class:`Timings` belongs to one :class:`~tfiam_tui.engine.pipeline.Pipeline`; its
methods are wrapped with :func:`timed`::

    class Pipeline:
        @timed("plan")
        def plan(self): ...          # plain methods and generators alike

    pipeline.timings.line()  # "timings: check=0.210s plan=7.902s ... peak_rss=88.1MB"

A generator step is timed from its first ``next()`` to its end, so it includes the time
the front spends showing its events (that is tfiam's cost too).  Steps that run more than
once add up.
"""

from __future__ import annotations

import functools
import inspect
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (VmHWM), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Timings:
    """Seconds spent per named step, in the order the steps first ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, step: str, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds

    @contextmanager
    def measure(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(step, time.perf_counter() - start)

    def line(self) -> str:
        """One line for the operator (and the benchmark, which parses it)."""
        steps = " ".join(f"{step}={seconds:.3f}s" for step, seconds in self.seconds.items())
        return f"timings: {steps} peak_rss={peak_rss_mb():.1f}MB"


def timed(step: str) -> Callable[[F], F]:
    """Decorator: add the method's run time to ``self.timings`` under ``step``."""

    def wrap(method: F) -> F:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def generator(self, *args, **kwargs):
                with self.timings.measure(step):
                    return (yield from method(self, *args, **kwargs))

            return generator  # type: ignore[return-value]

        @functools.wraps(method)
        def plain(self, *args, **kwargs):
            with self.timings.measure(step):
                return method(self, *args, **kwargs)

        return plain  # type: ignore[return-value]

    return wrap
