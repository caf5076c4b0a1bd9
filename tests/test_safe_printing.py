"""Input on the terminal: control characters escaped, suggested commands safe to paste.

A path can hold ``$(...)`` (run when an unquoted hint is pasted) and ESC sequences (which
recolour, retitle or rewrite the terminal when printed raw).  Every hint tfiam prints is
pasted here into a real bash: it must run nothing else and name the right file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ask.test_ask import CTRL_C, ENTER, ci_bot_keys, run_ask
from tfiam_tui.engine.exitcodes import Exit
from tfiam_tui.engine.text import command, shell_quote, shown, shown_lines

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TFIAM = str(BIN / "tfiam")
PWNED = "$(touch pwned)"
RED = "\x1b[31m"

HOSTILE = [
    f"/tmp/a b/{PWNED}",
    "/tmp/`touch pwned`; touch pwned",
    f"/tmp/x{RED}red\x1b[0m",
    "/tmp/it's \\ here",
    "/tmp/two\nlines",
    "/tmp/\x00nul",
    "/tmp/csi\x9b31m",  # C1: an 8-bit CSI, as ESC [ to many terminals
    "/tmp/\u202egpj.exe",  # a bidi override reverses what follows on screen
    "/tmp/not-utf8-\udcff",  # a byte that was not UTF-8 in argv (surrogateescape)
    "/tmp/*?[a]",
    "-rf",
]


def _bash_words(line: str, cwd: Path) -> list[bytes]:
    """What bash makes of ``line`` when it is pasted: the words ``tfiam`` is called with."""
    script = "tfiam() { printf '%s\\0' \"$@\"; }\n" + line
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split(b"\0")[:-1]


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x00" not in text, repr(text)


# --------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\x00" not in v])  # no shell word holds NUL
def test_shell_quote_is_one_word_that_runs_nothing(value, tmp_path):
    words = _bash_words(f"tfiam {shell_quote(value)}", tmp_path)
    assert words == [value.encode("utf-8", "surrogateescape")]
    assert not (tmp_path / "pwned").exists()
    _no_raw_controls(shell_quote(value))


def test_unquoted_it_would_have_run(tmp_path):
    """The control: the old hint (no quoting) runs the command in the path."""
    _bash_words(f"tfiam --workspace /tmp/a/{PWNED}", tmp_path)
    assert (tmp_path / "pwned").exists()


def test_shown_escapes_controls_and_keeps_ordinary_unicode():
    assert shown("/tmp/é ✓ 名 ü") == "/tmp/é ✓ 名 ü"
    assert shown(f"x{RED}y") == "x\\x1b[31my"
    assert shown("a\nb\tc\r\x00\x7f\x85") == "a\\nb\\tc\\r\\x00\\x7f\\x85"
    assert shown("\u202e") == "\\u202e"
    assert shown("bad-\udcff") == "bad-\\xff"
    assert shown_lines(f"one\n\ttwo {RED}") == "one\n\ttwo \\x1b[31m"
    for value in HOSTILE:
        _no_raw_controls(shown(value))
        shown(value).encode("utf-8")  # printable on any UTF-8 terminal, no UnicodeEncodeError


def test_command_quotes_each_word_and_leaves_placeholders():
    assert command("tfiam", "decrypt", "--workspace", "/tmp/w s", "--output", "FILE") == \
        "tfiam decrypt --workspace '/tmp/w s' --output FILE"


# --------------------------------------------------------------------------- the real binary


def _run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TFIAM, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=600, errors="surrogateescape")


def _lint_failing_answers(folder: Path) -> Path:
    data = yaml.safe_load((REPO / "examples" / "ci-bot.yaml").read_text())
    data["permissions"]["groups"][0]["custom_policy"]["statements"][0]["actions"] = ["*"]
    folder.mkdir(parents=True)
    path = folder / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_lint_hint_of_replay_pastes_safely_and_names_the_file(tmp_path):
    answers = _lint_failing_answers(tmp_path / f"in {PWNED} {RED}red")
    result = _run("replay", str(answers), cwd=tmp_path)
    assert result.returncode == Exit.LINT_FAILED, result.stderr
    _no_raw_controls(result.stdout + result.stderr)
    hint = result.stderr.split("Details: ", 1)[1].strip()
    assert _bash_words(hint, tmp_path) == [b"lint", os.fsencode(answers)]
    assert not (tmp_path / "pwned").exists()
    # and pasted for real, it lints that very file
    real = subprocess.run(["bash", "-c", hint], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
    assert real.returncode == Exit.LINT_FAILED, real.stderr
    assert "TFIAM" in real.stdout
    assert not (tmp_path / "pwned").exists()


def test_errors_quoting_input_escape_it(tmp_path):
    missing = _run("validate", str(tmp_path / f"gone{RED}\x07.yaml"), cwd=tmp_path)
    assert missing.returncode == Exit.INVALID_ANSWERS
    assert "gone\\x1b[31m\\x07.yaml" in missing.stderr
    unknown = _run("validate", "a.yaml", f"\x1b]0;retitled\x07{RED}", cwd=tmp_path)  # argparse's own error
    assert unknown.returncode == Exit.USAGE
    assert "unrecognized arguments: \\x1b]0;retitled\\x07\\x1b[31m" in unknown.stderr
    not_utf8 = subprocess.run([os.fsencode(TFIAM), b"validate", b"/tmp/\xff\xfe.yaml"], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=60)
    assert not_utf8.returncode == Exit.INVALID_ANSWERS, not_utf8.stderr
    assert b"/tmp/\\xff\\xfe.yaml" in not_utf8.stderr and b"bug" not in not_utf8.stderr
    for result in (missing, unknown):
        _no_raw_controls(result.stdout + result.stderr)
        assert "bug" not in result.stderr and "Traceback" not in result.stderr


def test_the_ask_hints_paste_safely(tmp_path, gnupghome, monkeypatch):
    saved = tmp_path / f"saved {PWNED} {RED}.yaml"
    code, out = run_ask(ci_bot_keys(), "--save", str(saved), monkeypatch=monkeypatch)
    assert code == 0, out
    assert saved.is_file()
    _no_raw_controls(out)
    hint = out.split("Repeat this any time with:", 1)[1].strip().splitlines()[0]  # the command, on its own line
    assert _bash_words(hint, tmp_path) == [b"replay", os.fsencode(saved)]

    draft_to = tmp_path / f"draft {PWNED} {RED}.yaml"
    code, out = run_ask([ENTER, ENTER, ENTER, ENTER, "n", "ci-bot" + ENTER, CTRL_C, "y"],
                        "--save", str(draft_to), monkeypatch=monkeypatch)
    assert code == Exit.INTERRUPTED
    assert draft_to.is_file()
    _no_raw_controls(out)
    hint = out.split("continue with:", 1)[1].strip().splitlines()[0]  # the command, on its own line
    assert _bash_words(hint, tmp_path) == [b"ask", b"--answers", os.fsencode(draft_to)]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.e2e
def test_the_decrypt_hint_after_a_sandbox_replay_pastes_and_decrypts_that_workspace(
    tmp_path, empty_gnupghome, tf_plugin_dir
):
    ws = tmp_path / f"ws {PWNED} {RED}red"
    env = {"GNUPGHOME": empty_gnupghome}
    result = _run("replay", str(REPO / "examples" / "ci-bot.yaml"), "--sandbox", "--auto-approve",
                  "--workspace", str(ws), "--plugin-dir", tf_plugin_dir, cwd=tmp_path, env=env)
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    _no_raw_controls(result.stdout + result.stderr)
    assert f"workspace {shown(ws)}:" in result.stdout
    hint = next(line.strip() for line in result.stdout.splitlines() if line.strip().startswith("tfiam decrypt"))
    paste = tmp_path / "paste"
    paste.mkdir()
    assert _bash_words(hint, paste) == [b"decrypt", b"--workspace", os.fsencode(ws),
                                        b"--format", b"credentials", b"--output", b"FILE"]
    real = subprocess.run(["bash", "-c", hint], cwd=paste, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env, "PATH": f"{BIN}:{os.environ['PATH']}"})
    assert real.returncode == Exit.OK, real.stderr
    assert (paste / "FILE").read_text().startswith("[ci-bot]")
    assert not list(tmp_path.rglob("pwned"))
