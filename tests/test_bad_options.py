"""Bad values on the command line are the operator's mistake, not "a bug in tfiam": each one
gets exit 2 (a bad command line), a message naming the option and its rule, no traceback,
and nothing written.  Run through the real ``tfiam`` binary, except NUL, which no argv can
carry (execve ends a string at NUL): that one reaches tfiam only in-process, as from
``tfiam ask --run``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tfiam_tui.commands import cli
from tfiam_tui.engine.exitcodes import Exit

REPO = Path(__file__).resolve().parent.parent
ANSWERS = str(REPO / "examples" / "ci-bot.yaml")
TFIAM = str(Path(sys.executable).parent / "tfiam")
LONG_NAME = "n" * 256
LONG_UTF8 = "é" * 128  # 128 characters, 256 bytes: the limit is in bytes


def _run(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([TFIAM, *args], capture_output=True, text=True, cwd=cwd, timeout=300, **kwargs)


def _refused(result: subprocess.CompletedProcess[str], option: str, rule: str) -> None:
    assert result.returncode == Exit.USAGE, result.stdout + result.stderr
    assert option in result.stderr and rule in result.stderr, result.stderr
    assert "bug" not in result.stderr and "Traceback" not in result.stderr + result.stdout


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def fake_workspace(tmp_path: Path) -> Path:
    """A folder decrypt takes for a workspace (it has terraform.tfvars.json) with nothing in
    its state: a run that gets past the option checks ends at "nothing to decrypt" (exit 8)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "terraform.tfvars.json").write_text("{}\n")
    return ws


# --------------------------------------------------------------------------- --workspace


@pytest.mark.parametrize("name", [LONG_NAME, LONG_UTF8])
@pytest.mark.parametrize("argv", [
    ["replay", ANSWERS, "--sandbox", "--auto-approve"],
    ["validate", ANSWERS],
    ["decrypt"],
    ["wizard"],
    ["ask"],
    ["unlock", ANSWERS],
    ["adopt", "someone", "--save", "adopted.yaml", "--sandbox"],
], ids=lambda argv: argv[0])
def test_a_workspace_name_over_255_bytes_is_a_usage_error(tmp_path, argv, name):
    result = _run(*argv, "--workspace", str(tmp_path / name / "ws"), cwd=tmp_path)
    _refused(result, "--workspace", "at most 255 bytes")
    assert _listing(tmp_path) == []
    assert "SANDBOX" not in result.stdout  # refused before the sandbox started


def test_a_workspace_name_of_255_bytes_is_fine(tmp_path):
    for name in ("n" * 255, "é" * 127):
        result = _run("validate", ANSWERS, "--workspace", str(tmp_path / name), cwd=tmp_path)
        assert result.returncode == Exit.OK, result.stderr


def test_a_whole_path_over_path_max_is_a_usage_error(tmp_path):
    deep = "/".join(["d" * 200] * 21)  # every name fine, the whole over 4095 bytes
    _refused(_run("validate", ANSWERS, "--workspace", str(tmp_path / deep), cwd=tmp_path),
             "--workspace", "at most 4095 bytes")


@pytest.mark.parametrize("argv", [
    ["replay", ANSWERS, "--sandbox", "--auto-approve", "--workspace"],
    ["validate", ANSWERS, "--workspace"],
    ["decrypt", "--workspace"],
    ["decrypt", "--output"],
    ["decrypt", "--passphrase-file"],
    ["wizard", "--answers"],
    ["adopt", "someone", "--save"],
    ["replay"],  # the answers file itself
], ids=lambda argv: " ".join(a for a in argv if a.startswith("-") or a in ("replay",)))
def test_a_nul_byte_in_a_path_is_a_usage_error(tmp_path, capsys, argv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        cli.main([*argv, "ws\x00evil"])
    assert exc.value.code == Exit.USAGE
    err = capsys.readouterr().err
    assert "holds a NUL byte" in err and "ws\\x00evil" in err and "\x00" not in err
    assert argv[-1] in err or argv == ["replay"]
    assert "bug" not in err and "Traceback" not in err
    assert _listing(tmp_path) == []


# --------------------------------------------------------------------------- decrypt --output


def test_decrypt_output_into_a_missing_folder_is_a_usage_error(fake_workspace, tmp_path):
    result = _run("decrypt", "--workspace", str(fake_workspace), "--output", str(tmp_path / "gone" / "c.creds"),
                  cwd=tmp_path)
    _refused(result, "--output", "does not exist")
    assert not (tmp_path / "gone").exists()
    not_a_folder = _run("decrypt", "--workspace", str(fake_workspace), "--output",
                        str(fake_workspace / "terraform.tfvars.json" / "c.creds"), cwd=tmp_path)
    _refused(not_a_folder, "--output", "is not a folder")


def test_decrypt_output_into_an_existing_folder_gets_past_the_check(fake_workspace, tmp_path):
    result = _run("decrypt", "--workspace", str(fake_workspace), "--output", str(tmp_path / "c.creds"), cwd=tmp_path)
    assert result.returncode == Exit.DECRYPT_FAILED, result.stderr  # nothing to decrypt in this workspace
    assert not (tmp_path / "c.creds").exists()


# --------------------------------------------------------------------------- --passphrase-file


def _bad_passphrase_files(tmp_path: Path) -> dict[str, tuple[str, str]]:
    not_utf8 = tmp_path / "latin1.pw"
    not_utf8.write_bytes("pässword\n".encode("latin-1"))
    return {
        "missing": (str(tmp_path / "no-such.pw"), "does not exist"),
        "a folder": (str(tmp_path), "is a folder"),
        "unreadable": ("/proc/self/mem", "cannot be read"),  # opens, then EIO: unreadable even for root
        "not UTF-8": (str(not_utf8), "is not UTF-8"),
    }


@pytest.mark.parametrize("case", ["missing", "a folder", "unreadable", "not UTF-8"])
def test_a_bad_passphrase_file_stops_replay_before_anything_is_written(tmp_path, case):
    path, rule = _bad_passphrase_files(tmp_path)[case]
    before = _listing(tmp_path)
    result = _run("replay", ANSWERS, "--sandbox", "--auto-approve", "--workspace", str(tmp_path / "ws"),
                  "--passphrase-file", path, cwd=tmp_path)
    _refused(result, "--passphrase-file", rule)
    assert "SANDBOX" not in result.stdout
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("case", ["missing", "a folder", "unreadable", "not UTF-8"])
def test_a_bad_passphrase_file_stops_decrypt(fake_workspace, tmp_path, case):
    path, rule = _bad_passphrase_files(tmp_path)[case]
    result = _run("decrypt", "--workspace", str(fake_workspace), "--output", str(tmp_path / "c.creds"),
                  "--passphrase-file", path, cwd=tmp_path)
    _refused(result, "--passphrase-file", rule)
    assert not (tmp_path / "c.creds").exists()


def test_a_passphrase_from_a_pipe_is_read(fake_workspace, tmp_path):
    """``--passphrase-file <(pass show gpg)`` is a pipe: read once, never refused."""
    result = _run("decrypt", "--workspace", str(fake_workspace), "--output", str(tmp_path / "c.creds"),
                  "--passphrase-file", "/dev/stdin", cwd=tmp_path, stdin=None, input="secret\n")
    assert result.returncode == Exit.DECRYPT_FAILED, result.stderr  # past the file, nothing to decrypt

