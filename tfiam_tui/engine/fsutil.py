"""Small filesystem helpers: atomic, owner-only writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``data`` to ``path`` atomically with ``mode``.

    A crash mid-write leaves the old file intact (temp file + fsync + rename).
    Returns True when the file changed, False when it already held ``data``
    (then it is not touched at all, so its mtime stays put).
    """
    try:
        if path.read_bytes() == data:
            if (path.stat().st_mode & 0o777) != mode:
                os.chmod(path, mode)
            return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return True
