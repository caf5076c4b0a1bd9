"""Real GnuPG keyrings for tests: throwaway homes under /tmp, keys made with the gpg CLI.

``gpg_keys`` (session) builds one keyring with:

- ``op@example.com``: RSA 3072 sign key + RSA 3072 encryption subkey, no passphrase
  (the kind ``tfiam`` itself creates; the e2e tests hand it to the aws provider);
- ``pw@example.com``: ed25519 + cv25519 encryption subkey, protected by ``pw_passphrase``
  (non-ASCII, trailing blank: it must reach gpg byte for byte);
- ``signonly@example.com``: ed25519, sign/certify only, no encryption subkey;
- ``expired@example.com``: an encryption subkey that expired in 2020;
- two keys for ``dup@example.com`` (to test ambiguity).

The homes are short paths under /tmp because gpg-agent puts its sockets there when
/run/user/UID is missing, and a socket path must stay under 108 characters. Each home's
``gpg-agent.conf`` turns passphrase caching off, so a wrong passphrase is really checked
instead of being answered from the agent's cache. Agents are stopped at teardown.

Tests must not change the ``gpg_keys`` keyring; use ``empty_gnupghome`` to write keys.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The passphrase of pw@example.com: non-ASCII (UTF-8 on the wire) and a trailing blank.
PW_PASSPHRASE = "correct horse ✓ bätterý staple "


def gpg_cli(
    home: str | Path, *args: str, input: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run the real ``gpg`` CLI on ``home`` in batch mode; stdout as bytes, stderr as text."""
    proc = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--no-tty", "--status-fd", "2", *args],
        input=input if input is not None else b"",
        capture_output=True,
        timeout=120,
    )
    if check and proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace")
        raise AssertionError(f"gpg {' '.join(args)} failed ({proc.returncode}):\n{stderr}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


def encrypt_b64(home: str | Path, fingerprint: str, plaintext: str) -> str:
    """Encrypt like the aws provider does: a binary OpenPGP message, then base64."""
    out = gpg_cli(home, "--trust-model", "always", "--encrypt", "--recipient", fingerprint, input=plaintext.encode())
    assert not out.stdout.startswith(b"-----BEGIN"), "expected a binary message"
    return base64.b64encode(out.stdout).decode("ascii")


def make_home(prefix: str = "tfg-") -> str:
    """A new, short, private GnuPG home with passphrase caching off."""
    home = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(home, 0o700)
    Path(home, "gpg-agent.conf").write_text("default-cache-ttl 0\nmax-cache-ttl 0\n")
    return home


def discard_home(home: str) -> None:
    """Stop the home's gpg-agent (and any other gpg daemon) and delete it."""
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, timeout=60, check=False)
    shutil.rmtree(home, ignore_errors=True)


def _created(status: str) -> str:
    """The fingerprint from a ``[GNUPG:] KEY_CREATED <type> <fpr>`` status line."""
    for line in status.splitlines():
        if line.startswith("[GNUPG:] KEY_CREATED "):
            return line.split()[-1]
    raise AssertionError(f"gpg reported no KEY_CREATED:\n{status}")


def new_key(
    home: str,
    uid: str,
    algo: str,
    subkey: str | None,
    *,
    passphrase: str = "",
    sub_expire: str = "never",
    extra: tuple[str, ...] = (),
) -> str:
    """Make a key (and optionally an encryption subkey) with the gpg CLI; return its fingerprint.

    The passphrase goes over stdin (``--passphrase-fd 0``), as a person typing it would give it.
    """
    pp = (passphrase + "\n").encode("utf-8")
    base = ["--pinentry-mode", "loopback", "--passphrase-fd", "0", *extra]
    fpr = _created(gpg_cli(home, *base, "--quick-gen-key", uid, algo, "sign,cert", "never", input=pp).stderr)
    if subkey:
        gpg_cli(home, *base, "--quick-add-key", fpr, subkey, "encr", sub_expire, input=pp)
    return fpr


@dataclass(frozen=True)
class GpgKeys:
    """The session keyring: where it is, what is in it, and how to use it like the provider."""

    home: str
    op_fpr: str
    pw_fpr: str
    pw_passphrase: str
    signonly_fpr: str
    expired_fpr: str
    dup_fprs: tuple[str, str]

    def gpg(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return gpg_cli(self.home, *args, input=input, check=check)

    def export(self, fingerprint: str, *, armor: bool = False) -> bytes:
        return self.gpg("--export", *(["--armor"] if armor else []), fingerprint).stdout

    def encrypt_b64(self, fingerprint: str, plaintext: str) -> str:
        return encrypt_b64(self.home, fingerprint, plaintext)


@pytest.fixture(scope="session")
def gpg_keys() -> Iterator[GpgKeys]:
    """One real keyring for the whole session (see the module docstring)."""
    home = make_home()
    try:
        keys = GpgKeys(
            home=home,
            op_fpr=new_key(home, "Operator <op@example.com>", "rsa3072", "rsa3072"),
            pw_fpr=new_key(home, "Passphrase Holder <pw@example.com>", "ed25519", "cv25519", passphrase=PW_PASSPHRASE),
            pw_passphrase=PW_PASSPHRASE,
            signonly_fpr=new_key(home, "Sign Only <signonly@example.com>", "ed25519", None),
            # made on 2020-01-01 with a one-day encryption subkey: long expired now
            expired_fpr=new_key(
                home, "Expired Subkey <expired@example.com>", "ed25519", "cv25519",
                sub_expire="1d", extra=("--faked-system-time", "20200101T000000!"),
            ),
            dup_fprs=(
                new_key(home, "Dup One <dup@example.com>", "ed25519", "cv25519"),
                new_key(home, "Dup Two <dup@example.com>", "ed25519", "cv25519"),
            ),
        )
        yield keys
    finally:
        discard_home(home)


@pytest.fixture
def gnupghome(gpg_keys: GpgKeys, monkeypatch: pytest.MonkeyPatch) -> GpgKeys:
    """``GNUPGHOME`` points at the session keyring for this test."""
    monkeypatch.setenv("GNUPGHOME", gpg_keys.home)
    return gpg_keys


@pytest.fixture
def empty_gnupghome() -> Iterator[str]:
    """A fresh, empty GnuPG home of this test's own (not set in the environment)."""
    home = make_home()
    yield home
    discard_home(home)
