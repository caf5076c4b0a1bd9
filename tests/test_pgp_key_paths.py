"""``pgp_key`` as a file is read next to the answers file, as ``workspace`` is, never from
the folder tfiam runs in; and under ``--sandbox`` the throwaway key stands in only for a
key that is absent, not for one that is unusable."""

from __future__ import annotations

import pytest
import yaml

from tests.test_answers import base
from tfiam_tui.engine import answers as A
from tfiam_tui.engine.pipeline import Pipeline, resolve_pgp_key


def answers_file(folder, pgp_key: str):
    data = base()
    data["authentication"] = {"access_key": True, "pgp_key": pgp_key}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bot.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_relative_key_file_is_read_next_to_the_answers_file(tmp_path, gnupghome, monkeypatch):
    team = tmp_path / "team"
    path = answers_file(team, "./key.asc")
    (team / "key.asc").write_bytes(gnupghome.export(gnupghome.op_fpr, armor=True))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "key.asc").write_bytes(gnupghome.export(gnupghome.pw_fpr, armor=True))  # another key, same name
    monkeypatch.chdir(elsewhere)
    key = resolve_pgp_key(A.load(path))
    assert key is not None and key.fingerprint == gnupghome.op_fpr
    assert A.load(path).authentication.pgp_key == "./key.asc"  # the file keeps what the operator wrote


def test_a_key_file_missing_next_to_the_answers_is_not_taken_from_the_current_folder(tmp_path, gnupghome, monkeypatch):
    path = answers_file(tmp_path / "team", "key.asc")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "key.asc").write_bytes(gnupghome.export(gnupghome.pw_fpr, armor=True))
    monkeypatch.chdir(elsewhere)
    with pytest.raises(A.AnswersError) as exc:
        resolve_pgp_key(A.load(path))
    assert exc.value.problems[0].field == "authentication.pgp_key"
    assert str(tmp_path / "team" / "key.asc") in str(exc.value) and "no such file" in str(exc.value)


def test_fingerprints_and_addresses_are_looked_up_in_the_keyring(tmp_path, gnupghome, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for ref in (gnupghome.op_fpr, "op@example.com", f"0x{gnupghome.op_fpr[-16:]}"):
        key = resolve_pgp_key(A.load(answers_file(tmp_path / "a", ref)))
        assert key is not None and key.fingerprint == gnupghome.op_fpr


@pytest.mark.parametrize("who,words", [("signonly@example.com", "encrypt"), ("expired@example.com", "expire")])
def test_under_sandbox_an_unusable_key_is_the_same_error_as_without(tmp_path, gnupghome, who, words):
    loaded = A.load(answers_file(tmp_path / "a", who))
    errors = []
    for sandbox in (False, True):
        pipeline = Pipeline(loaded, tmp_path / f"ws-{sandbox}", sandbox=sandbox)
        with pytest.raises(A.AnswersError) as exc:
            pipeline.check()
        errors.append(str(exc.value))
        assert not pipeline.used_sandbox_key
        assert not (tmp_path / f"ws-{sandbox}").exists()
    assert errors[0] == errors[1] and words in errors[0].lower()


def test_under_sandbox_an_absent_key_is_replaced_by_the_throwaway_key(tmp_path, gnupghome):
    loaded = A.load(answers_file(tmp_path / "a", "nobody@example.com"))
    with pytest.raises(A.AnswersError):
        Pipeline(loaded, tmp_path / "ws-real").check()
    pipeline = Pipeline(loaded, tmp_path / "ws", sandbox=True)
    pipeline.check()
    assert pipeline.used_sandbox_key and pipeline.pgp_key is not None
