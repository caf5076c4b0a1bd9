"""Decrypting what the provider encrypted (``encrypted_secret``, ``encrypted_password``:
base64 of a binary OpenPGP message), locally, with the operator's secret key.

The passphrase reaches gpg only through python-gnupg's passphrase pipe, never on a
command line, in an environment or in an error message.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from email.utils import parseaddr

from .gpg import DecryptError, PgpError, _gpg_says, _home, _open, _statuses, _where
from .keys import _listing

# libgpg-error code for "Bad passphrase" (the low 16 bits of an ``ERROR ... <code>`` status).
_GPG_ERR_BAD_PASSPHRASE = 11


def decrypt(
    b64_message: str,
    *,
    passphrase: str | None = None,
    gnupghome: str | os.PathLike | None = None,
) -> str:
    """Decrypt a provider output (``encrypted_secret``, ``encrypted_password``) to text.

    ``b64_message`` is base64 of a binary OpenPGP message. ``passphrase`` unlocks the secret key
    (None or '': the key is unprotected, or the operator's gpg-agent has the passphrase cached).
    Raises :class:`DecryptError`; its message names the key and keyring, never the plaintext or
    the passphrase.
    """
    try:
        message = base64.b64decode("".join(b64_message.split()), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise DecryptError("cannot decrypt: the value is not base64 (expected a provider encrypted_* output)") from None
    if not message:
        raise DecryptError("cannot decrypt: the value is empty")
    # python-gnupg treats "" as "a passphrase follows on stdin" but writes nothing, so gpg
    # would read the message as the passphrase: "" means no passphrase.
    passphrase = passphrase or None
    if passphrase is not None and re.search(r"[\r\n\0]", passphrase):
        raise DecryptError("cannot decrypt: the passphrase contains a line break or NUL, which gpg cannot read")
    home = _home(gnupghome)
    g = _open(home)
    # Without a passphrase python-gnupg leaves the pinentry mode alone; loopback keeps gpg
    # from opening a pinentry on the terminal, so a locked key fails instead of prompting.
    extra = None if passphrase else ["--pinentry-mode", "loopback"]
    result = g.decrypt(message, passphrase=passphrase, extra_args=extra)
    if result.ok and result.returncode == 0:
        try:
            return result.data.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptError("cannot decrypt: the decrypted value is not UTF-8 text") from None
    raise DecryptError(_decrypt_failure(result.stderr, passphrase is not None, home))


def _named(key_ids: list[str], home: str | None) -> list[str]:
    """Each recipient as the key picker shows it: "Name <e-mail> LONGKEYID" of the primary key
    (a message names the encryption subkey, whose id the operator has never seen)."""
    try:
        listed = _listing(_open(home))
    except PgpError:
        listed = []
    named = []
    for key_id in dict.fromkeys(k.upper() for k in key_ids):
        owner = next((k for k in listed if key_id in {i.upper()[-16:] for i in k.ids()}), None)
        if owner is None:
            named.append(f"key {key_id} (not in the keyring)")
            continue
        name, email = parseaddr(owner.uids[0]) if owner.uids else ("", "")
        who = f"{name or '?'} <{email}>" if email else (owner.uids[0] if owner.uids else "?")
        named.append(f"{who} {owner.fingerprint[-16:]}")
    return named


def _decrypt_failure(stderr: str, gave_passphrase: bool, home: str | None) -> str:
    """Word a failed decryption from gpg's status lines (never from the data)."""
    status = _statuses(stderr)
    keywords = {k for k, _ in status}
    recipients = [v.split()[0] for k, v in status if k == "ENC_TO" and v]
    missing = [v.split()[0] for k, v in status if k == "NO_SECKEY" and v]
    keys = ", ".join(_named(recipients, home)) or "unknown key"
    bad = "BAD_PASSPHRASE" in keywords or any(
        k == "ERROR" and v.split()[-1].isdigit() and int(v.split()[-1]) & 0xFFFF == _GPG_ERR_BAD_PASSPHRASE
        for k, v in status
    )
    if "NODATA" in keywords and not recipients:
        return "cannot decrypt: the value is not an OpenPGP message"
    if bad:
        return f"cannot decrypt: bad passphrase for the secret key of {keys} in {_where(home)}"
    if recipients and set(missing) >= set(recipients):
        return f"cannot decrypt: no secret key for {keys} in {_where(home)}"
    if not gave_passphrase and ({"NEED_PASSPHRASE", "MISSING_PASSPHRASE"} & keywords):
        return f"cannot decrypt: the secret key of {keys} is protected by a passphrase and none was given"
    return f"cannot decrypt (key {keys}, {_where(home)}): gpg says: {_gpg_says(stderr)}"
