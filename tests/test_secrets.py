"""tfiam_tui.engine.secrets against real gpg keys in throwaway GnuPG homes."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets as pysecrets
import subprocess
from pathlib import Path

import gnupg
import pytest

from tests.fixtures_gpg import encrypt_b64, gpg_cli
from tfiam_tui.engine import secrets
from tfiam_tui.engine.secrets import DecryptError, PgpError, keys


def _aws_like_secret() -> str:
    """Something shaped like an AWS secret key or console password, different every run."""
    return pysecrets.token_urlsafe(30) + "+/!@#$%^&*()"


def _keyring_listing(home: str) -> bytes:
    return gpg_cli(home, "--list-keys", "--with-colons").stdout


# --------------------------------------------------------------------------- gpg_home


def test_gpg_home_follows_gnupghome(monkeypatch):
    monkeypatch.setenv("GNUPGHOME", "/tmp/somewhere")
    assert secrets.gpg_home() == "/tmp/somewhere"
    monkeypatch.delenv("GNUPGHOME")
    assert secrets.gpg_home() is None  # gpg's own default, ~/.gnupg


# --------------------------------------------------------------------------- finding keys


def test_find_by_fingerprint_in_any_spelling(gnupghome):
    fpr = gnupghome.op_fpr
    spaced = " ".join(fpr[i : i + 4] for i in range(0, 40, 4))
    for ref in (fpr, fpr.lower(), spaced, "0x" + fpr):
        key = secrets.find_public_key(ref)  # GNUPGHOME from the environment
        assert key.fingerprint == fpr
        assert key.key_id == fpr[-16:]
        assert key.uids == ["Operator <op@example.com>"]
        assert (key.name, key.email) == ("Operator", "op@example.com")
        assert key.can_encrypt and key.has_secret
        assert key.source == "keyring"
        assert key.expires is None
        assert key.binary == gnupghome.export(fpr)


def test_find_by_key_id_long_short_and_0x(gnupghome):
    fpr = gnupghome.op_fpr
    for ref in (fpr[-16:], "0x" + fpr[-16:].lower(), fpr[-8:], "0x" + fpr[-8:]):
        assert secrets.find_public_key(ref).fingerprint == fpr


def test_find_by_email_is_exact_and_ignores_case(gnupghome):
    assert secrets.find_public_key("OP@Example.COM").fingerprint == gnupghome.op_fpr
    assert secrets.find_public_key("<pw@example.com>").fingerprint == gnupghome.pw_fpr
    with pytest.raises(PgpError, match="no public key"):
        secrets.find_public_key("p@example.com")  # a suffix of op@example.com is not a match


def test_explicit_gnupghome_wins_over_environment(gpg_keys, empty_gnupghome, monkeypatch):
    monkeypatch.setenv("GNUPGHOME", empty_gnupghome)
    assert secrets.find_public_key("op@example.com", gnupghome=gpg_keys.home).fingerprint == gpg_keys.op_fpr
    with pytest.raises(PgpError, match="no public key"):
        secrets.find_public_key("op@example.com")


def test_two_keys_for_one_email_is_an_error_listing_both(gnupghome):
    with pytest.raises(PgpError) as err:
        secrets.find_public_key("dup@example.com")
    message = str(err.value)
    assert "matches 2 keys" in message
    for fpr in gnupghome.dup_fprs:
        assert fpr in message


@pytest.mark.parametrize("armor", [True, False], ids=["armored", "binary"])
def test_find_from_file_uses_a_throwaway_keyring(gpg_keys, empty_gnupghome, tmp_path, monkeypatch, armor):
    key_file = tmp_path / ("op.asc" if armor else "op.gpg")
    key_file.write_bytes(gpg_keys.export(gpg_keys.op_fpr, armor=armor))
    temp_homes: list[str] = []
    real_mkdtemp = keys.tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        temp_homes.append(real_mkdtemp(*args, **kwargs))
        return temp_homes[-1]

    monkeypatch.setattr(keys.tempfile, "mkdtemp", recording_mkdtemp)
    before = _keyring_listing(empty_gnupghome)

    key = secrets.find_public_key(str(key_file), gnupghome=empty_gnupghome)

    assert key.source == "file"
    assert key.fingerprint == gpg_keys.op_fpr
    assert key.can_encrypt
    assert not key.has_secret  # the operator's (empty) keyring has no secret for it
    assert key.binary == gpg_keys.export(gpg_keys.op_fpr)
    assert _keyring_listing(empty_gnupghome) == before  # nothing imported into the operator's keyring
    assert gpg_keys.op_fpr.encode() not in before
    assert len(temp_homes) == 1 and not os.path.exists(temp_homes[0])  # throwaway keyring removed
    assert len(temp_homes[0]) < 60  # room for gpg-agent socket names (limit 108)


def test_file_with_several_keys_is_ambiguous(gpg_keys, empty_gnupghome, tmp_path):
    key_file = tmp_path / "two.asc"
    key_file.write_bytes(gpg_keys.gpg("--export", "--armor", gpg_keys.op_fpr, gpg_keys.pw_fpr).stdout)
    with pytest.raises(PgpError) as err:
        secrets.find_public_key(str(key_file), gnupghome=empty_gnupghome)
    assert gpg_keys.op_fpr in str(err.value) and gpg_keys.pw_fpr in str(err.value)


@pytest.mark.parametrize("armor", [True, False], ids=["armored", "binary"])
def test_secret_key_file_is_refused(gpg_keys, empty_gnupghome, tmp_path, armor):
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(
        gpg_keys.gpg("--export-secret-keys", *(["--armor"] if armor else []), gpg_keys.op_fpr).stdout
    )
    with pytest.raises(PgpError, match="SECRET key"):
        secrets.find_public_key(str(key_file), gnupghome=empty_gnupghome)
    assert _keyring_listing(empty_gnupghome).count(b"pub:") == 0


def test_file_without_a_key(empty_gnupghome, tmp_path):
    junk = tmp_path / "notakey.asc"
    junk.write_text("hello, I am not a key\n")
    with pytest.raises(PgpError, match="no OpenPGP public key found"):
        secrets.find_public_key(str(junk), gnupghome=empty_gnupghome)


def test_unknown_references_say_what_is_wrong_and_what_to_do(gnupghome, tmp_path):
    with pytest.raises(PgpError) as err:
        secrets.find_public_key("nobody@example.com")
    message = str(err.value)
    assert "'nobody@example.com'" in message
    assert "no public key" in message
    assert gnupghome.home in message  # which keyring was searched
    assert "gpg --import" in message and "path to a public key file" in message

    with pytest.raises(PgpError, match="no public key"):
        secrets.find_public_key("0123456789ABCDEF0123456789ABCDEF01234567")
    with pytest.raises(PgpError, match="is not a fingerprint .* e-mail address or the path"):
        secrets.find_public_key("just some words")
    with pytest.raises(PgpError, match="no such file"):
        secrets.find_public_key(str(tmp_path / "missing.asc"))
    with pytest.raises(PgpError, match="keybase: references are not supported"):
        secrets.find_public_key("keybase:someone")
    with pytest.raises(PgpError, match="empty"):
        secrets.find_public_key("   ")


def test_missing_gpg_is_its_own_error(gnupghome, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no gpg here
    with pytest.raises(secrets.GpgNotFound, match="install GnuPG"):
        secrets.find_public_key("op@example.com")


def test_missing_gnupghome_directory_is_named(tmp_path):
    missing = tmp_path / "no-such-home"
    with pytest.raises(PgpError, match="no-such-home.*not a directory"):
        secrets.find_public_key("op@example.com", gnupghome=missing)


# --------------------------------------------------------------------------- encryption capability


def test_sign_only_key_is_rejected_with_the_fix(gnupghome):
    key = secrets.find_public_key("signonly@example.com")
    assert not key.can_encrypt
    with pytest.raises(PgpError) as err:
        secrets.require_encryption_key(key)
    message = str(err.value)
    assert "has no valid encryption subkey" in message
    assert f"gpg --quick-add-key {gnupghome.signonly_fpr} rsa3072 encr" in message


def test_expired_encryption_subkey_does_not_count(gnupghome):
    key = secrets.find_public_key("expired@example.com")
    assert not key.can_encrypt
    with pytest.raises(PgpError, match="no valid encryption subkey"):
        secrets.require_encryption_key(key)


def test_encryption_capable_keys_pass(gnupghome):
    for email in ("op@example.com", "pw@example.com"):
        key = secrets.find_public_key(email)
        assert secrets.require_encryption_key(key) is key


def test_list_keys_for_the_picker(gnupghome):
    keys = {k.email: k for k in secrets.list_keys()}
    assert set(keys) == {
        "op@example.com", "pw@example.com", "signonly@example.com", "expired@example.com", "dup@example.com"
    }
    assert keys["op@example.com"].fingerprint == gnupghome.op_fpr
    assert keys["op@example.com"].name == "Operator"
    assert {e for e, k in keys.items() if k.can_encrypt} == {"op@example.com", "pw@example.com", "dup@example.com"}
    assert len(secrets.list_keys()) == 6  # both dup@ keys are listed
    assert all(k.has_secret and k.source == "keyring" and k.binary for k in keys.values())


# --------------------------------------------------------------------------- provider form


def test_provider_b64_is_the_binary_public_key(gnupghome, tmp_path):
    key = secrets.find_public_key("op@example.com")
    raw = base64.b64decode(key.provider_b64, validate=True)
    assert raw == key.binary == gnupghome.export(gnupghome.op_fpr)
    assert not raw.startswith(b"-----BEGIN")  # not armored
    packets = gpg_cli(tmp_path, "--list-packets", input=raw).stdout.decode()
    assert ":public key packet:" in packets
    assert ":public sub key packet:" in packets
    assert gnupghome.op_fpr[-16:] in packets  # keyid of the primary key
    assert "secret" not in packets


# --------------------------------------------------------------------------- decrypting


def test_round_trip_without_passphrase(gnupghome):
    plaintext = _aws_like_secret()
    message = gnupghome.encrypt_b64(gnupghome.op_fpr, plaintext)
    assert secrets.decrypt(message) == plaintext
    # an empty passphrase means "none" (python-gnupg would otherwise read the message as it)
    assert secrets.decrypt(message, passphrase="") == plaintext
    # wrapped base64, as pasted from a terminal, still decodes
    wrapped = "\n".join(message[i : i + 64] for i in range(0, len(message), 64))
    assert secrets.decrypt(wrapped + "\n") == plaintext


def test_passphrase_key_right_and_wrong(gnupghome):
    plaintext = _aws_like_secret()
    message = gnupghome.encrypt_b64(gnupghome.pw_fpr, plaintext)
    assert secrets.decrypt(message, passphrase=gnupghome.pw_passphrase) == plaintext

    for wrong in ("wrong passphrase", gnupghome.pw_passphrase.strip()):  # trailing blank matters
        with pytest.raises(DecryptError) as err:
            secrets.decrypt(message, passphrase=wrong)
        message_text = str(err.value)
        assert "bad passphrase" in message_text
        assert plaintext not in message_text
        assert wrong not in message_text and gnupghome.pw_passphrase.strip() not in message_text

    with pytest.raises(DecryptError, match="protected by a passphrase and none was given"):
        secrets.decrypt(message)  # fails in batch mode instead of opening a pinentry


def test_no_secret_key_names_key_and_keyring(gpg_keys, empty_gnupghome):
    message = gpg_keys.encrypt_b64(gpg_keys.op_fpr, _aws_like_secret())
    with pytest.raises(DecryptError) as err:
        secrets.decrypt(message, gnupghome=empty_gnupghome)
    text = str(err.value)
    assert text.startswith("cannot decrypt: no secret key for ")
    assert empty_gnupghome in text
    op_subkey_ids = [
        line.split(":")[4]
        for line in gpg_keys.gpg("--list-keys", "--with-colons", gpg_keys.op_fpr).stdout.decode().splitlines()
        if line.startswith("sub:")
    ]
    # the subkey's id, the one thing known of a key that is not in the keyring, said as such
    assert text.split("no secret key for key ")[1].split()[0] in op_subkey_ids
    assert "(not in the keyring)" in text


def test_a_bad_passphrase_names_the_key_as_the_key_picker_shows_it(gnupghome):
    """The picker lists "Name <e-mail>  LONGKEYID" of the primary key; gpg's message names the
    encryption subkey, an id the operator has never seen.  The error names the primary key."""
    message = gnupghome.encrypt_b64(gnupghome.pw_fpr, _aws_like_secret())
    with pytest.raises(DecryptError) as err:
        secrets.decrypt(message, passphrase="wrong passphrase")
    text = str(err.value)
    picker = next(k for k in secrets.list_keys() if k.fingerprint == gnupghome.pw_fpr)
    assert f"Passphrase Holder <pw@example.com> {picker.fingerprint[-16:]}" in text, text
    for subkey in picker.subkey_ids:
        assert subkey not in text


def test_garbage_is_not_decrypted(gnupghome):
    with pytest.raises(DecryptError, match="not base64"):
        secrets.decrypt("this is not base64!")
    with pytest.raises(DecryptError, match="not an OpenPGP message"):
        secrets.decrypt(base64.b64encode(b"plain text, not encrypted").decode())
    with pytest.raises(DecryptError, match="line break"):
        secrets.decrypt(gnupghome.encrypt_b64(gnupghome.pw_fpr, "x"), passphrase="a\nb")


def _readable_proc_files() -> list[bytes]:
    """argv and environment of every process this user can read (gpg-agent included)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for name in ("cmdline", "environ"):
                with contextlib.suppress(OSError):
                    found.append(Path("/proc", pid, name).read_bytes())
    return found


def test_passphrase_never_on_a_command_line_or_in_an_environment(gnupghome, monkeypatch):
    children: list[tuple[list[str], dict[str, str]]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        argv = args[0] if args else kwargs["args"]
        env = kwargs.get("env")
        children.append(([str(a) for a in argv], dict(os.environ if env is None else env)))
        return real_popen(*args, **kwargs)

    # python-gnupg did "from subprocess import Popen": patch its name as well as subprocess's
    monkeypatch.setattr(gnupg, "Popen", recording_popen)
    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    passphrase = gnupghome.pw_passphrase
    plaintext = _aws_like_secret()
    message = gnupghome.encrypt_b64(gnupghome.pw_fpr, plaintext)
    children.clear()

    assert secrets.decrypt(message, passphrase=passphrase) == plaintext

    decrypts = [argv for argv, _ in children if "--decrypt" in argv]
    assert decrypts, f"no gpg --decrypt child was seen: {children}"
    assert "--batch" in decrypts[0] and "--passphrase-fd" in decrypts[0]
    for argv, env in children:
        assert not any(passphrase in a or passphrase.strip() in a for a in argv)
        assert not any(passphrase.strip() in v for v in env.values())
    needle = passphrase.strip().encode("utf-8")
    assert not any(needle in blob for blob in _readable_proc_files())


def test_logs_hold_no_secret_even_at_debug(gnupghome, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)  # the whole app at DEBUG ...
    caplog.set_level(logging.DEBUG, logger="gnupg")  # ... and someone turned python-gnupg up too
    monkeypatch.setattr(gnupg, "log_everything", True)  # python-gnupg would then log decrypted data
    plaintext = _aws_like_secret()
    message = gnupghome.encrypt_b64(gnupghome.pw_fpr, plaintext)

    assert secrets.decrypt(message, passphrase=gnupghome.pw_passphrase) == plaintext
    with pytest.raises(DecryptError):
        secrets.decrypt(message, passphrase="not it")

    assert plaintext not in caplog.text
    assert gnupghome.pw_passphrase.strip() not in caplog.text
    assert logging.getLogger("gnupg").getEffectiveLevel() >= logging.WARNING


# --------------------------------------------------------------------------- creating a key


def test_create_key_makes_an_rsa_encryption_key_that_needs_its_passphrase(empty_gnupghome):
    passphrase = "new key ✓ " + pysecrets.token_hex(8)
    key = secrets.create_key("Ops Team", "ops@example.com", passphrase, gnupghome=empty_gnupghome)

    assert key.uids == ["Ops Team <ops@example.com>"]
    assert key.can_encrypt and key.has_secret and key.expires is None
    assert secrets.require_encryption_key(key) is key
    assert secrets.find_public_key("ops@example.com", gnupghome=empty_gnupghome).fingerprint == key.fingerprint
    listing = _keyring_listing(empty_gnupghome).decode().splitlines()
    pub = next(line.split(":") for line in listing if line.startswith("pub:"))
    sub = next(line.split(":") for line in listing if line.startswith("sub:"))
    assert (pub[2], pub[3]) == ("3072", "1") and "e" not in pub[11]  # RSA 3072, signs
    assert (sub[2], sub[3]) == ("3072", "1") and sub[11] == "e"  # RSA 3072, encrypts

    plaintext = _aws_like_secret()
    message = encrypt_b64(empty_gnupghome, key.fingerprint, plaintext)
    with pytest.raises(DecryptError, match="protected by a passphrase"):
        secrets.decrypt(message, gnupghome=empty_gnupghome)
    with pytest.raises(DecryptError, match="bad passphrase"):
        secrets.decrypt(message, passphrase=passphrase.strip() + "x", gnupghome=empty_gnupghome)
    assert secrets.decrypt(message, passphrase=passphrase, gnupghome=empty_gnupghome) == plaintext

    with pytest.raises(PgpError, match="already exists"):
        secrets.create_key("Ops Team", "ops@example.com", passphrase, gnupghome=empty_gnupghome)


def test_create_key_refuses_bad_input_before_running_gpg(empty_gnupghome):
    with pytest.raises(PgpError, match="needs a passphrase"):
        secrets.create_key("Ops", "ops@example.com", "", gnupghome=empty_gnupghome)
    with pytest.raises(PgpError, match="line break"):
        secrets.create_key("Ops", "ops@example.com", "one\n%no-protection", gnupghome=empty_gnupghome)
    with pytest.raises(PgpError, match="not an e-mail address"):
        secrets.create_key("Ops", "ops at example", "pw", gnupghome=empty_gnupghome)
    with pytest.raises(PgpError, match="key name"):
        secrets.create_key("Ops <evil@example.com>", "ops@example.com", "pw", gnupghome=empty_gnupghome)
    assert b"pub:" not in _keyring_listing(empty_gnupghome)



# --------------------------------------------------------------------------- handing over


def test_a_console_only_user_has_no_profile_and_the_reason_names_no_flag():
    from tfiam_tui.engine.pipeline import Credentials
    from tfiam_tui.engine.secrets.handover import NoAccessKey, format_credentials

    creds = Credentials(user_name="web", user_arn="arn:aws:iam::123456789012:user/web", password="Pw-1234567890!")
    with pytest.raises(NoAccessKey) as err:
        format_credentials(creds, "credentials")
    assert str(err.value) == "this user has no access key, so there is no credentials profile to write"
    assert "--" not in str(err.value)  # the wizard says what to do in its own words


@pytest.mark.parametrize("path", ["/home/op/ci bot.credentials", "/tmp/$(touch pwned)/`id`;'x'.credentials"])
def test_the_try_command_quotes_every_word_and_holds_no_secret(path):
    """A path with blanks, quotes or shell syntax comes back as the same one word; the
    command reads the key from the file, so no secret is in it."""
    import shlex

    from tfiam_tui.engine.secrets.handover import try_key_command

    for aws in ("aws", None):
        shown = try_key_command(path, "ci-bot", region="eu-central-1", endpoint="http://127.0.0.1:4566",
                                aws_cli=aws, python="/opt/py/bin/python3")
        words = shlex.split(shown)
        assert words[0] == f"AWS_SHARED_CREDENTIALS_FILE={path}"
        if aws:
            assert words[1:] == ["aws", "--profile", "ci-bot", "--region", "eu-central-1", "--endpoint-url",
                                 "http://127.0.0.1:4566", "sts", "get-caller-identity"]
        else:
            assert words[1:3] == ["/opt/py/bin/python3", "-c"] and '"http://127.0.0.1:4566"' in words[3]
    real = try_key_command(path, "ci-bot", region="eu-central-1", endpoint=None, aws_cli="aws", python="python3")
    assert "--endpoint-url" not in real  # AWS itself
