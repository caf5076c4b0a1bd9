"""Small filesystem helpers: atomic, owner-only writes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``data`` to ``path`` atomically with ``mode``.

    A crash mid-write leaves the old file intact (temp file + fsync + rename).
    Returns True when the file changed, False when it already held ``data``
    (then it is not touched at all, so its mtime stays put).
    """
    tmp = stage(path, data, mode)
    if tmp is None:
        return False
    commit({path: tmp})
    return True


def stage(path: Path, data: bytes, mode: int = 0o600) -> Path | None:
    """Write ``data`` to a temp file beside ``path`` (fsynced, ``mode``) and return it,
    or None when ``path`` already holds exactly ``data``.  Finish with :func:`commit`."""
    try:
        if path.read_bytes() == data:
            if (path.stat().st_mode & 0o777) != mode:
                os.chmod(path, mode)
            return None
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def commit(staged: dict[Path, Path]) -> None:
    """Rename staged temp files (target -> temp) into place."""
    for target, tmp in staged.items():
        os.replace(tmp, target)


def discard(staged: dict[Path, Path]) -> None:
    for tmp in staged.values():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
