"""Secrets: GnuPG (the operator's public key, encryption to it, local decryption), the
sandbox's throwaway key (:mod:`.sandbox_key`) and the handover formats (:mod:`.handover`).

The only room that runs ``gpg``.  May import ``answers`` and the engine's shared leaves;
nothing of terraform or aws.  A plaintext secret leaves this room only as a return value
for the front to show or write where the operator asked.

The names below are the room's public face, for ``from tfiam_tui.engine import secrets``.
"""

from .decrypt import decrypt
from .gpg import DecryptError, GpgNotFound, KeyNotFound, PgpError, gpg_home
from .keys import PublicKey, create_key, find_public_key, list_keys, require_encryption_key
from .recipients import (
    WILDCARD_KEY_ID,
    RecipientsError,
    encrypted_to,
    recipient_key_ids,
    recipient_mismatch,
    stored_secret_notices,
)

__all__ = [
    "DecryptError",
    "GpgNotFound",
    "KeyNotFound",
    "PgpError",
    "PublicKey",
    "RecipientsError",
    "WILDCARD_KEY_ID",
    "create_key",
    "decrypt",
    "encrypted_to",
    "find_public_key",
    "gpg_home",
    "list_keys",
    "recipient_key_ids",
    "recipient_mismatch",
    "stored_secret_notices",
    "require_encryption_key",
]
