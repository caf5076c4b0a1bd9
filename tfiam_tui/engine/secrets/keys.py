"""PGP public keys: list the operator's, find one by fingerprint, e-mail or file, check
that the provider can encrypt to it, and create one.

A key given as a file path is read in a throwaway keyring; the operator's keyring is
never written to, except by :func:`create_key`, whose job that is.  The provider wants
``pgp_key`` as base64 of the *binary* public key (:attr:`PublicKey.provider_b64`).
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parseaddr
from pathlib import Path

from .gpg import KeyNotFound, PgpError, _discard_home, _Gpg, _gpg_says, _home, _open, _where

# Validity letters (field 2 of gpg's colon listing) that make a key, subkey or user id unusable:
# invalid, disabled, revoked, expired.
_BAD_VALIDITY = frozenset("idre")


# What create_key makes: known to work with the provider's OpenPGP library.
_NEW_KEY_ALGO = "rsa3072"


@dataclass(frozen=True)
class PublicKey:
    """An OpenPGP public key, as tfiam shows it and hands it to the provider."""

    fingerprint: str  # 40 hex digits, upper case, of the primary key
    key_id: str  # the last 16 hex digits of the fingerprint
    uids: list[str]  # valid (not revoked, not expired) user ids, primary first
    can_encrypt: bool  # the key itself or a valid, unexpired, unrevoked subkey can encrypt
    expires: date | None  # expiry of the primary key (UTC date), None when it never expires
    source: str  # "keyring" or "file"
    binary: bytes = field(repr=False)  # the exported key, like ``gpg --export FPR`` (not armored)
    has_secret: bool = False  # the operator's keyring holds the secret key (tfiam can decrypt)
    # Long key ids (16 hex digits, upper case, as gpg lists them) of every subkey, usable or not:
    # a message names the subkey it is encrypted to, and one encrypted to a since-expired or
    # revoked subkey is still encrypted to this key.
    subkey_ids: tuple[str, ...] = ()

    @property
    def provider_b64(self) -> str:
        """Base64 of :attr:`binary`: the form the aws provider's ``pgp_key`` argument takes."""
        return base64.b64encode(self.binary).decode("ascii")

    @property
    def key_ids(self) -> frozenset[str]:
        """The long key ids of the primary key and every subkey (see :attr:`subkey_ids`)."""
        return frozenset({self.key_id, *self.subkey_ids})

    @property
    def name(self) -> str:
        """The real name of the primary user id ('' when it has none)."""
        return parseaddr(self.uids[0])[0] if self.uids else ""

    @property
    def email(self) -> str:
        """The e-mail address of the primary user id ('' when it has none)."""
        return parseaddr(self.uids[0])[1] if self.uids else ""


@dataclass
class _Listed:
    """One key from ``gpg --list-keys --with-colons``."""

    fingerprint: str = ""
    key_id: str = ""
    validity: str = ""
    caps: str = ""
    expires: int | None = None
    uids: list[str] = field(default_factory=list)
    subkeys: list[dict] = field(default_factory=list)  # keys: key_id, fingerprint, validity, caps, expires

    @staticmethod
    def usable(validity: str, expires: int | None, now: float) -> bool:
        return validity not in _BAD_VALIDITY and (expires is None or expires > now)

    @property
    def can_encrypt(self) -> bool:
        now = datetime.now(UTC).timestamp()
        if not self.usable(self.validity, self.expires, now) or "D" in self.caps:
            return False
        if "e" in self.caps:
            return True
        return any("e" in s["caps"] and self.usable(s["validity"], s["expires"], now) for s in self.subkeys)

    def ids(self) -> set[str]:
        """Every fingerprint and long key id of the primary key and its subkeys."""
        found = {self.fingerprint, self.key_id}
        for sub in self.subkeys:
            found |= {sub["fingerprint"], sub["key_id"]}
        return found - {""}

    def emails(self) -> set[str]:
        return {parseaddr(uid)[1].lower() for uid in self.uids if "@" in uid}


def _unescape(text: str) -> str:
    """Undo gpg's ``\\xHH`` escapes in colon listings (user ids are UTF-8)."""
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    return raw.decode("utf-8", errors="replace")


def _epoch(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) > 0 else None


def _parse_colons(data: bytes) -> list[_Listed]:
    """Parse gpg's ``--with-colons --fixed-list-mode`` key listing (see gnupg's doc/DETAILS)."""
    keys: list[_Listed] = []
    current: _Listed | None = None
    last: str = ""  # the record the next "fpr" belongs to: "pub" or "sub"
    for line in data.decode("utf-8", errors="replace").splitlines():
        f = line.split(":")
        kind = f[0]
        if kind in ("pub", "sec"):
            current = _Listed(validity=f[1], key_id=f[4], expires=_epoch(f[6]), caps=f[11])
            keys.append(current)
            last = "pub"
        elif current is None:
            continue
        elif kind in ("sub", "ssb"):
            current.subkeys.append(
                {"key_id": f[4], "fingerprint": "", "validity": f[1], "expires": _epoch(f[6]), "caps": f[11]}
            )
            last = "sub"
        elif kind == "fpr":
            if last == "pub" and not current.fingerprint:
                current.fingerprint = f[9].upper()
            elif last == "sub" and current.subkeys and not current.subkeys[-1]["fingerprint"]:
                current.subkeys[-1]["fingerprint"] = f[9].upper()
        elif kind == "uid" and f[1] not in _BAD_VALIDITY:
            current.uids.append(_unescape(f[9]))
    return keys


def _listing(g: _Gpg, *, secret: bool = False) -> list[_Listed]:
    result = g.list_keys(secret=secret)
    if result.returncode not in (0, None):
        raise PgpError(f"gpg could not list the keys in {_where(g.gnupghome)}: {_gpg_says(result.stderr)}")
    return _parse_colons(result.data)


def _export(g: _Gpg, fingerprint: str) -> bytes:
    data = g.export_keys(fingerprint, armor=False)
    if not data:
        raise PgpError(f"gpg could not export key {fingerprint} from {_where(g.gnupghome)}")
    return data


def _secret_fingerprints(home: str | None) -> set[str]:
    g = _open(home)
    return {k.fingerprint for k in _listing(g, secret=True)}


def _public_key(listed: _Listed, binary: bytes, source: str, has_secret: bool) -> PublicKey:
    return PublicKey(
        fingerprint=listed.fingerprint,
        key_id=listed.fingerprint[-16:],
        uids=list(listed.uids),
        can_encrypt=listed.can_encrypt,
        expires=datetime.fromtimestamp(listed.expires, UTC).date() if listed.expires else None,
        source=source,
        binary=binary,
        has_secret=has_secret,
        subkey_ids=tuple(sub["key_id"].upper() for sub in listed.subkeys if sub["key_id"]),
    )


def list_keys(*, gnupghome: str | os.PathLike | None = None) -> list[PublicKey]:
    """All public keys in the operator's keyring (for a key picker), in gpg's order."""
    home = _home(gnupghome)
    g = _open(home)
    secret = _secret_fingerprints(home)
    return [_public_key(k, _export(g, k.fingerprint), "keyring", k.fingerprint in secret) for k in _listing(g)]


_HEX = re.compile(r"[0-9A-Fa-f]+")


def _classify(ref: str) -> tuple[str, str]:
    """Say what kind of key reference ``ref`` is: ("fingerprint"|"keyid"|"email"|"file", value)."""
    text = ref.strip()
    if not text:
        raise PgpError("pgp_key is empty: give a fingerprint, key id, e-mail address or key file path")
    if text.lower().startswith("keybase:"):
        raise PgpError(
            f"pgp_key {ref!r}: keybase: references are not supported (tfiam checks and exports the "
            "key locally before the provider sees it); import the key into gpg and give its "
            "fingerprint, or give the path to an exported public key file"
        )
    compact = text.replace(" ", "")
    if compact[:2].lower() == "0x":
        compact = compact[2:]
    if _HEX.fullmatch(compact):
        if len(compact) == 40:
            return "fingerprint", compact.upper()
        if len(compact) in (8, 16):
            return "keyid", compact.upper()
    path = Path(text).expanduser()
    if path.is_file():
        return "file", str(path)
    address = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
        return "email", address.lower()
    if "/" in text or text.startswith(("~", ".")):
        raise PgpError(f"pgp_key {ref!r}: no such file")
    raise PgpError(
        f"pgp_key {ref!r} is not a fingerprint (40 hex digits), a key id (16 or 8 hex digits), "
        "an e-mail address or the path to a public key file"
    )


def _matches(kind: str, value: str, listed: _Listed) -> bool:
    if kind == "fingerprint":
        return value in listed.ids()
    if kind == "keyid":
        return any(i.endswith(value) for i in listed.ids())
    return value in listed.emails()


def _ambiguous(ref: str, found: list[_Listed], where: str) -> PgpError:
    lines = "".join(
        f"\n  {k.fingerprint}  {k.uids[0] if k.uids else '(no user id)'}"
        f"{'' if k.can_encrypt else '  (cannot encrypt)'}"
        for k in found
    )
    return PgpError(f"pgp_key {ref!r} matches {len(found)} keys in {where}; give one fingerprint:{lines}")


def find_public_key(ref: str, *, gnupghome: str | os.PathLike | None = None) -> PublicKey:
    """Find the public key ``ref`` names and export it.

    ``ref`` is a fingerprint (40 hex digits, spaces and 0x allowed), a long or short key id,
    an e-mail address (matched exactly, ignoring case, against the addresses in the user ids),
    or the path to a public key file (armored or binary). A file is read in a throwaway keyring,
    never imported into the operator's. Raises :class:`PgpError` when nothing or more than one
    key matches. Whether the key can encrypt is reported, not required: see
    :func:`require_encryption_key`.
    """
    kind, value = _classify(ref)
    home = _home(gnupghome)
    if kind == "file":
        return _key_from_file(ref, Path(value), home)
    g = _open(home)
    found = [k for k in _listing(g) if _matches(kind, value, k)]
    if not found:
        raise KeyNotFound(
            f"pgp_key {ref!r}: no public key in {_where(home)}; "
            "import it with gpg --import or give a path to a public key file"
        )
    if len(found) > 1:
        raise _ambiguous(ref, found, _where(home))
    key = found[0]
    return _public_key(key, _export(g, key.fingerprint), "keyring", key.fingerprint in _secret_fingerprints(home))


def _key_from_file(ref: str, path: Path, operator_home: str | None) -> PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PgpError(f"pgp_key {ref!r}: cannot read the file: {exc.strerror}") from exc
    if b"-----BEGIN PGP PRIVATE KEY BLOCK-----" in data:
        raise PgpError(
            f"pgp_key {ref!r}: the file holds a SECRET key; give the public key instead "
            "(gpg --export --armor FINGERPRINT > key.asc) and keep the secret one private"
        )
    # A short path: gpg puts agent sockets in the home directory when /run/user is missing,
    # and a socket path must stay under 108 characters.
    temp_home = tempfile.mkdtemp(prefix="tfiam-gpg-", dir="/tmp" if os.path.isdir("/tmp") else None)
    try:
        g = _open(temp_home)
        imported = g.import_keys(data)
        if imported.sec_read:
            raise PgpError(
                f"pgp_key {ref!r}: the file holds a SECRET key; give the public key instead "
                "(gpg --export FINGERPRINT > key.gpg) and keep the secret one private"
            )
        found = _listing(g)
        if not found:
            raise PgpError(f"pgp_key {ref!r}: no OpenPGP public key found in the file")
        if len(found) > 1:
            raise _ambiguous(ref, found, "the file")
        key = found[0]
        binary = _export(g, key.fingerprint)
    finally:
        _discard_home(temp_home)
    # Can tfiam decrypt what the provider encrypts to this key? Only if the operator's keyring
    # holds its secret half; a missing keyring is not created just to ask.
    operator_keyring = operator_home or os.path.expanduser("~/.gnupg")
    has_secret = os.path.isdir(operator_keyring) and key.fingerprint in _secret_fingerprints(operator_home)
    return _public_key(key, binary, "file", has_secret)


def require_encryption_key(key: PublicKey) -> PublicKey:
    """Return ``key`` if the provider can encrypt to it, else raise :class:`PgpError`."""
    if not key.can_encrypt:
        who = f" ({key.uids[0]})" if key.uids else ""
        raise PgpError(
            f"PGP key {key.fingerprint}{who} has no valid encryption subkey (it is sign-only, "
            f"expired or revoked); add one with gpg --quick-add-key {key.fingerprint} {_NEW_KEY_ALGO} encr"
        )
    return key


def create_key(
    name: str,
    email: str,
    passphrase: str,
    *,
    gnupghome: str | os.PathLike | None = None,
) -> PublicKey:
    """Create an RSA 3072 key for ``name <email>`` in the operator's keyring, protected by ``passphrase``.

    The primary key signs and certifies; an RSA 3072 subkey encrypts (the provider's OpenPGP
    library is known to take RSA). Neither expires. Returns the new key as :func:`find_public_key`
    would. Raises :class:`PgpError` on bad input or when gpg refuses (for example when a key with
    exactly this user id already exists).
    """
    name, email = name.strip(), email.strip()
    if not name or not re.fullmatch(r"[^<>()\x00-\x1f\x7f]+", name):
        raise PgpError(f"key name {name!r} must be non-empty without <, >, ( or ) or control characters")
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", email):
        raise PgpError(f"key e-mail {email!r} is not an e-mail address")
    if not passphrase:
        raise PgpError("a new key needs a passphrase: it protects the secret that decrypts your AWS credentials")
    if re.search(r"[\r\n\0]", passphrase):
        raise PgpError("the passphrase must not contain a line break or NUL (gpg reads it as one line)")
    home = _home(gnupghome)
    g = _open(home)
    uid = f"{name} <{email}>"
    made = g.quick_gen_key(uid, _NEW_KEY_ALGO, "sign,cert", "never", passphrase)
    if made.returncode != 0 or not made.fingerprint:
        reason = _gpg_says(made.stderr)
        hint = "; use that key, or give another name or e-mail" if "already exists" in reason else ""
        raise PgpError(f"gpg could not create a key for {uid!r} in {_where(home)}: {reason}{hint}")
    fingerprint = made.fingerprint
    sub = g.add_subkey(fingerprint, master_passphrase=passphrase, algorithm=_NEW_KEY_ALGO, usage="encr", expire="never")
    if sub.returncode != 0 or not sub.fingerprint:
        reason = _gpg_says(sub.stderr)
        # Do not leave a sign-only half key behind to be picked by e-mail later.
        g.delete_keys(fingerprint, secret=True, passphrase=passphrase)
        g.delete_keys(fingerprint)
        raise PgpError(f"gpg could not add an encryption subkey to {fingerprint}: {reason}")
    return find_public_key(fingerprint, gnupghome=home)
