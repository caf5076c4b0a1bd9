"""Who a stored secret is encrypted to: the key ids in a provider output's session-key packets.

The hashicorp/aws provider's ``encrypted_secret`` / ``encrypted_password`` are base64 of a
binary OpenPGP message: zero or more session-key packets (RFC 9580 section 10.3), then the
encrypted data. Each Public-Key Encrypted Session Key packet (PKESK, tag 1) names the key it
is for. Reading those names needs no secret key and no passphrase, so replay (and
``tfiam status``) can tell the operator when a stored secret is encrypted to another key than
the answers name now. Comparing exports would not do: a new user id or subkey changes the
export, not the key; a message names the (sub)key, which :attr:`PublicKey.key_ids` holds.

Why a small parser here, not python-gnupg's ``GPG.get_recipients()``: that runs
``gpg --decrypt --list-only -v`` in a keyring and picks the ids out of gpg's *human* stderr
(``gpg: public key is ...``), which gpg translates under a non-English locale; it needs ``gpg``
on PATH and a GnuPG home (it would create ``~/.gnupg`` on a fresh machine), costs a process per
secret, and gpg 2.2 does not know RFC 9580 v6 packets. The packet framing read below is small,
has been stable since RFC 4880, and this module runs no process and reads no keyring. It reads
only the packet headers and the session-key packets; the encrypted data is not decoded.

Key ids are 16 upper-case hex digits (64 bits):

- v3 PKESK (RFC 4880 5.1, what gpg and the provider write): the 8-octet key id it carries.
- v6 PKESK (RFC 9580 5.1.2) carries a key version and fingerprint instead; the key id is
  derived as RFC 9580 5.5.4 says: the *low* 64 bits of a v4 fingerprint, the *high* 64 bits of
  a v6 (or LibrePGP v5) fingerprint. Key ids, not fingerprints, so both versions compare alike.
- :data:`WILDCARD_KEY_ID` stands for a recipient the packet does not name: anonymous
  (``gpg --throw-keyids``; a v6 PKESK without fingerprint) or a packet version this module
  does not know. With one, a non-match cannot be told from a hidden match.

Malformed input raises :class:`RecipientsError` (a :class:`PgpError`) with a one-line reason;
nothing else. A well-formed message without PKESK (encrypted to a passphrase only) gives an
empty set. A key id names a key in 64 bits: fine to report a changed key, not a proof of who
holds a secret.
"""

from __future__ import annotations

import base64
import binascii

from .gpg import PgpError
from .keys import PublicKey

WILDCARD_KEY_ID = "0" * 16

_PKESK, _SKESK, _MARKER, _PADDING = 1, 3, 10, 21
# Packets that may come before the encrypted data: session keys, the obsolete marker, padding.
_PREAMBLE = frozenset({_PKESK, _SKESK, _MARKER, _PADDING})
# Symmetrically encrypted data (9), SEIPD (18), LibrePGP OCB-encrypted data (20).
_ENCRYPTED_DATA = frozenset({9, 18, 20})
_PACKET_NAMES = {
    2: "signature",
    4: "one-pass signature",
    5: "secret key",
    6: "public key",
    7: "secret subkey",
    8: "compressed data",
    11: "literal data",
    13: "user id",
    14: "public subkey",
}


class RecipientsError(PgpError):
    """The value is not an encrypted OpenPGP message whose recipients can be read."""


def _decode(ciphertext_b64: str) -> bytes:
    try:
        data = base64.b64decode("".join(ciphertext_b64.split()), validate=True)
    except (binascii.Error, ValueError, AttributeError, TypeError):
        raise RecipientsError(
            "cannot read the recipients: the value is not base64 (expected a provider encrypted_* output)"
        ) from None
    if not data:
        raise RecipientsError("cannot read the recipients: the value is empty")
    return data


def _truncated(what: str) -> RecipientsError:
    return RecipientsError(f"cannot read the recipients: the OpenPGP message is truncated ({what})")


def _body_length(data: bytes, pos: int, ctb: int) -> tuple[int, int]:
    """The length of the packet body whose length field starts at ``pos``, and where the body starts."""
    if not ctb & 0x40:  # legacy format: the length's size is in the low two bits of the tag octet
        size = (1, 2, 4, 0)[ctb & 0x03]
        if size == 0:  # indeterminate: the body runs to the end of the data
            return len(data) - pos, pos
        if pos + size > len(data):
            raise _truncated("in a packet header")
        return int.from_bytes(data[pos : pos + size], "big"), pos + size
    if pos >= len(data):
        raise _truncated("in a packet header")
    first = data[pos]
    if first < 192:
        return first, pos + 1
    if first < 224:
        if pos + 2 > len(data):
            raise _truncated("in a packet header")
        return ((first - 192) << 8) + data[pos + 1] + 192, pos + 2
    if first == 255:
        if pos + 5 > len(data):
            raise _truncated("in a packet header")
        return int.from_bytes(data[pos + 1 : pos + 5], "big"), pos + 5
    # A partial body length is allowed for data packets only, never for a session key.
    raise RecipientsError("cannot read the recipients: a session-key packet has a partial body length")


def _session_key_packets(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, body) of each packet before the encrypted data."""
    found: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        ctb = data[pos]
        if not ctb & 0x80:
            raise RecipientsError(
                f"cannot read the recipients: not an OpenPGP message (octet {pos} is no packet header)"
            )
        tag = ctb & 0x3F if ctb & 0x40 else (ctb >> 2) & 0x0F
        if tag in _ENCRYPTED_DATA:
            return found  # what follows is encrypted; the session keys are all before it
        if tag not in _PREAMBLE:
            kind = _PACKET_NAMES.get(tag, "unexpected")
            raise RecipientsError(
                f"cannot read the recipients: not an encrypted OpenPGP message "
                f"(a {kind} packet, tag {tag}, where session keys or encrypted data belong)"
            )
        length, start = _body_length(data, pos + 1, ctb)
        if start + length > len(data):
            raise _truncated("in a session-key packet")
        found.append((tag, data[start : start + length]))
        pos = start + length
    raise _truncated("it ends before the encrypted data")


def _pkesk_key_id(body: bytes) -> str:
    """The key id one PKESK body names (:data:`WILDCARD_KEY_ID` when it names none)."""
    if not body:
        raise _truncated("an empty session-key packet")
    version = body[0]
    if version == 3:  # version, 8-octet key id, algorithm, algorithm-specific fields
        if len(body) < 10:
            raise _truncated("in a session-key packet")
        return body[1:9].hex().upper()
    if version == 6:  # version, size, [key version, fingerprint], algorithm, ...
        if len(body) < 2 or len(body) < 2 + body[1]:
            raise _truncated("in a session-key packet")
        size = body[1]
        if size == 0:
            return WILDCARD_KEY_ID  # anonymous recipient
        key_version, fingerprint = body[2], body[3 : 2 + size]
        if key_version == 4 and len(fingerprint) == 20:
            return fingerprint[-8:].hex().upper()
        if key_version in (5, 6) and len(fingerprint) == 32:
            return fingerprint[:8].hex().upper()
        raise RecipientsError(
            f"cannot read the recipients: a v6 session-key packet names a v{key_version} key "
            f"with a {len(fingerprint)}-octet fingerprint"
        )
    return WILDCARD_KEY_ID  # a version this module does not know: some recipient, not named


def recipient_key_ids(ciphertext_b64: str) -> set[str]:
    """The long key ids (16 upper-case hex digits) the message is encrypted to.

    ``ciphertext_b64`` is base64 of a binary OpenPGP message, as the provider stores it. An
    anonymous recipient appears as :data:`WILDCARD_KEY_ID`; a message encrypted to a passphrase
    only gives an empty set. Raises :class:`RecipientsError` (and nothing else) when the value
    is not base64, not an encrypted OpenPGP message, or truncated before its encrypted data.
    """
    packets = _session_key_packets(_decode(ciphertext_b64))
    return {_pkesk_key_id(body) for tag, body in packets if tag == _PKESK}


def encrypted_to(ciphertext_b64: str, key: PublicKey) -> bool | None:
    """Whether the message is encrypted to ``key`` (its primary key or any subkey).

    True when a recipient is one of the key's ids; False when every recipient is named and none
    is the key's; None when it cannot be told: the value is unreadable, names no recipient, or
    has an anonymous recipient (which might be the key) and no named one that matches.
    """
    try:
        ids = recipient_key_ids(ciphertext_b64)
    except RecipientsError:
        return None
    if ids & _key_ids(key):
        return True
    if not ids or WILDCARD_KEY_ID in ids:
        return None
    return False


def _key_ids(key: PublicKey) -> frozenset[str]:
    """The key's long ids, the primary's also derived from its fingerprint (v4: low 64 bits,
    v5/v6: high 64 bits) so a key built by hand compares like one gpg listed."""
    fpr = key.fingerprint.upper()
    derived = {fpr[:16] if len(fpr) == 64 else fpr[-16:]} if len(fpr) in (40, 64) else set()
    return frozenset({i.upper() for i in key.key_ids} | derived)


def recipient_mismatch(ciphertext_b64: str, key: PublicKey, what: str = "secret") -> str | None:
    """A one-line, operator-facing notice when the stored secret is encrypted to other keys
    than ``key`` (the one the answers name now); None when it is encrypted to ``key`` or when
    that cannot be told (see :func:`encrypted_to`).

    ``what`` names the secret in the sentence, e.g. "access key secret" or "console password".
    """
    if encrypted_to(ciphertext_b64, key) is not False:
        return None
    ids = sorted(recipient_key_ids(ciphertext_b64))
    named = f"key ID {ids[0]}" if len(ids) == 1 else "key IDs " + ", ".join(ids)
    holder = "that key" if len(ids) == 1 else "one of those keys"
    who = key.uids[0] if key.uids else "no user id"
    return (
        f"the stored {what} is encrypted to {named}, not to the key the answers name now "
        f"({key.fingerprint}, {who}): only whoever holds the secret key of {holder} can decrypt it, "
        f"and the credential itself still works; rotating it (tfiam rotate, coming) issues one "
        f"encrypted to the key named now"
    )


# The provider outputs that hold a stored secret, and how a notice names each.
STORED_SECRETS = (("access_key_encrypted_secret", "access key secret"),
                  ("login_profile_encrypted_password", "console password"))


def stored_secret_notices(outputs: dict, key: PublicKey) -> list[str]:
    """A notice for each stored secret (in a workspace's outputs) encrypted to another key
    than ``key``."""
    notices = []
    for name, what in STORED_SECRETS:
        notice = recipient_mismatch(outputs[name], key, what=what) if outputs.get(name) else None
        if notice:
            notices.append(notice)
    return notices
