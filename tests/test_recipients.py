"""tfiam_tui.engine.secrets.recipients: who a stored secret is encrypted to, read from the
message itself, against real GnuPG keys and messages (and one made by the hashicorp/aws
provider itself), with gpg's own ``--list-packets`` as the independent witness."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.fixtures_gpg import discard_home, encrypt_b64, gpg_cli, make_home, new_key
from tests.fixtures_moto import unique_name
from tfiam_tui.engine import secrets
from tfiam_tui.engine.secrets import WILDCARD_KEY_ID, RecipientsError, encrypted_to, recipient_key_ids
from tfiam_tui.engine.secrets import recipient_mismatch as mismatch


def _encryption_subkey_ids(home: str, fpr: str) -> list[str]:
    """The long ids of the key's encryption subkeys, from gpg's own colon listing."""
    listing = gpg_cli(home, "--list-keys", "--with-colons", fpr).stdout.decode()
    return [f[4] for f in (ln.split(":") for ln in listing.splitlines()) if f[0] == "sub" and "e" in f[11]]


def _gpg_says_recipients(b64: str) -> set[str]:
    """The key ids gpg itself reads from the message (in an empty keyring: no decryption)."""
    home = make_home()
    try:
        out = gpg_cli(home, "--list-packets", input=base64.b64decode(b64), check=False)
    finally:
        discard_home(home)
    return set(re.findall(r":pubkey enc packet: version \d+, algo \d+, keyid ([0-9A-F]{16})", out.stdout.decode()))


def _encrypt(home: str, *args: str) -> str:
    """``gpg --encrypt ARGS`` of a short text, binary, as base64 (the provider's output form)."""
    out = gpg_cli(home, "--trust-model", "always", "--encrypt", *args, input=b"s3cret")
    assert out.stdout[:1] != b"-"  # binary, not armoured
    return base64.b64encode(out.stdout).decode()


# --------------------------------------------------------------------------- one recipient


def test_encrypted_to_the_key_and_not_to_another(gpg_keys):
    op = secrets.find_public_key(gpg_keys.op_fpr, gnupghome=gpg_keys.home)
    pw = secrets.find_public_key(gpg_keys.pw_fpr, gnupghome=gpg_keys.home)
    message = gpg_keys.encrypt_b64(gpg_keys.op_fpr, "secret")

    [sub_id] = _encryption_subkey_ids(gpg_keys.home, gpg_keys.op_fpr)
    assert recipient_key_ids(message) == {sub_id} == _gpg_says_recipients(message)
    assert sub_id != op.key_id  # gpg encrypts to the subkey: the primary id alone would not match
    assert op.subkey_ids == (sub_id,) and op.key_ids == {op.key_id, sub_id}

    assert encrypted_to(message, op) is True
    assert encrypted_to(message, pw) is False
    assert mismatch(message, op, "access key secret") is None

    notice = mismatch(message, pw, "access key secret")
    assert notice is not None and "\n" not in notice
    assert notice.startswith(f"the stored access key secret is encrypted to key ID {sub_id}, not to the key")
    assert f"({gpg_keys.pw_fpr}, Passphrase Holder <pw@example.com>)" in notice
    assert "tfiam rotate" in notice


def test_each_fixture_key_is_told_apart(gpg_keys):
    """ed25519/cv25519 keys too; every key matches its own messages and no one else's."""
    home = gpg_keys.home
    fprs = [gpg_keys.op_fpr, gpg_keys.pw_fpr, *gpg_keys.dup_fprs]
    keys = [secrets.find_public_key(f, gnupghome=home) for f in fprs]
    for fpr in fprs:
        message = encrypt_b64(home, fpr, "x")
        assert recipient_key_ids(message) == set(_encryption_subkey_ids(home, fpr)) == _gpg_says_recipients(message)
        assert [encrypted_to(message, k) for k in keys] == [k.fingerprint == fpr for k in keys]


def test_subkey_ids_include_expired_subkeys(gpg_keys):
    """A secret encrypted to a subkey that expired since is still encrypted to that key."""
    key = secrets.find_public_key(gpg_keys.expired_fpr, gnupghome=gpg_keys.home)
    assert not key.can_encrypt
    assert key.subkey_ids == tuple(_encryption_subkey_ids(gpg_keys.home, gpg_keys.expired_fpr))
    assert len(key.subkey_ids) == 1


# --------------------------------------------------------------------------- the scenario


def test_new_uid_or_new_subkey_is_still_the_same_key(empty_gnupghome):
    """The export changes (a user id, an encryption subkey added), the key does not."""
    home = empty_gnupghome
    fpr = new_key(home, "Alice <alice@example.org>", "ed25519", "cv25519")
    before = secrets.find_public_key(fpr, gnupghome=home)
    old_message = encrypt_b64(home, fpr, "secret")

    gpg_cli(home, "--quick-add-uid", fpr, "Alice Example <alice@new.example.org>")
    gpg_cli(home, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-add-key", fpr, "cv25519", "encr")
    after = secrets.find_public_key(fpr, gnupghome=home)
    assert after.binary != before.binary and len(after.uids) == 2 and len(after.subkey_ids) == 2

    [new_sub] = set(after.subkey_ids) - set(before.subkey_ids)
    new_message = _encrypt(home, "-r", new_sub + "!")  # "!": exactly that subkey (gpg's pick goes by the second)
    assert recipient_key_ids(new_message) == {new_sub} != recipient_key_ids(old_message)
    for message in (old_message, new_message):
        assert encrypted_to(message, after) is True
        assert mismatch(message, after, "console password") is None
    assert encrypted_to(new_message, before) is False  # the old export does not know the new subkey


def test_another_key_with_the_same_email_is_reported(empty_gnupghome):
    home = empty_gnupghome
    old = new_key(home, "Alice <alice@example.org>", "rsa3072", "rsa3072")
    message = encrypt_b64(home, old, "secret")
    gpg_cli(home, "--yes", "--delete-secret-and-public-keys", old)
    new = new_key(home, "Alice <alice@example.org>", "ed25519", "cv25519")
    now = secrets.find_public_key("alice@example.org", gnupghome=home)
    assert now.fingerprint == new

    assert encrypted_to(message, now) is False
    [old_id] = recipient_key_ids(message)
    notice = mismatch(message, now, "console password")
    assert notice == (
        f"the stored console password is encrypted to key ID {old_id}, not to the key the answers name now "
        f"({new}, Alice <alice@example.org>): only whoever holds the secret key of that key can decrypt it, "
        "and the credential itself still works; rotating it (tfiam rotate, coming) issues one encrypted "
        "to the key named now"
    )


# --------------------------------------------------------------------------- several or hidden recipients


def test_two_recipients_give_both_ids(gpg_keys):
    home = gpg_keys.home
    message = _encrypt(home, "-r", gpg_keys.op_fpr, "-r", gpg_keys.pw_fpr)
    op_sub = _encryption_subkey_ids(home, gpg_keys.op_fpr)[0]
    pw_sub = _encryption_subkey_ids(home, gpg_keys.pw_fpr)[0]
    assert recipient_key_ids(message) == {op_sub, pw_sub} == _gpg_says_recipients(message)

    fprs = (gpg_keys.op_fpr, gpg_keys.pw_fpr, gpg_keys.dup_fprs[0])
    op, pw, dup = (secrets.find_public_key(f, gnupghome=home) for f in fprs)
    assert encrypted_to(message, op) is True and encrypted_to(message, pw) is True
    assert encrypted_to(message, dup) is False
    notice = mismatch(message, dup, "access key secret")
    assert notice is not None
    assert f"key IDs {', '.join(sorted([op_sub, pw_sub]))}, not to" in notice and "one of those keys" in notice


def test_throw_keyids_cannot_be_told(gpg_keys):
    home = gpg_keys.home
    message = _encrypt(home, "--throw-keyids", "-r", gpg_keys.op_fpr)
    assert recipient_key_ids(message) == {WILDCARD_KEY_ID} == _gpg_says_recipients(message)
    for fpr in (gpg_keys.op_fpr, gpg_keys.pw_fpr):
        key = secrets.find_public_key(fpr, gnupghome=home)
        assert encrypted_to(message, key) is None
        assert mismatch(message, key) is None


def test_one_hidden_recipient_among_named_ones(gpg_keys):
    home = gpg_keys.home
    message = _encrypt(home, "-r", gpg_keys.op_fpr, "--hidden-recipient", gpg_keys.pw_fpr)
    op_sub = _encryption_subkey_ids(home, gpg_keys.op_fpr)[0]
    assert recipient_key_ids(message) == {op_sub, WILDCARD_KEY_ID}
    op, dup = (secrets.find_public_key(f, gnupghome=home) for f in (gpg_keys.op_fpr, gpg_keys.dup_fprs[0]))
    assert encrypted_to(message, op) is True
    assert encrypted_to(message, dup) is None  # the hidden one might be dup's
    assert mismatch(message, dup) is None


def test_passphrase_only_message_has_no_recipients(gpg_keys):
    out = gpg_keys.gpg("--pinentry-mode", "loopback", "--passphrase", "pw", "--symmetric", input=b"s3cret")
    message = base64.b64encode(out.stdout).decode()
    assert recipient_key_ids(message) == set()
    assert encrypted_to(message, secrets.find_public_key(gpg_keys.op_fpr, gnupghome=gpg_keys.home)) is None


# --------------------------------------------------------------------------- packet framing


def _new_format_headers(message: bytes) -> bytes:
    """The same message with every legacy-format packet header before the data rewritten in the
    new format (what Go's OpenPGP library writes), lengths 192..8383 in the two-octet form."""
    out, pos = b"", 0
    while message[pos] & 0x40 == 0:
        ctb = message[pos]
        size = (1, 2, 4)[ctb & 3]
        length = int.from_bytes(message[pos + 1 : pos + 1 + size], "big")
        body = message[pos + 1 + size : pos + 1 + size + length]
        head = bytes([0xC0 | (ctb >> 2) & 0x0F])
        if length < 192:
            head += bytes([length])
        else:
            head += bytes([((length - 192) >> 8) + 192, (length - 192) & 0xFF])
        out, pos = out + head + body, pos + 1 + size + length
    return out + message[pos:]


def test_new_format_packet_headers(gpg_keys):
    message = _encrypt(gpg_keys.home, "-r", gpg_keys.op_fpr, "-r", gpg_keys.pw_fpr)  # RSA: a 2-octet length
    rewritten = base64.b64encode(_new_format_headers(base64.b64decode(message))).decode()
    assert rewritten != message
    assert recipient_key_ids(rewritten) == recipient_key_ids(message) == _gpg_says_recipients(rewritten)


def _v6_pkesk(key_version: int, fingerprint: bytes) -> bytes:
    """A synthetic RFC 9580 v6 PKESK (gpg 2.2 cannot write one): X25519, dummy key material."""
    body = bytes([6, 1 + len(fingerprint) if fingerprint else 0])
    body += (bytes([key_version]) + fingerprint if fingerprint else b"") + bytes([25]) + b"\x11" * 32 + b"\x10" + b"\x22" * 16
    return bytes([0xC1, len(body)]) + body


def test_v6_session_key_packets_name_their_key_by_fingerprint():
    v4_fpr, v6_fpr = bytes(range(1, 21)), bytes(range(100, 132))
    data = b"\xd2\x05\x02" + b"\x00" * 4  # a SEIPD header after the session keys: the data is not read
    message = base64.b64encode(_v6_pkesk(4, v4_fpr) + _v6_pkesk(6, v6_fpr) + _v6_pkesk(0, b"") + data).decode()
    assert recipient_key_ids(message) == {v4_fpr[-8:].hex().upper(), v6_fpr[:8].hex().upper(), WILDCARD_KEY_ID}


def _garbage(gpg_keys) -> list[tuple[object, str]]:
    message = gpg_keys.encrypt_b64(gpg_keys.op_fpr, "secret")
    raw = base64.b64decode(message)
    signed = gpg_keys.gpg("--local-user", gpg_keys.op_fpr, "--sign", input=b"text").stdout
    return [
        ("", "empty"),
        ("   \n", "empty"),
        (None, "not base64"),
        ("not base64 at all!", "not base64"),
        (message[:-1], "not base64"),  # cut where base64 cannot end
        (base64.b64encode(b"hello, world").decode(), "not an OpenPGP message"),
        (base64.b64encode(raw[:6]).decode(), "truncated"),  # inside the session-key packet
        (base64.b64encode(raw[:1]).decode(), "truncated"),  # inside the first packet header
        (base64.b64encode(b"\x84\x02\x03\x00").decode(), "ends before the encrypted data"),
        (base64.b64encode(b"\xc1\xe1" + b"\x00" * 4).decode(), "partial body length"),
        (base64.b64encode(gpg_keys.export(gpg_keys.op_fpr)).decode(), "a public key packet"),
        (base64.b64encode(signed).decode(), "a compressed data packet"),
        (base64.b64encode(bytes([0xC1, 3, 6, 21, 4]) + b"\xd2\x01\x00").decode(), "truncated"),  # v6, size past the end
    ]


def test_malformed_input_is_a_clear_error_never_a_traceback(gpg_keys):
    for value, reason in _garbage(gpg_keys):
        with pytest.raises(RecipientsError, match=re.escape(reason)) as err:
            recipient_key_ids(value)  # type: ignore[arg-type]
        assert str(err.value).startswith("cannot read the recipients: ")
        assert isinstance(err.value, secrets.PgpError)
        key = secrets.find_public_key(gpg_keys.op_fpr, gnupghome=gpg_keys.home)
        assert encrypted_to(value, key) is None  # type: ignore[arg-type]
        assert mismatch(value, key) is None  # type: ignore[arg-type]


def test_truncated_encrypted_data_still_names_its_recipients(gpg_keys):
    """Only the session keys are read: a message cut inside its encrypted data still tells."""
    message = gpg_keys.encrypt_b64(gpg_keys.op_fpr, "secret")
    raw = base64.b64decode(message)
    size = (1, 2, 4)[raw[0] & 0x03]  # gpg writes the PKESK with a legacy header
    pkesk_end = 1 + size + int.from_bytes(raw[1 : 1 + size], "big")
    assert raw[pkesk_end] == 0xD2  # then the SEIPD packet
    cut = base64.b64encode(raw[: pkesk_end + 2]).decode()
    assert recipient_key_ids(cut) == recipient_key_ids(message)


# --------------------------------------------------------------------------- the provider's own output


@pytest.mark.e2e
def test_secrets_written_by_the_aws_provider(tmp_path, moto_endpoint, gpg_keys, tf_plugin_dir, terraform_bin):
    """The hashicorp/aws provider encrypts an access key secret (RSA key) and a console password
    (cv25519 key); both name the key the workspace gave it."""
    op = secrets.find_public_key(gpg_keys.op_fpr, gnupghome=gpg_keys.home)
    pw = secrets.find_public_key(gpg_keys.pw_fpr, gnupghome=gpg_keys.home)
    config = {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        "provider": {"aws": {
            "region": "us-east-1", "access_key": "testing", "secret_key": "testing",
            "skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "endpoints": {"iam": moto_endpoint, "sts": moto_endpoint},
        }},
        "resource": {
            "aws_iam_user": {"u": {"name": unique_name("recipients")}},
            "aws_iam_access_key": {"k": {"user": "${aws_iam_user.u.name}", "pgp_key": op.provider_b64}},
            "aws_iam_user_login_profile": {"p": {"user": "${aws_iam_user.u.name}", "pgp_key": pw.provider_b64}},
        },
        "output": {
            "secret": {"value": "${aws_iam_access_key.k.encrypted_secret}"},
            "password": {"value": "${aws_iam_user_login_profile.p.encrypted_password}"},
        },
    }
    Path(tmp_path, "main.tf.json").write_text(json.dumps(config))

    def tf(*args: str) -> str:
        run = subprocess.run([terraform_bin, *args], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    tf("init", "-input=false", "-no-color", f"-plugin-dir={tf_plugin_dir}")
    tf("apply", "-input=false", "-no-color", "-auto-approve")
    outputs = json.loads(tf("output", "-json"))
    secret, password = outputs["secret"]["value"], outputs["password"]["value"]

    assert recipient_key_ids(secret) == set(op.subkey_ids) == _gpg_says_recipients(secret)
    assert recipient_key_ids(password) == set(pw.subkey_ids) == _gpg_says_recipients(password)
    assert encrypted_to(secret, op) is True and encrypted_to(secret, pw) is False
    assert encrypted_to(password, pw) is True and encrypted_to(password, op) is False
    assert mismatch(secret, op, "access key secret") is None
    notice = mismatch(password, op, "console password")
    assert notice is not None and notice.startswith(f"the stored console password is encrypted to key ID {pw.subkey_ids[0]}")
