"""The run log's redaction filter: the second line of defence for secrets."""

from __future__ import annotations

import base64
import random

import pytest

from tfiam_tui.engine.runlog import REDACTED, RunLog, redact

SECRET = "vWVFlttRd+n62o0GDEb86GISmGt0fiDbmhlYzA3J"  # shaped like an AWS secret access key


@pytest.mark.parametrize(
    "line",
    [
        f"aws_secret_access_key = {SECRET}",
        f"got {SECRET} back",
        f'{{"secret_access_key": "{SECRET}"}}',
        "password: Zx!9-only-a-password",
        "-----BEGIN PGP MESSAGE-----\nhQIMA1234\n=abcd\n-----END PGP MESSAGE-----",
        "encrypted_secret = " + base64.b64encode(random.Random(7).randbytes(300)).decode(),
    ],
)
def test_secret_shapes_are_removed(line):
    out = redact(line)
    assert REDACTED in out
    for token in (SECRET, "Zx!9-only-a-password", "hQIMA1234", line[-40:]):
        if token in line:
            assert token not in out


@pytest.mark.parametrize(
    "line",
    [
        "module.iam_user.aws_iam_access_key.this[0]: Creation complete after 0s [id=AKIARZPUZDIKJNBZ3IXW]",
        "throwaway sandbox key (7FAA55326A42DFDFB6F6A9C035F62B2B83460531)",
        "arn:aws:iam::123456789012:policy/ci-policy",
        "password_length: 20",
        "Plan: 7 to add, 0 to change, 0 to destroy.",
    ],
)
def test_ordinary_lines_survive(line):
    assert redact(line) == line


def test_log_file_is_private_and_redacted(tmp_path):
    log = RunLog(tmp_path, "replay")
    log.write(f"secret {SECRET}")
    log.close()
    log.write("a last word after close")
    assert (log.path.stat().st_mode & 0o777) == 0o600
    assert (log.path.parent.stat().st_mode & 0o777) == 0o700
    text = log.path.read_text()
    assert SECRET not in text and "a last word" in text
