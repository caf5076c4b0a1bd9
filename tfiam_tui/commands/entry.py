"""The ``tfiam`` console script.  The command line and the engine are imported inside
``main`` so that a Ctrl-C while Python is still importing them (a second or two on a busy
machine) ends the program quietly with 130, as a Ctrl-C later does, not with a traceback."""

from __future__ import annotations

INTERRUPTED = 130  # Exit.INTERRUPTED, without importing the engine to learn it


def main() -> int:
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        return INTERRUPTED
    return run()
