"""The interview's PGP key questions: the key the new user's secrets are encrypted to."""

from __future__ import annotations

from typing import Any

import questionary
from questionary import Choice

from ..engine import secrets
from ..engine.text import shown
from . import fields
from .fields import get_at, set_at
from .screen import ask, ask_valid


def pgp_key(iv: Any) -> None:
    """Which PGP key the secrets are encrypted to: one from the keyring, a key file, a new
    key made here, or (sandbox only) the sandbox's throwaway key."""
    iv.record("authentication.pgp_key", "Encrypt the secrets to which PGP key?", iv.pgp_key)
    keys = secrets.list_keys()
    current = get_at(iv.data, "authentication.pgp_key")
    options = [
        Choice(f"{shown(k.name)} <{shown(k.email)}> {k.fingerprint[-16:]}" + ("" if k.can_encrypt else "  (cannot encrypt)"),
               value=k.fingerprint, disabled=None if k.can_encrypt else "cannot encrypt")
        for k in keys
    ]
    if current and current not in [k.fingerprint for k in keys]:
        options.insert(0, Choice(f"{shown(current)} (from the answers file)", value=current))
    options += [Choice("A public key file...", value="@file"), Choice("Create a new key for this...", value="@new")]
    if iv.sandbox:
        options.append(Choice("The sandbox's throwaway key", value="@sandbox"))
    picked = iv.select("Encrypt the secrets to which PGP key?", options, default=current if current else None)
    if picked == "@file":
        iv.text("authentication.pgp_key", "Path to the public key file:", transform=fields.key_ref, record=False)
    elif picked == "@new":
        new_key(iv)
    elif picked == "@sandbox":
        set_at(iv.data, "authentication.pgp_key", "sandbox@tfiam.invalid")
    else:
        set_at(iv.data, "authentication.pgp_key", picked)


def new_key(iv: Any) -> None:
    """A new key made here (name, e-mail, a passphrase typed twice, never kept)."""
    name = ask_valid(lambda d: questionary.text("Name on the new key:", default=d),
                     lambda t: bool(t.strip()) or "a name is needed", iv.say)
    email = ask_valid(lambda d: questionary.text("E-mail on the new key:", default=d),
                      lambda t: "@" in t or "an e-mail address is needed", iv.say)
    while True:
        first = ask(questionary.password("Passphrase for the new key:"))
        again = ask(questionary.password("The passphrase again:"))
        if first and first == again:
            break
        iv.say("  the passphrases differ (or are empty); again")
    try:
        key = secrets.create_key(name, email, first)
    except secrets.PgpError as exc:
        iv.say(f"  {exc}")
        return pgp_key(iv)
    finally:
        first = again = ""  # noqa: F841 - drop the passphrase as soon as possible
    iv.say(f"  created {key.fingerprint}")
    set_at(iv.data, "authentication.pgp_key", key.fingerprint)

