"""A run log per workspace, for support: what tfiam and terraform printed, redacted.

Every line passes through :func:`redact`, which removes anything shaped like an
AWS secret access key, a PGP message (armored, or the base64 of a binary one as
the provider outputs it) or a long base64 blob, before it reaches the disk.  The
plaintext secrets never reach the log in the first place (tfiam never prints them
in a run); the filter is the second line of defence.

Logs live in ``<workspace>/.tfiam/logs/`` (folder 0700, files 0600); the newest
``KEEP`` are kept.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

KEEP = 20
REDACTED = "[redacted]"

_PATTERNS = [
    # an armored PGP message or key block, possibly spanning lines
    re.compile(r"-----BEGIN PGP [A-Z ]+-----.*?(-----END PGP [A-Z ]+-----|\Z)", re.S),
    # base64 runs of 60+ characters: the provider's encrypted_secret/encrypted_password
    # (base64 of a binary OpenPGP message) and any other blob
    re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{60,}={0,2}"),
    # an AWS secret access key: exactly 40 characters of base64's alphabet standing alone
    # (not a 40-hex-digit PGP fingerprint, which support needs to see)
    re.compile(
        r"(?<![A-Za-z0-9+/=])(?![0-9A-Fa-f]{40}(?![A-Za-z0-9+/=]))(?=[A-Za-z0-9+/]*[0-9+/])"
        r"[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])"
    ),
    # "aws_secret_access_key = ..." and similar assignments, whatever the value looks like
    re.compile(r"(?i)((?:aws_)?secret_access_key|secretaccesskey|password)(\s*[=:]\s*)(\S+)"),
]


def redact(text: str) -> str:
    """``text`` with secrets and ciphertext replaced by ``[redacted]``."""
    for pattern in _PATTERNS[:-1]:
        text = pattern.sub(REDACTED, text)
    return _PATTERNS[-1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


class RunLog:
    """Append-only, redacted log of one tfiam run in a workspace."""

    def __init__(self, workspace: Path, command: str):
        folder = Path(workspace) / ".tfiam" / "logs"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for part in (folder.parent, folder):
            os.chmod(part, 0o700)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = folder / f"{stamp}-{os.getpid()}-{command}.log"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fh = os.fdopen(fd, "a", encoding="utf-8")
        self._prune(folder)

    def write(self, line: str) -> None:
        if self._fh.closed:  # a last word after the run ended (the final error)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._fh.write(redact(line).rstrip("\n") + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    @staticmethod
    def _prune(folder: Path) -> None:
        logs = sorted(folder.glob("*.log"))
        for old in logs[:-KEEP]:
            old.unlink(missing_ok=True)
