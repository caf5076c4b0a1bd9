"""GnuPG for tfiam: find the operator's public key, create one, decrypt the provider's secrets.

This is the only module that talks to ``gpg`` (through python-gnupg). The rules it keeps:

- A passphrase reaches gpg only through python-gnupg's passphrase pipe (``--passphrase-fd 0``
  on stdin, ``--pinentry-mode loopback``): never on a command line, never in a child's
  environment, never in a log line or an error message.
- gpg always runs with ``--batch`` and never starts a pinentry (one would fight a full-screen
  front for the terminal): without a passphrase a locked key fails with a clear error.
- A key given as a file path is read in a throwaway keyring; the operator's keyring is never
  written to, except by :func:`create_key`, whose job that is.
- python-gnupg's logger (``gnupg``) is held at WARNING: at DEBUG it can log decrypted data.

The hashicorp/aws provider wants ``pgp_key`` as base64 of the *binary* public key
(:attr:`PublicKey.provider_b64`) and returns ``encrypted_secret`` / ``encrypted_password``
as base64 of a binary OpenPGP message (:func:`decrypt`).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess

import gnupg

_GNUPG_LOGGER = logging.getLogger("gnupg")
_GNUPG_LOGGER.setLevel(logging.WARNING)


class PgpError(Exception):
    """A PGP key or gpg problem, worded for the operator: what was asked, what is wrong, what to do."""


class KeyNotFound(PgpError):
    """No key in the keyring matches the reference (the key is simply absent)."""


class GpgNotFound(PgpError):
    """The ``gpg`` program is missing or does not run."""


class DecryptError(PgpError):
    """A secret could not be decrypted. The message never holds the plaintext or the passphrase."""


class _Gpg(gnupg.GPG):
    """python-gnupg with two local rules: no ``--debug ipc`` and a quick-gen-key helper."""

    def make_args(self, args, passphrase):  # noqa: D102 - see gnupg.GPG.make_args
        cmd = super().make_args(args, passphrase)
        # python-gnupg adds "--debug ipc" when DEBUG_IPC is set in our environment; that trace
        # (agent traffic on stderr) is no place for a secret-key session.
        for i in range(len(cmd) - 1):
            if cmd[i] == "--debug" and cmd[i + 1] == "ipc":
                del cmd[i : i + 2]
                break
        return cmd

    def quick_gen_key(self, uid: str, algo: str, usage: str, expire: str, passphrase: str):
        """``gpg --quick-gen-key``, the passphrase sent through the passphrase pipe.

        python-gnupg's ``gen_key`` would put the passphrase in a parameter file, where gpg
        trims leading and trailing blanks from it; the pipe keeps it exactly as typed.
        """
        result = self.result_map["generate"](self)
        self._handle_io(
            ["--quick-gen-key", uid, algo, usage, expire],
            io.BytesIO(b""),
            result,
            passphrase=passphrase,
            binary=True,
        )
        return result


def gpg_home() -> str | None:
    """The keyring directory gpg uses: ``$GNUPGHOME`` when set, else None (gpg's ``~/.gnupg``)."""
    return os.environ.get("GNUPGHOME") or None


def _home(gnupghome: str | os.PathLike | None) -> str | None:
    return os.fspath(gnupghome) if gnupghome else gpg_home()


def _where(home: str | None) -> str:
    """Name a keyring for a message."""
    return f"the keyring at {home or os.path.expanduser('~/.gnupg')}"


def _open(home: str | None) -> _Gpg:
    """A python-gnupg handle on ``home`` (None: gpg's default), UTF-8 both ways."""
    if _GNUPG_LOGGER.level < logging.WARNING:  # NOTSET would inherit an app-wide DEBUG
        _GNUPG_LOGGER.setLevel(logging.WARNING)
    if home is not None and not os.path.isdir(home):
        raise PgpError(f"GnuPG home {home!r} is not a directory; check GNUPGHOME")
    try:
        # UTF-8, not python-gnupg's Latin-1 default: gpg and pinentry treat passphrases and
        # user ids as UTF-8, so "pässwörd" must reach gpg as the same bytes the key was made with.
        return _Gpg(gnupghome=home, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise GpgNotFound(
            f"cannot run gpg ({exc}); install GnuPG 2.2 or later and make sure 'gpg' is on PATH"
        ) from exc


def _statuses(stderr: str) -> list[tuple[str, str]]:
    """The ``[GNUPG:] KEYWORD value`` lines gpg wrote to the status fd, in order."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("[GNUPG:] "):
            keyword, _, value = line[9:].partition(" ")
            found.append((keyword, value.strip()))
    return found


def _gpg_says(stderr: str) -> str:
    """gpg's last human-readable complaint (a ``gpg: ...`` line), for an error message."""
    lines = [ln[5:].strip() for ln in stderr.splitlines() if ln.startswith("gpg: ")]
    return lines[-1] if lines else "no details"


def _discard_home(home: str) -> None:
    """Stop any gpg daemons started for a throwaway home, then delete it."""
    gpgconf = shutil.which("gpgconf")
    if gpgconf:
        subprocess.run(
            [gpgconf, "--homedir", home, "--kill", "all"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=30,
        )
    shutil.rmtree(home, ignore_errors=True)
